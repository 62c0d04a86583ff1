"""Clocks the composition root can build, named by the `INFOSHKOLA_CLOCK` setting.

- `system`: the machine's clock (production);
- `fixed:2027-03-02T05:00:00+00:00`: frozen at an instant (demos, a scheduler under test);
- `shift:-86400.5`: the machine's clock moved by a number of seconds, ticking (a test's worker
  processes follow the test's travelled clock this way).

`stamp_events_with` makes the event store's timestamps come from the same clock, so an event's
`timestamp` and the "today" its decision used can never disagree.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from eventsourcing.domain import CanCreateTimestamp

from domain.clock import Clock


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class FixedClock:
    at: datetime

    def __call__(self) -> datetime:
        return self.at


@dataclass(frozen=True)
class ShiftedClock:
    shift: timedelta

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.shift


class ClockSettingError(ValueError):
    """INFOSHKOLA_CLOCK names no clock we know."""


def parse_clock(text: str) -> Clock:
    """The clock a setting names; a clear `ClockSettingError` for anything else."""
    kind, _, value = text.strip().partition(":")
    try:
        if kind in ("", "system") and not value:
            return system_clock
        if kind == "fixed":
            at = datetime.fromisoformat(value)
            if at.tzinfo is None:
                raise ClockSettingError(
                    f"INFOSHKOLA_CLOCK {text!r}: the instant needs a UTC offset"
                )
            return FixedClock(at.astimezone(UTC))
        if kind == "shift":
            return ShiftedClock(timedelta(seconds=float(value)))
    except (ValueError, OverflowError) as error:
        if isinstance(error, ClockSettingError):
            raise
        raise ClockSettingError(f"INFOSHKOLA_CLOCK {text!r}: {error}") from None
    raise ClockSettingError(
        f"INFOSHKOLA_CLOCK {text!r}: expected 'system', 'fixed:<ISO instant>' or 'shift:<seconds>'"
    )


def stamp_events_with(clock: Clock) -> None:
    """Every domain event created in this process from now on is stamped by `clock`.

    The library stamps events through one static method; replacing it is the only way to give
    it our clock, and it is done once, by the composition root, before anything is decided.
    """
    if clock is system_clock:
        CanCreateTimestamp.create_timestamp = staticmethod(_library_default)  # type: ignore[method-assign]
    else:
        CanCreateTimestamp.create_timestamp = staticmethod(clock)  # type: ignore[method-assign]


_library_default = CanCreateTimestamp.create_timestamp
