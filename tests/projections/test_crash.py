"""kill -9 the runner process at random points while events are appended; after a restart
every read model equals a full replay: nothing lost, nothing counted twice."""

import random
import signal
import threading
from pathlib import Path

import psycopg

from domain.ledger import Ledger
from projections import all_projections
from projections.positions import positions, wait_for
from tests.builders import SchoolWorld
from tests.projections.helpers import start_runner
from tests.projections.replay import assert_parity, replay
from tests.projections.workload import append_events

KILLS = 5
EVENTS = 6_000


def test_runner_killed_at_random_points_resumes_without_double_counting(
    ledger: Ledger, database_url: str, world: SchoolWorld, tmp_path: Path
) -> None:
    log = tmp_path / "runner.log"
    rng = random.Random()
    pupils = [world.pupil(deposit=rng.randint(10_000, 90_000)) for _ in range(6)]
    names = [p.name for p in all_projections()]
    appender = threading.Thread(
        target=append_events, args=(ledger, world, pupils, EVENTS, 100, random.Random())
    )
    runner = start_runner(database_url, log, "--batch-size", "97")
    appender.start()
    try:
        for _ in range(KILLS):
            # Kill it somewhere in the catch-up of a random projection, while events arrive.
            with psycopg.connect(database_url, autocommit=True) as conn:
                done = min(positions(conn).values(), default=0)
            head = ledger.recorder.max_notification_id() or 0
            victim, target = rng.choice(names), rng.randint(done, head)
            wait_for(database_url, victim, target, timeout=60)
            runner.send_signal(signal.SIGKILL)
            assert runner.wait(timeout=10) == -signal.SIGKILL
            runner = start_runner(database_url, log, "--batch-size", "97")
        appender.join(timeout=120)
        assert not appender.is_alive()
        head = ledger.recorder.max_notification_id() or 0
        assert head > EVENTS  # every append went in
        for name in names:
            wait_for(database_url, name, head, timeout=60)
    finally:
        runner.terminate()
        runner.wait(timeout=15)
    assert runner.returncode == 0, log.read_text()

    with psycopg.connect(database_url) as conn:
        assert_parity(conn, replay(ledger))
