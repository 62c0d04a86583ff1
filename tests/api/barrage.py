"""A running stack on a database of its own (API over uvicorn, the ledger, the workers' feed
and a dramatiq worker process), a school whose terminals sign their requests, families and
staff logged in, and the check that whatever the API accepted every read model and the
workers' feed applied: for the barrage tests (issue 10)."""

import json
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import psycopg

from adapters.postgres import eventsourcing_env
from domain.ledger import Ledger
from identity.service import Role
from projections import all_projections, positions
from projections.runner import Source
from tests.api.stack import Client, Family, Stack, running_stack
from tests.builders import Pupil, SchoolWorld
from tests.clock import child_clock
from tests.projections.helpers import catch_up, cli, own_database
from tests.terminals.rig import SignedTerminal
from tests.workers.harness import wait_for

FEED_TIMEOUT = 60  # bounds a hang (the failure), never a measured duration


def surrogates(value: Any) -> bool:
    """Whether a surrogate code point is anywhere in `value` (strings in dicts and lists)."""
    if isinstance(value, str):
        return any(0xD800 <= ord(c) <= 0xDFFF for c in value)
    if isinstance(value, dict):
        return any(surrogates(k) or surrogates(v) for k, v in value.items())
    if isinstance(value, list):
        return any(surrogates(v) for v in value)
    return False


@dataclass
class Barrage:
    stack: Stack
    world: SchoolWorld
    other: SchoolWorld
    terminals: dict[str, SignedTerminal]
    foreign: dict[str, SignedTerminal]
    families: list[Family]
    admin: Client
    support: Client
    pupils: list[Pupil]  # with an active card, no login
    inactive: list[Pupil]  # a card the kiosk may activate
    feed: "subprocess.Popen[bytes]"
    answers: dict[str, int] = field(default_factory=dict)  # "path status" -> how many

    @property
    def ledger(self) -> Ledger:
        return self.stack.ledger

    @property
    def database_url(self) -> str:
        return self.stack.database_url

    def head(self) -> int:
        return self.ledger.recorder.max_notification_id() or 0

    def uids(self) -> list[str]:
        """Every card UID the barrage knows, of both schools, in a stable order."""
        people = [*self.pupils, *self.inactive, *(f.pupil for f in self.families)]
        return [p.uid for p in people] + ["04AABBCCDDEE00"]

    def count(self, what: str, response: httpx.Response) -> None:
        code = ""
        if response.status_code >= 400 and what != "/graphql":
            code = str(response.json().get("code"))
        key = f"{what} {response.status_code} {code}".strip()
        self.answers[key] = self.answers.get(key, 0) + 1

    def signed(
        self, terminal: SignedTerminal, path: str, body: bytes, method: str = "POST"
    ) -> httpx.Response:
        """A terminal's request: never a server error, whatever the body."""
        response = terminal.send(method, path, body)
        self.count(path, response)
        assert response.status_code < 500, (path, body[:2000], response.text)
        return response

    def graphql(self, client: Client, query: str, variables: dict[str, Any]) -> httpx.Response:
        """A GraphQL request as a browser sends it (variables as JSON text, hostile text
        escaped): never a server error, never "Unexpected error."."""
        body = json.dumps({"query": query, "variables": variables}, ensure_ascii=True)
        headers = {"Content-Type": "application/json", "X-Forwarded-For": client.address}
        if client.token:
            headers["Authorization"] = f"Bearer {client.token}"
        response = client.http.post("/graphql", content=body.encode(), headers=headers)
        assert response.status_code < 500, (query, variables, response.text)
        content_type = response.headers.get("content-type", "")
        # A GraphQL answer, or a problem (4xx, with its code) for a body that is no JSON to
        # orjson: a lone surrogate escape (api/graphql/request_body.py).
        problem = content_type.startswith("application/problem+json")
        assert content_type.startswith("application/json") or problem, (
            query, variables, response.status_code, response.text,
        )  # fmt: skip
        answer = response.json()
        if problem:
            refused = (response.status_code, answer["code"])
            assert refused == (400, "invalid_request"), (query, variables, response.text)
            assert surrogates(variables), (query, variables, response.text)
            self.count("/graphql", response)
            return response
        self.answers_graphql(query, answer)
        errors = answer.get("errors", []) if isinstance(answer, dict) else []
        unexpected = [e for e in errors if "Unexpected error" in str(e.get("message"))]
        assert not unexpected, (query, variables, answer)
        return response

    def answers_graphql(self, query: str, answer: Any) -> None:
        name = query.split("{", 1)[1].split("(", 1)[0].strip()
        data = answer.get("data") if isinstance(answer, dict) else None
        result = (data or {}).get(name) or {}
        refusals = result.get("userErrors") or []  # the first refusal
        recorded = "recorded" if result.get("position") else None
        outcome = (refusals[0].get("code") if refusals else None) or recorded or "error"
        self.answers[f"{name} {outcome}"] = self.answers.get(f"{name} {outcome}", 0) + 1

    def applied(self) -> None:
        """Every projection reaches the head without an error, and so does the feed."""
        head = self.head()
        catch_up(self.ledger, self.database_url)  # raises on an event a projection refuses
        table = Source(self.ledger).events_table
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            rows = {r["name"]: r for r in positions.status(conn, table)}
        assert sorted(rows) == sorted(p.name for p in all_projections())
        for name, row in rows.items():
            assert row["last_error"] is None, (name, row)
            assert row["position"] >= head, (name, row)
        self.fed(head)

    def fed(self, head: int) -> None:
        def caught_up() -> bool:
            assert self.feed.poll() is None, "the workers' feed exited (see its log)"
            found = self.stack.workers.query(
                "SELECT notification_id FROM wk_position WHERE name = 'notifications'"
            )
            return bool(found) and found[0][0] >= head

        wait_for(caught_up, FEED_TIMEOUT, f"the workers' feed to reach {head}")

    def audited(self) -> None:
        """`projections status` and `audit verify` as an operator runs them: both clean."""
        status = cli(self.database_url, "projections", "status", "--max-lag", "0")
        assert status.returncode == 0, status.stdout + status.stderr
        assert "PROBLEM" not in status.stdout
        verify = cli(self.database_url, "audit", "verify", "--wait", "30")
        assert verify.returncode == 0, verify.stdout + verify.stderr
        assert "differences: 0" in verify.stdout, verify.stdout
        assert "NOT VERIFIED" not in verify.stdout, verify.stdout
        assert self.feed.poll() is None, "the workers' feed exited (see its log)"
        wait_for(self.stack.workers.outbox_settled, FEED_TIMEOUT, "the outbox to be sent")


def signed_terminals(stack: Stack, world: SchoolWorld) -> dict[str, SignedTerminal]:
    desk = stack.app.state.terminal_desk
    return {
        kind: SignedTerminal(
            stack.http, terminal_id, desk.secrets.issue(terminal_id, world.school_id)
        )
        for kind, terminal_id in world.terminals.items()
    }


@contextmanager
def running_barrage() -> Iterator[Barrage]:
    with own_database() as database_url:
        ledger = Ledger(eventsourcing_env(database_url), snapshot_interval=10)
        try:
            with running_stack(ledger, database_url) as stack:
                # The feed from the first event on (no position set): it must apply them all.
                feed = stack.workers.start("feed")
                stack.workers.start("worker")
                stack.workers_clock = child_clock()  # so `deliver` keeps these two running
                world, other = stack.school(), stack.school()
                families = [stack.family(world), stack.family(world)]
                admin = stack.staff(Role.SCHOOL_ADMIN, world.school_id)
                support = stack.staff(Role.SUPPORT, world.school_id)
                pupils = [world.pupil(), world.pupil(deposit=10_000), other.pupil()]
                inactive = [world.pupil(activate=False), world.pupil(activate=False)]
                yield Barrage(
                    stack, world, other, signed_terminals(stack, world),
                    signed_terminals(stack, other), families, admin, support, pupils,
                    inactive, feed,
                )  # fmt: skip
        finally:
            ledger.close()
