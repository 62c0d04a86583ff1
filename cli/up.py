"""`infoshkola up`: what `make run` starts: the demo school and every long-running process.

Each service is a child process running another `infoshkola` command; a child that dies is
restarted with backoff, and Ctrl-C stops them all. A child also gets SIGTERM when this process
dies (app/processes.py): `up` killed with -9 leaves no service running. Without a configured SMS
or push gateway the demo's messages go to files (`demo_gateways`), so the workers start and the
demo's passwords, codes and PINs can be read there.
"""

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import typer

from adapters import migrations
from app.composition import bootstrap, resolve_redis_url
from app.processes import dies_with_parent
from app.settings import Settings
from cli.demo import seed_demo

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
    """Run each service as a child; restart one that exits, after a backoff of its own (1 s,
    doubling to 30 s) that holds up neither the others nor a stop. Nothing polls: a thread per
    child waits for its exit, SIGTERM/SIGINT say stop, and both arrive on one queue
    (`SimpleQueue.put` is safe in a signal handler)."""
    command = [sys.executable, "-m", "cli.main"]
    children: dict[str, subprocess.Popen[bytes]] = {}
    backoff = dict.fromkeys(services, 1.0)
    restart_at: dict[str, float] = {}  # name -> time.monotonic() of its next start
    news: queue.SimpleQueue[str | None] = queue.SimpleQueue()  # a child's name, or None: stop

    def stop(*_: object) -> None:
        news.put(None)

    def start(name: str) -> None:
        child = subprocess.Popen(  # noqa: S603
            [*command, *services[name]], env=env, preexec_fn=dies_with_parent(signal.SIGTERM)
        )
        children[name] = child

        def told_when_it_exits() -> None:
            child.wait()
            news.put(name)

        threading.Thread(target=told_when_it_exits, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for name in services:
        start(name)
    typer.echo("system is up; Ctrl-C stops it")
    while True:
        now = time.monotonic()
        for name in [n for n, at in restart_at.items() if at <= now]:
            del restart_at[name]
            start(name)
        try:
            exited = news.get(timeout=min(restart_at.values(), default=now + 3600) - now)
        except queue.Empty:
            continue
        if exited is None:
            break
        typer.echo(f"{exited} exited with {children[exited].returncode}; restarting")
        restart_at[exited] = time.monotonic() + backoff[exited]
        backoff[exited] = min(backoff[exited] * 2, 30.0)
    for child in children.values():
        child.terminate()
    for child in children.values():
        child.wait(timeout=15)
