"""Tests never read today's date: the time comes from `tests/clock.py` (the travelled clock).

A read of the real clock anywhere else under tests/ (`datetime.now`, `date.today`,
`datetime.utcnow`, `datetime.today`, `time.time`, called or passed as a function) fails here,
unless it is in one of the short lists below, each place with its reason."""

import ast
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.clock import SWEEP_ZONE, now, today

TESTS = Path(__file__).resolve().parent
CLOCK_MODULE = TESTS / "clock.py"
REAL_CLOCK = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
    ("time", "time_ns"),
}

# (file under tests/, enclosing function) -> why it may read the process's clock.
# None today: `tests.clock.device_clock` is the one clock a device a test plays reads.
LEGITIMATE: dict[tuple[str, str], str] = {}

# Reads that are already under `travelled` (so of the travelled clock) but still spelled
# `datetime.now(...)`, in files other helpers own: each moves to `tests.clock.now(...)` when
# its file is next touched, and leaves this list then (a stale entry fails below).
NOT_YET_MOVED: dict[tuple[str, str], str] = {
    ("api/test_casework_queues.py", "test_photo_mismatch_after_block_and_offline_debt_are_flagged"):
        "under `travelled`",
    ("api/test_school_reports.py",
     "test_a_reports_csv_equals_its_graphql_figures_net_of_reversals"): "under `travelled`",
    ("api/test_school_reports.py",
     "test_the_terminal_fleet_named_revoked_rotated_with_last_post_and_offline_taps"):
        "under `travelled`",
    ("api/test_school_settings.py",
     "test_settings_are_dated_events_with_who_and_when_and_the_decisions_follow_them"):
        "under `travelled`",
    ("api/test_school_settings.py",
     "test_menu_feedback_is_aggregated_per_day_and_dish_for_the_canteen"): "under `travelled`",
    ("integration/test_hot_accounts.py", "lunch"): "called only by tests under `travelled`",
    ("parents/test_notification_settings.py", "top_up_buy_and_pass"):
        "called only by tests under `travelled`",
    ("parents/test_notification_settings.py",
     "test_switched_off_kinds_and_quiet_hours_are_what_the_workers_send_by"):
        "under `travelled`",
    ("parents/test_web_push.py",
     "test_a_registered_browser_gets_what_the_settings_let_through_encrypted_and_signed"):
        "under `travelled`",
}  # fmt: skip


def clock_reads(source: str) -> list[tuple[str, int, str]]:
    """(enclosing function or "<module>", line, "datetime.now") of each real-clock read."""
    found: list[tuple[str, int, str]] = []

    def visit(node: ast.AST, function: str) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            function = node.name
        if isinstance(node, ast.Attribute):
            owner = node.value
            name = (
                owner.id
                if isinstance(owner, ast.Name)
                else owner.attr
                if isinstance(owner, ast.Attribute)
                else None
            )
            if (name, node.attr) in REAL_CLOCK:
                found.append((function, node.lineno, f"{name}.{node.attr}"))
        for child in ast.iter_child_nodes(node):
            visit(child, function)

    visit(ast.parse(source), "<module>")
    return found


def all_reads() -> dict[tuple[str, str], list[str]]:
    reads: dict[tuple[str, str], list[str]] = {}
    for path in sorted(TESTS.rglob("*.py")):
        if path == CLOCK_MODULE:
            continue
        where = path.relative_to(TESTS).as_posix()
        for function, line, call in clock_reads(path.read_text(encoding="utf-8")):
            reads.setdefault((where, function), []).append(f"{where}:{line} {call}")
    return reads


def test_no_test_module_reads_the_real_clock_outside_tests_clock() -> None:
    reads = all_reads()
    unexplained = [r for key, rs in reads.items()
                   if key not in LEGITIMATE and key not in NOT_YET_MOVED for r in rs]  # fmt: skip
    assert unexplained == [], (
        "read the time from tests.clock (now(), today() under `travelled`), not the real clock"
    )


def test_every_allowed_place_still_reads_the_clock_so_the_lists_only_shrink() -> None:
    assert not LEGITIMATE.keys() & NOT_YET_MOVED.keys()
    stale = (LEGITIMATE.keys() | NOT_YET_MOVED.keys()) - all_reads().keys()
    assert stale == set(), "no longer reads the real clock: take it off the list"


def test_the_check_sees_every_spelling_of_a_clock_read() -> None:
    source = """
import datetime as dt
from datetime import UTC, date, datetime
import time
TOMORROW = date.today()
def helper():
    return datetime.now(UTC), dt.datetime.utcnow(), time.time()
def test_x(clock=datetime.now):
    return datetime.today(), now(), today(), time.monotonic()
"""
    assert [(f, c) for f, _, c in clock_reads(source)] == [
        ("<module>", "date.today"),
        ("helper", "datetime.now"),
        ("helper", "datetime.utcnow"),
        ("helper", "time.time"),
        ("test_x", "datetime.now"),
        ("test_x", "datetime.today"),
    ]


def test_the_test_clock_refuses_to_answer_unless_the_test_travelled() -> None:
    with pytest.raises(AssertionError, match="travelled"):
        now()
    with pytest.raises(AssertionError, match="travelled"):
        today()


def test_the_test_clock_is_the_travelled_instant(travelled: datetime) -> None:
    read = now()
    assert travelled <= read < travelled + timedelta(hours=1)  # ticking from the sweep instant
    assert today() == now(SWEEP_ZONE).date()
