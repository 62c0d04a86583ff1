import json
import os
import random
import subprocess
import sys
from pathlib import Path

import psycopg

from audit import chain, signing
from audit.replay import verify_aggregates, verify_read_models
from domain import casework
from domain.dispute import charge_key
from domain.ledger import Ledger
from projections import by_name, runner
from tests.builders import SchoolWorld, meal
from tests.projections.helpers import ROOT, catch_up
from tests.projections.workload import append_events


def random_workload(ledger: Ledger, world: SchoolWorld, rng: random.Random) -> list[str]:
    pupils = [world.pupil(deposit=rng.randint(10_000, 90_000)) for _ in range(8)]
    append_events(ledger, world, pupils, 400, per_save=50, rng=rng)
    disputed = rng.sample(pupils, 3)
    for pupil in disputed:
        tap = world.tap("canteen_pos", pupil.uid, items=[meal(rng.randint(5_000, 9_000))])
        if tap.decision.outcome != "approved":
            continue
        key = charge_key(world.terminals["canteen_pos"], tap.decision.tap_id)
        casework.dispute_charge(ledger, pupil.account_id, key, "не было в школе")
        if rng.random() < 0.5:
            casework.reverse_charge(ledger, pupil.account_id, key)
        else:
            casework.reject_dispute(ledger, pupil.account_id, key, "был в школе")
    leaving = rng.choice(pupils)
    if ledger.account(leaving.account_id).regular > 0:
        casework.request_refund(ledger, leaving.account_id)
        casework.approve_refund(ledger, leaving.account_id)
        casework.pay_refund(ledger, leaving.account_id, "payout-1", close=True)
    return [str(p.account_id) for p in pupils]


def test_verify_finds_no_difference_after_random_work_and_reports_a_corrupted_row(
    ledger: Ledger, world: SchoolWorld, database_url: str
) -> None:
    accounts = random_workload(ledger, world, random.Random(11))
    catch_up(ledger, database_url)

    reports = verify_read_models(ledger, database_url)
    assert {r.name for r in reports} >= {"balances", "statement", "attendance"}
    assert [(r.name, r.differences) for r in reports] == [(r.name, 0) for r in reports]
    assert all(r.live_digest == r.replay_digest for r in reports)
    assert verify_aggregates(ledger).mismatched == []

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "UPDATE balances SET regular = regular + 100 WHERE account_id = %s", (accounts[0],)
        )
        conn.execute("DELETE FROM statement WHERE position = (SELECT max(position) FROM statement)")
    found = {r.name: r for r in verify_read_models(ledger, database_url)}
    balances = found["balances"].tables[0]
    assert (balances.missing, balances.extra) == (1, 1)
    assert any(accounts[0] in s for s in balances.samples)
    statement = next(t for t in found["statement"].tables if t.table == "statement")
    assert (statement.missing, statement.extra) == (1, 0)
    assert found["balances"].live_digest != found["balances"].replay_digest
    assert found["attendance"].differences == 0

    source = runner.Source(ledger)
    for name in ("balances", "statement"):  # repair, and the repair verifies
        runner.rebuild(database_url, source, by_name(name))
    assert all(r.differences == 0 for r in verify_read_models(ledger, database_url))


def test_a_signed_chain_head_verifies_until_the_log_is_altered(
    ledger: Ledger, world: SchoolWorld, database_url: str, tmp_path: Path
) -> None:
    pupil = world.pupil()
    world.tap("canteen_pos", pupil.uid, items=[meal()])
    key_path = tmp_path / "operator.pem"
    public_path = signing.generate_key(key_path)
    table = str(ledger.recorder.events_table_name)  # type: ignore[attr-defined]
    with psycopg.connect(database_url, autocommit=True) as conn:
        head = signing.signed_head(conn, table, signing.load_private(key_path), ledger.clock())
        head = json.loads(json.dumps(head))  # as exported to a file and read back
        public = signing.load_public(public_path)
        assert signing.check_head(conn, head, public).ok

        other = signing.load_public(signing.generate_key(tmp_path / "other.pem"))
        assert not signing.check_head(conn, head, other).signature_valid
        forged = {**head, "notification_id": head["notification_id"] - 1}
        assert not signing.check_head(conn, forged, public).signature_valid

        world.tap("canteen_pos", pupil.uid, items=[meal()])  # the log grows: still fine
        assert signing.check_head(conn, head, public).ok

        victim = conn.execute(
            "SELECT notification_id FROM audit_chain ORDER BY notification_id LIMIT 1 OFFSET 3"
        ).fetchone()
        assert victim is not None
        with conn.transaction():
            conn.execute(
                f"UPDATE {table} SET state = state || ' '::bytea WHERE notification_id = %s",  # noqa: S608
                victim,
            )
            check = signing.check_head(conn, head, public)
            assert check.signature_valid
            assert not check.chain_matches
            assert chain.verify(conn, table).first_bad == victim[0]
            conn.execute(f"UPDATE {table} SET state = substring(state from 1 for length(state) - 1)"  # noqa: S608
                         " WHERE notification_id = %s", victim)  # fmt: skip
        assert signing.check_head(conn, head, public).ok


def test_audit_verify_on_the_command_line_names_the_first_bad_position(
    ledger: Ledger, world: SchoolWorld, database_url: str
) -> None:
    pupil = world.pupil()
    world.tap("canteen_pos", pupil.uid, items=[meal()])
    table = str(ledger.recorder.events_table_name)  # type: ignore[attr-defined]
    env = {**os.environ, "DATABASE_URL": database_url, "COLUMNS": "200"}
    command = [sys.executable, "-m", "cli.main", "audit", "verify", "--skip-read-models"]
    clean = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "differences: 0" in clean.stdout
    with psycopg.connect(database_url, autocommit=True) as conn:
        victim = conn.execute(
            f"SELECT notification_id, topic FROM {table} WHERE originator_id = %s"  # noqa: S608
            " ORDER BY notification_id DESC LIMIT 1",
            (pupil.account_id,),
        ).fetchone()
        assert victim is not None
        update = f"UPDATE {table} SET topic = %s WHERE notification_id = %s"  # noqa: S608
        conn.execute(update, (victim[1] + "Forged", victim[0]))
        try:
            found = subprocess.run(
                command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
            )
        finally:
            conn.execute(update, (victim[1], victim[0]))
    assert found.returncode == 1
    assert f"FIRST BAD POSITION {victim[0]}" in found.stdout
