"""A tap: a card presented to a terminal, and the record of the decision taken on it.

The `Tap` aggregate's id is derived from (terminal, tap_id), so saving a second decision for
the same tap conflicts in the event store: this is what makes taps at-most-once. A retry
reads the stored decision back; the same tap_id with another payload is refused. `tapped_at`
is kept in UTC, so the same instant written with another UTC offset is the same tap.

The window a new tap's `tapped_at` must fall in, around the ledger's clock: at most
`MAX_CLOCK_SKEW` ahead; at most `ONLINE_MAX_AGE` behind for a tap decided online (a terminal
posts it as it happens), `OFFLINE_MAX_AGE` (the reader's offline period) for one the reader
decided offline and uploads later. A retry of a recorded tap gets its decision at any age.
"""

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.errors import InvalidCommandError, MalformedUidError, TapInFutureError, TapTooOldError
from domain.fields import slot_number, utc_instant, within
from domain.kinds import Direction, Outcome, Wallet
from domain.purchase import Item, parse_items
from domain.recorded import Recorded, derived_id

UID_HEX_LENGTHS = (8, 14, 20)  # 4-, 7- and 10-byte ISO 14443 UIDs
MAX_CLOCK_SKEW = timedelta(minutes=5)  # a terminal's clock ahead of the server's
ONLINE_MAX_AGE = timedelta(minutes=15)  # an online tap is posted as it happens
OFFLINE_MAX_AGE = timedelta(days=7)  # the reader's offline period: older uploads are refused
# What the canteen operator saw comparing the pupil with the photo on the screen.
PHOTO_CHECKS = ("confirmed", "mismatch")
DIRECTIONS = tuple(d.value for d in Direction)
# The till operator's choice of the wallet that pays (the canteen only, online only).
PAYING_WALLETS = tuple(w.value for w in Wallet)  # a tuple: `[] in DIRECTIONS` is just False
_SEPARATORS = re.compile(r"[\s:\-]")
_HEX = re.compile(r"[0-9A-F]+")


def normalise_uid(uid: str) -> str:
    """ "04:a1:b2:c3:d4:e5:f6" -> "04A1B2C3D4E5F6"; anything else is a MalformedUidError."""
    if not isinstance(uid, str):
        raise MalformedUidError(f"card UID must be a string, got {uid!r}")
    cleaned = _SEPARATORS.sub("", uid).upper()
    if len(cleaned) not in UID_HEX_LENGTHS or not _HEX.fullmatch(cleaned):
        raise MalformedUidError(f"{uid!r} is not a 4-, 7- or 10-byte hexadecimal card UID")
    return cleaned


def check_tap_id(tap_id: str) -> str:
    if not isinstance(tap_id, str) or not 1 <= len(tap_id) <= 64 or not tap_id.isprintable():
        raise InvalidCommandError("tap_id must be 1 to 64 printable characters")
    return tap_id


def check_tapped_at(tapped_at: datetime | str, now: datetime, *, offline: bool = False) -> datetime:
    """`tapped_at` in UTC if it lies in the window around `now` (see the module docstring)."""
    moment = utc_instant(tapped_at, what="tapped_at")
    age = OFFLINE_MAX_AGE if offline else ONLINE_MAX_AGE
    place = within(moment, now, ahead=MAX_CLOCK_SKEW, behind=age)
    if place > 0:
        raise TapInFutureError(f"tapped_at {moment.isoformat()} is ahead of the server clock")
    if place < 0:
        kind = "an offline tap (the reader's offline period)" if offline else "an online tap"
        raise TapTooOldError(f"tapped_at {moment.isoformat()} is older than {kind} may be")
    return moment


@dataclass(frozen=True)
class TapRequest:
    """What a terminal says: this card, at this moment, for these items or this direction."""

    terminal_id: UUID
    tap_id: str
    card_uid: str
    tapped_at: datetime
    items: tuple[Item, ...] = ()
    direction: str | None = None
    offline: bool = False  # decided by the reader while the server was unreachable
    photo_check: str | None = None  # the operator compared the pupil with the photo
    paying_wallet: str | None = None  # the till operator's override of the paying wallet
    slot: str | None = None  # a free wardrobe or locker use: the hanger or locker number

    @classmethod
    def parse(
        cls,
        terminal_id: UUID,
        tap_id: str,
        card_uid: str,
        tapped_at: datetime | str,
        items: Sequence[Mapping[str, Any]] | None = None,
        direction: str | None = None,
        offline: bool = False,
        photo_check: str | None = None,
        paying_wallet: str | None = None,
        slot: str | None = None,
    ) -> "TapRequest":
        """Every field checked and normalised (`tapped_at` to UTC); its window is checked when
        the ledger decides, against the ledger's clock."""
        if direction is not None and direction not in DIRECTIONS:
            raise InvalidCommandError(f"direction must be 'in' or 'out', got {direction!r}")
        if photo_check is not None and photo_check not in PHOTO_CHECKS:
            raise InvalidCommandError(f"photo_check is one of {PHOTO_CHECKS}, got {photo_check!r}")
        if not isinstance(offline, bool):
            raise InvalidCommandError("offline is true or false")
        if paying_wallet is not None and paying_wallet not in PAYING_WALLETS:
            raise InvalidCommandError(
                f"paying_wallet is one of {PAYING_WALLETS}, got {paying_wallet!r}"
            )
        return cls(
            terminal_id=terminal_id,
            tap_id=check_tap_id(tap_id),
            card_uid=normalise_uid(card_uid),
            tapped_at=utc_instant(tapped_at, what="tapped_at"),
            items=parse_items(items) if items is not None else (),
            direction=direction,
            offline=offline,
            photo_check=photo_check,
            paying_wallet=paying_wallet,
            slot=None if slot is None else slot_number(slot),
        )

    @cached_property  # the request is frozen: computed once (the group commit asks often)
    def record_id(self) -> UUID:
        return derived_id("tap", self.terminal_id, self.tap_id)

    @cached_property
    def fingerprint(self) -> str:
        """A digest of everything the decision depends on, to tell a retry from a clash."""
        return self.fingerprint_as(self.tapped_at)

    def fingerprint_as(self, written: datetime) -> str:
        """The fingerprint with `tapped_at` written as `written`, the same instant with its
        offset (taps recorded before `tapped_at` was kept in UTC kept the terminal's)."""
        payload: dict[str, Any] = {
            "card_uid": self.card_uid,
            "tapped_at": written.isoformat(),
            "items": [i.as_dict() for i in self.items],
            "direction": self.direction,
        }
        if self.offline:  # only when set, so fingerprints of online taps stay as they were
            payload["offline"] = True
        if self.photo_check is not None:
            payload["photo_check"] = self.photo_check
        if self.paying_wallet is not None:
            payload["paying_wallet"] = self.paying_wallet
        if self.slot is not None:
            payload["slot"] = self.slot
        canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class TapDecision:
    """The answer a terminal gets; stored with the tap so a retry gets it back unchanged."""

    terminal_id: str
    tap_id: str
    card_uid: str
    kind: str
    outcome: str
    local_date: str
    reason: str | None = None
    account_id: str | None = None
    amount: int = 0
    from_regular: int = 0
    from_subsidised: int = 0
    regular_after: int | None = None
    subsidised_after: int | None = None
    spent_today: int | None = None
    daily_limit: int | None = None
    direction: str | None = None
    items: list[dict[str, Any]] = field(default_factory=list)
    offline: bool = False
    after_block: bool = False  # an offline tap made after the card had been blocked
    photo_check: str | None = None  # "confirmed" or "mismatch" when the operator checked
    paying_wallet: str | None = None  # the wallet the till operator chose, if any
    slot: str | None = None  # the hanger or locker number of a free wardrobe or locker use
    preorder_id: str | None = None  # the pre-order this tap served (paid at order)

    @property
    def approved(self) -> bool:
        return self.outcome == Outcome.APPROVED

    def as_dict(self) -> dict[str, Any]:
        """The fields in their declared order, as `dataclasses.asdict` gives them, without
        its deep copy of every value (the one list, `items`, is copied line by line)."""
        data = {name: getattr(self, name) for name in _DECISION_FIELDS}
        data["items"] = [dict(line) for line in self.items]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "TapDecision":
        return cls(**data)


_DECISION_FIELDS = tuple(f.name for f in fields(TapDecision))


@dataclass(frozen=True)
class TapContext:
    """The tap as the account sees it: already resolved to a terminal kind and a local date."""

    request: TapRequest
    kind: str
    local_date: date

    def decision(self, outcome: Outcome, **fields: Any) -> TapDecision:
        return TapDecision(
            terminal_id=str(self.request.terminal_id),
            tap_id=self.request.tap_id,
            card_uid=self.request.card_uid,
            kind=self.kind,
            outcome=outcome.value,
            local_date=self.local_date.isoformat(),
            direction=self.request.direction,
            items=[i.as_dict() for i in self.request.items],
            photo_check=self.request.photo_check,
            paying_wallet=self.request.paying_wallet,
            slot=self.request.slot,
            **fields,
        )


class Tap(Recorded):
    TOPIC = "infoshkola.tap.Tap"

    class Decided(Recorded.Created):
        TOPIC = "infoshkola.tap.Decided"
        terminal_id: UUID
        school_id: UUID
        tapped_at: datetime
        fingerprint: str
        decision: dict[str, Any]

        def apply(self, tap: "Tap") -> None:
            tap.fingerprint = self.fingerprint
            tap.decision = self.decision
            tap.tapped_at = self.tapped_at

    class ForeignCardRefused(Decided):
        """A terminal presented the card of another school's pupil: refused, and recorded
        here, on the terminal's side, never on that pupil's account."""

        TOPIC = "infoshkola.tap.ForeignCardRefused"
        card_school_id: UUID

    if TYPE_CHECKING:  # state assigned by the events' apply methods
        fingerprint: str
        decision: dict[str, Any]
        tapped_at: datetime

    def matches(self, request: TapRequest) -> bool:
        """Whether `request` is a retry of this tap (the same payload, the same instant)."""
        if request.fingerprint == self.fingerprint:
            return True
        same_instant = self.tapped_at == request.tapped_at
        return same_instant and request.fingerprint_as(self.tapped_at) == self.fingerprint

    @classmethod
    def decide(
        cls,
        request: TapRequest,
        school_id: UUID,
        decision: TapDecision,
        *,
        foreign_card_of: UUID | None = None,
    ) -> "Tap":
        """Record the decision; a card of another school (`foreign_card_of`: the card's school)
        is recorded as `ForeignCardRefused`."""
        foreign = {} if foreign_card_of is None else {"card_school_id": foreign_card_of}
        return cls._create(
            cls.Decided if foreign_card_of is None else cls.ForeignCardRefused,
            id=request.record_id,
            terminal_id=request.terminal_id,
            school_id=school_id,
            tapped_at=request.tapped_at,
            fingerprint=request.fingerprint,
            decision=decision.as_dict(),
            **foreign,
        )
