"""The API under test: the real app on a real uvicorn server (loopback), the real ledger and
PostgreSQL, the real projections (run to the needed position), and the real workers (the
feed and a dramatiq worker process, started on the first SMS a test waits for) delivering
identity's outbox to a loopback SMS gateway."""

import itertools
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple
from uuid import UUID, uuid4

import httpx
import uvicorn
from fastapi import FastAPI

from adapters.postgres import eventsourcing_env
from api.app import create_app
from api.graphql.services import ApiSettings, Services
from app.composition import Container
from app.settings import Settings
from domain.ledger import Ledger
from identity.service import Access, Identity, Role
from tests.builders import Pupil, SchoolWorld, new_school
from tests.clock import child_clock, same_clock
from tests.fakes.http import FakeSmsGateway
from tests.fakes.web_push import TEST_VAPID
from tests.projections.helpers import catch_up
from tests.services import drop_database, fresh_database
from tests.terminals.test_server import free_port
from tests.workers.harness import SECRET, running_workers, wait_for
from tests.workers.harness import Stack as Workers

STAFF_PASSWORD = "staff-password-1"
_phones = itertools.count(1000)
_addresses = itertools.count(1)


def new_phone() -> str:
    return f"+7913{next(_phones):07d}{uuid4().int % 10}"


def new_address() -> str:
    """A client address of its own (sent as X-Forwarded-For), so throttles do not mix."""
    n = next(_addresses)
    return f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"


@dataclass
class Client:
    """One browser: its own address, optionally logged in."""

    http: httpx.Client
    address: str = field(default_factory=new_address)
    token: str | None = None

    def post(self, payload: Any) -> httpx.Response:
        headers = {"X-Forwarded-For": self.address}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return self.http.post("/graphql", json=payload, headers=headers)

    def gql(self, query: str, **variables: Any) -> dict[str, Any]:
        response = self.post({"query": query, "variables": variables})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def data(self, query: str, **variables: Any) -> dict[str, Any]:
        body = self.gql(query, **variables)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    def nodes(self, query: str, field: str, first: int, **variables: Any) -> list[Any]:
        """Every node of the connection `field`, a page of at most `first` at a time (the query
        takes `$first` and `$after` and asks for `pageInfo { hasNextPage endCursor }`)."""
        found: list[Any] = []
        after = None
        while True:
            page = self.data(query, first=first, after=after, **variables)[field]
            assert len(page["edges"]) <= first
            found += [e["node"] for e in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                return found
            after = page["pageInfo"]["endCursor"]

    def command(self, name: str, /, **input: Any) -> dict[str, Any]:
        """A mutation of issue 12's shape, `name(input: {...})`: its payload's `userErrors`
        and `position`."""
        input_type = name[0].upper() + name[1:] + "Input"
        query = (
            f"mutation($i: {input_type}!) {{ {name}(input: $i) {{"
            " userErrors { field code message } position } }"
        )
        payload: dict[str, Any] = self.data(query, i=input)[name]
        return payload

    def recorded(self, name: str, /, **input: Any) -> str:
        """The position of a mutation that must be recorded."""
        payload = self.command(name, **input)
        assert payload["userErrors"] == [], payload
        return str(payload["position"])

    def refused(self, name: str, /, **input: Any) -> str:
        """The code of a mutation that must be refused (nothing recorded)."""
        payload = self.command(name, **input)
        assert payload["position"] is None, payload
        return str(payload["userErrors"][0]["code"])

    def error_code(self, query: str, **variables: Any) -> str:
        body = self.gql(query, **variables)
        assert body.get("errors"), body
        return str(body["errors"][0].get("extensions", {}).get("code", body["errors"][0]))

    def login(self, username: str, password: str) -> dict[str, Any]:
        """The session's tokens and viewer, or the first refusal's `field`, `code` and
        `message`; a session's access token becomes this client's."""
        payload = self.data(LOGIN, input={"username": username, "password": password})["login"]
        if payload["session"] is None:
            return dict(payload["userErrors"][0])
        self.token = payload["session"]["accessToken"]
        return dict(payload["session"])


LOGIN = """mutation($input: LoginInput!) {
  login(input: $input) {
    session { accessToken refreshToken expiresAt
      viewer { role contracts { contractNumber access } } }
    userErrors { field code message }
  }
}"""


@dataclass
class Family:
    pupil: Pupil
    phone: str
    password: str
    client: Client

    @property
    def contract(self) -> str:
        return self.pupil.contract_number


class Office(NamedTuple):
    """A new school with one family logged in and the school's administrator logged in."""

    world: SchoolWorld
    family: Family
    admin: Client


@dataclass
class Stack:
    ledger: Ledger
    database_url: str
    services: Services
    sms: FakeSmsGateway
    url: str
    http: httpx.Client
    app: FastAPI
    workers: Workers
    workers_clock: str = "system"  # INFOSHKOLA_CLOCK the running workers got

    @property
    def identity(self) -> Identity:
        return self.services.identity

    def client(self) -> Client:
        return Client(self.http)

    def school(self) -> SchoolWorld:
        return new_school(self.ledger)

    def project(self) -> None:
        """Run every projection up to the ledger's head."""
        catch_up(self.ledger, self.database_url)

    def deliver(self) -> None:
        """Start the workers that send the outbox (once): the feed and one worker process.

        The feed starts at the ledger's head: these tests need identity's messages, not the
        notifications of every event earlier test modules left in the shared database. It
        polls every 0.2 s, not the workers tests' 0.05 s: here it shares the CPU with the API
        server and the projections runner some tests start.

        A module's stack outlives its tests: when this test's clock (travelled or not) is not
        the one the running workers were started with, they are started again on it."""
        clock = child_clock()
        if self.workers.children and not same_clock(clock, self.workers_clock):
            self.workers.stop_children()
        if not self.workers.children:
            self.workers_clock = clock
            self.workers.query(
                "INSERT INTO wk_position (name, notification_id) VALUES ('notifications', %s)"
                " ON CONFLICT (name) DO UPDATE SET notification_id ="
                " greatest(wk_position.notification_id, EXCLUDED.notification_id) RETURNING 1",
                self.ledger.recorder.max_notification_id() or 0,
            )
            self.workers.start("feed", WORKERS_FEED_POLL_SECONDS="0.2")
            self.workers.start("worker")

    def outbox_to(self, phone: str) -> list[tuple[Any, ...]]:
        """(kind, status) of identity's messages still addressed to `phone` (a final one
        forgets its address)."""
        return self.workers.query(
            "SELECT kind, status FROM wk_outbox WHERE address = %s ORDER BY created_at", phone
        )

    def sms_to(self, phone: str, after: int = 0) -> list[str]:
        """Every SMS queued for `phone` so far, once the workers have sent them all."""
        self.deliver()
        wait_for(
            lambda: not any(s in ("pending", "sending") for _, s in self.outbox_to(phone)),
            60,
            f"the SMS to {phone} to be sent",
        )
        return self.sms.to(phone)[after:]

    def password_sent_to(self, phone: str) -> str:
        texts = [t for t in self.sms_to(phone) if "пароль" in t]
        assert texts, f"no password was sent to {phone}"
        found = re.search(r"(\S+)$", texts[-1])
        assert found, texts[-1]
        return found.group(1)

    def code_sent_to(self, phone: str) -> str:
        texts = [t for t in self.sms_to(phone) if "Код" in t]
        assert texts, f"no code was sent to {phone}"
        found = re.search(r"(\d{6})", texts[-1])
        assert found
        return found.group(1)

    def family(self, world: SchoolWorld, deposit: int = 50_000, login: bool = True) -> Family:
        pupil = world.pupil(deposit=deposit)
        phone = new_phone()
        self.identity.grant_parent(pupil.contract_number, pupil.account_id, phone, Access.MANAGE)
        password = self.password_sent_to(phone)
        family = Family(pupil, phone, password, self.client())
        if login:
            assert "accessToken" in family.client.login(pupil.contract_number, password)
        return family

    def school_office(self) -> Office:
        world = self.school()
        family = self.family(world)
        return Office(world, family, self.staff(Role.SCHOOL_ADMIN, world.school_id))

    def staff(self, role: Role, *schools: UUID, all_schools: bool = False) -> Client:
        username = f"{role.value}-{uuid4().hex[:8]}"
        self.identity.create_staff(username, STAFF_PASSWORD, role, schools, all_schools)
        client = self.client()
        assert "accessToken" in client.login(username, STAFF_PASSWORD)
        return client


@contextmanager
def running_stack(
    ledger: Ledger,
    database_url: str,
    development: bool = False,
    var_dir: Path | None = None,
    **api: Any,
) -> Iterator[Stack]:
    """`api`: further `ApiSettings` (limits) for this server; `var_dir`: where its photos go.
    The acquirer is the workers' loopback fake, calling back to this server's own webhook route."""
    with running_workers(database_url) as workers:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        # autopayments' verdicts, too, come back to the API's webhook route
        workers.extra_env["ACQUIRING_WEBHOOK_URL"] = f"{url}/acquiring/webhook"
        settings = ApiSettings(
            development=development,
            live_poll_seconds=0.1,
            acquiring_url=workers.acquiring.url,
            acquiring_key=workers.acquiring.token,
            acquiring_webhook_secret=SECRET,
            public_url=url,
            vapid_private_key=TEST_VAPID.private_text,
            # the loopback fake push service, and one that never answers (privacy sentinels)
            web_push_services=("127.0.0.1", "push.example.org"),
            **api,
        )
        server_settings = Settings(database_url=database_url, var_dir=var_dir or Settings().var_dir)
        container = Container(server_settings, database_url, ledger)
        app = create_app(container, settings)
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            proxy_headers=True,
            forwarded_allow_ips="127.0.0.1",
            ws="websockets-sansio",
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        wait_for(lambda: server.started, 10, "uvicorn to start")
        try:
            # a bound on a hang, not a speed check: a 500-line roster import once took over
            # 30 s at a load average of 10
            with httpx.Client(base_url=url, timeout=120) as http:
                services = app.state.graphql_services
                yield Stack(ledger, database_url, services, workers.sms, url, http, app, workers)
        finally:
            server.should_exit = True
            thread.join(timeout=10)


@contextmanager
def stack_of_its_own(*, pool_size: int = 5, snapshot_interval: int = 100) -> Iterator[Stack]:
    """A stack on a fresh database of its own, dropped afterwards."""
    url = fresh_database()
    ledger = Ledger(
        eventsourcing_env(url, pool_size=pool_size), snapshot_interval=snapshot_interval
    )
    try:
        with running_stack(ledger, url) as found:
            yield found
    finally:
        ledger.close()
        drop_database(url)
