"""Kiosk flows: card activation (offer, parent phone, first cash deposit), cash deposits (by
card or by contract number), duplicate cards, the balance. Each answers a receipt; each is
idempotent by its receipt or new card. What only the family may do (the balance, a duplicate)
asks for the kiosk PIN first (`identity/kiosk_pins.py`): a wrong PIN records nothing."""

import re
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from adapters.people import PeopleStore
from adapters.terminal_auth import TerminalAuthError
from api.tap_batcher import TapBatcher
from api.terminal import Terminal, fields_of
from api.terminal_schemas import ActivationInput, BalanceInput, DepositInput, DuplicateInput
from domain.account import DUPLICATE_CARD_FEE, Account
from domain.consent import PARENT, check_version
from domain.errors import CardStateError, InvalidCommandError
from domain.fields import CODE, text
from domain.kinds import CardState, Channel, TerminalKind
from domain.ledger import Ledger
from domain.recorded import acting_as
from domain.tap import normalise_uid
from domain.top_up_request import ActivateRequest, TopUpRequest, TopUpResult
from identity.kiosk_pins import KioskPins, PinError
from privacy.office import PrivacyOffice

_PHONE = re.compile(r"\+?[0-9]{10,15}")


class Kiosk:
    def __init__(self, ledger: Ledger, people: PeopleStore) -> None:
        self.ledger, self.people = ledger, people
        self.privacy: PrivacyOffice | None = None  # records the parent's consent
        self.pins: KioskPins | None = None  # set by the app: the kiosk PINs (identity)
        # set by the desk: deposits join the taps' group commit (`api/tap_batcher.py`)
        self.batcher: TapBatcher | None = None

    def activate(self, terminal: Terminal, raw: object) -> dict[str, Any]:
        check_kiosk(terminal)
        body = fields_of(raw, ActivationInput)
        account = self._own_card_account(terminal, body["card_uid"])
        phone = parent_phone(body["parent_phone"])
        consent_version = check_version(body["consent_version"])  # before anything is recorded
        request = ActivateRequest(
            body["card_uid"],
            body["offer_version"],  # checked by the domain
            account.parent_ref,  # the phone itself goes to the personal-data store
            body["deposit"],
            payment_id(terminal, body["receipt_id"]),
            terminal.terminal_id,
        )
        result = self._money_in(terminal, request)
        if self.privacy is not None:
            with acting_as(terminal.actor):
                self.privacy.give_consent(account.id, PARENT, consent_version)
        self.people.put(account.parent_ref, phone=phone)
        return self._receipt(terminal, "activation", account, body["receipt_id"], result)

    def deposit(self, terminal: Terminal, raw: object) -> dict[str, Any]:
        """Cash into a contract: the card on the reader, or its number typed (no PIN: money
        in is anyone's to give, and the receipt names only the contract)."""
        check_kiosk(terminal)
        body = fields_of(raw, DepositInput)
        account = self._named_account(terminal, body)
        request = TopUpRequest(
            account.id,
            body["amount"],
            Channel.KIOSK_CASH.value,
            payment_id(terminal, body["receipt_id"]),
            terminal.terminal_id,
        )
        result = self._money_in(terminal, request)
        return self._receipt(terminal, "deposit", account, body["receipt_id"], result)

    def _money_in(self, terminal: Terminal, request: TopUpRequest | ActivateRequest) -> TopUpResult:
        """Credited with the taps' group commit (`api/tap_batcher.py`), else alone."""
        if self.batcher is not None:
            result = self.batcher.top_up(request, terminal.actor)
        else:
            with acting_as(terminal.actor):
                result = self.ledger.handle_top_up(request)
        assert isinstance(result, TopUpResult)
        return result

    def balance(self, terminal: Terminal, raw: object) -> dict[str, Any]:
        """The family's balance on the kiosk's screen, after the PIN."""
        check_kiosk(terminal)
        body = fields_of(raw, BalanceInput)
        account = self._named_account(terminal, body)
        self._unlock(account, body.get("pin"))
        today = self.ledger.school(account.school_id).local_date(self.ledger.clock())
        receipt = {
            "operation": "balance",
            "terminal_id": str(terminal.terminal_id),
            "contract_number": account.contract_number,
            "regular": account.regular,
            "subsidised": account.subsidised,
            "daily_limit": account.daily_limit,
            "spent_today": account.spent_on(today),
            "fee_debt": account.fee_debt,
        }
        position = self.ledger.recorder.max_notification_id() or 0
        return {"receipt": receipt, "position": position, "replayed": False}

    def duplicate(self, terminal: Terminal, raw: object) -> dict[str, Any]:
        check_kiosk(terminal)
        body = fields_of(raw, DuplicateInput)
        new_uid = normalise_uid(body["new_card_uid"])
        account = self._named_account(terminal, body)
        if body.get("card_uid") is not None:
            blocked_uid = normalise_uid(body["card_uid"])
        else:
            blocked_uid = latest_blocked(account)
        self._unlock(account, body.get("pin"))  # before anything is recorded
        replayed = new_uid in account.cards  # the same order again: answer, do not charge
        position = self.ledger.recorder.max_notification_id() or 0
        if not replayed:
            with acting_as(terminal.actor):
                position = self.ledger.order_duplicate(account.id, blocked_uid, new_uid)
        after = self.ledger.account(account.id)
        receipt = {
            "operation": "duplicate",
            "terminal_id": str(terminal.terminal_id),
            "contract_number": account.contract_number,
            "blocked_card_uid": blocked_uid,
            "new_card_uid": new_uid,
            "new_card_state": after.cards[new_uid],
            "fee": DUPLICATE_CARD_FEE,
            "regular_after": after.regular,
        }
        return {"receipt": receipt, "position": position, "replayed": replayed}

    def _receipt(
        self, terminal: Terminal, operation: str, account: Account, receipt_id: Any,
        result: TopUpResult,
    ) -> dict[str, Any]:  # fmt: skip
        receipt = {
            "operation": operation,
            "receipt_id": receipt_id,
            "terminal_id": str(terminal.terminal_id),
            "contract_number": account.contract_number,
            "amount": result.amount,
            "commission": result.commission,
            "regular_after": result.regular_after,
        }
        return {"receipt": receipt, "position": result.position, "replayed": result.replayed}

    def _named_account(self, terminal: Terminal, body: Mapping[str, Any]) -> Account:
        """The account a kiosk request names: by its card (`card_uid`) or its contract number
        (`contract_number`), exactly one of them."""
        by_card, by_number = body.get("card_uid"), body.get("contract_number")
        if (by_card is None) == (by_number is None):
            raise InvalidCommandError("name the account by card_uid or by contract_number")
        if by_card is not None:
            return self._own_card_account(terminal, by_card)
        number = text(by_number, CODE, what="contract_number")
        return self._own_account(terminal, self.ledger.account_id_for_contract(number))

    def _unlock(self, account: Account, pin: object) -> None:
        """The kiosk PIN, or a typed refusal (`wrong_pin`, `pin_locked`, …): nothing recorded."""
        if self.pins is None:
            raise TerminalAuthError("pin_unavailable", "kiosk PINs cannot be checked now", 503)
        try:
            self.pins.verify(account.id, pin)
        except PinError as refused:
            raise TerminalAuthError(refused.code, str(refused), refused.status) from None

    def _own_card_account(self, terminal: Terminal, uid: Any) -> Account:
        return self._own_account(terminal, self.ledger.card_account_id(uid))

    def _own_account(self, terminal: Terminal, account_id: UUID) -> Account:
        account = self.ledger.account(account_id)
        if account.school_id != terminal.school_id:
            raise TerminalAuthError("foreign_school", "this card belongs to another school", 403)
        return account


def check_kiosk(terminal: Terminal) -> None:
    if terminal.kind != TerminalKind.KIOSK:
        raise TerminalAuthError("terminal_kind", "only a kiosk may do this", 403)


def payment_id(terminal: Terminal, receipt_id: object) -> str:
    """Receipts are numbered per kiosk, so the payment id names the kiosk too."""
    return f"kiosk:{terminal.terminal_id}:{text(receipt_id, CODE, what='receipt_id')}"


def parent_phone(value: object) -> str:
    phone = re.sub(r"[\s()\-]", "", value) if isinstance(value, str) else ""
    if not _PHONE.fullmatch(phone):
        raise InvalidCommandError("parent_phone is a phone number of 10 to 15 digits")
    return phone


def latest_blocked(account: Account) -> str:
    blocked = {uid: at for uid, at in account.blocked_at.items()
               if account.cards.get(uid) == CardState.BLOCKED}  # fmt: skip
    if not blocked:
        raise CardStateError("this account has no blocked card to replace")
    return max(blocked, key=lambda uid: blocked[uid])
