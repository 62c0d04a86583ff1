"""A hung card loop ends the process (to be restarted); a card held on a reader is one tap."""

import subprocess
import sys

from reader.service import Dedupe
from tests.reader.rig import ROOT

HUNG_LOOP = """
import threading
from reader.pcsc import Watchdog
Watchdog(lambda: 0.0, limit=0.2).start()   # a heartbeat that never moves
threading.Event().wait(60)
"""


def test_the_watchdog_ends_a_process_whose_card_loop_hangs() -> None:
    done = subprocess.run([sys.executable, "-c", HUNG_LOOP], cwd=ROOT, timeout=60, check=False)
    assert done.returncode == 75


def test_the_same_card_on_the_same_reader_within_the_window_is_one_tap() -> None:
    now = [100.0]
    dedupe = Dedupe(window=3.0, clock=lambda: now[0])

    assert dedupe.first("04A1B2C3D4E5F6", "reader-1")
    now[0] += 1.0
    assert not dedupe.first("04A1B2C3D4E5F6", "reader-1")  # bounced or still held
    assert dedupe.first("04A1B2C3D4E5F6", "reader-2")  # another reader: another tap
    assert dedupe.first("04FFFFFFFFFFFF", "reader-1")  # another card
    now[0] += 3.5
    assert dedupe.first("04A1B2C3D4E5F6", "reader-1")  # after the window: a new tap
