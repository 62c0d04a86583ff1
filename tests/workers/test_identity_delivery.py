"""Identity's secrets in the outbox live no longer than they are useful: a newer code
supersedes an older one still waiting, a code past its lifetime is never sent, and either way
its text and phone are emptied from the row. Real feed and worker processes deliver."""

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from uuid import uuid4

import psycopg
import pytest

from identity.messages import login_subject
from identity.service import Identity, IdentitySettings
from tests.builders import Pupil, new_school
from tests.services import drop_database, fresh_database
from tests.workers.harness import Stack, wait_for
from workers.store import WorkerStore


@pytest.fixture
def identity(stack: Stack) -> Iterator[Identity]:
    found = Identity(stack.database_url)
    found.create_tables()
    yield found
    found.close()


def rows(stack: Stack, identity: Identity, pupil: Pupil) -> list[tuple[Any, ...]]:
    subject = login_subject(identity.principal_of(pupil.contract_number))
    return stack.query(
        "SELECT kind, status, body = '', address FROM wk_outbox WHERE subject_ref = %s"
        " ORDER BY created_at",
        subject,
    )


def settled(stack: Stack, identity: Identity, pupil: Pupil) -> bool:
    return all(r[1] not in ("pending", "sending") for r in rows(stack, identity, pupil))


def test_a_newer_code_supersedes_a_waiting_one_and_only_it_is_sent(
    stack: Stack, identity: Identity
) -> None:
    pupil, phone = new_school(stack.ledger).pupil(), "+79135550001"
    identity.grant_parent(pupil.contract_number, pupil.account_id, phone)
    identity.request_reset(pupil.contract_number, "10.1.0.1")
    identity.request_reset(pupil.contract_number, "10.1.0.1")
    assert rows(stack, identity, pupil) == [
        ("login_password", "pending", False, phone),
        ("reset_code", "superseded", True, None),
        ("reset_code", "pending", False, phone),
    ]

    stack.start("feed")
    stack.start("worker")
    wait_for(lambda: settled(stack, identity, pupil), 60, "the SMS to be sent")

    codes = [t for t in stack.sms.to(phone) if t.startswith("Код")]
    assert len(codes) == 1
    code = codes[0].split(": ", 1)[1][:6]
    identity.reset_password(pupil.contract_number, code, "after-reset-1", "10.1.0.2")
    assert identity.login(pupil.contract_number, "after-reset-1", "10.1.0.3").principal
    assert rows(stack, identity, pupil) == [
        ("login_password", "sent", True, None),
        ("reset_code", "superseded", True, None),
        ("reset_code", "sent", True, None),
    ]


def test_a_code_past_its_lifetime_is_never_sent_and_is_emptied(
    stack: Stack, identity: Identity
) -> None:
    pupil, phone = new_school(stack.ledger).pupil(), "+79135550002"
    identity.grant_parent(pupil.contract_number, pupil.account_id, phone)
    stale = Identity(stack.database_url, IdentitySettings(reset_ttl=timedelta(0)))
    try:
        stale.request_reset(pupil.contract_number, "10.2.0.1")
    finally:
        stale.close()

    stack.start("feed")
    stack.start("worker")
    wait_for(lambda: settled(stack, identity, pupil), 60, "the outbox to settle")

    assert [t[:9] for t in stack.sms.to(phone)] == ["Инфошкола"]  # the password only
    assert rows(stack, identity, pupil) == [
        ("login_password", "sent", True, None),
        ("reset_code", "expired", True, None),
    ]


def test_an_outbox_of_an_earlier_version_takes_identitys_rows_after_start_up() -> None:
    url = fresh_database()
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                "CREATE TABLE wk_outbox (message_id text PRIMARY KEY, account_id uuid NOT NULL,"
                " subject_ref text NOT NULL, channel text NOT NULL, kind text NOT NULL,"
                " title text NOT NULL, body text NOT NULL,"
                " status text NOT NULL DEFAULT 'pending', attempts int NOT NULL DEFAULT 0,"
                " claimed_until timestamptz, sent_at timestamptz, provider_ref text, error text,"
                " swept_at timestamptz, created_at timestamptz NOT NULL DEFAULT now())"
            )
            conn.execute(
                "INSERT INTO wk_outbox (message_id, account_id, subject_ref, channel, kind,"
                " title, body) VALUES ('old/1:sms', gen_random_uuid(), 'subject:x', 'sms',"
                " 'top_up', 'Пополнение', 'Счёт пополнен')"
            )
        store = WorkerStore(url)
        store.create_tables()
        store.create_tables()  # idempotent
        store.close()
        identity = Identity(url)
        identity.create_tables()
        identity.grant_parent("OLD-1", uuid4(), "+79135550003")
        identity.request_reset("OLD-1", "10.3.0.1")  # a row of no account
        identity.close()
        with psycopg.connect(url, autocommit=True) as conn:
            found = conn.execute(
                "SELECT message_id, account_id IS NULL, address, sensitive, pickup"
                " FROM wk_outbox ORDER BY created_at"
            ).fetchall()
        assert found[0] == ("old/1:sms", False, None, False, False)
        assert [row[1:] for row in found[1:]] == [
            (False, "+79135550003", True, True),
            (True, "+79135550003", True, True),
        ]
    finally:
        drop_database(url)
