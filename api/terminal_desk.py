"""What terminals may do, in primitives: JSON objects in, JSON-ready answers out.

The desk authenticates a signed request, keeps a terminal to its own school, turns JSON
into domain commands for the `Ledger` and answers with decisions and receipts. Deciding is
the domain's job; everything here is translation, authorisation and personal-data lookups.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from adapters.blobs import BlobStore
from adapters.people import PeopleStore
from adapters.terminal_auth import SignedRequest, TerminalAuthError, TerminalSecrets
from api.deny_list import DenyList, Revocations
from domain.account import DUPLICATE_CARD_FEE, Account
from domain.errors import CardStateError, DomainError, InvalidCommandError
from domain.kinds import CardState, Channel, DeclineReason, TerminalKind
from domain.ledger import Ledger, TopUpResult
from domain.recorded import acting_as
from domain.tap import TapRequest, normalise_uid

MAX_BATCH = 500
PHOTO_PATH = "/terminal/v1/photos/"
_PHONE = re.compile(r"\+?[0-9]{10,15}")
_HIDDEN_FROM_FOREIGN = ("account_id", "regular_after", "subsidised_after", "spent_today",
                        "daily_limit")  # fmt: skip


@dataclass(frozen=True)
class Terminal:
    """An authenticated terminal and the raw body it signed."""

    terminal_id: UUID
    school_id: UUID
    kind: str
    body: bytes

    @property
    def actor(self) -> str:
        return f"terminal:{self.terminal_id}"


class TerminalDesk:
    def __init__(
        self,
        ledger: Ledger,
        secrets: TerminalSecrets,
        people: PeopleStore,
        blobs: BlobStore,
        offline_cap: int,
    ) -> None:
        self.ledger, self.secrets, self.people, self.blobs = ledger, secrets, people, blobs
        self.offline_cap = offline_cap
        self.deny_list = DenyList(ledger)
        self.revocations = Revocations(ledger)
        self._kinds: dict[UUID, str] = {}  # a terminal's kind never changes
        self._pupil_refs: dict[UUID, tuple[UUID, str, str]] = {}

    def create_tables(self) -> None:
        self.secrets.create_tables()
        self.people.create_tables()
        self.blobs.create_tables()

    def close(self) -> None:
        self.secrets.close()

    # Authentication

    def authenticate(self, request: SignedRequest) -> Terminal:
        """Signature first (a forgery changes nothing), then revocation, then the counter."""
        verified = self.secrets.authenticate(request)
        if self.revocations.is_revoked(verified.terminal_id):
            raise TerminalAuthError("terminal_revoked", "this terminal has been revoked", 403)
        kind = self._kinds.get(verified.terminal_id)
        if kind is None:
            try:
                school = self.ledger.school(verified.school_id)
                kind = self._kinds[verified.terminal_id] = school.terminal(verified.terminal_id)[
                    "kind"
                ]
            except DomainError:
                raise TerminalAuthError(
                    "unknown_terminal", "this terminal is not registered"
                ) from None
        self.secrets.advance(verified)
        return Terminal(verified.terminal_id, verified.school_id, kind, request.body)

    # Taps

    def tap(self, terminal: Terminal, raw: object) -> dict[str, Any]:
        return self._decide(terminal, tap_request(terminal, raw))

    def taps(self, terminal: Terminal, raw: object) -> dict[str, Any]:
        """A batch: decided in `tapped_at` order, answered in the order sent."""
        taps = raw.get("taps") if isinstance(raw, dict) else None
        if not isinstance(taps, list) or not 1 <= len(taps) <= MAX_BATCH:
            raise InvalidCommandError(f"a batch is {{'taps': [...]}} with 1 to {MAX_BATCH} taps")
        results: list[dict[str, Any] | None] = [None] * len(taps)
        parsed: list[tuple[int, TapRequest]] = []
        for i, one in enumerate(taps):
            try:
                parsed.append((i, tap_request(terminal, one)))
            except DomainError as error:
                results[i] = failed(one, error)
        for i, request in sorted(parsed, key=lambda pair: pair[1].tapped_at):
            try:
                results[i] = self._decide(terminal, request)
            except DomainError as error:
                results[i] = failed(taps[i], error)
        return {"results": results}

    def _decide(self, terminal: Terminal, request: TapRequest) -> dict[str, Any]:
        with acting_as(terminal.actor):
            result = self.ledger.handle_tap(request)
        answer = result.decision.as_dict()
        pupil = None
        if result.decision.reason == DeclineReason.FOREIGN_SCHOOL:
            answer.update(dict.fromkeys(_HIDDEN_FROM_FOREIGN))
        elif result.decision.account_id:
            pupil = self.pupil(UUID(result.decision.account_id), terminal.school_id)
        return {**answer, "pupil": pupil, "position": result.position, "replayed": result.replayed}

    def pupil(self, account_id: UUID, school_id: UUID) -> dict[str, Any] | None:
        """Name, class and photo for the operator's or the guard's screen (own school only)."""
        if account_id not in self._pupil_refs:
            account = self.ledger.account(account_id)
            self._pupil_refs[account_id] = (
                account.school_id,
                account.pupil_ref,
                account.class_name,
            )
        account_school, pupil_ref, class_name = self._pupil_refs[account_id]
        if account_school != school_id:
            return None
        fields = self.people.get(pupil_ref) or {}
        photo = fields.get("photo")
        return {
            "name": fields.get("name"),
            "class": fields.get("class") or class_name,
            "photo_url": f"{PHOTO_PATH}{photo}" if photo else None,
        }

    def photo(self, terminal: Terminal, digest: str) -> bytes | None:
        if not self.blobs.readable_by(digest, terminal.school_id):
            return None
        return self.blobs.read(digest)

    def denied_cards(self, terminal: Terminal, since: int) -> dict[str, Any]:
        version, uids = self.deny_list.for_school(terminal.school_id)
        return {
            "version": version,
            "changed": version > since,
            "uids": uids,
            "offline_cap": self.offline_cap,
        }

    # Kiosk

    def activate(self, terminal: Terminal, raw: object) -> dict[str, Any]:
        body = fields_of(raw, "card_uid", "offer_version", "parent_phone", "deposit", "receipt_id")
        account = self._own_card_account(terminal, body["card_uid"], TerminalKind.KIOSK)
        phone = parent_phone(body["parent_phone"])
        with acting_as(terminal.actor):
            result = self.ledger.activate_card(
                body["card_uid"],
                text(body["offer_version"], "offer_version"),
                account.parent_ref,  # the phone itself goes to the personal-data store
                body["deposit"],
                payment_id(terminal, body["receipt_id"]),
                terminal.terminal_id,
            )
        self.people.put(account.parent_ref, phone=phone)
        return self._receipt(terminal, "activation", account, body["receipt_id"], result)

    def deposit(self, terminal: Terminal, raw: object) -> dict[str, Any]:
        body = fields_of(raw, "card_uid", "amount", "receipt_id")
        account = self._own_card_account(terminal, body["card_uid"], TerminalKind.KIOSK)
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
        body = fields_of(raw, "new_card_uid")
        new_uid = normalise_uid(body["new_card_uid"])
        if body.get("card_uid") is not None:
            account = self._own_card_account(terminal, body["card_uid"], TerminalKind.KIOSK)
            blocked_uid = normalise_uid(body["card_uid"])
        elif body.get("contract_number") is not None:
            number = text(body["contract_number"], "contract_number")
            account_id = self.ledger.account_id_for_contract(number)
            account = self._own_account(terminal, account_id, TerminalKind.KIOSK)
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

    def _own_card_account(self, terminal: Terminal, uid: Any, kind: TerminalKind) -> Account:
        return self._own_account(terminal, self.ledger.card_account_id(uid), kind)

    def _own_account(self, terminal: Terminal, account_id: UUID, kind: TerminalKind) -> Account:
        if terminal.kind != kind:
            raise TerminalAuthError("terminal_kind", f"only a {kind.value} may do this", 403)
        account = self.ledger.account(account_id)
        if account.school_id != terminal.school_id:
            raise TerminalAuthError("foreign_school", "this card belongs to another school", 403)
        return account


def tap_request(terminal: Terminal, raw: object) -> TapRequest:
    if not isinstance(raw, dict):
        raise InvalidCommandError("a tap is a JSON object")
    items = raw.get("items")
    if items is not None and not (
        isinstance(items, list) and all(isinstance(i, dict) for i in items)
    ):
        raise InvalidCommandError("items is a list of objects")
    offline = raw.get("offline", False)
    if not isinstance(offline, bool):
        raise InvalidCommandError("offline is true or false")
    return TapRequest.parse(
        terminal.terminal_id,
        raw.get("tap_id"),  # type: ignore[arg-type]  # checked by the domain
        raw.get("card_uid"),  # type: ignore[arg-type]
        parse_time(raw.get("tapped_at")),
        items=items,
        direction=raw.get("direction"),
        offline=offline,
    )


def parse_time(value: object) -> datetime:
    if not isinstance(value, str):
        raise InvalidCommandError("tapped_at is an ISO-8601 time with a UTC offset")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidCommandError(f"tapped_at {value!r} is not an ISO-8601 time") from None
    if moment.utcoffset() is None:
        raise InvalidCommandError("tapped_at must carry a UTC offset")
    return moment


def fields_of(raw: object, *required: str) -> Mapping[str, Any]:
    if not isinstance(raw, dict):
        raise InvalidCommandError("the body is a JSON object")
    missing = [name for name in required if raw.get(name) is None]
    if missing:
        raise InvalidCommandError(f"missing: {', '.join(missing)}")
    return raw


def text(value: object, name: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 128:
        raise InvalidCommandError(f"{name} is a non-empty string of at most 128 characters")
    return value.strip()


def payment_id(terminal: Terminal, receipt_id: object) -> str:
    """Receipts are numbered per kiosk, so the payment id names the kiosk too."""
    return f"kiosk:{terminal.terminal_id}:{text(receipt_id, 'receipt_id')}"


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


def failed(raw: object, error: DomainError) -> dict[str, Any]:
    tap_id = raw.get("tap_id") if isinstance(raw, dict) else None
    return {"tap_id": tap_id, "error": {"code": error.code, "message": str(error)}}
