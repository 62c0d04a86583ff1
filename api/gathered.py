"""Work of concurrent requests done together: one thread takes every item waiting and runs
them in one call (one round trip, one commit) instead of one each.

A caller hands in its item and waits for its own result (`__call__`), or takes the future
(`submit`; an async caller awaits it with `asyncio.wrap_future` and holds no thread). The
thread takes every item waiting (at most `max_batch`, and for at most `max_wait` seconds
after the first when that is set) and calls `run(items)`, which answers one result per
item, in order: a value, or an exception for that item alone. When `run` itself raises
(the database is down), every item of that call gets the exception. While one call runs,
the next items gather, so a lone item waits for nobody and a rush shares its round trips.
Whatever `run` reads, it reads after every item of its call arrived.
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
    ) -> None:
        self.run, self.name, self.max_batch, self.max_wait = run, name, max_batch, max_wait
        self._jobs: queue.SimpleQueue[_Job[T, R] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
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
            if self._thread is not None:
                self._jobs.put(None)
                self._thread.join(timeout=10)
                self._thread = None

    def _start(self) -> None:
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
                    self._thread.start()

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
