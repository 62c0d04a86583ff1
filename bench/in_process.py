"""One in-process tap figure in a process of its own, so that a baseline checkout can run it
too (`bench.profile --baseline DIR` runs this file with `PYTHONPATH=DIR`).

The plan (JSON): the database URL, the tills (terminal id and its school's cards), how many
tills at once and for how many seconds. After a warm-up of 2 s it prints `measuring`, then,
after the run, `groups <group commits> <taps>` and `done <taps/s> <CPU seconds of this
process during the run>`. It uses only
what every checkout has: `Ledger`, `TapBatcher.decide`, `bench.run.lunch`/`closed_loop`.
"""

import json
import random
import sys
import time
from pathlib import Path
from uuid import UUID

from adapters.postgres import eventsourcing_env
from api.tap_batcher import TapBatcher
from bench.run import closed_loop, lunch
from domain.ledger import Ledger


def main() -> None:
    plan = json.loads(Path(sys.argv[-1]).read_text())
    ledger = Ledger(eventsourcing_env(plan["url"], pool_size=8, max_overflow=4))
    tills = [(UUID(terminal), cards) for terminal, cards in plan["tills"]]
    batcher = TapBatcher(ledger)

    def tap(n: int) -> None:
        terminal, cards = tills[n % len(tills)]
        batcher.decide(lunch(terminal, random.choice(cards)), "terminal:bench")

    closed_loop(plan["concurrency"], 2.0, tap)
    print("measuring", flush=True)
    batcher.reset_counts()
    cpu = time.process_time()
    rate = closed_loop(plan["concurrency"], plan["seconds"], tap)
    cpu = time.process_time() - cpu
    print(f"groups {batcher.batches} {batcher.taps}", flush=True)
    print(f"done {rate} {cpu}", flush=True)
    batcher.close()
    ledger.close()


if __name__ == "__main__":
    main()
