import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from uuid import uuid4

import psycopg
from psycopg import sql

from adapters.blobs import BlobStore
from adapters.people import PeopleStore
from audit import chain, erasure
from audit.replay import verify_aggregates, verify_read_models
from domain import casework
from domain.ledger import Ledger
from tests.builders import SchoolWorld, meal, snack
from tests.projections.helpers import ROOT, catch_up


def tables_holding(conn: psycopg.Connection[Any], needle: str) -> dict[str, int]:
    """Rows of every table of the database whose text (or bytes) contain `needle`."""
    columns = conn.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns"
        " WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
    ).fetchall()
    tables: dict[str, list[str]] = {}
    for table, column, kind in columns:
        tables.setdefault(table, [])
        if kind == "bytea":
            tables[table].append(column)
    found = {}
    for table, binary in tables.items():
        conditions: list[sql.Composable] = [sql.SQL("t::text LIKE %s")]
        params: list[Any] = [f"%{needle}%"]
        for column in binary:
            conditions.append(
                sql.SQL("position(%s::bytea IN {}) > 0").format(sql.Identifier(column))
            )
            params.append(needle.encode())
        row = conn.execute(
            sql.SQL("SELECT count(*) FROM {} t WHERE {}").format(
                sql.Identifier(table), sql.SQL(" OR ").join(conditions)
            ),
            params,
        ).fetchone()
        if row and row[0]:
            found[table] = int(row[0])
    return found


def files_holding(root: Path, needle: str) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and needle.encode() in p.read_bytes()]


def cli(database_url: str, log: Path, *args: str) -> None:
    env = {**os.environ, "DATABASE_URL": database_url, "COLUMNS": "200"}
    with log.open("ab") as out:
        done = subprocess.run([sys.executable, "-m", "cli.main", *args], cwd=ROOT,
                              env=env, stdout=out, stderr=out, timeout=120)  # fmt: skip
    assert done.returncode == 0, log.read_text(encoding="utf-8")[-3000:]


def test_erasure_leaves_no_sentinel_anywhere_and_every_balance_still_replays(
    ledger: Ledger, world: SchoolWorld, database_url: str, tmp_path: Path
) -> None:
    sentinel = f"SENTINEL{uuid4().hex}"
    people = PeopleStore(database_url)
    people.create_tables()
    blobs = BlobStore(tmp_path / "blobs", database_url)
    blobs.create_tables()
    pupil = world.pupil(deposit=40_000)
    bystander = world.pupil(deposit=40_000)
    account = ledger.account(pupil.account_id)
    photo = blobs.put(b"\xff\xd8\xff" + sentinel.encode() * 10, world.school_id)
    people.put(account.pupil_ref, name=f"Маша {sentinel}", photo=photo)
    people.put(account.parent_ref, name=f"Ирина {sentinel}", email=f"{sentinel}@example.org")
    assert account.parent_phone_ref is not None
    people.put(account.parent_phone_ref, phone=f"+7913{sentinel}")
    bank_ref = f"subject:{uuid4()}"
    people.put(bank_ref, bank_account=f"40817810{sentinel}")

    for p in (pupil, bystander):
        world.tap("turnstile", p.uid, direction="in")
        world.tap("canteen_pos", p.uid, items=[meal()])
        world.tap("vending", p.uid, items=[snack()])
    ledger.top_up(pupil.account_id, 10_000, "sbp", "sbp-erasure")
    casework.request_refund(ledger, pupil.account_id, "bank_details", bank_ref)
    casework.approve_refund(ledger, pupil.account_id)
    casework.pay_refund(ledger, pupil.account_id, "payout-erasure", close=True)
    catch_up(ledger, database_url)
    log = tmp_path / "audit.log"
    cli(database_url, log, "audit", "history", pupil.contract_number)
    cli(database_url, log, "audit", "export", pupil.contract_number, "--out", str(tmp_path / "x"))
    cli(database_url, log, "audit", "chain")
    table = str(ledger.recorder.events_table_name)  # type: ignore[attr-defined]

    before = {p.account_id: ledger.account(p.account_id).regular for p in (pupil, bystander)}
    with psycopg.connect(database_url, autocommit=True) as conn:
        assert tables_holding(conn, sentinel) == {"personal_data": 4}  # the search can find it
    assert files_holding(tmp_path, sentinel) == [tmp_path / "blobs" / photo[:2] / photo]

    done = erasure.erase_person(ledger, people, blobs, pupil.account_id, "заявление №17")
    assert set(done.subjects) >= {account.pupil_ref, account.parent_ref, bank_ref}
    assert done.photos == 1
    catch_up(ledger, database_url)
    cli(database_url, log, "audit", "history", pupil.contract_number)
    cli(database_url, log, "audit", "verify")

    with psycopg.connect(database_url, autocommit=True) as conn:
        assert tables_holding(conn, sentinel) == {}
        assert chain.verify(conn, table).ok
    assert files_holding(tmp_path, sentinel) == []
    assert log.stat().st_size > 0
    assert {
        p.account_id: ledger.account(p.account_id).regular for p in (pupil, bystander)
    } == before
    assert verify_aggregates(ledger).mismatched == []
    assert all(r.differences == 0 for r in verify_read_models(ledger, database_url))
    last: Any = list(ledger.repository.event_store.get(pupil.account_id))[-1]
    assert type(last).__name__ == "PersonalDataErased"
    assert (last.photos, last.basis) == (1, "заявление №17")
    assert people.get(account.pupil_ref) is None
    assert blobs.read(photo) is None
