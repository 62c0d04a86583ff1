"""kill -9 the runner process at random points while events are appended; after a restart
every read model equals a full replay: nothing lost, nothing counted twice."""

import random
import signal
from pathlib import Path

import psycopg

from domain.ledger import Ledger
from projections import all_projections
from projections.positions import positions, wait_for
from tests.builders import SchoolWorld
from tests.projections.helpers import start_runner
from tests.projections.replay import assert_parity, replay
from tests.projections.workload import append_events

ROUNDS = 4
EVENTS_PER_ROUND = 1_500


def test_runner_killed_at_random_points_resumes_without_double_counting(
    ledger: Ledger, database_url: str, world: SchoolWorld, tmp_path: Path
) -> None:
    log = tmp_path / "runner.log"
    rng = random.Random()
    pupils = [world.pupil(deposit=rng.randint(10_000, 90_000)) for _ in range(6)]
    names = [p.name for p in all_projections()]
    runner = start_runner(database_url, log, "--batch-size", "97")
    try:
        for _ in range(ROUNDS):
            with psycopg.connect(database_url, autocommit=True) as conn:
                start = min(positions(conn).values(), default=0)
            head = append_events(ledger, world, pupils, EVENTS_PER_ROUND, 150, rng)
            # Kill it somewhere inside the catch-up of a random projection, mid-batch or not.
            victim, target = rng.choice(names), rng.randint(start + 1, head)
            wait_for(database_url, victim, target, timeout=60)
            runner.send_signal(signal.SIGKILL)
            assert runner.wait(timeout=10) == -signal.SIGKILL
            runner = start_runner(database_url, log, "--batch-size", "97")

        head = ledger.recorder.max_notification_id() or 0
        for name in names:
            wait_for(database_url, name, head, timeout=60)
    finally:
        runner.terminate()
        runner.wait(timeout=15)
    assert runner.returncode == 0, log.read_text()

    with psycopg.connect(database_url) as conn:
        assert_parity(conn, replay(ledger))
