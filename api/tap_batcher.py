"""Group commit across requests: the taps of all request threads of an API process, saved
together.

A request thread hands its tap to the batcher and waits for its own answer. The batcher's
thread takes every tap waiting (at most `max_batch`, and for at most `max_wait` seconds
after the first when that is set), decides them in arrival order on the current state and
saves them in one transaction (`Ledger.handle_taps`). While one batch commits, the next one
gathers, so a lone tap waits for nobody and a rush shares its commits. A tap the domain
refuses gets its own error; a failure of the store (PostgreSQL down) fails only the taps of
that batch, each answered as the store's error, and a terminal retries them idempotently.
"""

import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field

from adapters import metrics
from domain.errors import DomainError
from domain.group_commit import TapResult
from domain.ledger import Ledger
from domain.tap import TapRequest


@dataclass
class _Job:
    request: TapRequest
    actor: str
    answer: "Future[TapResult]" = field(default_factory=Future)


class TapBatcher:
    def __init__(self, ledger: Ledger, max_batch: int = 200, max_wait: float = 0.0) -> None:
        self.ledger, self.max_batch, self.max_wait = ledger, max_batch, max_wait
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.batches = self.taps = 0  # for the benchmark's report

    def decide(self, request: TapRequest, actor: str) -> TapResult:
        """Decide and save one tap with whatever else is waiting; raises the domain's error."""
        self._start()
        job = _Job(request, actor)
        self._jobs.put(job)
        return job.answer.result()

    def close(self) -> None:
        with self._lock:
            if self._thread is not None:
                self._jobs.put(None)
                self._thread.join(timeout=10)
                self._thread = None

    def _start(self) -> None:
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._run, name="tap-batcher", daemon=True
                    )
                    self._thread.start()

    def _run(self) -> None:
        while True:
            first = self._jobs.get()
            if first is None:
                return
            batch, closing = self._gather(first)
            self._commit(batch)
            if closing:
                return

    def _gather(self, first: _Job) -> tuple[list[_Job], bool]:
        batch = [first]
        deadline = time.monotonic() + self.max_wait
        while len(batch) < self.max_batch:
            try:
                wait = deadline - time.monotonic()
                job = self._jobs.get(timeout=wait) if wait > 0 else self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is None:
                return batch, True
            batch.append(job)
        return batch, False

    def _commit(self, batch: list[_Job]) -> None:
        try:
            results = self.ledger.handle_taps(
                [job.request for job in batch], [job.actor for job in batch]
            )
        except Exception as error:  # the store failed: every tap of this batch is told so
            for job in batch:
                job.answer.set_exception(error)
            return
        self.batches += 1
        self.taps += len(batch)
        metrics.GROUP_COMMIT_SIZE.observe(len(batch))
        for job, result in zip(batch, results, strict=True):
            if isinstance(result, DomainError):
                job.answer.set_exception(result)
            else:
                job.answer.set_result(result)
