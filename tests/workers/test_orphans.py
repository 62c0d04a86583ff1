"""A test run killed with -9 (Ctrl-C twice, a timeout, CI) leaves none of its processes behind:
the harness's children (and dramatiq's worker processes, forked by one of them) die with it."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import orjson
import redis

from app.processes import dies_with_parent
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
    line = {"namespace": stack.namespace, "processes": descendants(os.getpid())}
    print(orjson.dumps(line).decode(), flush=True)
    threading.Event().wait()
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


def test_the_harness_killed_with_9_leaves_no_child_and_no_dramatiq_worker(
    database_url: str,
) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    harness = subprocess.Popen(
        [sys.executable, "-c", HARNESS, database_url],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, preexec_fn=dies_with_parent(),
    )  # fmt: skip
    processes: list[tuple[int, int, str]] = []

    def survivors() -> list[str]:
        return [command for pid, started, command in processes if alive(pid, started)]

    try:
        assert harness.stdout is not None
        line = orjson.loads(harness.stdout.readline())
        processes += [(pid, started, command) for pid, started, command in line["processes"]]
        commands = [command for _, _, command in processes]
        for part in ("feed", "scheduler", "webhooks"):
            assert any(f"--only {part}" in c for c in commands), commands
        # `--only worker` became dramatiq's main process, which forked a worker process
        assert sum("dramatiq workers.main" in c for c in commands) >= 2, commands

        harness.send_signal(signal.SIGKILL)
        harness.wait(timeout=60)
        wait_for(lambda: not survivors(), 120, "every child to die with the harness")
    finally:
        if harness.poll() is None:
            harness.kill()
            harness.wait(timeout=60)
        for pid, started, _ in processes:
            if alive(pid, started):
                os.kill(pid, signal.SIGKILL)  # a survivor of this test's own harness, by pid
        client = redis.Redis.from_url(workers_redis_url())
        for key in client.scan_iter(f"{line['namespace']}:*") if processes else ():
            client.delete(key)
