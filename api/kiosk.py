"""Kiosk flows: card activation (offer, parent phone, first cash deposit), cash deposits,
duplicate cards. Each answers a receipt; each is idempotent by its receipt or new card."""

import re
from typing import Any
from uuid import UUID

from adapters.people import PeopleStore
from adapters.terminal_auth import TerminalAuthError
from api.terminal import Terminal, fields_of
from api.terminal_schemas import ActivationInput, DepositInput, DuplicateInput
from domain.account import DUPLICATE_CARD_FEE, Account
from domain.consent import PARENT, check_version
from domain.errors import CardStateError, InvalidCommandError
from domain.fields import CODE, text
from domain.kinds import CardState, Channel, TerminalKind
from domain.ledger import Ledger
from domain.recorded import acting_as
from domain.tap import normalise_uid
from domain.top_up_commands import TopUpResult
from privacy.office import PrivacyOffice

_PHONE = re.compile(r"\+?[0-9]{10,15}")


class Kiosk:
    def __init__(self, ledger: Ledger, people: PeopleStore) -> None:
        self.ledger, self.people = ledger, people
        self.privacy: PrivacyOffice | None = None  # records the parent's consent

    def activate(self, terminal: Terminal, raw: object) -> dict[str, Any]:
        check_kiosk(terminal)
        body = fields_of(raw, ActivationInput)
        account = self._own_card_account(terminal, body["card_uid"])
        phone = parent_phone(body["parent_phone"])
        consent_version = check_version(body["consent_version"])  # before anything is recorded
        with acting_as(terminal.actor):
            result = self.ledger.activate_card(
                body["card_uid"],
                body["offer_version"],  # checked by the domain
                account.parent_ref,  # the phone itself goes to the personal-data store
                body["deposit"],
                payment_id(terminal, body["receipt_id"]),
                terminal.terminal_id,
            )
        if self.privacy is not None:
            with acting_as(terminal.actor):
                self.privacy.give_consent(account.id, PARENT, consent_version)
        self.people.put(account.parent_ref, phone=phone)
        return self._receipt(terminal, "activation", account, body["receipt_id"], result)

    def deposit(self, terminal: Terminal, raw: object) -> dict[str, Any]:
        check_kiosk(terminal)
        body = fields_of(raw, DepositInput)
        account = self._own_card_account(terminal, body["card_uid"])
        with acting_as(terminal.actor):
            result = self.ledger.top_up(
                account.id,
                body["amount"],
                Channel.KIOSK_CASH.value,
                payment_id(terminal, body["receipt_id"]),
                terminal.terminal_id,
            )
        return self._receipt(terminal, "deposit", account, body["receipt_id"], result)

    def duplicate(self, terminal: Terminal, raw: object) -> dict[str, Any]:
        check_kiosk(terminal)
        body = fields_of(raw, DuplicateInput)
        new_uid = normalise_uid(body["new_card_uid"])
        if body.get("card_uid") is not None:
            account = self._own_card_account(terminal, body["card_uid"])
            blocked_uid = normalise_uid(body["card_uid"])
        elif body.get("contract_number") is not None:
            number = text(body["contract_number"], CODE, what="contract_number")
            account_id = self.ledger.account_id_for_contract(number)
            account = self._own_account(terminal, account_id)
            blocked_uid = latest_blocked(account)
        else:
            raise InvalidCommandError("name the blocked card by card_uid or contract_number")
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
