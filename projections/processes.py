"""Spreading the projections over several OS processes, to use more than one core.

The parent starts `infoshkola projections run --only …` children, restarts one that dies
(with backoff) and stops them on SIGTERM; a child dies with its parent (PR_SET_PDEATHSIG),
so a killed parent leaves no orphan holding a projection's lock.
"""

import signal
import subprocess
import sys
import threading
from collections.abc import Sequence

from app.processes import dies_with_parent

# Rough relative cost per event, to balance the groups.
WEIGHTS = {"statement": 5, "school_reports": 3, "balances": 2, "attendance": 1,
           "terminal_reports": 3, "casework": 2, "roster": 1, "audit_trail": 5}  # fmt: skip


def spread(names: Sequence[str], processes: int) -> list[list[str]]:
    groups: list[list[str]] = [[] for _ in range(max(1, min(processes, len(names))))]
    load = [0] * len(groups)
    for name in sorted(names, key=lambda n: -WEIGHTS.get(n, 0)):
        lightest = load.index(min(load))
        groups[lightest].append(name)
        load[lightest] += WEIGHTS.get(name, 0) or 1
    return groups


def start(group: Sequence[str], extra: Sequence[str]) -> "subprocess.Popen[bytes]":
    only = [arg for name in group for arg in ("--only", name)]
    command = [sys.executable, "-m", "cli.main", "projections", "run", *only, *extra]
    return subprocess.Popen(command, preexec_fn=dies_with_parent(signal.SIGTERM))  # noqa: S603


def supervise(groups: list[list[str]], extra: Sequence[str], stop: threading.Event) -> None:
    children = [start(g, extra) for g in groups]
    backoff = [1.0] * len(groups)
    while not stop.wait(1.0):
        for i, child in enumerate(children):
            if child.poll() is not None:
                stop.wait(backoff[i])
                backoff[i] = min(backoff[i] * 2, 30.0)
                children[i] = start(groups[i], extra)
    for child in children:
        child.terminate()
    for child in children:
        child.wait(timeout=30)
