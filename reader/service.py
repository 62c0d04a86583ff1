"""The reader's flow: a card read becomes a journaled tap, then a decision, online or offline.

`ReaderService.tap(reader, uid)` writes the tap to the journal (fsync) before anything else,
wakes the uploader and waits briefly for the server's decision. The uploader is the only code
that talks to the server: it posts pending taps oldest first (one, or a batch), with their
original `tapped_at`. When the server cannot answer in time, the tap is decided offline
(`offline.OfflinePolicy`), the decision is journaled, and the tap is uploaded with
`offline: true` once the server is back. A tap in flight is never decided offline, so the
reader cannot answer twice.
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import uuid4

from adapters.clock import system_clock
from domain.clock import Clock
from reader.client import RequestRejectedError, ServerUnreachableError, TerminalClient
from reader.journal import DenyList, Journal, PendingTap
from reader.offline import OfflinePolicy

log = logging.getLogger(__name__)

AUTH_STATUSES = frozenset({401, 403, 429})  # the request's fault, not the tap's: retry later
RETRY_CODES = frozenset({"concurrency", "tap_in_future"})  # a tap refused for now, not for good


@dataclass
class Dedupe:
    """A card held on (or bouncing near) a reader is one tap: (uid, reader) within a window."""

    window: float = 3.0
    clock: Callable[[], float] = time.monotonic
    last: dict[tuple[str, str], float] = field(default_factory=dict)

    def first(self, uid: str, reader: str) -> bool:
        now = self.clock()
        previous = self.last.get((uid, reader))
        self.last[(uid, reader)] = now
        return previous is None or now - previous > self.window


def tap_body(kind: str, payload: dict[str, Any], uid: str, tapped_at: datetime) -> dict[str, Any]:
    """A new tap: its id is made here, once, and never changes across retries."""
    return {"tap_id": str(uuid4()), "card_uid": uid, "tapped_at": tapped_at.isoformat(), **payload}


class ReaderService:
    def __init__(
        self,
        journal: Journal,
        client: TerminalClient,
        policy: OfflinePolicy,
        payload: dict[str, Any],
        *,
        kind: str = "",
        live_wait: float = 2.0,
        batch_size: int = 50,
        retry_every: float = 2.0,
        deny_refresh: float = 60.0,
        dedupe: Dedupe | None = None,
        clock: Clock = system_clock,
    ) -> None:
        self.journal, self.client, self.policy = journal, client, policy
        self.payload, self.kind = payload, kind
        self.live_wait, self.batch_size = live_wait, batch_size
        self.retry_every, self.deny_refresh = retry_every, deny_refresh
        self.dedupe = dedupe or Dedupe()
        self.clock = clock
        self.online = True
        self.uploads = 0  # requests that settled at least one tap
        self._cond = threading.Condition()
        self._in_flight: set[str] = set()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._deny_due = 0.0
        self._singles_left = 0  # after a refused batch, post its taps one by one

    # The card side

    def tap(self, reader: str, uid: str) -> dict[str, Any] | None:
        """A card was read: journal it, then return the server's or the offline decision."""
        if not self.dedupe.first(uid, reader):
            return None
        tap = tap_body(self.kind, self.payload, uid, self.clock())
        with self._cond:
            self.journal.record_tap(tap)
        self._wake.set()
        return self._decision(tap)

    def _decision(self, tap: dict[str, Any]) -> dict[str, Any]:
        tap_id = tap["tap_id"]
        deadline = time.monotonic() + self.live_wait
        with self._cond:
            while True:
                result = self.journal.settled_result(tap_id)
                if result is not None:
                    return result
                if tap_id not in self._in_flight and (
                    not self.online or time.monotonic() >= deadline
                ):
                    decision = self.policy.decide(tap)
                    self.journal.record_offline(tap_id, decision)
                    if decision["outcome"] != "approved":  # nothing happened: never sent
                        self.journal.mark_settled({tap_id: decision})
                    log.warning("tap %s decided offline: %s", tap_id, decision["outcome"])
                    return decision
                self._cond.wait(max(0.01, min(0.2, deadline - time.monotonic())))

    # The server side

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run_uploader, name="uploader", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=self.client.timeout + 5)

    def run_uploader(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                more = self.upload_once()
                self.refresh_deny_list()
            except Exception:  # the uploader must outlive any surprise; it retries later
                log.exception("uploader failed; retrying")
                more = False
            if not more:
                self._wake.wait(self.retry_every)

    def upload_once(self) -> bool:
        """Post the oldest pending taps; true when there may be more to post right now."""
        with self._cond:
            batch = self.journal.pending(1 if self._singles_left else self.batch_size)
            if not batch:
                return False
            self._in_flight = {p.tap_id for p in batch}
        try:
            results = self._post(batch)
        except ServerUnreachableError as error:
            self._went(online=False, why=str(error))
            return False
        except RequestRejectedError as error:
            if error.status in AUTH_STATUSES or len(batch) > 1:
                log.error("upload refused: %s", error)
                if error.status not in AUTH_STATUSES:
                    self._singles_left = len(batch)
                self._went(online=True)
                return error.status not in AUTH_STATUSES
            results = {batch[0].tap_id: {"tap_id": batch[0].tap_id, "error": error.body}}
        with self._cond:
            for tap_id, result in list(results.items()):
                if "error" in result:
                    log.error("tap %s refused by the server: %s", tap_id, result["error"])
                    if _error_code(result) in RETRY_CODES:
                        del results[tap_id]
            self.journal.mark_settled(results)
            self._singles_left = max(0, self._singles_left - 1)
            self.uploads += 1
            self._in_flight = set()
            self.online = True
            self._cond.notify_all()
        return len(batch) == self.batch_size or self._singles_left > 0

    def _post(self, batch: list[PendingTap]) -> dict[str, dict[str, Any]]:
        if len(batch) == 1:
            return {batch[0].tap_id: self.client.post_tap(batch[0].body())}
        answers = self.client.post_batch([p.body() for p in batch])
        return {p.tap_id: answer for p, answer in zip(batch, answers, strict=True)}

    def _went(self, *, online: bool, why: str = "") -> None:
        with self._cond:
            if self.online and not online:
                log.warning("server unreachable, deciding offline: %s", why)
            self.online = online
            self._in_flight = set()
            self._cond.notify_all()

    def refresh_deny_list(self, force: bool = False) -> None:
        """Fetch the deny list when due; while offline, every round (it probes the server)."""
        if not force and self.online and time.monotonic() < self._deny_due:
            return
        current = self.journal.deny_list()
        try:
            answer = self.client.deny_list(current.version)
        except ServerUnreachableError as error:
            self._went(online=False, why=str(error))
            return
        except RequestRejectedError as error:
            log.error("deny list refused: %s", error)
            return
        self._deny_due = time.monotonic() + self.deny_refresh
        if not self.online:
            log.info("server reachable again")
            self._went(online=True)
        version = answer.get("version")
        uids = frozenset(str(u) for u in answer.get("uids") or ())
        if version == current.version and not uids:
            uids = current.uids  # unchanged since our version
        cap = int(answer.get("offline_cap") or 0)
        self.journal.save_deny_list(DenyList(version, uids, cap))


def _error_code(result: dict[str, Any]) -> str | None:
    error = result.get("error")
    if isinstance(error, dict) and isinstance(error.get("error"), dict):
        error = error["error"]  # a whole response body: {"error": {"code", "message"}}
    return str(error.get("code")) if isinstance(error, dict) else None
