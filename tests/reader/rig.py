"""Real processes for the reader tests: pcscd with the vpcd virtual reader, and the API server.

pcscd has one fixed socket (/run/pcscd/pcscd.comm), so test processes running in parallel take
turns through a lock file. vpcd is configured through our own reader.conf directory with a
free TCP port, so a system pcscd configuration is not needed.
"""

import fcntl
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from queue import Empty, Queue
from typing import IO, Any, TypeVar

import httpx
import orjson

from app.processes import dies_with_parent
from tests.clock import child_clock

ROOT = Path(__file__).resolve().parents[2]
PCSCD_RUN = Path("/run/pcscd")
LOCK = Path("/tmp/infoshkola-pcscd.lock")  # noqa: S108  # shared by all test processes
VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def free_port_pair() -> int:
    """A port p with p + 1 free too: vpcd's two slots listen on both."""
    while True:
        port = free_port()
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port


def wait_for(what: str, check: Callable[[], T | None], timeout: float = 60.0) -> T:
    """Poll `check` until it returns a value (not None/False), or fail after `timeout`."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while True:
        value = check()
        if value is not None and value is not False:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        pause.wait(0.02)


def stop(process: subprocess.Popen[Any]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


class Pcscd:
    """`pcscd -f` with one vpcd virtual reader listening on `port` for virtual cards."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port_pair()
        self.config = workdir / "reader.conf.d"
        self.config.mkdir(parents=True, exist_ok=True)
        (self.config / "vpcd").write_text(
            'FRIENDLYNAME "Virtual PCD"\n'
            f"DEVICENAME   /dev/null:{self.port:#06x}\n"
            f"LIBPATH      {VPCD_DRIVER}\n"
            f"CHANNELID    {self.port:#06x}\n"
        )
        self.log = workdir / "pcscd.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        assert shutil.which("pcscd"), "pcscd is missing: `make setup` installs it"
        assert VPCD_DRIVER.exists(), "vsmartcard-vpcd is missing: `make setup` installs it"
        _remove_stale_socket()
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                ["pcscd", "--foreground", "--config", str(self.config)],
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=dies_with_parent(),
            )
        wait_for("the virtual reader", self._ready)

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def readers(self) -> list[str]:
        from smartcard import scard

        code, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if code != scard.SCARD_S_SUCCESS:
            return []
        try:
            code, readers = scard.SCardListReaders(context, [])
            return list(readers) if code == scard.SCARD_S_SUCCESS else []
        finally:
            scard.SCardReleaseContext(context)

    def _ready(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise AssertionError(f"pcscd exited: {self.log.read_text(errors='replace')}")
        return bool(self.readers())


def _remove_stale_socket() -> None:
    comm = PCSCD_RUN / "pcscd.comm"
    if not comm.exists():
        return
    with socket.socket(socket.AF_UNIX) as sock:
        try:
            sock.connect(str(comm))
        except OSError:
            comm.unlink()  # left by a pcscd that was killed
            (PCSCD_RUN / "pcscd.pid").unlink(missing_ok=True)
            return
    raise AssertionError("another pcscd is running: stop it to run the reader tests")


@contextmanager
def pcscd(workdir: Path) -> Iterator[Pcscd]:
    with LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        daemon = Pcscd(workdir)
        daemon.start()
        try:
            yield daemon
        finally:
            daemon.stop()


class ApiServer:
    """The real HTTP API (`api.app:create_app`) under uvicorn, on a port of its own."""

    def __init__(self, database_url: str, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "INFOSHKOLA_VAR": str(workdir / "var"),
            "PYTHONPATH": str(ROOT),
        }
        self.log = workdir / f"api-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Started on the test's clock (travelled or not), each time."""
        env = {**self.env, "INFOSHKOLA_CLOCK": child_clock()}
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "tests.reader.serve:app", "--factory",
                 "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"],
                env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                preexec_fn=dies_with_parent(),
            )  # fmt: skip
        wait_for("the API server", self._ready, timeout=60)

    def _ready(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise AssertionError(f"API server exited: {self.log.read_text(errors='replace')}")
        try:
            return httpx.get(f"{self.url}/openapi.json", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.process = None


class JsonLines:
    """The JSON lines a child process prints, collected on a thread, awaited with deadlines."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._queue: Queue[dict[str, Any]] = Queue()
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream: IO[bytes]) -> None:
        for line in stream:
            if line.strip():
                self._queue.put(orjson.loads(line))

    def next(self, timeout: float = 30.0) -> dict[str, Any]:
        try:
            return self._queue.get(timeout=timeout)
        except Empty:
            raise AssertionError(f"no line within {timeout}s") from None
