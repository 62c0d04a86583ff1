"""Taps over HTTP: decisions with wallets and the pupil for the operator's or guard's screen."""

from datetime import datetime, timedelta

from domain.account import Account
from tests.builders import meal, snack
from tests.clock import now
from tests.problems import problem_code
from tests.terminals.rig import TerminalWorld, fake_jpeg, tap


def test_canteen_tap_answers_decision_wallets_and_pupil_for_the_photo_check(
    travelled: datetime,
    school: TerminalWorld,
) -> None:
    pupil = school.named_pupil("Иванов Иван", photo=fake_jpeg(), deposit=50_000)

    answer = school["canteen_pos"].tap(pupil.uid, items=[meal(9000), snack(4500)])

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    decision = answer.json()
    assert decision["outcome"] == "approved"
    assert decision["reason"] is None
    assert decision["account_id"] == str(pupil.account_id)
    assert (decision["amount"], decision["from_regular"], decision["from_subsidised"]) == (
        13_500, 13_500, 0,
    )  # fmt: skip
    assert decision["regular_after"] == 36_500
    assert (decision["spent_today"], decision["daily_limit"]) == (13_500, 20_000)
    assert decision["pupil"]["name"] == "Иванов Иван"
    assert decision["pupil"]["class"] == "5А"
    assert decision["pupil"]["photo_url"].startswith("/terminal/v1/photos/")
    assert decision["position"] > 0
    assert school.account(pupil.account_id).regular == 36_500


def test_the_operators_photo_check_is_kept_with_the_tap(
    travelled: datetime, school: TerminalWorld
) -> None:
    pupil = school.named_pupil("Петрова Вера", photo=fake_jpeg(), deposit=50_000)
    till = school["canteen_pos"]
    answer = till.tap(pupil.uid, items=[meal(9000)], photo_check="mismatch").json()
    assert answer["photo_check"] == "mismatch"
    stored = school.ledger.recorded_tap(school.world.terminals["canteen_pos"], answer["tap_id"])
    assert stored is not None
    assert stored.photo_check == "mismatch"
    refused = till.tap(pupil.uid, items=[meal(9000)], photo_check="probably")
    assert refused.status_code == 400


def test_turnstile_allows_with_the_photo_and_denies_a_blocked_card(
    travelled: datetime, school: TerminalWorld
) -> None:
    pupil = school.named_pupil("Петрова Анна", photo=fake_jpeg())

    entry = school["turnstile"].tap(pupil.uid, direction="in").json()
    school.ledger.block_card(pupil.account_id, pupil.uid, "lost")
    denied = school["turnstile"].tap(pupil.uid, direction="out").json()

    assert (entry["outcome"], entry["direction"]) == ("approved", "in")
    assert entry["pupil"]["photo_url"] is not None
    assert (denied["outcome"], denied["reason"]) == ("declined", "card_blocked")
    assert denied["pupil"]["name"] == "Петрова Анна"


def test_batch_answers_in_order_with_errors_in_place(
    travelled: datetime, school: TerminalWorld
) -> None:
    pupil = school.world.pupil(deposit=50_000)
    at = now()
    taps = [
        tap(pupil.uid, items=[meal(9000)], at=at - timedelta(minutes=2)),
        tap("not-a-uid", items=[meal(9000)], tap_id="bad-uid"),
        tap(pupil.uid, items=[snack(4500)], at=at - timedelta(minutes=3)),
    ]

    answer = school["canteen_pos"].post("/terminal/v1/taps/batch", {"taps": taps})

    assert answer.status_code == 200
    first, bad, third = answer.json()["results"]
    assert first["tap_id"] == taps[0]["tap_id"]
    assert bad == {"tap_id": "bad-uid", "error": {"code": "malformed_uid", "message": bad[
        "error"]["message"]}}  # fmt: skip
    assert third["tap_id"] == taps[2]["tap_id"]
    # Decided in tapped_at order: the earlier snack first, then the meal.
    assert third["regular_after"] == 45_500
    assert first["regular_after"] == 36_500


def test_a_retried_tap_gets_its_original_decision_and_is_charged_once(
    travelled: datetime,
    school: TerminalWorld,
) -> None:
    pupil = school.world.pupil(deposit=50_000)
    body = tap(pupil.uid, items=[meal(9000)])

    first = school["canteen_pos"].post("/terminal/v1/taps", body).json()
    again = school["canteen_pos"].post("/terminal/v1/taps", body).json()

    assert again["replayed"] is True
    assert {k: again[k] for k in ("outcome", "amount", "regular_after")} == {
        k: first[k] for k in ("outcome", "amount", "regular_after")
    }
    assert school.account(pupil.account_id).regular == 41_000


def test_same_tap_id_with_another_payload_is_a_conflict(
    travelled: datetime, school: TerminalWorld
) -> None:
    pupil = school.world.pupil()
    body = tap(pupil.uid, items=[meal(9000)])
    school["canteen_pos"].post("/terminal/v1/taps", body)

    clash = school["canteen_pos"].post("/terminal/v1/taps", {**body, "items": [snack()]})

    assert clash.status_code == 409
    assert problem_code(clash) == "tap_conflict"


def test_bad_commands_are_typed_errors_and_record_nothing(
    travelled: datetime, school: TerminalWorld
) -> None:
    pupil = school.world.pupil(deposit=50_000)
    before = school.ledger.recorder.max_notification_id()
    canteen = school["canteen_pos"]

    negative = canteen.tap(pupil.uid, items=[meal(-5)])
    naive = canteen.post("/terminal/v1/taps", {**tap(pupil.uid, items=[meal()]),
                                               "tapped_at": "2026-11-25T09:00:00"})  # fmt: skip
    future = canteen.tap(pupil.uid, items=[meal()], at=now() + timedelta(hours=1))
    not_json = canteen.send("POST", "/terminal/v1/taps", b"{not json")
    items_at_turnstile = school["turnstile"].tap(pupil.uid, items=[meal()])

    assert (negative.status_code, problem_code(negative)) == (400, "invalid_amount")
    assert (naive.status_code, problem_code(naive)) == (400, "invalid_command")
    assert (future.status_code, problem_code(future)) == (400, "tap_in_future")
    assert (not_json.status_code, problem_code(not_json)) == (400, "invalid_command")
    assert problem_code(items_at_turnstile) == "tap_payload"
    assert school.ledger.recorder.max_notification_id() == before


def test_a_card_of_another_school_is_declined_without_revealing_its_pupil(
    travelled: datetime, school: TerminalWorld, other_school: TerminalWorld
) -> None:
    stranger = other_school.named_pupil("Чужой Ученик", photo=fake_jpeg(), deposit=50_000)

    decision = school["canteen_pos"].tap(stranger.uid, items=[meal()]).json()

    assert (decision["outcome"], decision["reason"]) == ("declined", "foreign_school")
    assert decision["pupil"] is None
    assert decision["account_id"] is None
    assert decision["regular_after"] is None
    account: Account = other_school.account(stranger.account_id)
    assert account.regular == 50_000


def test_a_taps_answers_carry_the_request_id_and_security_headers_of_every_answer(
    school: TerminalWorld,
) -> None:
    pupil = school.named_pupil("Сидоров Пётр", deposit=50_000)
    till = school["canteen_pos"]
    approved = till.tap(pupil.uid, items=[meal(9000)])
    forged = till.tap(pupil.uid, items=[meal(9000)], secret="not-the-secret")
    not_json = till.send("POST", "/terminal/v1/taps", b"{not json")
    other_method = till.get("/terminal/v1/taps")

    answers = (approved, forged, not_json, other_method)
    assert [a.status_code for a in answers] == [200, 401, 400, 405]
    assert [problem_code(a) for a in answers[1:]] == [
        "bad_signature", "invalid_command", "method_not_allowed",
    ]  # fmt: skip
    for answer in answers:
        assert len(answer.headers["x-request-id"]) == 32
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert "default-src 'none'" in answer.headers["content-security-policy"]
    assert len({a.headers["x-request-id"] for a in answers}) == 4
    assert school.account(pupil.account_id).regular == 50_000 - 9000
