"""A tap: a card presented to a terminal, and the record of the decision taken on it.

The `Tap` aggregate's id is derived from (terminal, tap_id), so saving a second decision for
the same tap conflicts in the event store: this is what makes taps at-most-once. A retry
reads the stored decision back; the same tap_id with another payload is refused.
"""

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Snapshot as BaseSnapshot

from domain.errors import InvalidCommandError, MalformedUidError, TapInFutureError
from domain.kinds import Direction, Outcome
from domain.purchase import Item, parse_items
from domain.recorded import Recorded, current_actor, derived_id

UID_HEX_LENGTHS = (8, 14, 20)  # 4-, 7- and 10-byte ISO 14443 UIDs
MAX_CLOCK_SKEW = timedelta(minutes=5)
# What the canteen operator saw comparing the pupil with the photo on the screen.
PHOTO_CHECKS = ("confirmed", "mismatch")
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


def check_tapped_at(tapped_at: datetime, now: datetime) -> datetime:
    if tapped_at.tzinfo is None or tapped_at.utcoffset() is None:
        raise InvalidCommandError("tapped_at must carry a UTC offset")
    if tapped_at - now > MAX_CLOCK_SKEW:
        raise TapInFutureError(f"tapped_at {tapped_at.isoformat()} is ahead of the server clock")
    return tapped_at


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

    @classmethod
    def parse(
        cls,
        terminal_id: UUID,
        tap_id: str,
        card_uid: str,
        tapped_at: datetime,
        items: Sequence[Mapping[str, Any]] | None = None,
        direction: str | None = None,
        offline: bool = False,
        photo_check: str | None = None,
    ) -> "TapRequest":
        if direction is not None and direction not in {d.value for d in Direction}:
            raise InvalidCommandError(f"direction must be 'in' or 'out', got {direction!r}")
        if photo_check is not None and photo_check not in PHOTO_CHECKS:
            raise InvalidCommandError(f"photo_check is one of {PHOTO_CHECKS}, got {photo_check!r}")
        return cls(
            terminal_id=terminal_id,
            tap_id=check_tap_id(tap_id),
            card_uid=normalise_uid(card_uid),
            tapped_at=tapped_at,
            items=parse_items(items) if items is not None else (),
            direction=direction,
            offline=offline is True,
            photo_check=photo_check,
        )

    @property
    def record_id(self) -> UUID:
        return derived_id("tap", self.terminal_id, self.tap_id)

    @property
    def fingerprint(self) -> str:
        """A digest of everything the decision depends on, to tell a retry from a clash."""
        payload: dict[str, Any] = {
            "card_uid": self.card_uid,
            "tapped_at": self.tapped_at.isoformat(),
            "items": [i.as_dict() for i in self.items],
            "direction": self.direction,
        }
        if self.offline:  # only when set, so fingerprints of online taps stay as they were
            payload["offline"] = True
        if self.photo_check is not None:
            payload["photo_check"] = self.photo_check
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

    @property
    def approved(self) -> bool:
        return self.outcome == Outcome.APPROVED

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "TapDecision":
        return cls(**data)


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
            **fields,
        )


class Tap(Recorded):
    TOPIC = "infoshkola.tap.Tap"

    class Event(Recorded.Event):
        TOPIC = "infoshkola.tap.Event"
        actor: str

    class Created(Recorded.Created):
        TOPIC = "infoshkola.tap.Created"

    class Snapshot(BaseSnapshot):
        TOPIC = "infoshkola.tap.Snapshot"

    class Decided(Created):
        TOPIC = "infoshkola.tap.Decided"
        actor: str
        terminal_id: UUID
        school_id: UUID
        tapped_at: datetime
        fingerprint: str
        decision: dict[str, Any]

        def apply(self, tap: "Tap") -> None:
            tap.fingerprint = self.fingerprint
            tap.decision = self.decision

    if TYPE_CHECKING:  # state assigned by the events' apply methods
        fingerprint: str
        decision: dict[str, Any]

    @classmethod
    def decide(cls, request: TapRequest, school_id: UUID, decision: TapDecision) -> "Tap":
        return cls._create(
            cls.Decided,
            id=request.record_id,
            actor=current_actor.get(),
            terminal_id=request.terminal_id,
            school_id=school_id,
            tapped_at=request.tapped_at,
            fingerprint=request.fingerprint,
            decision=decision.as_dict(),
        )
