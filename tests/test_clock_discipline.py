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
    unexplained = [r for key, rs in reads.items() if key not in LEGITIMATE for r in rs]
    assert unexplained == [], (
        "read the time from tests.clock (now(), today() under `travelled`), not the real clock"
    )


def test_every_allowed_place_still_reads_the_clock_so_the_list_only_shrinks() -> None:
    stale = LEGITIMATE.keys() - all_reads().keys()
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
