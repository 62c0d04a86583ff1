"""The outbox the workers deliver (`wk_outbox`): its table, and how a message gets in.

Two writers, each in the transaction of what the message tells: the workers' feed (a message
per ledger event and channel, `workers/feed.py`) and identity (passwords, reset codes, kiosk
PINs, `adapters/identity/`). `workers.jobs.deliver` sends every row with the same claim, lease
and retries. Identity's rows differ in three columns:

- `address`: the phone itself (a login's phone); feed rows hold subject references that are
  resolved in the personal-data store at send time instead;
- `pickup`: the request that wrote the row does no network at all, not even Redis; the feed,
  which polls anyway, enqueues its delivery (`WorkerStore.pick_up`);
- `sensitive`: the text holds a secret. It stays in the row only while the row may still be
  sent: once it is final (`sent`, `failed`, `no_contact`, `expired` after `expires_at`, or
  `superseded` by a newer secret of the same kind for the same login) the text and the
  address are emptied in the same UPDATE.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

import psycopg

# What a final status does to a row: a sensitive row forgets its text and address.
SCRUB = (
    "body = CASE WHEN sensitive THEN '' ELSE body END, "
    "address = CASE WHEN sensitive THEN NULL ELSE address END"
)


@dataclass(frozen=True)
class Outgoing:
    message_id: str
    account_id: UUID | None
    subject_ref: str  # feed: the subjects to look the address up for; identity: the login
    channel: str
    kind: str
    title: str
    body: str
    address: str | None = None  # identity: the phone itself


def add_message(conn: psycopg.Connection[Any], m: Outgoing) -> bool:
    """Queue a feed message once; False when this (event, channel) already has one."""
    row = conn.execute(
        "INSERT INTO wk_outbox (message_id, account_id, subject_ref, channel, kind, title, "
        "body) VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING 1",
        (m.message_id, m.account_id, m.subject_ref, m.channel, m.kind, m.title, m.body),
    ).fetchone()
    return row is not None


def add_secret(
    conn: psycopg.Connection[Any],
    m: Outgoing,
    *,
    supersede: bool = True,
    expires_in: timedelta | None = None,
) -> bool:
    """Queue a message for the feed to hand over (no network here); with `supersede`, the
    login's older pending messages of the same kind are superseded and emptied first (a new
    password or code makes the old one useless). False when the message id is taken."""
    if supersede:
        conn.execute(
            f"UPDATE wk_outbox SET status = 'superseded', pickup = false, {SCRUB} "  # noqa: S608
            "WHERE subject_ref = %s AND kind = %s AND sensitive AND status = 'pending'",
            (m.subject_ref, m.kind),
        )
    row = conn.execute(
        "INSERT INTO wk_outbox (message_id, account_id, subject_ref, channel, kind, title, body,"
        " address, sensitive, pickup, expires_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s,"
        " true, true, now() + %s::interval) ON CONFLICT DO NOTHING RETURNING 1",
        (m.message_id, m.account_id, m.subject_ref, m.channel, m.kind, m.title, m.body,
         m.address, expires_in),
    ).fetchone()  # fmt: skip
    return row is not None


def message_exists(conn: psycopg.Connection[Any], message_id: str) -> bool:
    found = conn.execute("SELECT 1 FROM wk_outbox WHERE message_id = %s", (message_id,))
    return found.fetchone() is not None
