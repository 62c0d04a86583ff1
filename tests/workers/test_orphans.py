"""A test run killed with -9 (Ctrl-C twice, a timeout, CI) leaves none of its processes behind:
the harness's children (and dramatiq's worker processes, forked by one of them) die with it; so
do `make run`'s services (and the processes they start) when its launcher is killed."""

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import redis

from app.processes import dies_with_parent
from tests.projections.helpers import own_database
from tests.workers.harness import wait_for, workers_redis_url

ROOT = Path(__file__).resolve().parents[2]

# The test process's part: the harness with every kind of child, dramatiq's worker process
# fetching, then each process under it (pid and start time) on one line, and nothing more.
HARNESS = """
import os, sys, threading
import orjson
from tests.workers.harness import running_workers, wait_for
from tests.workers.test_orphans import descendants

with running_workers(sys.argv[1]) as stack:
    for part in ("worker", "feed", "scheduler", "webhooks"):
        stack.start(part, threads=1)
    beats = f"{stack.namespace}:dramatiq:__heartbeats__"
    wait_for(lambda: stack.redis.zcard(beats), 120, "dramatiq's worker process to fetch")
    # another part's consumer may beat first: wait for dramatiq's main and forked processes
    wait_for(
        lambda: sum("dramatiq workers.main" in c for _, _, c in descendants(os.getpid())) >= 2,
        120,
        "`--only worker` to become dramatiq's main process and fork its worker",
    )
    line = {"namespace": stack.namespace, "processes": descendants(os.getpid())}
    print(orjson.dumps(line).decode(), flush=True)
    threading.Event().wait()
"""
# `make run`'s launcher (`infoshkola up`) with one service that starts processes of its own.
UP = """
import os
from cli.up import supervise
supervise({"projections": ["projections", "run", "--processes", "2"]}, dict(os.environ))
"""


def stat(pid: int) -> tuple[str, int, int] | None:
    """The state, parent and start time (in clock ticks since boot) of process `pid`."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = text[text.rindex(")") + 2 :].split()  # after "pid (command) "
    return fields[0], int(fields[1]), int(fields[19])


def descendants(root: int) -> list[tuple[int, int, str]]:
    """Every process under `root`: pid, start time and command line."""
    parents = {int(p.name): stat(int(p.name)) for p in Path("/proc").iterdir() if p.name.isdigit()}
    found, under = [root], []
    while found:
        pid = found.pop()
        for child, seen in parents.items():
            if seen is not None and seen[1] == pid:
                found.append(child)
                command = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ")
                under.append((child, seen[2], command.decode().strip()))
    return under


def alive(pid: int, started: int) -> bool:
    """The same process (not a later one given the pid), not yet dead (a zombie is)."""
    now = stat(pid)
    return now is not None and now[2] == started and now[0] != "Z"


Processes = list[tuple[int, int, str]]  # pid, start time, command line


def started(script: str, *args: str, **env: str) -> "subprocess.Popen[bytes]":
    """`script` in a Python process of its own (which dies with this one)."""
    return subprocess.Popen(
        [sys.executable, "-c", script, *args], cwd=ROOT, stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env}, preexec_fn=dies_with_parent(),
    )  # fmt: skip


@contextmanager
def killed_at_the_end(parent: "subprocess.Popen[bytes]", processes: Processes) -> Iterator[None]:
    """Whatever happens in the block, `parent` and each of `processes` still alive are killed
    after it (this test's own processes, by pid)."""
    try:
        yield
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait(timeout=60)
        for pid, start, _ in processes:
            if alive(pid, start):
                os.kill(pid, signal.SIGKILL)


def kill_9_and_wait_for_the_rest(parent: "subprocess.Popen[bytes]", processes: Processes) -> None:
    parent.send_signal(signal.SIGKILL)
    parent.wait(timeout=60)

    def survivors() -> list[str]:
        return [command for pid, start, command in processes if alive(pid, start)]

    wait_for(lambda: not survivors(), 120, "every process under it to die with it")


def test_the_harness_killed_with_9_leaves_no_child_and_no_dramatiq_worker(
    database_url: str,
) -> None:
    harness = started(HARNESS, database_url)
    processes: Processes = []
    line: dict[str, Any] = {}
    with killed_at_the_end(harness, processes):
        assert harness.stdout is not None
        line = orjson.loads(harness.stdout.readline())
        processes += [(pid, start, command) for pid, start, command in line["processes"]]
        commands = [command for _, _, command in processes]
        for part in ("feed", "scheduler", "webhooks"):
            assert any(f"--only {part}" in c for c in commands), commands
        # `--only worker` became dramatiq's main process, which forked a worker process
        assert sum("dramatiq workers.main" in c for c in commands) >= 2, commands
        kill_9_and_wait_for_the_rest(harness, processes)
    client = redis.Redis.from_url(workers_redis_url())
    for key in client.scan_iter(f"{line['namespace']}:*"):
        client.delete(key)


def test_the_launcher_killed_with_9_leaves_no_service_and_none_of_its_processes() -> None:
    with own_database() as url:
        up = started(UP, DATABASE_URL=url)
        processes: Processes = []
        with killed_at_the_end(up, processes):
            # the launcher's service, and the two processes the service spreads its work over
            def service_and_its_processes() -> Processes | None:
                found = descendants(up.pid)  # a process between fork and exec has no name yet
                spread = sum("projections run --only" in c for _, _, c in found)
                return found if len(found) >= 3 and spread == 2 else None

            processes += wait_for(service_and_its_processes, 120, "the service and its processes")
            assert sum("projections run --only" in c for _, _, c in processes) == 2, processes
            kill_9_and_wait_for_the_rest(up, processes)
