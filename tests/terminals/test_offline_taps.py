"""Late offline taps: recorded by `tapped_at`, never declined after the fact, debt visible."""

from datetime import timedelta

import pytest

from domain.account import Account
from tests.builders import meal, snack
from tests.clock import now
from tests.terminals.rig import TerminalWorld, tap

pytestmark = pytest.mark.usefixtures("travelled")  # every test on the travelled clock


def events_of(school: TerminalWorld, account_id: object) -> list[object]:
    return list(school.ledger.events.get(account_id))  # type: ignore[arg-type]


def test_an_offline_purchase_that_overdraws_is_recorded_with_the_debt_visible(
    school: TerminalWorld,
) -> None:
    pupil = school.world.pupil(deposit=10_000)
    eaten = now() - timedelta(minutes=30)

    decision = (
        school["canteen_pos"]
        .tap(pupil.uid, items=[snack(4500, quantity=3)], at=eaten, offline=True)
        .json()
    )

    assert decision["outcome"] == "approved"
    assert (decision["reason"], decision["offline"]) == ("insufficient_funds", True)
    assert decision["regular_after"] == -3_500
    assert school.account(pupil.account_id).regular == -3_500
    recorded = [e for e in events_of(school, pupil.account_id)
                if isinstance(e, Account.OfflinePurchaseRecorded)]  # fmt: skip
    assert len(recorded) == 1
    assert (recorded[0].online_reason, recorded[0].amount) == ("insufficient_funds", 13_500)
    assert recorded[0].tapped_at == eaten


def test_the_same_purchase_online_is_declined(school: TerminalWorld) -> None:
    pupil = school.world.pupil(deposit=10_000)
    decision = school["canteen_pos"].tap(pupil.uid, items=[snack(4500, quantity=3)]).json()
    assert (decision["outcome"], decision["reason"]) == ("declined", "insufficient_funds")
    assert school.account(pupil.account_id).regular == 10_000


def test_offline_taps_after_the_block_are_flagged_and_those_before_are_not(
    school: TerminalWorld,
) -> None:
    pupil = school.world.pupil(deposit=50_000)
    before_block = now() - timedelta(minutes=1)
    school.ledger.block_card(pupil.account_id, pupil.uid, "lost")
    after_block = now()
    canteen = school["canteen_pos"]

    early = canteen.tap(pupil.uid, items=[meal(9000)], at=before_block, offline=True).json()
    late = canteen.tap(pupil.uid, items=[snack(4500)], at=after_block, offline=True).json()
    online = canteen.tap(pupil.uid, items=[snack(4500)]).json()

    assert (early["outcome"], early["reason"], early["after_block"]) == ("approved", None, False)
    assert (late["outcome"], late["reason"], late["after_block"]) == (
        "approved", "card_blocked", True,
    )  # fmt: skip
    assert (online["outcome"], online["reason"]) == ("declined", "card_blocked")
    assert school.account(pupil.account_id).regular == 50_000 - 9_000 - 4_500


def test_daily_limits_count_offline_taps_on_the_day_they_were_made(school: TerminalWorld) -> None:
    pupil = school.world.pupil(deposit=100_000)
    yesterday = now() - timedelta(days=1)
    canteen = school["canteen_pos"]

    late = canteen.tap(pupil.uid, items=[meal(18_000)], at=yesterday, offline=True).json()
    today = canteen.tap(pupil.uid, items=[meal(18_000)]).json()
    over = canteen.tap(pupil.uid, items=[meal(18_000)], at=yesterday, offline=True).json()

    assert (late["outcome"], late["spent_today"]) == ("approved", 18_000)
    assert late["local_date"] != today["local_date"]
    assert (today["outcome"], today["spent_today"]) == ("approved", 18_000)
    # Yesterday's limit is exceeded by the second offline tap: recorded, with the reason.
    assert (over["outcome"], over["reason"], over["spent_today"]) == (
        "approved", "daily_limit", 36_000,
    )  # fmt: skip


def test_an_offline_batch_upload_retried_gets_the_same_decisions(school: TerminalWorld) -> None:
    pupil = school.world.pupil(deposit=10_000)
    start = now() - timedelta(hours=2)
    taps = [tap(pupil.uid, items=[snack(4500)], at=start + timedelta(minutes=i), offline=True)
            for i in range(3)]  # fmt: skip
    canteen = school["canteen_pos"]

    first = canteen.post("/terminal/v1/taps/batch", {"taps": taps}).json()["results"]
    again = canteen.post("/terminal/v1/taps/batch", {"taps": taps[::-1]}).json()["results"]

    assert [r["outcome"] for r in first] == ["approved"] * 3
    assert [r["reason"] for r in first] == [None, None, "insufficient_funds"]
    assert [r["regular_after"] for r in again[::-1]] == [r["regular_after"] for r in first]
    assert all(r["replayed"] for r in again)
    assert school.account(pupil.account_id).regular == 10_000 - 3 * 4_500


def test_an_offline_pass_made_before_the_block_still_counts_for_attendance(
    school: TerminalWorld,
) -> None:
    pupil = school.world.pupil()
    before_block = now() - timedelta(minutes=1)
    school.ledger.block_card(pupil.account_id, pupil.uid, "lost")
    turnstile = school["turnstile"]

    early = turnstile.tap(pupil.uid, direction="in", at=before_block, offline=True).json()
    late = turnstile.tap(pupil.uid, direction="out", offline=True).json()

    assert early["outcome"] == "approved"
    assert (late["outcome"], late["reason"]) == ("declined", "card_blocked")
    passes = [type(e).__name__ for e in events_of(school, pupil.account_id)
              if isinstance(e, Account.PassRecorded | Account.PassDenied)]  # fmt: skip
    assert passes == ["PassRecorded", "PassDenied"]
