"""Signed requests: forged, replayed, revoked or foreign requests change nothing."""

import random
from typing import Any
from uuid import uuid4

import orjson

from adapters.terminal_auth import VerifiedTerminal, signed_headers
from domain.account import Account
from domain.ledger import Ledger
from tests.builders import meal
from tests.problems import problem_code
from tests.terminals.rig import SignedTerminal, TerminalWorld, tap

POSTING_TOPICS = (
    Account.PurchaseApproved.TOPIC,
    Account.OfflinePurchaseRecorded.TOPIC,
    Account.ToppedUp.TOPIC,
    Account.CardActivated.TOPIC,
    Account.DuplicateCardOrdered.TOPIC,
)


def postings(ledger: Ledger) -> int:
    return len(ledger.recorder.select_notifications(None, 1_000_000, topics=POSTING_TOPICS))


def error_code(response: object) -> tuple[int, str]:
    status = response.status_code  # type: ignore[attr-defined]
    return status, problem_code(response)


def test_a_request_without_signature_headers_is_refused(school: TerminalWorld) -> None:
    pupil = school.world.pupil()
    answer = school.http.post("/terminal/v1/taps", json=tap(pupil.uid, items=[meal()]))
    assert error_code(answer) == (401, "unsigned_request")


def test_a_body_changed_after_signing_is_refused(school: TerminalWorld) -> None:
    pupil = school.world.pupil()
    canteen = school["canteen_pos"]
    body = orjson.dumps(tap(pupil.uid, items=[meal(9000)]))
    headers = signed_headers(canteen.secret, str(canteen.terminal_id), 1, "POST",
                             "/terminal/v1/taps", body)  # fmt: skip
    tampered = body.replace(b"9000", b"0900")

    answer = school.http.post("/terminal/v1/taps", content=tampered, headers=headers)

    assert error_code(answer) == (401, "bad_signature")
    assert school.account(pupil.account_id).regular == 50_000


def test_a_signature_for_another_path_is_refused(school: TerminalWorld) -> None:
    kiosk = school["kiosk"]
    answer = kiosk.send("GET", "/terminal/v1/deny-list?since=0", b"",
                        signed_path="/terminal/v1/deny-list")  # fmt: skip
    assert error_code(answer) == (401, "bad_signature")
    assert kiosk.get("/terminal/v1/deny-list?since=0").status_code == 200


def test_a_counter_not_above_the_last_accepted_one_is_a_replay(school: TerminalWorld) -> None:
    pupil = school.world.pupil()
    canteen = school["canteen_pos"]
    assert canteen.tap(pupil.uid, items=[meal()], counter=10).status_code == 200

    same = canteen.tap(pupil.uid, items=[meal()], counter=10)
    lower = canteen.tap(pupil.uid, items=[meal()], counter=9)
    higher = canteen.tap(pupil.uid, items=[meal()], counter=11)

    assert error_code(same) == (401, "replayed_counter")
    assert error_code(lower) == (401, "replayed_counter")
    assert higher.status_code == 200
    assert school.desk.secrets.last_counter(canteen.terminal_id) == 11


def test_unknown_and_revoked_terminals_are_refused(school: TerminalWorld) -> None:
    pupil = school.world.pupil()
    stranger = SignedTerminal(school.http, uuid4(), "not-a-registered-secret")
    canteen = school["canteen_pos"]
    school.ledger.revoke_terminal(canteen.terminal_id, "stolen")

    assert error_code(stranger.tap(pupil.uid, items=[meal()])) == (401, "unknown_terminal")
    assert error_code(canteen.tap(pupil.uid, items=[meal()])) == (403, "terminal_revoked")
    assert school.account(pupil.account_id).regular == 50_000


def test_a_thousand_forged_replayed_or_foreign_requests_post_nothing(
    school: TerminalWorld, other_school: TerminalWorld
) -> None:
    pupil = school.world.pupil(deposit=50_000)
    canteen, kiosk = school["canteen_pos"], school["kiosk"]
    foreign_canteen, foreign_kiosk = other_school["canteen_pos"], other_school["kiosk"]
    accepted = canteen.tap(pupil.uid, items=[meal(100)], counter=1_000_000)
    assert accepted.json()["outcome"] == "approved"
    before = postings(school.ledger)
    attacks = [
        # forged: a guessed secret, a fresh counter
        lambda i: canteen.tap(pupil.uid, items=[meal(100)], secret=f"guess-{i}"),
        # replayed: the right secret, a used counter
        lambda i: canteen.tap(pupil.uid, items=[meal(100)], counter=random.randint(0, 1_000_000)),
        # foreign school: a valid terminal of another school taps our pupil's card
        lambda i: foreign_canteen.tap(pupil.uid, items=[meal(100)]),
        # foreign school at the kiosk: a deposit onto our pupil's card
        lambda i: foreign_kiosk.post(
            "/terminal/v1/kiosk/deposits",
            {"card_uid": pupil.uid, "amount": 10_000, "receipt_id": f"r-{i}"},
        ),
        # forged kiosk deposit
        lambda i: kiosk.post(
            "/terminal/v1/kiosk/deposits",
            {"card_uid": pupil.uid, "amount": 10_000, "receipt_id": f"f-{i}"},
            secret="0" * 64,
        ),
    ]

    outcomes = [attacks[i % len(attacks)](i) for i in range(1000)]

    assert postings(school.ledger) == before
    assert school.account(pupil.account_id).regular == 50_000 - 100
    assert {r.status_code for r in outcomes} <= {200, 401, 403}
    assert all(r.json()["outcome"] == "declined" for r in outcomes if r.status_code == 200)


def test_one_valid_tap_replayed_a_thousand_times_posts_once(school: TerminalWorld) -> None:
    pupil = school.world.pupil(deposit=50_000)
    canteen = school["canteen_pos"]
    body = tap(pupil.uid, items=[meal(9000)])
    before = postings(school.ledger)

    answers = [canteen.post("/terminal/v1/taps", body).json() for _ in range(1000)]

    assert postings(school.ledger) == before + 1
    assert school.account(pupil.account_id).regular == 41_000
    assert {(a["outcome"], a["regular_after"]) for a in answers} == {("approved", 41_000)}
    assert sum(not a["replayed"] for a in answers) == 1


def test_an_oversized_body_is_refused_before_it_is_read(school: TerminalWorld) -> None:
    answer = school["canteen_pos"].send("POST", "/terminal/v1/taps/batch", b" " * (1024 * 1024 + 1))
    assert error_code(answer) == (413, "body_too_large")


def test_a_terminal_revoked_while_in_use_is_refused_from_its_next_request(
    school: TerminalWorld,
) -> None:
    pupil = school.world.pupil()
    canteen = school["canteen_pos"]
    assert canteen.tap(pupil.uid, items=[meal(100)]).status_code == 200

    school.ledger.revoke_terminal(canteen.terminal_id, "stolen")
    refused = canteen.tap(pupil.uid, items=[meal(100)])

    assert error_code(refused) == (403, "terminal_revoked")
    assert school.account(pupil.account_id).regular == 50_000 - 100


def test_counters_accepted_together_keep_each_terminals_order(school: TerminalWorld) -> None:
    canteen, turnstile = school["canteen_pos"], school["turnstile"]
    secrets = school.desk.secrets
    mine = {t.terminal_id: (school.world.school_id, t.secret) for t in (canteen, turnstile)}

    def at(terminal: SignedTerminal, counter: int, secret: str | None = None) -> Any:
        school_id, stored = mine[terminal.terminal_id]
        return VerifiedTerminal(terminal.terminal_id, school_id, counter, secret or stored)

    refusals = secrets.advance_all(
        [at(canteen, 5), at(turnstile, 3), at(canteen, 7), at(canteen, 6),
         at(turnstile, 4, secret="not the stored one")]
    )  # fmt: skip

    codes = [r.code if r else None for r in refusals]
    assert codes == [None, None, None, "replayed_counter", "bad_signature"]
    assert secrets.last_counter(canteen.terminal_id) == 7
    assert secrets.last_counter(turnstile.terminal_id) == 3
