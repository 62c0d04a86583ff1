from datetime import UTC, date, datetime
from typing import Any

import psycopg
import pytest

from domain import casework
from domain.dispute import NOT_INSIDE, PHOTO_MISMATCH, SCHOOL_CLOSED, charge_key
from domain.errors import DisputeError, InvalidCommandError
from domain.ledger import Ledger
from domain.notifications import EMAIL, channels_for
from domain.recorded import acting_as
from domain.tap import TapRequest
from projections.statement import list_statement
from tests.builders import SchoolWorld, meal, snack
from tests.projections.helpers import catch_up
from workers.messages import text_for

SATURDAY_NOON = datetime(2026, 11, 21, 5, 0, tzinfo=UTC)  # 12:00 in Novosibirsk
TUESDAY_NOON = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)


def test_a_saturday_charge_while_the_pupil_never_entered_is_flagged_disputed_and_reversed(
    ledger: Ledger, world: SchoolWorld, database_url: str
) -> None:
    pupil = world.pupil(deposit=50_000)
    tap = world.tap_then("canteen_pos", pupil.uid, items=[meal(13_900)], at=SATURDAY_NOON)
    assert tap.decision.outcome == "approved"
    key = charge_key(world.terminals["canteen_pos"], tap.decision.tap_id)

    flagged = casework.flagged_charges(ledger, pupil.account_id)
    assert [e.charge.key for e in flagged] == [key]
    assert set(flagged[0].flags) == {NOT_INSIDE, SCHOOL_CLOSED}
    assert flagged[0].local_time.startswith("2026-11-21 12:00:00")
    assert flagged[0].charge.amount == 13_900
    assert flagged[0].passes == []

    with acting_as(f"parent:{pupil.contract_number}"):
        disputed = casework.dispute_charge(ledger, pupil.account_id, key, "в субботу школа закрыта")
    assert disputed.evidence.flags == flagged[0].flags
    with acting_as("auditor:ivanova"):
        casework.reverse_charge(ledger, pupil.account_id, key, "ребёнок в школу не входил")
        with pytest.raises(DisputeError):
            casework.reject_dispute(ledger, pupil.account_id, key, "поздно")

    account = ledger.account(pupil.account_id)
    assert account.regular == 50_000
    events: list[Any] = list(ledger.repository.event_store.get(pupil.account_id))
    reversal = events[-1]
    assert type(reversal).__name__ == "ChargeReversed"
    assert (reversal.tap_id, reversal.to_regular, reversal.actor) == (
        tap.decision.tap_id, 13_900, "auditor:ivanova")  # fmt: skip

    catch_up(ledger, database_url)
    with psycopg.connect(database_url) as conn:
        rows = list_statement(conn, pupil.account_id)
        balance = conn.execute(
            "SELECT regular FROM balances WHERE account_id = %s", (pupil.account_id,)
        ).fetchone()
    assert balance == (50_000,)
    assert rows[0]["kind"] == "charge_reversal"
    assert rows[0]["regular_change"] == 13_900
    assert rows[0]["regular_after"] == 50_000
    assert "оспоренного" in rows[0]["reason"]
    assert rows[1]["kind"] == "purchase"
    assert rows[1]["regular_after"] == 36_100


def test_a_weekday_charge_after_entering_is_not_flagged_and_a_rejection_keeps_the_money(
    ledger: Ledger, world: SchoolWorld
) -> None:
    pupil = world.pupil()
    world.tap_then("turnstile", pupil.uid, direction="in", at=TUESDAY_NOON.replace(hour=1))
    tap = world.tap_then("vending", pupil.uid, items=[snack(4_500)], at=TUESDAY_NOON)
    world.tap_then("canteen_pos", pupil.uid, items=[meal(9_000)], at=TUESDAY_NOON.replace(hour=6))
    key = charge_key(world.terminals["vending"], tap.decision.tap_id)

    assert casework.flagged_charges(ledger, pupil.account_id) == []
    found = casework.dispute_evidence(ledger, pupil.account_id, key)
    assert found.inside
    assert found.school_open
    assert found.flags == []
    assert [t["amount"] for t in found.other_taps] == [0, 9_000]  # the pass, the lunch
    casework.dispute_charge(ledger, pupil.account_id, key, "не покупал")
    casework.reject_dispute(ledger, pupil.account_id, key, "покупка после входа в школу")
    assert ledger.account(pupil.account_id).regular == 50_000 - 4_500 - 9_000
    with pytest.raises(DisputeError):
        casework.dispute_charge(ledger, pupil.account_id, key, "ещё раз")


def test_the_operators_photo_check_is_evidence_and_a_mismatch_is_flagged(
    ledger: Ledger, world: SchoolWorld
) -> None:
    pupil = world.pupil()
    world.tap_then("turnstile", pupil.uid, direction="in", at=TUESDAY_NOON.replace(hour=1))
    checked, doubted = (
        world.tap_then(
            "canteen_pos", pupil.uid, tap_id=f"photo-{verdict}-{pupil.uid}",
            at=TUESDAY_NOON.replace(hour=4 + n), items=[meal(9_000)], photo_check=verdict,
        )
        for n, verdict in enumerate(("confirmed", "mismatch"))
    )  # fmt: skip
    assert (checked.decision.photo_check, doubted.decision.photo_check) == (
        "confirmed", "mismatch",
    )  # fmt: skip
    terminal = world.terminals["canteen_pos"]
    confirmed = casework.dispute_evidence(
        ledger, pupil.account_id, charge_key(terminal, checked.decision.tap_id)
    )
    mismatch = casework.dispute_evidence(
        ledger, pupil.account_id, charge_key(terminal, doubted.decision.tap_id)
    )
    assert (confirmed.photo_check, confirmed.flags) == ("confirmed", [])
    assert (mismatch.photo_check, mismatch.flags) == ("mismatch", [PHOTO_MISMATCH])
    assert [e.charge.key for e in casework.flagged_charges(ledger, pupil.account_id)] == [
        mismatch.charge.key
    ]
    with pytest.raises(InvalidCommandError):
        TapRequest.parse(terminal, "t", pupil.uid, TUESDAY_NOON, items=[meal()],
                         photo_check="maybe")  # fmt: skip


def test_a_holiday_in_the_school_calendar_closes_the_school(
    ledger: Ledger, world: SchoolWorld
) -> None:
    casework.set_school_calendar(ledger, world.school_id, [7], [date(2026, 11, 24).isoformat()])
    pupil = world.pupil()
    world.tap_then("turnstile", pupil.uid, direction="in", at=SATURDAY_NOON.replace(hour=1))
    world.tap_then("canteen_pos", pupil.uid, items=[meal()], at=SATURDAY_NOON)  # Saturday: open now
    world.tap_then("canteen_pos", pupil.uid, items=[meal()], at=TUESDAY_NOON)  # holiday
    flagged = casework.flagged_charges(ledger, pupil.account_id)
    assert [(e.charge.local_date, e.flags) for e in flagged] == [
        ("2026-11-24", [NOT_INSIDE, SCHOOL_CLOSED])
    ]


def test_the_parent_is_told_of_every_dispute_and_refund_step_on_every_tariff(
    ledger: Ledger, world: SchoolWorld
) -> None:
    pupil = world.pupil()
    tap = world.tap_then("canteen_pos", pupil.uid, items=[meal(13_900)], at=SATURDAY_NOON)
    key = charge_key(world.terminals["canteen_pos"], tap.decision.tap_id)
    casework.dispute_charge(ledger, pupil.account_id, key, "суббота")
    casework.reverse_charge(ledger, pupil.account_id, key)
    casework.request_refund(ledger, pupil.account_id)
    casework.approve_refund(ledger, pupil.account_id)
    casework.pay_refund(ledger, pupil.account_id, "payout-5")
    account = ledger.account(pupil.account_id)
    zone = ledger.school(world.school_id).zone
    events: list[Any] = list(ledger.repository.event_store.get(pupil.account_id))
    texts = [text_for(e, account, zone) for e in events[-5:]]
    kinds = [t.kind if t else None for t in texts]
    assert kinds == [
        "dispute_opened", "charge_reversed", "refund_requested", "refund_approved", "refund_paid",
    ]  # fmt: skip
    assert all(t is None or channels_for(t.importance, "zero", True) == (EMAIL,) for t in texts)
    assert texts[-1] is not None
    assert "payout-5" in texts[-1].body
