"""Slow GraphQL never holds up the terminals: with more GraphQL requests stuck in PostgreSQL
than the server has threads, `/health` and a terminal tap are still answered (GraphQL's
resolvers and validation run in a thread limiter of their own, off the event loop)."""

from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import httpx
import psycopg

from identity.service import Role
from tests.api.stack import Stack
from tests.builders import meal
from tests.terminals.rig import terminal_world
from tests.workers.harness import wait_for

STUCK = 48  # more than anyio's default 40 threads, which the terminal routes use
ACCOUNT = "query($c: String!) { account(contractNumber: $c) { regular } }"
LOCK_WAITERS = """SELECT count(*) FROM pg_locks
  WHERE relation = 'balances'::regclass AND NOT granted"""


def test_graphql_stuck_on_a_locked_read_model_does_not_delay_taps_or_health(
    stack: Stack,
) -> None:
    school = terminal_world(stack.ledger, stack.app.state.terminal_desk, stack.http)
    family = stack.family(school.world)
    pupil = school.world.pupil(deposit=50_000)
    admin = stack.staff(Role.SCHOOL_ADMIN, school.world.school_id)
    stack.project()
    headers = {"Authorization": f"Bearer {admin.token}", "X-Forwarded-For": admin.address}
    payload = {"query": ACCOUNT, "variables": {"c": family.contract}}

    def ask() -> dict[str, Any]:
        answer = httpx.post(f"{stack.url}/graphql", json=payload, headers=headers, timeout=60)
        found: dict[str, Any] = answer.json()
        return found

    with (
        psycopg.connect(stack.database_url) as locker,
        psycopg.connect(stack.database_url, autocommit=True) as watcher,
        ThreadPoolExecutor(STUCK) as pool,
    ):
        locker.execute("LOCK TABLE balances IN ACCESS EXCLUSIVE MODE")
        stuck: list[Future[dict[str, Any]]] = [pool.submit(ask) for _ in range(STUCK)]
        wait_for(
            lambda: watcher.execute(LOCK_WAITERS).fetchone() == (10,),  # every read connection
            30,
            "the read pool's 10 connections to wait on the lock",
        )

        health = stack.http.get("/health")
        tapped = school["canteen_pos"].tap(pupil.uid, items=[meal(100)])

        assert not any(f.done() for f in stuck)  # all still waiting on the lock
        locker.rollback()
        answers = [f.result() for f in stuck]

    assert health.json() == {"status": "ok"}
    assert tapped.status_code == 200
    assert tapped.json()["outcome"] == "approved"
    assert answers == [{"data": {"account": {"regular": "50000"}}}] * STUCK
