"""The workers under test: real processes (`infoshkola workers --only …`) against a real
PostgreSQL database and Redis, with loopback fakes for SMTP, SMS, push and acquiring. The
children die with the test process (app/processes.py), even when it is killed with -9."""

import os
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import redis

from adapters.people import PeopleStore
from adapters.postgres import eventsourcing_env
from app.processes import dies_with_parent
from domain.billing import Billing
from domain.ledger import Ledger
from tests.clock import child_clock
from tests.fakes.http import FakeAcquiring, FakePushGateway, FakeSmsGateway
from tests.fakes.smtp import SmtpInbox, free_port
from tests.fakes.web_push import TEST_VAPID, FakePushService
from tests.services import in_ci, redis_server_url
from workers.actors import Actors, declare
from workers.broker import build_broker
from workers.config import WorkerSettings
from workers.store import WorkerStore

SECRET = "test-webhook-secret"
LOGS = Path(__file__).resolve().parents[2] / "var" / "test" / "workers"


def wait_for(condition: Callable[[], Any], timeout: float, what: str, every: float = 0.05) -> Any:
    """Poll `condition` until it is truthy; fail with `what` after `timeout` seconds. The pauses
    grow from 5 ms to `every`: a condition met at once is seen at once, a long wait costs few
    checks."""
    pause = threading.Event()
    deadline = threading.Event()
    timer = threading.Timer(timeout, deadline.set)
    timer.start()
    wait = min(0.005, every)
    try:
        while not deadline.is_set():
            value = condition()
            if value:
                return value
            pause.wait(wait)
            wait = min(wait * 2, every)
        raise AssertionError(f"timed out after {timeout}s waiting for {what}")
    finally:
        timer.cancel()


@dataclass
class Stack:
    database_url: str
    redis_url: str
    smtp: SmtpInbox
    sms: FakeSmsGateway
    push: FakePushGateway
    acquiring: FakeAcquiring
    web_push: FakePushService  # the browsers' push service (https, loopback)
    namespace: str = field(default_factory=lambda: f"test-{uuid.uuid4().hex[:8]}")
    webhook_port: int = field(default_factory=free_port)
    children: list[subprocess.Popen[bytes]] = field(default_factory=list)
    extra_env: dict[str, str] = field(default_factory=dict)  # for every child started

    def __post_init__(self) -> None:
        self.ledger = Ledger(eventsourcing_env(self.database_url), snapshot_interval=10)
        self.billing = Billing(self.ledger)
        self.people = PeopleStore(self.database_url)
        self.people.create_tables()
        store = WorkerStore(self.database_url)
        store.create_tables()
        store.close()
        self.settings = WorkerSettings.from_env(self.env())
        self.actors: Actors = declare(build_broker(self.redis_url, self.settings))
        self.redis = redis.Redis.from_url(self.redis_url)
        self._query_lock = threading.Lock()
        self._query_conn: psycopg.Connection[tuple[Any, ...]] | None = None
        LOGS.mkdir(parents=True, exist_ok=True)

    def env(self, **extra: str) -> dict[str, str]:
        return {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "WORKERS_NAMESPACE": self.namespace,
            "SMTP_URL": self.smtp.url,
            "MAIL_FROM": "noreply@infoshkola.test",
            "SMS_GATEWAY_URL": self.sms.url,
            "SMS_GATEWAY_TOKEN": self.sms.token,
            "PUSH_GATEWAY_URL": self.push.url,
            "PUSH_GATEWAY_TOKEN": self.push.token,
            "ACQUIRING_URL": self.acquiring.url,
            "ACQUIRING_KEY": self.acquiring.token,
            "ACQUIRING_WEBHOOK_SECRET": SECRET,
            "VAPID_PRIVATE_KEY": TEST_VAPID.private_text,
            "VAPID_SUBJECT": "mailto:ops@infoshkola.test",
            "WEB_PUSH_SERVICES": "127.0.0.1,push.example.org",  # as tests/api/stack.py
            "REQUESTS_CA_BUNDLE": str(self.web_push.cert_file),  # trust the fake push service
            "WORKERS_WEBHOOK_PORT": str(self.webhook_port),
            "WORKERS_HEARTBEAT_TIMEOUT_MS": "2000",
            "WORKERS_MAINTENANCE_CHANCE": "1000000",
            "WORKERS_SEND_LEASE_SECONDS": "3",
            "WORKERS_SCHEDULER_TICK_SECONDS": "0.3",
            "WORKERS_FEED_POLL_SECONDS": "0.05",
            # dramatiq's own idle poll of Redis backs off up to this (default 1 s), and a
            # stopping worker waits as long: a job enqueued after a quiet moment waited for it
            "dramatiq_worker_timeout": "100",
            "INFOSHKOLA_CLOCK": child_clock(),  # the children read the test's (travelled) time
            **self.extra_env,
            **extra,
        }

    def start(self, part: str, threads: int = 4, **extra: str) -> subprocess.Popen[bytes]:
        log = (LOGS / f"{self.namespace}-{part}-{len(self.children)}.log").open("wb")
        child = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "workers", "--only", part,
             "--processes", "1", "--threads", str(threads)],
            env=self.env(**extra), stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=dies_with_parent(),
        )  # fmt: skip
        self.children.append(child)
        return child

    @staticmethod
    def kill9(child: subprocess.Popen[bytes]) -> None:
        """kill -9 the child and everything it forked (dramatiq's worker processes)."""
        os.killpg(child.pid, signal.SIGKILL)
        child.wait(timeout=10)

    def stop_children(self) -> None:
        """SIGTERM every child started (SIGKILL after 15 s), and forget them."""
        for child in self.children:
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGTERM)
        for child in self.children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait(timeout=5)
        self.children.clear()

    def stop(self) -> None:
        self.stop_children()
        self.ledger.close()
        if self._query_conn is not None:
            self._query_conn.close()
        for key in self.redis.scan_iter(f"{self.namespace}:*"):
            self.redis.delete(key)

    def saved_card(self, account_id: UUID, token: str) -> str:
        """The id of a card the parent saved at a top-up (as the acquirer's webhook keeps it)."""
        parent_ref = self.ledger.account(account_id).parent_ref
        card = self.people.save_card(parent_ref, account_id, token, "4242", self.ledger.clock())
        return str(card.id)

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """On one autocommit connection kept for the stack (waits query many times a second),
        opened again if the server dropped it."""
        with self._query_lock:
            if self._query_conn is None or self._query_conn.closed:
                self._query_conn = psycopg.connect(self.database_url, autocommit=True)
            try:
                return self._query_conn.execute(sql, params).fetchall()
            except psycopg.OperationalError:
                self._query_conn.close()
                self._query_conn = psycopg.connect(self.database_url, autocommit=True)
                return self._query_conn.execute(sql, params).fetchall()

    def fed_up_to_now(self) -> bool:
        """The feed has processed every event recorded so far."""
        last = self.ledger.recorder.max_notification_id() or 0
        rows = self.query("SELECT notification_id FROM wk_position WHERE name = 'notifications'")
        return bool(rows) and rows[0][0] >= last

    def outbox_settled(self) -> bool:
        return not self.query("SELECT 1 FROM wk_outbox WHERE status IN ('pending', 'sending')")


def workers_redis_url() -> str:
    """Our own Redis db number on the machine's server under CI; keys are namespaced anyway."""
    if not os.environ.get("REDIS_URL") and in_ci():
        return "redis://127.0.0.1:6379/6"
    return redis_server_url()


@contextmanager
def running_workers(database_url: str) -> Iterator[Stack]:
    """The harness with its fakes on `database_url`; every child process started through it
    is stopped at the end."""
    smtp = SmtpInbox().start()
    sms = FakeSmsGateway(token="sms-token").start()
    push = FakePushGateway(token="push-token").start()
    acquiring = FakeAcquiring(token="acq-key", secret=SECRET).start()
    web_push = FakePushService().start()
    stack = Stack(database_url, workers_redis_url(), smtp, sms, push, acquiring, web_push)
    try:
        yield stack
    finally:
        stack.stop()
        web_push.stop()
        for fake in (sms, push, acquiring):
            fake.stop()
        smtp.stop()
