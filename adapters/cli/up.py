"""`infoshkola up`: what `make run` starts: the demo school and every long-running process.

Each service is a child process running another `infoshkola` command; a child that dies is
restarted with backoff, and Ctrl-C stops them all. Without a configured SMS or push gateway the
demo's messages go to files (`demo_gateways`), so the workers start and the demo's passwords,
codes and PINs can be read there.
"""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import typer

from adapters import migrations
from adapters.bootstrap import bootstrap, resolve_redis_url
from adapters.cli.demo import seed_demo
from adapters.settings import Settings

# name -> arguments to `infoshkola`: one process each, the same as compose.yaml's services
# (tests/operations/test_compose.py compares them); `infoshkola health NAME` checks each.
SERVICES: dict[str, Sequence[str]] = {
    "api": ["api"],
    "projections": ["projections", "run"],
    "worker": ["workers", "--only", "worker"],
    "feed": ["workers", "--only", "feed"],
    "scheduler": ["workers", "--only", "scheduler"],
    "webhooks": ["workers", "--only", "webhooks"],
    "audit-chain": ["audit", "chain", "--follow"],
    "activation-logins": ["users", "provision", "--follow"],
}


def demo_gateways(env: Mapping[str, str], var_dir: Path) -> dict[str, str]:
    """The gateway settings the demo adds when none is given: `file:` transports under
    `var/outbox/` (see adapters/gateways.py). A gateway URL that is set is left alone (its
    token is then required at the workers' start-up)."""
    added = {}
    for url_var, name in (("SMS_GATEWAY_URL", "sms"), ("PUSH_GATEWAY_URL", "push")):
        if not env.get(url_var, "").strip():
            added[url_var] = f"file:{var_dir / 'outbox' / f'{name}.jsonl'}"
    return added


def up() -> None:
    """Start the embedded servers (unless URLs are given), seed the demo, run every service."""
    settings = Settings.from_env()
    container = bootstrap(settings)
    migrations.upgrade(container.database_url)
    env = {**os.environ, "DATABASE_URL": container.database_url}
    if SERVICES:
        env["REDIS_URL"] = resolve_redis_url(settings)
    files = demo_gateways(env, settings.var_dir)
    env.update(files)
    summary = seed_demo(container.ledger)
    container.close()
    typer.echo(summary)
    typer.echo(f"database: {container.database_url}")
    for url_var, url in files.items():
        typer.echo(f"{url_var} unset: the demo writes these messages to {url} (not sent)")
    supervise(SERVICES, env)


def supervise(services: dict[str, Sequence[str]], env: dict[str, str]) -> None:
    command = [sys.executable, "-m", "adapters.cli.main"]
    children: dict[str, subprocess.Popen[bytes]] = {}
    backoff = dict.fromkeys(services, 1.0)
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    typer.echo("system is up; Ctrl-C stops it")
    while not stopping:
        for name, args in services.items():
            child = children.get(name)
            if child is None or child.poll() is not None:
                if child is not None:
                    typer.echo(f"{name} exited with {child.returncode}; restarting")
                    time.sleep(backoff[name])
                    backoff[name] = min(backoff[name] * 2, 30.0)
                children[name] = subprocess.Popen([*command, *args], env=env)  # noqa: S603
        time.sleep(1.0)
    for child in children.values():
        child.terminate()
    for child in children.values():
        child.wait(timeout=15)
