"""Projection lag: from a tap's answer (its commit) to its appearance in the read models.

A thread reads every projection's stored position (`projection_positions`) every
`interval` seconds and keeps (wall-clock time, positions). A tap's answer carries its
notification id (`position`); its lag in a read model is the first sample at which that
projection stood at or past the id, minus the instant the answer arrived. The sampling
interval is the resolution (a lag is over-counted by at most one interval).
"""

import bisect
import threading
import time

import psycopg

from projections import all_projections


class PositionSampler:
    def __init__(self, url: str, interval: float = 0.02) -> None:
        self.url, self.interval = url, interval
        self.times: list[float] = []
        self.positions: list[dict[str, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lag-sampler", daemon=True)

    def __enter__(self) -> "PositionSampler":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self._stop.is_set():
                rows = conn.execute("SELECT name, position FROM projection_positions").fetchall()
                self.times.append(time.time())
                self.positions.append({str(name): int(pos) for name, pos in rows})
                self._stop.wait(self.interval)

    def lags(
        self, answered: list[tuple[float, int]], names: list[str] | None = None
    ) -> list[float]:
        """Seconds from each (answer time, position) until every projection of `names` (all
        when None) stood at or past the position; a tap never seen is left out (counted by
        `unseen`)."""
        floors = [
            min(p.get(n, 0) for n in names) if names else min(p.values(), default=0)
            for p in self.positions
        ]
        # positions only rise: the first sample after the answer that is at or past it
        found = []
        for at, position in answered:
            i = max(bisect.bisect_left(self.times, at), bisect.bisect_left(floors, position))
            if i < len(floors):
                found.append(max(0.0, self.times[i] - at))
        return found


def wait_until_caught_up(url: str, head: int, timeout: float = 300.0) -> float:
    """Seconds until every projection stood at `head` (raises after `timeout`)."""
    started, projections = time.monotonic(), len(all_projections())
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() - started < timeout:
            try:
                row = conn.execute(
                    "SELECT count(*), min(position) FROM projection_positions"
                ).fetchone()
            except psycopg.errors.UndefinedTable:  # the runner has not created it yet
                row = None
            if row and row[0] >= projections and int(row[1]) >= head:
                return time.monotonic() - started
            time.sleep(0.1)
    raise TimeoutError(f"the projections did not reach {head} in {timeout} s")
