"""The reader's durable local journal: taps on disk before any network call.

Two files in one directory:
- `taps.log`, append-only framed records (see `framing`): `{"type": "tap", "tap": {...}}` written
  when a card is read, and `{"type": "offline", "tap_id", "decision"}` when the reader had to
  decide without the server. Each record carries its length and a sha256; damaged or cut-off
  records are detected on reading and never uploaded.
- `state.sqlite` (WAL, synchronous=FULL): which taps are settled (uploaded, with the server's
  decision; or declined offline, which are kept here and never sent), the request counter,
  the last deny list and the offline spending per card and day.

Pending taps are the whole tap records not yet settled, in the order they were written.
"""

import fcntl
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from reader.framing import Damage, Frame, FramedFile, scan

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS settled (
    tap_id TEXT PRIMARY KEY, result BLOB NOT NULL, settled_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS deny (uid TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS offline_spend (
    uid TEXT NOT NULL, day TEXT NOT NULL, amount INTEGER NOT NULL, PRIMARY KEY (uid, day));
"""


@dataclass(frozen=True)
class PendingTap:
    tap: dict[str, Any]
    offline: bool
    offset: int

    @property
    def tap_id(self) -> str:
        return str(self.tap["tap_id"])

    def body(self) -> dict[str, Any]:
        """What is posted: the tap as read, flagged when it was decided offline."""
        return {**self.tap, "offline": self.offline}


@dataclass(frozen=True)
class DenyList:
    version: int | None
    uids: frozenset[str]
    offline_cap: int


class Journal:
    """One reader's journal; a single process owns it (an exclusive lock file says so)."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self._owner = os.open(directory / "lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self._owner, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._owner)
            raise RuntimeError(f"another reader process uses the journal in {directory}") from None
        self._log = FramedFile(directory / "taps.log")
        self._db = sqlite3.connect(
            directory / "state.sqlite", isolation_level=None, check_same_thread=False
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)
        self._lock = threading.RLock()
        self.damaged: list[Damage] = []

    def close(self) -> None:
        with self._lock:
            self._log.close()
            self._db.close()
            os.close(self._owner)  # releases the lock

    # Records

    def record_tap(self, tap: dict[str, Any]) -> None:
        """Durably write a tap read from a card; it is uploaded later, exactly once."""
        with self._lock:
            self._log.append(orjson.dumps({"type": "tap", "tap": tap}))

    def record_offline(self, tap_id: str, decision: dict[str, Any]) -> None:
        with self._lock:
            self._log.append(
                orjson.dumps({"type": "offline", "tap_id": tap_id, "decision": decision})
            )

    def pending(self, limit: int | None = None) -> list[PendingTap]:
        """Whole tap records not yet uploaded, oldest first; damage is logged and skipped."""
        with self._lock:
            start = int(self._meta("scan_from") or 0)
            taps: list[tuple[int, dict[str, Any]]] = []
            offline: set[str] = set()
            damaged: list[Damage] = []
            done_until = start
            for item in scan(self._log.read(start), base=start):
                if isinstance(item, Damage):
                    damaged.append(item)
                    if not taps:
                        done_until = item.end
                    continue
                record = _decode(item)
                if record is None:
                    damaged.append(Damage(item.offset, item.end))
                elif record["type"] == "offline":
                    offline.add(str(record["tap_id"]))
                elif record["type"] == "tap" and not self.is_settled(record["tap"]["tap_id"]):
                    taps.append((item.offset, record["tap"]))
                if not taps:
                    done_until = item.end
            if damaged != self.damaged:
                for damage in damaged:
                    log.error("journal damage at bytes %d-%d: skipped", damage.offset, damage.end)
                self.damaged = damaged
            self._set_meta_if_changed("scan_from", str(done_until), start)
            result = [PendingTap(tap, tap["tap_id"] in offline, at) for at, tap in taps]
            return result[:limit] if limit is not None else result

    def mark_settled(self, results: dict[str, dict[str, Any]]) -> None:
        """Remember the final answer for each tap (the server's, or an offline decline)."""
        with self._lock, self._transaction():
            now = time.time()
            self._db.executemany(
                "INSERT OR IGNORE INTO settled (tap_id, result, settled_at) VALUES (?, ?, ?)",
                [(tap_id, orjson.dumps(result), now) for tap_id, result in results.items()],
            )

    def is_settled(self, tap_id: str) -> bool:
        with self._lock:
            row = self._db.execute("SELECT 1 FROM settled WHERE tap_id = ?", (tap_id,))
            return row.fetchone() is not None

    def settled_result(self, tap_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute("SELECT result FROM settled WHERE tap_id = ?", (tap_id,))
            found = row.fetchone()
            result: dict[str, Any] | None = orjson.loads(found[0]) if found else None
            return result

    # Request counter

    def next_counter(self) -> int:
        """A strictly increasing request counter that survives restarts.

        Microseconds since the epoch are its floor, so even a lost journal never goes back
        below a counter the server has already seen from this terminal.
        """
        with self._lock, self._transaction():
            last = int(self._meta("counter") or 0)
            counter = max(last + 1, time.time_ns() // 1000)
            self._set_meta("counter", str(counter))
            return counter

    # Deny list and offline spending

    def save_deny_list(self, deny: DenyList) -> None:
        with self._lock, self._transaction():
            self._db.execute("DELETE FROM deny")
            self._db.executemany("INSERT INTO deny (uid) VALUES (?)", [(u,) for u in deny.uids])
            self._set_meta("deny_version", "" if deny.version is None else str(deny.version))
            self._set_meta("offline_cap", str(deny.offline_cap))

    def deny_list(self) -> DenyList:
        with self._lock:
            version = self._meta("deny_version")
            uids = frozenset(row[0] for row in self._db.execute("SELECT uid FROM deny"))
            cap = int(self._meta("offline_cap") or 0)
            return DenyList(int(version) if version else None, uids, cap)

    def offline_spent(self, uid: str, day: str) -> int:
        with self._lock:
            row = self._db.execute(
                "SELECT amount FROM offline_spend WHERE uid = ? AND day = ?", (uid, day)
            ).fetchone()
            return int(row[0]) if row else 0

    def add_offline_spend(self, uid: str, day: str, amount: int) -> None:
        with self._lock, self._transaction():
            self._db.execute(
                "INSERT INTO offline_spend (uid, day, amount) VALUES (?, ?, ?) "
                "ON CONFLICT (uid, day) DO UPDATE SET amount = amount + excluded.amount",
                (uid, day, amount),
            )

    # Internals

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def _set_meta(self, key: str, value: str) -> None:
        self._db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def _set_meta_if_changed(self, key: str, value: str, old: int) -> None:
        if value != str(old):
            with self._transaction():
                self._set_meta(key, value)


def _decode(item: Frame) -> dict[str, Any] | None:
    """A record whose checksum holds but whose content is not ours counts as damage."""
    try:
        record = orjson.loads(item.payload)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(record, dict):
        return None
    tap = record.get("tap")
    if record.get("type") == "tap" and isinstance(tap, dict) and isinstance(tap.get("tap_id"), str):
        return record
    if record.get("type") == "offline" and isinstance(record.get("tap_id"), str):
        return record
    return None
