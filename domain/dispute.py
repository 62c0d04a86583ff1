"""Disputed charges: what the history says about a charge, and which charges look wrong.

Pure functions over an account's recorded events and its school's calendar. A charge made
while the pupil was not inside the school (by the turnstile's passes of that day), or on a
day the school was closed (weekend or holiday), is flagged without anyone asking.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

NOT_INSIDE = "pupil_not_inside"
SCHOOL_CLOSED = "school_closed"
PHOTO_MISMATCH = "photo_mismatch"  # the operator saw another child than the card's pupil
DEFAULT_WEEKEND = (6, 7)  # ISO weekdays: Saturday, Sunday

CHARGE_TOPICS = (
    "infoshkola.account.PurchaseApproved",
    "infoshkola.account.OfflinePurchaseRecorded",
)


@dataclass(frozen=True)
class Charge:
    """A purchase that took money, as recorded: what a dispute refers to."""

    key: str  # "<terminal_id>/<tap_id>": a tap is unique per terminal
    tap_id: str
    terminal_id: UUID
    terminal_kind: str
    card_uid: str
    tapped_at: datetime
    local_date: str
    items: list[dict[str, Any]]
    amount: int
    from_regular: int
    from_subsidised: int
    actor: str
    offline: bool


@dataclass(frozen=True)
class Calendar:
    weekend_days: tuple[int, ...] = DEFAULT_WEEKEND
    holidays: frozenset[str] = frozenset()

    def is_open(self, day: date) -> bool:
        return day.isoweekday() not in self.weekend_days and day.isoformat() not in self.holidays


@dataclass(frozen=True)
class Evidence:
    charge: Charge
    local_time: str  # school-local wall clock of the tap
    school_open: bool
    inside: bool  # per the turnstile passes of that day up to the tap
    passes: list[dict[str, Any]]
    other_taps: list[dict[str, Any]]  # the same card's other taps that day
    photo_check: str | None  # what the terminal recorded, None when it recorded nothing
    flags: list[str] = field(default_factory=list)


def charge_key(terminal_id: UUID | str, tap_id: str) -> str:
    return f"{terminal_id}/{tap_id}"


def is_charge(event: Any) -> bool:
    return getattr(event, "TOPIC", None) in CHARGE_TOPICS and int(event.amount) > 0


def as_charge(event: Any) -> Charge:
    return Charge(
        key=charge_key(event.terminal_id, event.tap_id),
        tap_id=event.tap_id,
        terminal_id=event.terminal_id,
        terminal_kind=event.terminal_kind,
        card_uid=event.card_uid,
        tapped_at=event.tapped_at,
        local_date=event.local_date,
        items=list(event.items),
        amount=event.amount,
        from_regular=event.from_regular,
        from_subsidised=event.from_subsidised,
        actor=getattr(event, "actor", "unknown"),
        offline=event.TOPIC.endswith("OfflinePurchaseRecorded"),
    )


def find_charge(events: Iterable[Any], key: str) -> Charge | None:
    for event in events:
        if is_charge(event) and charge_key(event.terminal_id, event.tap_id) == key:
            return as_charge(event)
    return None


def inside_at(events: Iterable[Any], local_date: str, moment: datetime) -> tuple[bool, list[Any]]:
    """Whether the latest pass of `local_date` at or before `moment` was an entry."""
    passes = sorted(
        (
            e
            for e in events
            if getattr(e, "TOPIC", None) == "infoshkola.account.PassRecorded"
            and e.local_date == local_date
        ),
        key=lambda e: e.tapped_at,
    )
    before = [p for p in passes if p.tapped_at <= moment]
    return (bool(before) and before[-1].direction == "in"), passes


def evidence(
    charge: Charge,
    events: Sequence[Any],
    calendar: Calendar,
    zone: ZoneInfo,
    photo_check: str | None = None,
) -> Evidence:
    """Assemble what the account's own history says about `charge`; `photo_check` is what
    the operator recorded with the tap (its `Tap` record), if anything."""
    local = charge.tapped_at.astimezone(zone)
    inside, passes = inside_at(events, charge.local_date, charge.tapped_at)
    open_ = calendar.is_open(date.fromisoformat(charge.local_date))
    others = [
        {
            "topic": e.TOPIC.rsplit(".", 1)[-1],
            "terminal_id": str(e.terminal_id),
            "tap_id": e.tap_id,
            "local_time": e.tapped_at.astimezone(zone).strftime("%H:%M:%S"),
            "amount": getattr(e, "amount", 0),
            "direction": getattr(e, "direction", None),
        }
        for e in events
        if getattr(e, "card_uid", None) == charge.card_uid
        and getattr(e, "local_date", None) == charge.local_date
        and hasattr(e, "tap_id")
        and charge_key(e.terminal_id, e.tap_id) != charge.key
    ]
    return Evidence(
        charge=charge,
        local_time=local.strftime("%Y-%m-%d %H:%M:%S %Z"),
        school_open=open_,
        inside=inside,
        passes=[
            {
                "direction": p.direction,
                "local_time": p.tapped_at.astimezone(zone).strftime("%H:%M:%S"),
            }
            for p in passes
        ],
        other_taps=others,
        photo_check=photo_check,
        flags=flags_for(inside, open_, photo_check),
    )


def flags_for(inside: bool, school_open: bool, photo_check: str | None = None) -> list[str]:
    checks = (
        (NOT_INSIDE, not inside),
        (SCHOOL_CLOSED, not school_open),
        (PHOTO_MISMATCH, photo_check == "mismatch"),
    )
    return [flag for flag, raised in checks if raised]
