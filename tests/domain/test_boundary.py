"""Nothing hostile reaches the log: every command refuses what a projection could not apply,
and records nothing when it does (the CLI, GraphQL and the terminal API all go through these)."""

import dataclasses
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from uuid import uuid4

import pytest

from domain import casework
from domain.account import Account
from domain.billing import Billing
from domain.errors import (
    InvalidAmountError,
    InvalidTextError,
    InvalidTimeError,
    TapConflictError,
    TapTooOldError,
)
from domain.ledger import Ledger
from domain.money import DEFAULT_OFFLINE_CAP
from domain.recorded import derived_id
from domain.tap import Tap, TapRequest
from tests.builders import Pupil, SchoolWorld, meal, new_school, snack
from tests.clock import now, today

NOVOSIBIRSK = timezone(timedelta(hours=7))


def head(ledger: Ledger) -> int:
    return ledger.recorder.max_notification_id() or 0


def canteen_request(world: SchoolWorld, pupil: Pupil, **fields: Any) -> TapRequest:
    at = fields.pop("at", None) or now()
    items = fields.pop("items", None) or [meal()]
    tap_id = fields.pop("tap_id", None) or f"b-{uuid4().hex[:8]}"
    return TapRequest.parse(
        world.terminals["canteen_pos"], tap_id, pupil.uid, at, items=items, **fields
    )


def test_an_item_name_with_a_nul_is_refused_and_nothing_is_recorded(world: SchoolWorld) -> None:
    pupil = world.pupil()
    before = head(world.ledger)
    with pytest.raises(InvalidTextError):
        world.tap("canteen_pos", pupil.uid, items=[{**meal(), "name": "Обед\u0000"}])
    assert head(world.ledger) == before
    assert world.ledger.account(pupil.account_id).regular == 50_000


def test_a_menu_with_a_nul_or_a_date_far_from_today_is_refused(
    travelled: datetime, ledger: Ledger, world: SchoolWorld
) -> None:
    before = head(ledger)
    day = today()  # the school's
    soup = {"code": "SOUP", "name": "Борщ", "price": 6_500, "allergens": ["сельдерей"]}
    with pytest.raises(InvalidTextError):
        ledger.publish_menu(world.school_id, day, [{**soup, "name": "Борщ\u0000"}])
    with pytest.raises(InvalidTextError):
        ledger.publish_menu(world.school_id, day, [{**soup, "allergens": ["\ud800"]}])
    for far in (date(1, 1, 1), date(9999, 12, 31)):
        with pytest.raises(InvalidTimeError):
            ledger.publish_menu(world.school_id, far, [soup])
    assert head(ledger) == before
    assert ledger.publish_menu(world.school_id, day, [soup]) > before


def test_an_online_tap_dated_1970_is_refused_and_the_daily_limit_stays_whole(
    travelled: datetime,
    world: SchoolWorld,
) -> None:
    pupil = world.pupil()
    before = head(world.ledger)
    with pytest.raises(TapTooOldError):
        world.tap("canteen_pos", pupil.uid, items=[meal()], at=datetime(1970, 1, 1, tzinfo=UTC))
    with pytest.raises(TapTooOldError):  # offline: within the reader's offline period only
        world.tap("canteen_pos", pupil.uid, items=[meal()], offline=True,
                  at=now() - timedelta(days=8))  # fmt: skip
    assert head(world.ledger) == before
    yesterday = world.tap("canteen_pos", pupil.uid, items=[meal()], offline=True,
                          at=now() - timedelta(days=1))  # fmt: skip
    assert yesterday.decision.approved


def test_the_same_instant_written_with_another_offset_is_a_retry_not_a_conflict(
    travelled: datetime,
    world: SchoolWorld,
) -> None:
    pupil = world.pupil()
    at = now().replace(microsecond=0)
    first = world.ledger.handle_tap(canteen_request(world, pupil, tap_id="o-1", at=at))
    before = head(world.ledger)

    again = world.ledger.handle_tap(
        canteen_request(world, pupil, tap_id="o-1", at=at.astimezone(NOVOSIBIRSK).isoformat())
    )

    assert again.replayed
    assert again.decision == first.decision
    assert head(world.ledger) == before
    recorded = list(world.ledger.events.get(pupil.account_id))[-1]
    assert isinstance(recorded, Account.PurchaseApproved)
    assert recorded.tapped_at == at
    assert recorded.tapped_at.utcoffset() == timedelta(0)  # kept in UTC


def test_a_tap_recorded_with_its_terminals_offset_before_utc_was_kept_is_still_retried(
    travelled: datetime,
    world: SchoolWorld,
) -> None:
    pupil = world.pupil()
    at = now().replace(microsecond=0)
    request = canteen_request(world, pupil, tap_id="legacy-1", at=at)
    # As the ledger recorded taps before tapped_at was kept in UTC: with the terminal's offset.
    legacy = dataclasses.replace(request, tapped_at=at.astimezone(NOVOSIBIRSK))
    first = world.ledger.handle_tap(legacy)
    (decided,) = list(world.ledger.events.get(request.record_id))
    assert isinstance(decided, Tap.Decided)
    assert decided.tapped_at.utcoffset() == timedelta(hours=7)

    for written in (at, at.astimezone(NOVOSIBIRSK), at.astimezone(timezone(-timedelta(hours=3)))):
        again = world.ledger.handle_tap(
            canteen_request(world, pupil, tap_id="legacy-1", at=written.isoformat())
        )
        assert again.replayed
        assert again.decision == first.decision
    with pytest.raises(TapConflictError):
        world.ledger.handle_tap(
            canteen_request(world, pupil, tap_id="legacy-1", at=at, items=[snack()])
        )


def test_an_offline_tap_over_the_offline_cap_is_a_debt_flagged_for_the_school(
    world: SchoolWorld,
) -> None:
    ledger = world.ledger
    pupil = world.pupil(deposit=50_000)
    ledger.change_daily_limit(pupil.account_id, 50_000)
    basket = [snack(4_500, quantity=8)]  # 360 ₽: over the default cap of 300 ₽
    assert DEFAULT_OFFLINE_CAP < 4_500 * 8

    over = world.tap("vending", pupil.uid, items=basket, offline=True)

    assert (over.decision.outcome, over.decision.reason) == ("approved", "offline_cap")
    recorded = list(ledger.events.get(pupil.account_id))[-1]
    assert isinstance(recorded, Account.OfflinePurchaseRecorded)
    assert (recorded.online_reason, recorded.amount) == ("offline_cap", 36_000)
    assert ledger.account(pupil.account_id).regular == 14_000

    ledger.set_offline_cap(world.school_id, 40_000)  # the school's own cap
    other = world.pupil(deposit=100_000)
    ledger.change_daily_limit(other.account_id, 50_000)
    within = world.tap("vending", other.uid, items=basket, offline=True)
    assert (within.decision.outcome, within.decision.reason) == ("approved", None)
    assert isinstance(list(ledger.events.get(other.account_id))[-1], Account.PurchaseApproved)
    assert ledger.school(world.school_id).offline_cap == 40_000
    with pytest.raises(InvalidAmountError):
        ledger.set_offline_cap(world.school_id, -1)


def test_an_offline_tap_of_fifty_full_lines_is_refused_by_the_bounds(world: SchoolWorld) -> None:
    pupil = world.pupil()
    before = head(world.ledger)
    with pytest.raises(InvalidAmountError):
        world.tap("canteen_pos", pupil.uid, offline=True,
                  items=[meal(1_000_000, quantity=100)] * 50)  # fmt: skip
    assert head(world.ledger) == before
    assert world.ledger.account(pupil.account_id).regular == 50_000


def test_a_terminal_of_another_school_writes_nothing_on_the_pupils_account(
    travelled: datetime, ledger: Ledger, world: SchoolWorld
) -> None:
    pupil = world.pupil()
    elsewhere = new_school(ledger, "Asia/Irkutsk")
    version = ledger.account(pupil.account_id).version
    ledger.revoke_terminal(elsewhere.terminals["vending"], "украден")
    at = now()

    answers = [
        elsewhere.tap("canteen_pos", pupil.uid, items=[meal()], tap_id="foreign-1", at=at),
        elsewhere.tap("turnstile", pupil.uid, direction="in"),
        elsewhere.tap("vending", pupil.uid, items=[snack()]),
        elsewhere.tap("locker", pupil.uid, items=[snack()], offline=True),
    ]

    assert [a.decision.reason for a in answers] == [
        "foreign_school", "foreign_school", "terminal_revoked", "foreign_school",
    ]  # fmt: skip
    assert all(a.decision.account_id is None for a in answers)
    assert ledger.account(pupil.account_id).version == version
    record_id = derived_id("tap", elsewhere.terminals["canteen_pos"], "foreign-1")
    (attempt,) = list(ledger.events.get(record_id))
    assert isinstance(attempt, Tap.ForeignCardRefused)
    assert attempt.TOPIC == "infoshkola.tap.ForeignCardRefused"
    assert (attempt.school_id, attempt.card_school_id) == (elsewhere.school_id, world.school_id)
    again = elsewhere.tap("canteen_pos", pupil.uid, items=[meal()], tap_id="foreign-1", at=at)
    assert again.replayed
    assert again.decision == answers[0].decision


def _commands() -> dict[str, Callable[[Ledger, SchoolWorld, Pupil], object]]:
    nul = "злой\u0000текст"
    return {
        "school name": lambda led, w, p: led.register_school(nul, "Омск", "Asia/Omsk", 0),
        "school city": lambda led, w, p: led.register_school("Школа", "\ud800", "Asia/Omsk", 0),
        "terminal label": lambda led, w, p: led.register_terminal(w.school_id, "vending", nul),
        "revocation": lambda led, w, p: led.revoke_terminal(w.terminals["locker"], nul),
        "class": lambda led, w, p: led.open_account(
            "N-1", w.school_id, nul, "subject:a", "subject:b"
        ),
        "block reason": lambda led, w, p: led.block_card(p.account_id, p.uid, nul),
        "payment id": lambda led, w, p: led.top_up(p.account_id, 100, "sbp", " pay-1"),
        "subsidy basis": lambda led, w, p: led.grant_subsidy(p.account_id, nul, 10_000),
        "offer version": lambda led, w, p: led.activate_card(
            p.uid, nul, "subject:x", 10_000, "k-1", w.terminals["kiosk"]
        ),
        "contact": lambda led, w, p: Billing(led).change_contact(p.account_id, f"subject:{nul}"),
        "refund reason": lambda led, w, p: casework.request_refund(
            led, p.account_id, reason="\u202eвозврат"
        ),
        "feedback": lambda led, w, p: led.leave_menu_feedback(p.account_id, today(), 5, nul),
        "holiday": lambda led, w, p: casework.set_school_calendar(
            led, w.school_id, [6, 7], ["0001-01-01"]
        ),
        "autopayment token": lambda led, w, p: Billing(led).schedule_autopayment(
            p.account_id, "monthly", 10_000, day=1, card_id=nul
        ),
    }


@pytest.mark.parametrize("command", sorted(_commands()))
def test_hostile_text_in_any_command_is_a_typed_refusal_that_records_nothing(
    travelled: datetime, ledger: Ledger, world: SchoolWorld, command: str
) -> None:
    pupil = world.pupil(activate=command != "offer version")
    ledger.publish_menu(world.school_id, today(), [meal()])
    before = head(ledger)
    with pytest.raises((InvalidTextError, InvalidTimeError)):
        _commands()[command](ledger, world, pupil)
    assert head(ledger) == before


def test_a_dispute_claim_is_text_of_the_note_kind(ledger: Ledger, world: SchoolWorld) -> None:
    pupil = world.pupil()
    tap = world.tap("canteen_pos", pupil.uid, items=[meal()])
    key = f"{world.terminals['canteen_pos']}/{tap.decision.tap_id}"
    before = head(ledger)
    with pytest.raises(InvalidTextError):
        casework.dispute_charge(ledger, pupil.account_id, key, "не ел\u0000")
    assert head(ledger) == before
    casework.dispute_charge(ledger, pupil.account_id, key, "  не ел:\nбыл дома  ")
    disputed = list(ledger.events.get(pupil.account_id))[-1]
    assert isinstance(disputed, Account.ChargeDisputed)
    assert disputed.claim == "не ел:\nбыл дома"
