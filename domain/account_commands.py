"""Commands of accounts and cards, tariffs, limits and subsidies: each loads the account,
decides and saves it (with the index that claims a contract number or a card).
"""

from collections.abc import Callable
from uuid import UUID

from domain.account import Account
from domain.commands import Commands
from domain.enrolment import check_contract_number
from domain.errors import CardAlreadyIssuedError, ContractAlreadyExistsError
from domain.index import CardIndex, ContractIndex, Index, card_key, contract_key, index_id
from domain.tap import normalise_uid


class AccountCommands(Commands):
    def open_account(
        self,
        contract_number: str,
        school_id: UUID,
        class_name: str,
        pupil_ref: str,
        parent_ref: str,
    ) -> UUID:
        contract_number = check_contract_number(contract_number)
        self.school(school_id)

        def attempt() -> UUID:
            if self._find(index_id(contract_key(contract_number)), Index) is not None:
                raise ContractAlreadyExistsError(
                    f"contract {contract_number} already has an account"
                )
            account = Account.open(contract_number, school_id, class_name, pupil_ref, parent_ref)
            self.save(account, ContractIndex(contract_number, account.id))
            return account.id

        return self._retry(attempt)

    def issue_card(self, account_id: UUID, uid: str) -> int:
        uid = normalise_uid(uid)
        return self._with_new_card(account_id, uid, lambda a: a.issue_card(uid))

    def block_card(self, account_id: UUID, uid: str, reason: str) -> int:
        uid = normalise_uid(uid)
        return self._on_account(account_id, lambda a: a.block_card(uid, reason))

    def unblock_card(self, account_id: UUID, uid: str, reason: str) -> int:
        uid = normalise_uid(uid)
        return self._on_account(account_id, lambda a: a.unblock_card(uid, reason))

    def order_duplicate(self, account_id: UUID, blocked_uid: str, new_uid: str) -> int:
        blocked_uid, new_uid = normalise_uid(blocked_uid), normalise_uid(new_uid)
        return self._with_new_card(
            account_id, new_uid, lambda a: a.order_duplicate(blocked_uid, new_uid)
        )

    def change_tariff(self, account_id: UUID, tariff: str) -> int:
        return self._on_account(account_id, lambda a: a.change_tariff(tariff))

    def change_daily_limit(self, account_id: UUID, limit: int) -> int:
        return self._on_account(account_id, lambda a: a.change_daily_limit(limit))

    def grant_subsidy(self, account_id: UUID, basis: str, daily_allowance: int) -> int:
        return self._on_account(account_id, lambda a: a.grant_subsidy(basis, daily_allowance))

    def revoke_subsidy(self, account_id: UUID, reason: str) -> int:
        return self._on_account(account_id, lambda a: a.revoke_subsidy(reason))

    def credit_subsidy(self, account_id: UUID, amount: int, period: str) -> int:
        return self._on_account(account_id, lambda a: a.credit_subsidy(amount, period))

    def _with_new_card(self, account_id: UUID, uid: str, command: Callable[[Account], None]) -> int:
        """`command` puts card `uid` on the account, saved with the index that claims the card."""

        def attempt() -> int:
            if self._find(index_id(card_key(uid)), Index) is not None:
                raise CardAlreadyIssuedError(f"card {uid} already belongs to an account")
            account = self.account(account_id)
            command(account)
            return self._position(self.save(account, CardIndex(uid, account.id)))

        return self._retry(attempt)

    def _on_account(self, account_id: UUID, command: Callable[[Account], None]) -> int:
        return self._on(lambda: self.account(account_id), command)
