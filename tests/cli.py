"""`infoshkola …` as an operator runs it: its own OS process, on the test's database."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def cli(database_url: str, *args: str) -> str:
    """The command's standard output; a non-zero exit fails with its error output."""
    env = {**os.environ, "DATABASE_URL": database_url, "COLUMNS": "200"}
    done = subprocess.run(
        [sys.executable, "-m", "adapters.cli.main", *args], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout
