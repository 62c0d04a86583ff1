"""1,000 single tamper operations made directly in SQL, each rolled back after checking."""

import random
from collections.abc import Callable
from typing import Any, LiteralString

import psycopg
from psycopg import sql

from audit import chain
from domain.ledger import Ledger
from tests.builders import SchoolWorld
from tests.projections.workload import append_events

Tamper = Callable[[psycopg.Connection[Any], sql.Identifier, list[int], random.Random], int]


def _update(assignment: LiteralString) -> Tamper:
    def tamper(
        conn: psycopg.Connection[Any], t: sql.Identifier, ids: list[int], rng: random.Random
    ) -> int:
        target = rng.choice(ids)
        conn.execute(
            sql.SQL("UPDATE {} SET {} WHERE notification_id = %s").format(t, sql.SQL(assignment)),
            (target,),
        )
        return target

    return tamper


def _flip_a_state_byte(
    conn: psycopg.Connection[Any], t: sql.Identifier, ids: list[int], rng: random.Random
) -> int:
    target = rng.choice(ids)
    conn.execute(
        sql.SQL(
            "UPDATE {} SET state = set_byte(state, k, (get_byte(state, k) + 1) %% 256)"
            " FROM (SELECT (random() * (length(state) - 1))::int AS k FROM {}"
            "       WHERE notification_id = %s) r WHERE notification_id = %s"
        ).format(t, t),
        (target, target),
    )
    return target


def _delete(
    conn: psycopg.Connection[Any], t: sql.Identifier, ids: list[int], rng: random.Random
) -> int:
    target = rng.choice(ids)
    conn.execute(sql.SQL("DELETE FROM {} WHERE notification_id = %s").format(t), (target,))
    return target


def _swap(
    conn: psycopg.Connection[Any], t: sql.Identifier, ids: list[int], rng: random.Random
) -> int:
    """Reorder: two rows exchange their places in the log (their contents swap ids)."""
    a, b = sorted(rng.sample(ids, 2))
    move = sql.SQL("UPDATE {} SET notification_id = %s WHERE notification_id = %s").format(t)
    conn.execute(move, (-1, a))
    conn.execute(move, (a, b))
    conn.execute(move, (b, -1))
    return a


def _insert(
    conn: psycopg.Connection[Any], t: sql.Identifier, ids: list[int], rng: random.Random
) -> int:
    """A forged event slipped into a gap of the log (gaps are normal: rolled-back inserts)."""
    present = set(ids)
    gaps = [n for n in range(1, ids[-1]) if n not in present]
    target = rng.choice(gaps)
    source = rng.choice(ids)
    conn.execute(
        sql.SQL(
            "INSERT INTO {} (originator_id, originator_version, topic, state, notification_id)"
            " SELECT originator_id, originator_version + 1000000, topic, state, %s"
            " FROM {} WHERE notification_id = %s"
        ).format(t, t),
        (target, source),
    )
    return target


TAMPERS: dict[str, Tamper] = {
    "update_state": _flip_a_state_byte,
    "update_topic": _update("topic = topic || 'x'"),
    "update_version": _update("originator_version = originator_version + 1000000"),
    "update_originator": _update("originator_id = gen_random_uuid()"),
    "delete": _delete,
    "reorder": _swap,
    "insert": _insert,
}


def test_every_one_of_1000_random_sql_tampers_is_detected_at_its_position(
    ledger: Ledger, world: SchoolWorld, database_url: str
) -> None:
    rng = random.Random(7)
    pupils = [world.pupil() for _ in range(4)]
    table_name = str(ledger.recorder.events_table_name)  # type: ignore[attr-defined]
    with psycopg.connect(database_url, autocommit=True) as setup:
        for _ in range(6):  # leave gaps in the log, as rolled-back transactions do
            append_events(ledger, world, pupils, 40, per_save=20, rng=rng)
            setup.execute("SELECT nextval(pg_get_serial_sequence(%s, 'notification_id'))",
                          (table_name,))  # fmt: skip
        chain.extend(setup, table_name, page=97)
        assert chain.verify(setup, table_name, page=97).ok

    t = sql.Identifier(table_name)
    detected: dict[str, int] = dict.fromkeys(TAMPERS, 0)
    with psycopg.connect(database_url) as conn:
        ids = [r[0] for r in conn.execute(
            sql.SQL("SELECT notification_id FROM {} ORDER BY notification_id").format(t)
        ).fetchall()]  # fmt: skip
        conn.rollback()
        assert len(ids) > 250
        assert ids[-1] - ids[0] + 1 > len(ids)  # there are gaps to insert into
        for i in range(1000):
            name = rng.choice(sorted(TAMPERS))
            expected = TAMPERS[name](conn, t, ids, rng)
            report = chain.verify(conn, table_name, page=97)
            conn.rollback()
            assert report.first_bad == expected, (i, name, report)
            detected[name] += 1
    assert sum(detected.values()) == 1000
    assert all(detected.values()), detected
    with psycopg.connect(database_url, autocommit=True) as conn:
        assert chain.verify(conn, table_name).ok  # every tamper was rolled back
