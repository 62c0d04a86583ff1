"""The read models computed the slow, obvious way: one fold over every stored event.

Nothing here uses the projections' code. Wallets come from the aggregates' own `apply`
(each event mutates a fresh replay), everything else from plain dictionaries, so a
projection that double-counts, skips or misorders an event disagrees with this.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import psycopg

from domain.account import Account
from domain.ledger import Ledger
from domain.menu import Menu
from domain.school import School

PURCHASES = ("PurchaseApproved", "OfflinePurchaseRecorded")


@dataclass
class Replay:
    balances: dict[UUID, dict[str, Any]] = field(default_factory=dict)
    statement: dict[int, tuple[Any, ...]] = field(default_factory=dict)
    attendance: dict[tuple[UUID, date], dict[str, Any]] = field(default_factory=dict)
    menus: dict[tuple[UUID, date], list[dict[str, Any]]] = field(default_factory=dict)
    reports: dict[tuple[Any, ...], list[int]] = field(default_factory=dict)
    topups: dict[tuple[Any, ...], list[int]] = field(default_factory=dict)
    cards: dict[str, tuple[UUID, str]] = field(default_factory=dict)
    head: int = 0


def replay(ledger: Ledger) -> Replay:
    out = Replay()
    accounts: dict[UUID, Account] = {}
    zones: dict[UUID, ZoneInfo] = {}
    pupils: dict[tuple[Any, ...], set[UUID]] = defaultdict(set)
    reports: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    topups: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0, 0])
    start = 1
    while page := ledger.recorder.select_notifications(start=start, limit=500):
        start = page[-1].id + 1
        out.head = page[-1].id
        for n in page:
            e: Any = ledger.mapper.to_domain_event(n)
            if isinstance(e, School.Registered):
                zones[e.originator_id] = ZoneInfo(e.time_zone)
            elif isinstance(e, Menu.MenuPublished):
                out.menus[(e.school_id, date.fromisoformat(e.menu_date))] = e.items
            if not type(e).__qualname__.startswith("Account."):
                continue
            before = accounts.get(e.originator_id)
            was = (before.regular, before.subsidised) if before else (0, 0)
            account = e.mutate(before)
            assert account is not None
            accounts[e.originator_id] = account
            school, name = account.school_id, type(e).__name__
            now = (account.regular, account.subsidised)
            if now != was or name == "PurchaseDeclined":
                out.statement[n.id] = (e.originator_id, now[0] - was[0], now[1] - was[1], *now)
            if name in ("PassRecorded", "PassDenied"):
                _attend(out, e)
                if name == "PassRecorded":
                    key = (school, date.fromisoformat(e.local_date), "turnstile")
                    reports[key][3] += 1
                    pupils[key].add(e.originator_id)
            elif name in PURCHASES:
                key = (school, date.fromisoformat(e.local_date), e.terminal_kind)
                reports[key][0] += e.amount
                reports[key][1] += 1
                if e.terminal_kind == "canteen_pos":
                    reports[key][4] += sum(i["quantity"] for i in e.items if i["meal"])
                pupils[key].add(e.originator_id)
            elif name == "PurchaseDeclined":
                reports[(school, date.fromisoformat(e.local_date), e.terminal_kind)][2] += 1
            elif name == "ToppedUp":
                day = e.timestamp.astimezone(zones[school]).date()
                sums = topups[(school, day, e.channel)]
                sums[0], sums[1], sums[2] = sums[0] + 1, sums[1] + e.amount, sums[2] + e.commission
    for account_id, a in accounts.items():
        out.balances[account_id] = {
            "regular": a.regular,
            "subsidised": a.subsidised,
            "tariff": a.tariff,
            "daily_limit": a.daily_limit,
            "cards": dict(a.cards),
            "spent": dict(a.spent),
        }
        for uid, state in a.cards.items():
            out.cards[uid] = (account_id, state)
    out.reports = {k: [*v, len(pupils[k])] for k, v in reports.items()}
    out.topups = dict(topups)
    return out


def _attend(out: Replay, e: Any) -> None:
    key = (e.originator_id, date.fromisoformat(e.local_date))
    row = out.attendance.setdefault(
        key, {"in": 0, "out": 0, "denied": 0, "first": None, "last": None, "passes": []}
    )
    if type(e).__name__ == "PassDenied":
        row["denied"] += 1
        return
    row["in" if e.direction == "in" else "out"] += 1
    row["passes"].append((e.tapped_at, e.direction))
    ins = [t for t, d in row["passes"] if d == "in"]
    outs = [t for t, d in row["passes"] if d == "out"]
    row["first"], row["last"] = min(ins, default=None), max(outs, default=None)


def assert_parity(conn: psycopg.Connection[Any], expected: Replay) -> None:
    """Every read-model row equals the replay (the projections must have caught up)."""
    got_positions = dict(conn.execute("SELECT name, position FROM projection_positions"))
    assert all(p == expected.head for p in got_positions.values()), got_positions

    balances = {
        r[0]: r[1:]
        for r in conn.execute(
            "SELECT account_id, regular, subsidised, tariff, daily_limit, cards,"
            " spent_date, spent_today FROM balances"
        )
    }
    assert set(balances) == set(expected.balances)
    for account_id, want in expected.balances.items():
        regular, subsidised, tariff, limit, cards, spent_date, spent_today = balances[account_id]
        assert (regular, subsidised, tariff, limit, cards) == (
            want["regular"], want["subsidised"], want["tariff"], want["daily_limit"],
            want["cards"],
        ), account_id  # fmt: skip
        spent = want["spent"]
        if spent_date is None:
            assert not any(spent.values())
        else:
            assert spent.get(spent_date.isoformat(), 0) == spent_today
            assert not any(v for d, v in spent.items() if d > spent_date.isoformat())

    statement = {
        r[0]: tuple(r[1:])
        for r in conn.execute(
            "SELECT position, account_id, regular_change, subsidised_change, regular_after,"
            " subsidised_after FROM statement"
        )
    }
    assert statement == expected.statement
    no_reason = conn.execute("SELECT count(*) FROM statement WHERE length(reason) < 10").fetchone()
    assert no_reason == (0,)

    attendance = {
        (r[0], r[1]): r[2:]
        for r in conn.execute(
            "SELECT account_id, local_date, passes_in, passes_out, denied, first_entry,"
            " last_exit, inside FROM attendance"
        )
    }
    assert set(attendance) == set(expected.attendance)
    for key, want in expected.attendance.items():
        inside = _inside(want["passes"]) if want["passes"] else False
        assert attendance[key] == (
            want["in"], want["out"], want["denied"], want["first"], want["last"], inside,
        ), key  # fmt: skip

    menus = {
        (r[0], r[1]): r[2] for r in conn.execute("SELECT school_id, menu_date, items FROM menus")
    }
    assert menus == expected.menus

    reports = {
        tuple(r[:3]): list(r[3:])
        for r in conn.execute(
            "SELECT school_id, local_date, terminal_kind, turnover, purchases, declines, passes,"
            " meals_served, pupils FROM school_reports"
        )
    }
    assert reports == expected.reports
    topups = {
        tuple(r[:3]): list(r[3:])
        for r in conn.execute(
            "SELECT school_id, local_date, channel, topups, amount, commission FROM school_topups"
        )
    }
    assert topups == expected.topups

    cards = {r[0]: (r[1], r[2]) for r in conn.execute("SELECT uid, account_id, state FROM cards")}
    assert cards == expected.cards


def _inside(passes: list[tuple[Any, str]]) -> bool:
    latest = max(range(len(passes)), key=lambda i: (passes[i][0], i))
    return passes[latest][1] == "in"
