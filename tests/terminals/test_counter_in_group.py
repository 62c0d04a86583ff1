"""A signed tap's counter is accepted in the transaction that saves the tap (`adapters/claims.py`,
`api/tap_batcher.py`): a group whose commit fails accepts no counter (in the store or in the
process's memory), a counter another process accepted meanwhile is refused by the store without
failing its group's other taps, and a claim saved again after its commit went through unanswered
is its own while another request with its counter is a replay."""

import warnings
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import psycopg
import pytest
from fastapi import FastAPI
from psycopg import sql

from adapters.claims import Claim, ClaimsRefusedError
from adapters.terminal_auth import TerminalSecrets, VerifiedTerminal, enrol_terminal
from api.tap_batcher import TapBatcher
from api.terminal_desk import TapClaims
from domain.group_commit import TapResult
from domain.ledger import Ledger
from domain.tap import TapRequest
from tests import clock
from tests.builders import meal
from tests.problems import problem_code
from tests.terminals.rig import SignedTerminal, TerminalWorld

with warnings.catch_warnings():  # starlette asks for httpx2; httpx is what we ship
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@contextmanager
def inserts_refused(ledger: Ledger, database_url: str) -> Iterator[None]:
    """PostgreSQL refuses every insert of events (a trigger raising, as a full disk or a
    broken constraint would): a group's transaction fails in the database itself."""
    table = sql.Identifier(ledger.recorder.events_table_name)  # type: ignore[attr-defined]
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "CREATE OR REPLACE FUNCTION refuse_inserts() RETURNS trigger LANGUAGE plpgsql AS"
            " $$ BEGIN RAISE EXCEPTION 'inserts refused for the test'; END $$"
        )
        conn.execute(
            sql.SQL(
                "CREATE TRIGGER refuse_inserts BEFORE INSERT ON {} FOR EACH STATEMENT"
                " EXECUTE FUNCTION refuse_inserts()"
            ).format(table)
        )
        try:
            yield
        finally:
            conn.execute(sql.SQL("DROP TRIGGER refuse_inserts ON {}").format(table))


def stored_counter(database_url: str, terminal_id: UUID) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT last_counter FROM terminal_credentials WHERE terminal_id = %s", (terminal_id,)
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_a_failed_group_commit_accepts_no_counter_and_the_same_request_then_succeeds(
    app: FastAPI, school: TerminalWorld, database_url: str
) -> None:
    pupil = school.world.pupil(deposit=50_000)
    canteen = school["canteen_pos"]
    assert canteen.tap(pupil.uid, items=[meal(100)]).json()["outcome"] == "approved"  # counter 1
    body = {"tap_id": "after-the-failure", "card_uid": pupil.uid, "items": [meal(100)],
            "tapped_at": clock.device_clock().isoformat()}  # fmt: skip
    unraised = SignedTerminal(
        TestClient(app, raise_server_exceptions=False),
        canteen.terminal_id,
        canteen.secret,
    )

    with inserts_refused(school.ledger, database_url):
        failed = unraised.post("/terminal/v1/taps", body, counter=2)
    assert failed.status_code == 500
    assert stored_counter(database_url, canteen.terminal_id) == 1
    assert school.ledger.recorded_tap(canteen.terminal_id, "after-the-failure") is None

    retried = unraised.post("/terminal/v1/taps", body, counter=2)  # the same signed request
    replayed = unraised.post("/terminal/v1/taps", body, counter=2)

    assert retried.status_code == 200, retried.text
    assert (retried.json()["outcome"], retried.json()["replayed"]) == ("approved", False)
    assert (replayed.status_code, problem_code(replayed)) == (401, "replayed_counter")
    assert stored_counter(database_url, canteen.terminal_id) == 2
    assert school.account(pupil.account_id).regular == 50_000 - 2 * 100


def lunch(terminal_id: UUID, card_uid: str, tap_id: str) -> TapRequest:
    return TapRequest.parse(
        terminal_id, tap_id, card_uid, clock.device_clock().isoformat(), items=[meal(100)]
    )


@pytest.fixture
def tills(school: TerminalWorld) -> list[VerifiedTerminal]:
    """Three canteen tills of the school, as verified by their secrets."""
    secrets = school.desk.secrets
    tills = []
    for n in range(3):
        terminal_id, secret = enrol_terminal(
            school.ledger, secrets, school.world.school_id, "canteen_pos", f"till {n}"
        )
        tills.append(VerifiedTerminal(terminal_id, school.world.school_id, 10, secret))
    return tills


def test_a_counter_another_process_accepted_is_refused_and_its_whole_transaction_stores_nothing(
    school: TerminalWorld, tills: list[VerifiedTerminal], database_url: str
) -> None:
    pupils = [school.world.pupil(deposit=50_000) for _ in tills]
    other_process = TerminalSecrets(database_url, pool_size=1)
    try:
        other_process.advance(tills[0])  # counter 10 of till 0, accepted over there
    finally:
        other_process.close()
    requests = [lunch(t.terminal_id, p.uid, f"g-{n}")
                for n, (t, p) in enumerate(zip(tills, pupils, strict=True))]  # fmt: skip
    claims = [Claim(t) for t in tills]

    with pytest.raises(ClaimsRefusedError) as refused:
        school.ledger.group_commit.handle(requests, ["till"] * 3, claims)

    assert refused.value.refused == [claims[0]]
    assert [stored_counter(database_url, t.terminal_id) for t in tills] == [10, -1, -1]
    assert all(school.ledger.recorded_tap(r.terminal_id, r.tap_id) is None for r in requests)
    assert [school.account(p.account_id).regular for p in pupils] == [50_000] * 3


def test_a_refused_claim_is_answered_as_a_replay_and_its_group_neighbours_are_saved(
    school: TerminalWorld, tills: list[VerifiedTerminal], database_url: str
) -> None:
    pupil = school.world.pupil(deposit=50_000)  # one account: the neighbours depend on each other
    other_process = TerminalSecrets(database_url, pool_size=1)
    try:
        other_process.advance(tills[1])
    finally:
        other_process.close()
    secrets = TerminalSecrets(database_url, pool_size=1)
    # one group for all three (gathered for a second after the first)
    batcher = TapBatcher(school.ledger, max_wait=1.0, claims=TapClaims(secrets))
    try:
        answers: list[Future[TapResult]] = [
            batcher.submit(lunch(t.terminal_id, pupil.uid, f"n-{n}"), "till", Claim(t))
            for n, t in enumerate(tills)
        ]
        outcomes: list[Any] = []
        for answer in answers:
            try:
                outcomes.append(answer.result().decision.outcome)
            except Exception as error:
                outcomes.append(getattr(error, "code", error))
    finally:
        batcher.close()
        secrets.close()

    assert outcomes == ["approved", "replayed_counter", "approved"]
    assert [stored_counter(database_url, t.terminal_id) for t in tills] == [10, 10, 10]
    assert school.ledger.recorded_tap(tills[1].terminal_id, "n-1") is None
    assert school.account(pupil.account_id).regular == 50_000 - 2 * 100
    assert secrets.refused_from_memory(tills[0]) is not None  # known committed, in memory


def test_a_claim_saved_again_is_its_own_and_another_request_with_its_counter_a_replay(
    school: TerminalWorld, tills: list[VerifiedTerminal], database_url: str
) -> None:
    ledger = school.ledger
    claim = Claim(tills[0])
    ledger.record(ledger.collect(), [claim])
    ledger.record(ledger.collect(), [claim])  # its commit's answer lost: saved again, accepted

    with pytest.raises(ClaimsRefusedError) as again:
        ledger.record(ledger.collect(), [Claim(tills[0])])  # the same counter, another request
    rotated = VerifiedTerminal(tills[1].terminal_id, tills[1].school_id, 11, "an old secret")
    with pytest.raises(ClaimsRefusedError) as forged:
        ledger.record(ledger.collect(), [Claim(rotated)])

    secrets = school.desk.secrets
    assert [e.code for e in secrets.refusals(again.value.refused)] == ["replayed_counter"]
    assert [e.code for e in secrets.refusals(forged.value.refused)] == ["bad_signature"]
    assert stored_counter(database_url, tills[0].terminal_id) == 10


def test_a_revoked_terminals_claimed_tap_is_refused_by_its_group_and_records_nothing(
    school: TerminalWorld,
) -> None:
    """No look of its own at the revocations: the group decides on the school its version
    query found (begun after the tap arrived), so a revocation just before is seen."""
    pupil = school.world.pupil(deposit=50_000)
    canteen = school["canteen_pos"]
    assert canteen.tap(pupil.uid, items=[meal(100)]).status_code == 200  # its secret in memory
    school.ledger.revoke_terminal(canteen.terminal_id, "stolen")

    refused = canteen.tap(pupil.uid, items=[meal(100)], tap_id="after-the-revocation")

    assert (refused.status_code, problem_code(refused)) == (403, "terminal_revoked")
    assert school.ledger.recorded_tap(canteen.terminal_id, "after-the-revocation") is None
    assert school.account(pupil.account_id).regular == 50_000 - 100
