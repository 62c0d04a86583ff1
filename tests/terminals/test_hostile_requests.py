"""Hostile or broken terminals: every bad request is a typed 4xx and writes nothing; nothing a
projection could choke on is ever accepted (issue 10)."""

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from domain.account import Account
from tests.builders import meal, snack
from tests.clock import now
from tests.problems import problem_code
from tests.terminals.rig import TerminalWorld, tap

TAPS = "/terminal/v1/taps"
NOVOSIBIRSK = timezone(timedelta(hours=7))


def code_of(answer: httpx.Response) -> tuple[int, str]:
    return answer.status_code, problem_code(answer)


def head(school: TerminalWorld) -> int:
    return school.ledger.recorder.max_notification_id() or 0


@pytest.mark.parametrize(
    ("change", "expected"),
    [({"items": [{**meal(), "name": "Обед\u0000"}]}, "invalid_text"),
     ({"items": [{**meal(), "code": "\u202eHCNUL"}]}, "invalid_text"),
     ({"items": [{**meal(), "name": "x" * 201}]}, "invalid_text"),
     ({"tapped_at": "2026-11-25T09:00:00-16:00"}, "invalid_time"),
     ({"tapped_at": "0001-01-01T00:00:00+14:00"}, "invalid_time"),
     ({"tapped_at": "9999-12-31T23:59:59-12:00"}, "invalid_time"),
     ({"tapped_at": "1970-01-01T00:00:00+00:00"}, "tap_too_old"),
     ({"tapped_at": ["2026"]}, "invalid_command"),
     ({"direction": []}, "invalid_command"),
     ({"direction": {}}, "invalid_command"),
     ({"photo_check": []}, "invalid_command"),
     ({"offline": "yes"}, "invalid_command"),
     ({"items": {"code": "LUNCH"}}, "tap_payload"),
     ({"items": [{**meal(), "meal": "false"}]}, "tap_payload"),
     ({"items": [meal(1_000_000, quantity=100)] * 50, "offline": True}, "invalid_amount"),
     ({"pay_from": "subsidised"}, "unknown_field"),
     ({"items": [{**meal(), "pay_from": "subsidised"}]}, "unknown_field")],
)  # fmt: skip
def test_a_hostile_tap_is_a_typed_400_and_records_nothing(
    school: TerminalWorld, change: dict[str, Any], expected: str
) -> None:
    pupil = school.world.pupil(deposit=50_000)
    before = head(school)

    answer = school["canteen_pos"].post(TAPS, {**tap(pupil.uid, items=[meal()]), **change})

    assert code_of(answer) == (400, expected)
    assert head(school) == before
    assert school.account(pupil.account_id).regular == 50_000


def test_a_lone_surrogate_escape_is_not_json_and_is_a_typed_400(school: TerminalWorld) -> None:
    pupil = school.world.pupil(deposit=50_000)
    body = json.dumps(tap(pupil.uid, items=[{**meal(), "name": "Обед\ud800"}])).encode()
    before = head(school)
    assert b"\\ud800" in body
    answer = school["canteen_pos"].send("POST", TAPS, body)
    assert code_of(answer) == (400, "invalid_command")
    assert head(school) == before


def test_a_turnstile_direction_that_is_a_list_or_an_object_is_a_typed_400(
    school: TerminalWorld,
) -> None:
    pupil = school.world.pupil()
    before = head(school)
    direction: object
    for direction in ([], {}, ["in"]):
        answer = school["turnstile"].post(TAPS, tap(pupil.uid, direction=direction))
        assert code_of(answer) == (400, "invalid_command")
    assert head(school) == before


def test_the_same_instant_with_another_offset_on_retry_gets_the_original_decision(
    travelled: datetime, school: TerminalWorld
) -> None:
    pupil = school.world.pupil(deposit=50_000)
    at = now().replace(microsecond=0)
    body = tap(pupil.uid, items=[meal(9_000)], at=at)
    canteen = school["canteen_pos"]

    first = canteen.post(TAPS, body).json()
    again = canteen.post(TAPS, {**body, "tapped_at": at.astimezone(NOVOSIBIRSK).isoformat()})
    zulu = canteen.post(TAPS, {**body, "tapped_at": at.strftime("%Y-%m-%dT%H:%M:%SZ")})

    assert again.status_code == zulu.status_code == 200
    assert again.json()["replayed"] is zulu.json()["replayed"] is True
    assert {k: v for k, v in again.json().items() if k not in ("replayed", "position")} == {
        k: v for k, v in first.items() if k not in ("replayed", "position")
    }
    assert school.account(pupil.account_id).regular == 41_000


def test_an_offline_upload_over_the_offline_cap_is_a_flagged_debt_never_unbounded(
    travelled: datetime, school: TerminalWorld
) -> None:
    pupil = school.world.pupil(deposit=10_000)
    school.ledger.set_offline_cap(school.world.school_id, 20_000)
    eaten = now() - timedelta(hours=3)

    decision = (
        school["vending"]
        .tap(pupil.uid, items=[snack(4_500, quantity=5)], at=eaten, offline=True)
        .json()
    )
    deny_list = school["vending"].get("/terminal/v1/deny-list").json()

    assert (decision["outcome"], decision["reason"], decision["offline"]) == (
        "approved", "offline_cap", True,
    )  # fmt: skip
    assert decision["regular_after"] == 10_000 - 22_500
    recorded = list(school.ledger.events.get(pupil.account_id))[-1]
    assert isinstance(recorded, Account.OfflinePurchaseRecorded)
    assert recorded.online_reason == "offline_cap"
    assert deny_list["offline_cap"] == 20_000  # the readers are told the same cap


def test_a_batch_refuses_unknown_fields_and_answers_each_bad_tap_in_its_place(
    school: TerminalWorld,
) -> None:
    pupil = school.world.pupil(deposit=50_000)
    canteen = school["canteen_pos"]
    good, bad = tap(pupil.uid, items=[meal(9_000)]), tap(pupil.uid, items=[meal()], pay_from="x")

    wrapped = canteen.post("/terminal/v1/taps/batch", {"taps": [good], "priority": "high"})
    answer = canteen.post("/terminal/v1/taps/batch", {"taps": [good, bad]})

    assert code_of(wrapped) == (400, "unknown_field")
    results = answer.json()["results"]
    assert results[0]["outcome"] == "approved"
    assert (results[1]["tap_id"], results[1]["error"]["code"]) == (bad["tap_id"], "unknown_field")
    assert school.account(pupil.account_id).regular == 41_000


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [("/terminal/v1/kiosk/deposits", {"amount": 10_000, "receipt_id": "R-1", "tip": 5},
      "unknown_field"),
     ("/terminal/v1/kiosk/deposits", {"amount": 10_000, "receipt_id": "R\u0000"}, "invalid_text"),
     ("/terminal/v1/kiosk/activations", {"offer_version": "o\u0000",
      "consent_version": "pd-2026-01", "parent_phone": "+79130000001",
      "deposit": 10_000, "receipt_id": "R-2"}, "invalid_text"),
     ("/terminal/v1/kiosk/activations", {"offer_version": "o", "consent_version": "pd-2026-01",
      "parent_phone": "+79130000001",
      "deposit": 10_000, "receipt_id": "R-3", "channel": "bank_card"}, "unknown_field"),
     ("/terminal/v1/kiosk/duplicates", {"new_card_uid": "04AABBCCDDEEFF", "fee": 0},
      "unknown_field")],
)  # fmt: skip
def test_kiosk_requests_refuse_unknown_fields_and_hostile_text(
    school: TerminalWorld, path: str, body: dict[str, Any], expected: str
) -> None:
    pupil = school.world.pupil(activate="activations" not in path)
    before = head(school)

    answer = school["kiosk"].post(path, {"card_uid": pupil.uid, **body})

    assert code_of(answer) == (400, expected)
    assert head(school) == before


def test_a_foreign_schools_terminal_appends_nothing_to_the_pupils_account(
    school: TerminalWorld, other_school: TerminalWorld
) -> None:
    pupil = school.world.pupil(deposit=50_000)
    version = school.account(pupil.account_id).version

    answers = [other_school["canteen_pos"].tap(pupil.uid, items=[meal()]) for _ in range(20)]
    answers.append(other_school["turnstile"].tap(pupil.uid, direction="in"))

    assert {(a.status_code, a.json()["reason"]) for a in answers} == {(200, "foreign_school")}
    assert school.account(pupil.account_id).version == version


def test_the_openapi_request_shapes_forbid_unknown_fields(school: TerminalWorld) -> None:
    schemas = school.http.get("/openapi.json").json()["components"]["schemas"]
    for name in ("TapInput", "ItemInput", "TapBatchInput", "ActivationInput", "DepositInput",
                 "DuplicateInput"):  # fmt: skip
        assert schemas[name]["additionalProperties"] is False, name
