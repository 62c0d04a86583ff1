"""A PostgreSQL server of one test's own (its own data directory and port) to crash and
restart for real. The machine's shared server must never be restarted: other engineers' and
other tests' runs use it. The binaries are pgserver's (a dependency, as in
`adapters/embedded.py`); as root, the server runs as pgserver's unprivileged user."""

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pgserver

from adapters.postgres import with_database
from tests.terminals.test_server import free_port

BIN = Path(pgserver.__file__).parent / "pginstall" / "bin"
SYSTEM_USER = "pgserver"  # the user pgserver itself runs PostgreSQL as when started by root


class PrivatePostgres:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="infoshkola-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.port = free_port()
        self.user: str | None = None
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root
            from pgserver.utils import (
                ensure_folder_permissions,
                ensure_user_exists,
            )

            ensure_user_exists(SYSTEM_USER)
            ensure_folder_permissions(BIN.parent, 0o555)
            entry = pwd.getpwnam(SYSTEM_USER)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
            self.user = SYSTEM_USER

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def database(self, name: str) -> str:
        return with_database(self.url, name)

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(
            [str(BIN / tool), "-D", str(self.data), *args],
            check=True,
            capture_output=True,
            timeout=120,
            user=self.user,
        )

    def init(self) -> "PrivatePostgres":
        self._run("initdb", "--auth=trust", "--encoding=utf8", "-U", "postgres")
        return self

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''"
        self._run("pg_ctl", "-w", "-t", "60", "-l", str(self.log), "-o", options, "start")

    def standby_of(self, primary: "PrivatePostgres") -> "PrivatePostgres":
        """This server as a streaming replica (hot standby) of `primary`: a base backup of it
        that then follows its WAL, as a production read replica does."""
        self._run(
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
            "-X", "stream", "--write-recovery-conf",
        )  # fmt: skip
        return self

    def crash(self) -> None:
        """Stop at once, as a crash or an OOM kill would: no clean shutdown for any client."""
        self._run("pg_ctl", "-w", "-m", "immediate", "stop")

    def remove(self) -> None:
        """Stop (if running) and delete the data directory."""
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-w", "-m", "immediate", "stop")
        shutil.rmtree(self.root, ignore_errors=True)
