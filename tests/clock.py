"""Test time: the clock moved with time-machine, and the same clock for the processes a test starts.

Tests never read today's date. A date-sensitive test takes the `sweep_now` argument: under
`make test` it runs at one sweep instant (or at every one when marked `sweep`); under
`make test-dates` (INFOSHKOLA_DATE_SWEEP=all) every such test runs at every sweep instant.
The sweep covers the first and last day of a month, 28 and 29 February 2028, New Year's Eve and
Day, a July day (the summer fee pause) and the days clocks change in Europe/Berlin, each at noon
UTC and either side of midnight in the school's own time zone.

A test reads the time through `now()` and `today()` here, never `datetime.now()` or
`date.today()` itself (tests/test_clock_discipline.py checks): they refuse to answer unless the
clock has travelled, so a test that forgot `travelled` fails instead of reading today's date.
"""

import os
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

import pytest
import time_machine

SWEEP_DAYS = (
    date(2027, 3, 1),  # the first of a month
    date(2027, 4, 30),  # the last of a month
    date(2028, 2, 28),
    date(2028, 2, 29),  # leap day
    date(2026, 12, 31),
    date(2027, 1, 1),
    date(2027, 7, 15),  # summer: the fee pause months
    date(2027, 3, 28),  # Europe/Berlin springs forward
    date(2027, 10, 31),  # Europe/Berlin falls back
)
SWEEP_ZONE = ZoneInfo("Asia/Novosibirsk")  # the zone of `tests.builders.new_school`
DST_ZONE = ZoneInfo("Europe/Berlin")  # a school in a zone whose clocks change


def sweep_instants() -> list[datetime]:
    """Each sweep day at noon UTC, and a minute after and five minutes before local midnight in
    both sweep zones."""
    found = []
    for day in SWEEP_DAYS:
        found.append(datetime.combine(day, time(12), UTC))
        for zone in (SWEEP_ZONE, DST_ZONE):
            midnight = datetime.combine(day, time(), zone)
            next_midnight = datetime.combine(day + timedelta(days=1), time(), zone)
            found.append((midnight + timedelta(minutes=1)).astimezone(UTC))
            found.append((next_midnight - timedelta(minutes=5)).astimezone(UTC))
    return found


def full_sweep() -> bool:
    return os.environ.get("INFOSHKOLA_DATE_SWEEP", "") == "all"


def parametrize_sweep(metafunc: pytest.Metafunc) -> None:
    """`sweep_now`: every sweep instant for `sweep` tests and under `make test-dates`, else one."""
    if "sweep_now" not in metafunc.fixturenames:
        return
    instants = sweep_instants()
    if not (full_sweep() or metafunc.definition.get_closest_marker("sweep")):
        instants = instants[1:2]  # 1 March 00:01 in Novosibirsk: still 28 February in UTC
    metafunc.parametrize("sweep_now", instants, ids=[i.isoformat() for i in instants])


def deselect_dateless(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under `make test-dates`, only the date-sensitive tests run."""
    if not full_sweep():
        return
    keep = [i for i in items if "sweep_now" in getattr(i, "fixturenames", ())]
    config.hook.pytest_deselected(items=[i for i in items if i not in keep])
    items[:] = keep


def travel(to: datetime) -> "time_machine.travel":
    """The clock of this process moved to `to`, and ticking from there."""
    return time_machine.travel(to, tick=True)


def now(zone: tzinfo = UTC) -> datetime:
    """The test's clock in `zone`: the travelled instant, ticking since. Only while travelling
    (`travelled`, `travel`): otherwise it would be today's date, and the test would pass or fail
    by the day it runs on."""
    if not time_machine.escape_hatch.is_travelling():
        raise AssertionError("the test reads the clock without travelling: take `travelled`")
    return datetime.now(zone)


def today(zone: tzinfo = SWEEP_ZONE) -> date:
    """The date `now()` is in `zone` (the school of `tests.builders.new_school`'s by default)."""
    return now(zone).date()


def device_clock() -> datetime:
    """The clock of a device a test plays (a terminal's `tapped_at` by default, a reader's):
    this process's clock, which the server under test reads too, so a tap is "now" to both,
    travelled or not. Never an expectation: a test that computes one from the time takes
    `travelled` and reads `now()`."""
    return datetime.now(UTC)


def child_clock() -> str:
    """INFOSHKOLA_CLOCK for a child process, so that it reads the time this process reads."""
    if not time_machine.escape_hatch.is_travelling():
        return "system"
    real = time_machine.escape_hatch.time.time()
    return f"shift:{datetime.now(UTC).timestamp() - real}"


def same_clock(one: str, other: str, slack: float = 60.0) -> bool:
    """Two `child_clock` values within `slack` seconds of each other."""

    def shift(clock: str) -> float:
        return float(clock.removeprefix("shift:")) if clock.startswith("shift:") else 0.0

    return abs(shift(one) - shift(other)) <= slack


@pytest.fixture
def travelled(sweep_now: datetime) -> Iterator[datetime]:
    """The test runs with the clock at `sweep_now` (here and in the processes it starts)."""
    with travel(sweep_now):
        yield sweep_now
