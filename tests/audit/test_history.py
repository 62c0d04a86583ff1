import csv
import json
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from audit.history import audit_trail, balance_at, export_account
from domain import casework
from domain.dispute import charge_key
from domain.ledger import Ledger
from domain.recorded import acting_as
from tests.builders import SchoolWorld, meal, snack
from tests.clock import now


def last_saturday_before(moment: datetime) -> datetime:
    """05:00 UTC on the last Saturday before the day of `moment` (UTC)."""
    day = moment.date() - timedelta(days=(moment.weekday() - 5) % 7 or 7)
    return datetime.combine(day, time(5), UTC)


def test_balance_at_any_instant_matches_the_hand_computed_history(
    travelled: datetime, ledger: Ledger, world: SchoolWorld
) -> None:
    before_opening = now()
    pupil = world.pupil(deposit=50_000)
    checkpoints = [(now(), 50_000)]

    def check(expected: int) -> None:
        checkpoints.append((now(), expected))

    world.tap("canteen_pos", pupil.uid, items=[meal(9_000)])
    check(41_000)
    ledger.top_up(pupil.account_id, 100_000, "bank_card", f"pay-{pupil.contract_number}")
    check(141_000)
    saturday = last_saturday_before(travelled)
    assert saturday.weekday() == 5
    wrong = world.tap_then("canteen_pos", pupil.uid, items=[meal(13_900)], at=saturday)
    check(127_100)
    for _ in range(6):  # enough events for a snapshot (every 10 versions in tests)
        world.tap("vending", pupil.uid, items=[snack(4_500)])
    check(118_100)  # 90 ₽ + 2 × 45 ₽ reach the 200 ₽ daily limit; 4 snacks are declined
    key = charge_key(world.terminals["canteen_pos"], wrong.decision.tap_id)
    casework.dispute_charge(ledger, pupil.account_id, key, "в субботу не был в школе")
    with acting_as("auditor:petrov"):
        casework.reverse_charge(ledger, pupil.account_id, key)
    check(132_000)
    casework.request_refund(ledger, pupil.account_id)
    casework.approve_refund(ledger, pupil.account_id)
    check(132_000)
    casework.pay_refund(ledger, pupil.account_id, "payout-777", close=True)
    check(0)

    assert balance_at(ledger, pupil.account_id, before_opening) is None
    for moment, expected in checkpoints:
        found = balance_at(ledger, pupil.account_id, moment)
        assert found is not None
        assert found.regular == expected, moment
    last = balance_at(ledger, pupil.account_id, checkpoints[-1][0])
    assert last is not None
    assert last.closed
    assert last.refund_status == "paid"
    assert last.version == ledger.account(pupil.account_id).version
    assert ledger.repository.snapshot_store is not None
    assert list(ledger.repository.snapshot_store.get(pupil.account_id))  # snapshots were used


def test_the_trail_names_every_event_its_actor_position_and_wallets_after(
    travelled: datetime, ledger: Ledger, world: SchoolWorld, tmp_path: Path
) -> None:
    pupil = world.pupil(deposit=20_000)
    with acting_as(f"parent:{pupil.contract_number}"):
        ledger.top_up(pupil.account_id, 5_000, "sbp", f"sbp-{pupil.contract_number}")
    with acting_as(f"terminal:{world.terminals['canteen_pos']}"):
        world.tap("canteen_pos", pupil.uid, items=[meal(9_000)])

    trail = audit_trail(ledger, pupil.account_id)
    assert [e.event for e in trail] == [
        "Opened", "CardIssued", "CardActivated", "ToppedUp", "ToppedUp", "PurchaseApproved",
    ]  # fmt: skip
    assert [e.version for e in trail] == list(range(1, 7))
    positions = [e.position for e in trail]
    assert positions == sorted(positions)
    assert len(set(positions)) == 6
    assert [e.regular_after for e in trail] == [0, 0, 0, 20_000, 25_000, 16_000]
    assert trail[4].actor == f"parent:{pupil.contract_number}"
    assert trail[5].actor_kind == "terminal"
    assert trail[5].fields["items"][0]["price"] == 9_000
    assert trail[5].fields["terminal_id"] == str(world.terminals["canteen_pos"])
    assert trail[5].reason is not None
    assert "Комплексный обед" in trail[5].reason
    later = now() + timedelta(days=1)
    assert audit_trail(ledger, pupil.account_id, since=later) == []

    jsonl, table = export_account(ledger, pupil.account_id, tmp_path)
    lines = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    assert [line["event"] for line in lines] == [e.event for e in trail]
    assert lines[5]["fields"]["amount"] == 9_000
    assert lines[5]["position"] == trail[5].position
    with table.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["regular_after"]) for r in rows] == [e.regular_after for e in trail]
    assert json.loads(rows[3]["fields"])["payment_id"].startswith("kiosk-")
