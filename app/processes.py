"""Child processes that die with their parent (Linux `prctl(PR_SET_PDEATHSIG)`).

A supervisor killed with -9 (a test run killed by Ctrl-C twice, a timeout, CI; an OOM kill of
`infoshkola up`) cannot stop its children: without this they would go on holding ports,
projection locks and Redis messages. The kernel sends the child `signum` when the parent dies;
the setting survives `exec` (so `infoshkola workers --only worker`, which becomes dramatiq,
keeps it) and `start_new_session`, but not `fork`: a process that forks children of its own
(dramatiq's worker processes, uvicorn's) sets it again in them (`die_with(parent)`).

The signal is sent when the THREAD that started the child ends: start children from a thread
that lives as long as the parent (the main thread, as every caller here does).
A normal stop is unchanged: the parent still stops its children itself.
"""

import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable

PR_SET_PDEATHSIG = 1
_prctl = ctypes.CDLL(None, use_errno=True).prctl if sys.platform == "linux" else None


def die_with(parent: int, signum: int = signal.SIGKILL) -> None:
    """Have this process get `signum` when `parent` (its parent when started) dies; at once if
    it is already dead (this process was given to init or a subreaper before the call)."""
    if _prctl is None:
        return
    _prctl(PR_SET_PDEATHSIG, int(signum), 0, 0, 0)
    if os.getppid() != parent:
        os.kill(os.getpid(), signum)


def dies_with_parent(signum: int = signal.SIGKILL) -> Callable[[], None]:
    """`preexec_fn` for `subprocess.Popen`: the child gets `signum` when this process dies.
    SIGKILL for a test's children; SIGTERM for a supervisor's services, which stop cleanly."""
    parent = os.getpid()
    return lambda: die_with(parent, signum)


def die_with_multiprocessing_parent(signum: int = signal.SIGKILL) -> None:
    """In a `multiprocessing` child (dramatiq's and uvicorn's worker processes): die with the
    process that started it. Its master stops it cleanly; when the master is gone, so is the
    clean stop, hence SIGKILL. Nothing happens in a process that is no such child."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return
    if parent.pid == os.getppid():  # started by `fork` or `spawn`
        die_with(parent.pid, signum)
    elif parent.is_alive():  # by a `forkserver`, which ends when the parent does
        die_with(os.getppid(), signum)
    else:
        os.kill(os.getpid(), signum)
