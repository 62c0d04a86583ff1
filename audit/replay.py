"""`audit verify`'s replay: every aggregate replayed from its events, every read model
recomputed from zero into scratch tables and compared row by row with the live one.

Each read model is recomputed inside one transaction that holds its position row (the live
runner waits for it, as during a rebuild) up to the position the live tables stand at, and
is rolled back afterwards: the scratch tables never outlive the check.

A read model that is behind the ledger's head (after a bounded wait for the runner) or whose
projection has recorded an error is a difference too: a model stuck on an event thousands of
events ago matches a replay up to where it stands, but it is not what parents should see.
"""

import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql

from domain.account import Account
from domain.ledger import Ledger
from projections import all_projections, positions, runner
from projections.base import Projection
from projections.directory import Directory

SCRATCH = "_audit"
SAMPLES = 3

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class TableDiff:
    table: str
    missing: int  # rows a replay has that the live table lacks (or has differently)
    extra: int  # rows the live table has that a replay does not
    samples: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ReadModelReport:
    name: str
    position: int
    live_digest: str
    replay_digest: str
    tables: list[TableDiff]
    error: str | None = None  # the replay itself failed (an event that no longer decodes)
    head: int = 0  # the ledger's newest notification id when the check began
    stuck: str | None = None  # the projection's own recorded error (the runner's)
    failed_position: int | None = None  # the event the projection fails on, if one

    @property
    def lag(self) -> int:
        return max(self.head - self.position, 0)

    @property
    def differences(self) -> int:
        tables = sum(t.missing + t.extra for t in self.tables)
        return tables + sum(1 for reason in (self.error, self.lag, self.stuck) if reason)

    @property
    def reasons(self) -> list[str]:
        """Why this read model is not verified, beyond its differing rows."""
        found = []
        if self.stuck:
            at = f"fails on event {self.failed_position}" if self.failed_position else "fails"
            found.append(f"{self.name} {at}: {self.stuck}")
        if self.lag:
            found.append(f"{self.name} is {self.lag} events behind the head {self.head}")
        if self.error:
            found.append(f"{self.name} does not replay: {self.error}")
        return found


@dataclass(frozen=True)
class AggregateReport:
    accounts: int
    mismatched: list[UUID]  # snapshot-based state differs from a replay of events alone
    unreadable: dict[UUID, str] = field(default_factory=dict)  # events that fail to replay


def verify_read_model(
    database_url: str,
    source: runner.Source,
    projection: Projection,
    progress: Progress = lambda name, position, head: None,
    head: int | None = None,
) -> ReadModelReport:
    with psycopg.connect(database_url, autocommit=True) as setup:
        runner.setup(setup, [projection])
        head = source.max_id(setup) if head is None else head
    with psycopg.connect(database_url) as conn:
        try:
            return _compare(conn, source, projection, progress, head)
        except Exception as error:
            return ReadModelReport(
                projection.name, 0, "", "", [], f"{type(error).__name__}: {error}", head
            )
        finally:
            conn.rollback()


def _compare(
    conn: psycopg.Connection[Any],
    source: runner.Source,
    projection: Projection,
    progress: Progress,
    head: int,
) -> ReadModelReport:
    name = projection.name
    with conn.cursor() as cur:
        stored = positions.lock_position(cur, name)
        stuck, failed = cur.execute(
            "SELECT last_error, failed_position FROM projection_positions WHERE name = %s",
            (name,),
        ).fetchone() or (None, None)
        live, scratch = projection.physical(), projection.physical(SCRATCH)
        runner.drop(cur, scratch)
        projection.create_tables(cur, scratch)
        folder, topics = Directory(), source.topics(projection)
        position = 0
        while position < stored:
            batch, position = source.read(conn, position, stored, 5000, topics)
            runner.write(cur, projection, scratch, folder, batch)
            progress(name, position, stored)
        progress(name, stored, stored)
        diffs = [_diff(cur, logical, live[logical], scratch[logical]) for logical in live.names]
    return ReadModelReport(
        name,
        stored,
        runner.tables_digest(conn, live),
        runner.tables_digest(conn, scratch),
        diffs,
        None,
        head,
        stuck,
        failed,
    )


def _diff(cur: psycopg.Cursor[Any], logical: str, live: str, scratch: str) -> TableDiff:
    def rows_of(a: str, b: str) -> tuple[int, list[str]]:
        query = sql.SQL("SELECT * FROM {} EXCEPT ALL SELECT * FROM {}").format(
            sql.Identifier(a), sql.Identifier(b)
        )
        count = cur.execute(sql.SQL("SELECT count(*) FROM ({}) d").format(query)).fetchone()
        samples = cur.execute(
            sql.SQL("SELECT d::text FROM ({}) d ORDER BY 1 LIMIT %s").format(query), (SAMPLES,)
        ).fetchall()
        return (int(count[0]) if count else 0), [str(s[0]) for s in samples]

    missing, replayed = rows_of(scratch, live)
    extra, kept = rows_of(live, scratch)
    samples = [f"replay has: {s}" for s in replayed] + [f"live has: {s}" for s in kept]
    return TableDiff(logical, missing, extra, samples)


def verify_read_models(
    ledger: Ledger,
    database_url: str,
    projections: Sequence[Projection] | None = None,
    progress: Progress = lambda name, position, head: None,
    wait: float = 0.0,
) -> list[ReadModelReport]:
    """Every read model against a replay, and against the head: one that is still behind
    after `wait` seconds (a live runner catches up meanwhile) or has an error fails."""
    source = runner.Source(ledger)
    chosen = list(projections) if projections is not None else all_projections()
    with psycopg.connect(database_url, autocommit=True) as conn:
        runner.setup(conn, chosen)
        head = source.max_id(conn)
        settle(conn, database_url, source, head, wait)
    return [verify_read_model(database_url, source, p, progress, head) for p in chosen]


def settle(
    conn: psycopg.Connection[Any], database_url: str, source: runner.Source, head: int, wait: float
) -> None:
    """Wait (at most `wait` s in all) for the projections without an error to reach `head`."""
    deadline = time.monotonic() + wait
    for row in positions.status(conn, source.events_table):
        left = deadline - time.monotonic()
        if row["last_error"] or row["position"] >= head or left <= 0:
            continue
        with contextlib.suppress(TimeoutError):  # reported as a lag
            positions.wait_for(database_url, row["name"], head, timeout=left)


def verify_aggregates(
    ledger: Ledger, progress: Progress = lambda name, position, head: None
) -> AggregateReport:
    """Replay every account from its events alone and compare it with the repository's
    state (which starts from the latest snapshot): a doctored snapshot shows up here."""
    ids: list[UUID] = []
    start = 1
    while page := ledger.recorder.select_notifications(
        start=start, limit=1000, topics=[Account.Opened.TOPIC]
    ):
        ids += [UUID(str(n.originator_id)) for n in page]
        start = page[-1].id + 1
    mismatched, unreadable = [], {}
    for i, account_id in enumerate(ids, 1):
        try:
            replayed: Any = None
            events: list[Any] = list(ledger.repository.event_store.get(account_id))
            for event in events:
                replayed = event.mutate(replayed)
            current: Account = ledger.repository.get(account_id)
        except Exception as error:  # a stored event or snapshot that no longer decodes
            unreadable[account_id] = f"{type(error).__name__}: {error}"
            mismatched.append(account_id)
            continue
        if _figures(replayed) != _figures(current):
            mismatched.append(account_id)
        if i % 100 == 0 or i == len(ids):
            progress("accounts", i, len(ids))
    return AggregateReport(len(ids), mismatched, unreadable)


def _figures(a: Any) -> tuple[Any, ...]:
    return (a.version, a.regular, a.subsidised, a.closed, dict(a.cards), a.daily_limit)
