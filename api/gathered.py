"""Work of concurrent requests done together: one thread takes every item waiting and runs
them in one call (one round trip, one commit) instead of one each.

A caller hands in its item and waits for its own result (`__call__`), or takes the future
(`submit`; an async caller awaits it with `asyncio.wrap_future` and holds no thread). The
thread takes every item waiting (at most `max_batch`, and for at most `max_wait` seconds
after the first when that is set) and calls `run(items)`, which answers one result per
item, in order: a value, or an exception for that item alone. When `run` itself raises
(the database is down), every item of that call gets the exception. While one call runs,
the next items gather, so a lone item waits for nobody and a rush shares its round trips.
Whatever `run` reads, it reads after every item of its call arrived. With `threads` > 1
several calls run at once, each with the items waiting when it began (for work whose items
need no order among calls: PostgreSQL already shares the WAL flush of concurrent commits, and
one thread alone would make every item wait for the whole previous call).
"""

import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class _Job(Generic[T, R]):
    item: T
    answer: "Future[R]" = field(default_factory=Future)


class Gathered(Generic[T, R]):
    def __init__(
        self,
        run: Callable[[list[T]], Sequence[R | BaseException]],
        name: str,
        max_batch: int = 200,
        max_wait: float = 0.0,
        threads: int = 1,
    ) -> None:
        self.run, self.name, self.max_batch, self.max_wait = run, name, max_batch, max_wait
        self.threads = threads
        self._jobs: queue.SimpleQueue[_Job[T, R] | None] = queue.SimpleQueue()
        self._running: list[threading.Thread] = []
        self._lock = threading.Lock()
        self.batches = self.items = 0  # for the benchmark's report

    def __call__(self, item: T) -> R:
        """`item`'s result, done with whatever else is waiting; raises its exception."""
        return self.submit(item).result()

    def submit(self, item: T) -> "Future[R]":
        self._start()
        job: _Job[T, R] = _Job(item)
        self._jobs.put(job)
        return job.answer

    def close(self) -> None:
        with self._lock:
            for _ in self._running:
                self._jobs.put(None)
            for thread in self._running:
                thread.join(timeout=10)
            self._running = []

    def _start(self) -> None:
        if not self._running:
            with self._lock:
                if not self._running:
                    for n in range(self.threads):
                        thread = threading.Thread(
                            target=self._loop, name=f"{self.name}-{n}", daemon=True
                        )
                        thread.start()
                        self._running.append(thread)

    def _loop(self) -> None:
        while True:
            first = self._jobs.get()
            if first is None:
                return
            batch, closing = self._gather(first)
            self._answer(batch)
            if closing:
                return

    def _gather(self, first: _Job[T, R]) -> tuple[list[_Job[T, R]], bool]:
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

    def _answer(self, batch: list[_Job[T, R]]) -> None:
        try:
            results = self.run([job.item for job in batch])
        except Exception as error:  # every item of this call is told so
            for job in batch:
                job.answer.set_exception(error)
            return
        self.batches += 1
        self.items += len(batch)
        for job, result in zip(batch, results, strict=True):
            if isinstance(result, BaseException):
                job.answer.set_exception(result)
            else:
                job.answer.set_result(result)


def relay(source: "Future[R]", target: "Future[R]") -> None:
    """`target` gets `source`'s result or exception when it has one (in the thread that
    completes `source`): a stage hands its result on to the next without the event loop."""

    def copy(done: "Future[R]") -> None:
        error = done.exception()
        if error is None:
            target.set_result(done.result())
        else:
            target.set_exception(error)

    source.add_done_callback(copy)
