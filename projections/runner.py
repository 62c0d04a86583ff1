"""The batch runner: ledger notifications in, read-model rows and positions out.

One transaction per batch holds the projection's rows *and* its new position (the highest
notification id the batch covered), after checking under a row lock that the stored position
is the one the batch was read from; a batch that is not newer is never applied twice.
One instance per projection: a session-level advisory lock on a dedicated connection.

A batch that fails is replayed one event at a time in a transaction that is rolled back, to
name the first event the projection cannot apply (`EventFailedError`); the runner then applies
everything before that event, records the error with the event's position and retries after
a backoff, while the other projections go on. Losing the database (a restart) is not an
error of any projection: the runner reconnects and carries on.
"""

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import psycopg
from eventsourcing.persistence import Notification
from psycopg import Cursor, sql

from domain.ledger import Ledger
from projections import directory, positions
from projections.base import Projection, Tables, Tracked
from projections.decoding import DecodedCache
from projections.directory import Directory

log = logging.getLogger("infoshkola.projections")

BATCH_SIZE = 5000  # ids per transaction
NEXT = "_next"
DIRECTORY_TOPICS = sorted(str(cls.TOPIC) for cls in directory.DIRECTORY_EVENTS)  # type: ignore[attr-defined]


class PositionMovedError(Exception):
    """The stored position is not the one this batch was read from (another writer won)."""

    def __init__(self, stored: int) -> None:
        super().__init__(f"stored position is {stored}")
        self.stored = stored


class EventFailedError(Exception):
    """A projection cannot read or apply the event at `position` (the log is never edited:
    the code or an upcaster must change, then the projection is rebuilt or retried)."""

    def __init__(self, position: int, topic: str, cause: BaseException) -> None:
        super().__init__(f"event {position} ({topic}): {type(cause).__name__}: {cause}")
        self.position, self.topic, self.cause = position, topic, cause


class RebuildFailedError(Exception):
    """Some projections of a rebuild failed; the others were swapped in, these were not."""

    def __init__(self, failures: dict[str, BaseException]) -> None:
        super().__init__("; ".join(f"{name}: {error}" for name, error in failures.items()))
        self.failures = failures


def topic_of(event: Any) -> str:
    return str(getattr(type(event), "TOPIC", type(event).__qualname__))


class Source:
    """Decoded ledger events a projection reads, with the position a page covers."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.events_table = str(ledger.recorder.events_table_name)  # type: ignore[attr-defined]
        self.cache = DecodedCache(ledger.mapper)

    @staticmethod
    def topics(projection: Projection) -> list[str]:
        classes = {*projection.reads, *directory.DIRECTORY_EVENTS}
        return sorted(str(cls.TOPIC) for cls in classes)  # type: ignore[attr-defined]

    def read(
        self,
        conn: psycopg.Connection[Any],
        after: int,
        upto: int,
        limit: int,
        topics: Sequence[str],
    ) -> tuple[list[Tracked], int]:
        """Events after `after` up to `upto` (ids ≤ upto are all committed or never will be:
        the recorder inserts under a table lock); a short page covers everything to `upto`."""
        with conn.cursor(binary=True) as cur:
            page = cur.execute(
                sql.SQL(
                    "SELECT notification_id, originator_id, originator_version, topic, state"
                    " FROM {} WHERE notification_id > %s AND notification_id <= %s"
                    " AND topic = ANY(%s) ORDER BY notification_id LIMIT %s"
                ).format(sql.Identifier(self.events_table)),
                (after, upto, list(topics), limit),
            ).fetchall()
        events = []
        for n, oid, version, topic, state in page:
            try:
                event = self.cache.decode(Notification(oid, version, topic, bytes(state), n))
            except Exception as error:  # an event this code can no longer read
                raise EventFailedError(n, topic, error) from error
            events.append(Tracked(n, event))
        return events, (page[-1][0] if len(page) == limit else upto)

    def max_id(self, conn: psycopg.Connection[Any]) -> int:
        return positions.max_notification_id(conn, self.events_table)

    def inspect(self, conn: psycopg.Connection[Any], position: int) -> dict[str, Any] | None:
        """One stored event as an operator reads it: its topic, aggregate, version and the
        stored fields (decrypted, decompressed, JSON), and whether this code can decode it."""
        row = conn.execute(
            sql.SQL(
                "SELECT originator_id, originator_version, topic, state FROM {}"
                " WHERE notification_id = %s"
            ).format(sql.Identifier(self.events_table)),
            (position,),
        ).fetchone()
        if row is None:
            return None
        oid, version, topic, state = row
        mapper = self.cache.mapper
        data = bytes(state)
        if mapper.cipher:
            data = mapper.cipher.decrypt(data)
        if mapper.compressor:
            data = mapper.compressor.decompress(data)
        try:
            mapper.to_domain_event(Notification(oid, version, topic, bytes(state), position))
            decodes = None
        except Exception as error:
            decodes = f"{type(error).__name__}: {error}"
        return {
            "position": position,
            "topic": topic,
            "originator_id": str(oid),
            "originator_version": version,
            "state": data.decode("utf-8", errors="replace"),
            "decode_error": decodes,
        }


def setup(conn: psycopg.Connection[Any], projections: Sequence[Projection]) -> None:
    """Create the shared tables, each projection's tables and its position row (idempotent)."""
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(hashtextextended('infoshkola.setup', 0))")
        for ddl in (*positions.DDL, *directory.DDL):
            cur.execute(ddl)
        for p in projections:
            p.create_tables(cur, p.physical())
            positions.ensure_position(cur, p.name)


def write(
    cur: Cursor[Any], projection: Projection, t: Tables, folder: Directory, batch: list[Tracked]
) -> None:
    folder.absorb(cur, [e.event for e in batch])
    relevant = [e for e in batch if isinstance(e.event, projection.reads)]
    if relevant:
        projection.apply(cur, t, relevant, folder)


def apply_tracked(
    conn: psycopg.Connection[Any],
    projection: Projection,
    folder: Directory,
    batch: list[Tracked],
    expected: int,
    position: int,
) -> None:
    """Rows and position in one transaction, only if the stored position is still `expected`."""
    with conn.transaction(), conn.cursor() as cur:
        stored = positions.lock_position(cur, projection.name)
        if stored != expected:
            raise PositionMovedError(stored)
        write(cur, projection, projection.physical(), folder, batch)
        positions.store_position(cur, projection.name, position)


def first_failing(
    conn: psycopg.Connection[Any], projection: Projection, t: Tables, batch: list[Tracked]
) -> Tracked | None:
    """The first event of a failed batch the projection cannot apply after the ones before it.

    The events are applied one at a time, each in a savepoint, inside a transaction that is
    always rolled back: nothing is written. An event is to blame for what its values cause
    (bad data, a broken constraint, an error in our Python code); not for a missing table, a
    lost connection or a cancelled query. None when no event is to blame.
    """
    if conn.closed or conn.broken:
        return None
    try:
        with conn.transaction(force_rollback=True), conn.cursor() as cur:
            folder = Directory()
            for tracked in batch:
                try:
                    with conn.transaction():
                        write(cur, projection, t, folder, [tracked])
                except (psycopg.DataError, psycopg.IntegrityError):
                    return tracked
                except psycopg.Error:
                    return None
                except Exception:
                    return tracked
    except psycopg.Error:
        return None
    return None


def try_lock(conn: psycopg.Connection[Any], key: str) -> bool:
    row = conn.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", (key,)).fetchone()
    return bool(row and row[0])


def unlock(conn: psycopg.Connection[Any], key: str) -> None:
    """Release `key` now (a lost connection has released it already)."""
    with contextlib.suppress(psycopg.Error):
        conn.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", (key,))


@dataclass
class Progress:
    position: int = 0
    head: int = 0

    @property
    def lag(self) -> int:
        return max(self.head - self.position, 0)


class Worker:
    """Moves one projection forward, one batch (one transaction) at a time."""

    def __init__(
        self,
        database_url: str,
        source: Source,
        projection: Projection,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self.database_url = database_url
        self.source = source
        self.projection = projection
        self.batch_size = batch_size
        self.progress = Progress()

    def step(
        self, conn: psycopg.Connection[Any], folder: Directory, position: int, head: int
    ) -> int:
        """Apply the events of the next `batch_size` ids after `position`; returns the position
        now stored. Windows of ids, not counts of events, keep projections in step, so the
        events one decodes are in the shared cache when the others read them."""
        topics = self.source.topics(self.projection)
        upto = min(head, position + self.batch_size)
        batch, covered = self.source.read(conn, position, upto, self.batch_size, topics)
        try:
            apply_tracked(conn, self.projection, folder, batch, position, covered)
        except PositionMovedError as moved:  # a rebuild swapped in, or a rogue writer
            return moved.stored
        except Exception as error:
            bad = first_failing(conn, self.projection, self.projection.physical(), batch)
            if bad is None:
                raise
            raise EventFailedError(bad.position, topic_of(bad.event), error) from error
        return covered

    def catch_up(self, conn: psycopg.Connection[Any]) -> int:
        """Process everything recorded so far, then return (for benchmarks and tools)."""
        setup(conn, [self.projection])
        folder = Directory()
        position = positions.positions(conn)[self.projection.name]
        head = self.source.max_id(conn)
        while position < head:
            position = self.step(conn, folder, position, head)
            self.progress = Progress(position, head)
        return position


class Slot:
    """A projection inside the runner: its lock, its connection, its backoff after failures."""

    def __init__(self, worker: Worker, max_backoff: float = 30.0) -> None:
        self.worker = worker
        self.name = worker.projection.name
        self.lock_conn: psycopg.Connection[Any] | None = None
        self.conn: psycopg.Connection[Any] | None = None
        self.folder = Directory()
        self.position = 0
        self.retry_at = 0.0
        self.backoff = 1.0
        self.max_backoff = max_backoff

    def turn(self, head: int, on_error: Callable[[str, BaseException], None]) -> bool:
        """One batch if this projection is behind; True when it moved."""
        if time.monotonic() < self.retry_at:
            return False
        try:
            if self.conn is None and not self._start():
                return False
            assert self.conn is not None
            self.worker.progress = Progress(self.position, head)
            if self.position >= head:
                return False
            self.position = self.worker.step(self.conn, self.folder, self.position, head)
            self.worker.progress = Progress(self.position, head)
            self.backoff = 1.0
            return True
        except EventFailedError as failure:
            self._stuck_on(failure, head)
            self._failed(failure, on_error)
            return False
        except Exception as exc:
            self.close()
            self._failed(exc, on_error)
            return False

    def _stuck_on(self, failure: EventFailedError, head: int) -> None:
        """Apply every event before the one that fails, so only that one is held back."""
        self.folder = Directory()  # it may hold entries of the rolled-back batch
        try:
            while self.conn is not None and self.position < failure.position - 1:
                before = failure.position - 1
                self.position = self.worker.step(self.conn, self.folder, self.position, before)
                self.worker.progress = Progress(self.position, head)
        except Exception:
            log.exception("projection %s: the events before %s fail too", self.name, failure)
            self.close()

    def _failed(self, error: BaseException, on_error: Callable[[str, BaseException], None]) -> None:
        log.error(
            "projection %s failed at %s: %s; retrying in %.0f s",
            self.name, self.position, error, self.backoff, exc_info=error,
        )  # fmt: skip
        on_error(self.name, error)
        self.retry_at = time.monotonic() + self.backoff
        self.backoff = min(self.backoff * 2, self.max_backoff)

    def _start(self) -> bool:
        """Take the projection's lock (one instance per projection) and load its position."""
        url = self.worker.database_url
        self.lock_conn = self.lock_conn or psycopg.connect(url, autocommit=True)
        if not try_lock(self.lock_conn, f"infoshkola.projection.{self.name}"):
            log.info("projection %s runs elsewhere; waiting for its lock", self.name)
            self.retry_at = time.monotonic() + 2.0
            return False
        self.conn = psycopg.connect(url, autocommit=True)
        self.folder = Directory()
        self.position = positions.positions(self.conn)[self.name]
        return True

    def close(self) -> None:
        for conn in (self.conn, self.lock_conn):
            if conn is not None:
                conn.close()
        self.conn = self.lock_conn = None


def rebuild(
    database_url: str,
    source: Source,
    projection: Projection | Sequence[Projection],
    batch_size: int = 5000,
    progress: Callable[[int, int], None] = lambda position, head: None,
) -> int:
    """Rebuild into fresh `_next` tables, then swap them in in one transaction.

    Several projections are rebuilt in one pass: each window of ids is read and decoded
    once for all of them (each keeps its own tables and transaction per window). A
    projection that fails on an event drops out (its live tables stay as they were) while
    the others are rebuilt and swapped in; then `RebuildFailedError` names it and the event.
    """
    chosen = [projection] if isinstance(projection, Projection) else list(projection)
    failed: dict[str, BaseException] = {}
    with ExitStack() as stack:
        conn = stack.enter_context(psycopg.connect(database_url, autocommit=True))
        for p in chosen:
            locker = stack.enter_context(psycopg.connect(database_url, autocommit=True))
            key = f"infoshkola.rebuild.{p.name}"
            if not try_lock(locker, key):
                raise RuntimeError(f"a rebuild of {p.name} is already running")
            # Released before its connection closes: the server drops a closed session's
            # locks only when its backend has exited, so a rebuild right after this one
            # could still find the lock taken.
            stack.callback(unlock, locker, key)
        setup(conn, chosen)
        with conn.transaction(), conn.cursor() as cur:
            for p in chosen:
                drop(cur, p.physical(NEXT))
                p.create_tables(cur, p.physical(NEXT))
        folder = Directory()
        position, head = 0, source.max_id(conn)
        while position < head:
            upto = min(head, position + batch_size)
            with conn.transaction(), conn.cursor() as cur:
                _fill(cur, conn, source, chosen, folder, position, upto, failed)
            position = upto
            progress(position, head)
        with conn.transaction(), conn.cursor() as cur:
            for p in chosen:
                if p.name not in failed:
                    positions.lock_position(cur, p.name)  # holds the live runner's next batch
            head = source.max_id(conn)
            _fill(cur, conn, source, chosen, folder, position, head, failed)  # the last few
            for p in chosen:
                if p.name in failed:
                    drop(cur, p.physical(NEXT))
                    continue
                swap(cur, p.physical(NEXT), p.physical())
                positions.store_position(cur, p.name, max(position, head))
        progress(head, head)
        if failed:
            raise RebuildFailedError(failed)
        return max(position, head)


def _fill(
    cur: Cursor[Any],
    conn: psycopg.Connection[Any],
    source: Source,
    chosen: Sequence[Projection],
    folder: Directory,
    after: int,
    upto: int,
    failed: dict[str, BaseException],
) -> None:
    """One window for every projection not yet failed, each in a savepoint of its own.

    The directory events go in first, outside the savepoints: a projection that fails must
    not take the directory rows the others rely on with it.
    """
    if upto <= after:
        return
    known, _ = source.read(conn, after, upto, upto - after, DIRECTORY_TOPICS)
    folder.absorb(cur, [e.event for e in known])
    for p in chosen:
        if p.name in failed:
            continue
        batch: list[Tracked] = []
        try:
            with conn.transaction():
                batch, _ = source.read(conn, after, upto, upto - after, source.topics(p))
                write(cur, p, p.physical(NEXT), folder, batch)
        except EventFailedError as error:
            failed[p.name] = error
        except Exception as error:
            bad = first_failing(conn, p, p.physical(NEXT), batch)
            found = EventFailedError(bad.position, topic_of(bad.event), error) if bad else error
            failed[p.name] = found
        if p.name in failed:
            log.error("rebuild of %s failed: %s", p.name, failed[p.name])


def drop(cur: Cursor[Any], t: Tables) -> None:
    for physical in t.names.values():
        cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(physical)))


def swap(cur: Cursor[Any], fresh: Tables, live: Tables) -> None:
    """Replace the live tables by the fresh ones; their indexes get the live names too."""
    drop(cur, live)
    for logical, new in fresh.names.items():
        old = live[logical]
        cur.execute(
            sql.SQL("ALTER TABLE {} RENAME TO {}").format(sql.Identifier(new), sql.Identifier(old))
        )
        indexes = cur.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
            " AND tablename = %s AND indexname LIKE %s",
            (old, f"{new}%"),
        ).fetchall()
        for (index,) in indexes:
            cur.execute(
                sql.SQL("ALTER INDEX {} RENAME TO {}").format(
                    sql.Identifier(index), sql.Identifier(old + index[len(new) :])
                )
            )


def run_all(
    database_url: str,
    source: Source,
    projections: Sequence[Projection],
    stop: threading.Event,
    report: Callable[[str], None] = log.info,
    report_every: float = 30.0,
    batch_size: int = BATCH_SIZE,
    idle_wait: float = 1.0,
    max_reconnect_wait: float = 5.0,
) -> None:
    """Every projection in turn, a batch each, until `stop`; reports positions and lag.

    One thread: the projections share each decoded batch instead of fighting for the GIL.
    A failed projection is retried after a growing backoff while the others go on. When the
    database goes away (a restart), every connection is dropped and opened again once the
    server answers; the runner never exits for it.
    """
    slots = [Slot(Worker(database_url, source, p, batch_size)) for p in projections]

    def on_error(name: str, exc: BaseException) -> None:
        # A connection of its own: the runner's may be the very thing that broke.
        failed = exc.position if isinstance(exc, EventFailedError) else None
        text = str(exc) if failed is not None else f"{type(exc).__name__}: {exc}"
        try:
            with psycopg.connect(database_url, autocommit=True, connect_timeout=5) as conn:
                positions.record_error(conn, name, text, failed)
        except psycopg.Error as error:
            log.warning("could not record the error of %s: %s", name, error)

    wait = 0.25
    try:
        while not stop.is_set():
            try:
                with (
                    psycopg.connect(database_url, autocommit=True, connect_timeout=5) as admin,
                    psycopg.connect(database_url, autocommit=True, connect_timeout=5) as listener,
                ):
                    setup(admin, projections)
                    listener.execute(
                        sql.SQL("LISTEN {}").format(sql.Identifier(source.events_table))
                    )
                    wait = 0.25
                    _serve(admin, listener, source, slots, stop, on_error, report, report_every,
                           idle_wait)  # fmt: skip
            except psycopg.Error as error:
                log.warning("lost the database (%s); reconnecting in %.2f s", error, wait)
                for slot in slots:  # their connections (and advisory locks) went with it
                    slot.close()
                stop.wait(wait)
                wait = min(wait * 2, max_reconnect_wait)
    finally:
        for slot in slots:
            slot.close()


def _serve(
    admin: psycopg.Connection[Any],
    listener: psycopg.Connection[Any],
    source: Source,
    slots: Sequence[Slot],
    stop: threading.Event,
    on_error: Callable[[str, BaseException], None],
    report: Callable[[str], None],
    report_every: float,
    idle_wait: float,
) -> None:
    reported = time.monotonic()
    while not stop.is_set():
        head = source.max_id(admin)
        moved = [slot.turn(head, on_error) for slot in slots]
        if time.monotonic() - reported >= report_every:
            reported = time.monotonic()
            report("  ".join(f"{s.name}={s.position} (lag {s.worker.progress.lag})"
                             for s in slots))  # fmt: skip
        if not any(moved):
            # Wake on the recorder's NOTIFY, or look again after a bounded wait.
            for _ in listener.notifies(timeout=idle_wait, stop_after=1):
                pass


def digest(conn: psycopg.Connection[Any], projection: Projection) -> str:
    """A fingerprint of every row of a projection's live tables (order-independent)."""
    return tables_digest(conn, projection.physical())


def tables_digest(conn: psycopg.Connection[Any], tables: Tables) -> str:
    """The same fingerprint for any set of physical tables (live, scratch, `_next`)."""
    parts = []
    for logical, physical in tables.names.items():
        row = conn.execute(
            sql.SQL(
                "SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {} t"
            ).format(sql.Identifier(physical))
        ).fetchone()
        parts.append(f"{logical}:{row[0] if row else ''}")
    return " ".join(parts)
