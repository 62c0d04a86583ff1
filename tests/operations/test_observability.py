"""Metrics, probes, request ids and logs, on the real app, PostgreSQL and Redis."""

import io
import json
import logging
import re
import warnings
from datetime import timedelta
from uuid import uuid4

import httpx
import redis
from fastapi import FastAPI
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from api.app import close_app, create_app
from api.scrape import QUEUES as COUNTED_QUEUES
from app.composition import Container
from app.logs import bind_request_id, configure_logging, info_line
from app.settings import Settings
from domain.ledger import Ledger
from identity import throttle
from identity.service import Identity
from tests.builders import meal, snack
from tests.problems import problem
from tests.services import redis_server_url
from tests.terminals.rig import TerminalWorld
from workers.actors import QUEUES

with warnings.catch_warnings():  # starlette asks for httpx2; httpx is what we ship
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def samples(http: httpx.Client) -> Samples:
    scraped = http.get("/metrics")
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain")
    found = {}
    for family in text_string_to_metric_families(scraped.text):
        for s in family.samples:
            found[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return found


def value(found: Samples, name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_count_taps_by_outcome_and_reason_and_report_lag_outbox_and_queues(
    school: TerminalWorld, http: httpx.Client, app: FastAPI
) -> None:
    before = samples(http)
    rich = school.named_pupil("Иванов Иван", deposit=50_000)
    poor = school.named_pupil("Петров Пётр", deposit=10_000)
    till = school["canteen_pos"]
    assert till.tap(rich.uid, items=[meal(9000)]).json()["outcome"] == "approved"
    declined = till.tap(poor.uid, items=[snack(15_000)]).json()
    assert declined["outcome"] == "declined"
    namespace = app.state.container.settings.workers_namespace
    client = redis.Redis.from_url(redis_server_url())
    client.rpush(f"{namespace}:dramatiq:billing", "m1", "m2")
    try:
        after = samples(http)
    finally:
        client.delete(f"{namespace}:dramatiq:billing")
        client.close()

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    reason = declined["reason"]
    assert grew("infoshkola_tap_decisions_total", outcome="approved", reason="") == 1
    assert grew("infoshkola_tap_decisions_total", outcome="declined", reason=reason) == 1
    assert grew("infoshkola_group_commit_size_count") == 2  # one group per tap: one at a time
    assert grew("infoshkola_group_commit_size_sum") == 2
    taps = {"method": "POST", "route": "/terminal/v1/taps", "status": "200"}
    assert grew("infoshkola_http_requests_total", **taps) == 2
    assert value(after, "infoshkola_ledger_head") >= declined["position"]
    assert value(after, "infoshkola_queue_depth", queue="billing") == 2
    assert value(after, "infoshkola_queue_depth", queue="notifications") == 0
    assert set(COUNTED_QUEUES) == set(QUEUES)


def test_ready_checks_postgresql_and_redis_and_live_answers(
    http: httpx.Client, database_url: str, ledger: Ledger
) -> None:
    ready = http.get("/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"postgresql": "ok", "redis": "ok"}}
    assert http.get("/live").json() == {"status": "live"}

    no_redis = Settings(database_url=database_url, redis_url="redis://127.0.0.1:1/0")
    broken = create_app(Container(no_redis, database_url, ledger))
    try:
        refused = TestClient(broken).get("/ready")
        assert refused.status_code == 503
        body = problem(refused)
        assert body["code"] == "not_ready"
        assert body["checks"]["postgresql"] == "ok"
        assert body["checks"]["redis"].startswith("failed")
        assert TestClient(broken).get("/live").status_code == 200
    finally:
        close_app(broken)


def test_a_request_id_is_taken_from_the_request_or_made_and_returned(http: httpx.Client) -> None:
    given = http.get("/live", headers={"X-Request-ID": "lb-1234.abc"})
    assert given.headers["x-request-id"] == "lb-1234.abc"
    made = http.get("/live", headers={"X-Request-ID": "bad id with spaces"})
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["x-request-id"])
    assert made.headers["x-request-id"] != http.get("/live").headers["x-request-id"]


def test_a_refused_login_attempt_is_counted_by_scope(database_url: str) -> None:
    identity = Identity(database_url)
    try:
        identity.create_tables()
        labels = {"scope": "login"}
        before = REGISTRY.get_sample_value("infoshkola_login_throttled_total", labels) or 0
        with identity.pool.connection() as conn:
            key = throttle.name_key("login", f"DEMO-{uuid4().hex[:6]}")
            now = identity.clock()
            assert throttle.admit(conn, {key: 1}, timedelta(minutes=5), now)
            assert not throttle.admit(conn, {key: 1}, timedelta(minutes=5), now)
        after = REGISTRY.get_sample_value("infoshkola_login_throttled_total", labels) or 0
        assert after - before == 1
    finally:
        identity.close()


def test_logs_are_json_lines_with_the_request_id_at_the_level_set(http: httpx.Client) -> None:
    out = io.StringIO()
    configure_logging(Settings.from_env({"LOG_LEVEL": "info"}), stream=out)
    try:
        http.get("/live", headers={"X-Request-ID": "trace-42"})
        logging.getLogger("infoshkola.test").debug("not at INFO")
    finally:
        logging.getLogger().handlers.clear()
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    (request,) = [line for line in lines if line.get("logger") == "infoshkola.api.requests"]
    assert request["request_id"] == "trace-42"
    assert request["level"] == "info"
    assert "GET /live 200" in request["event"]
    assert not [line for line in lines if line.get("logger") == "infoshkola.test"]


def test_a_request_line_written_directly_is_the_line_logging_would_write() -> None:
    out, level = io.StringIO(), logging.getLogger().level
    configure_logging(Settings.from_env({"LOG_LEVEL": "info"}), stream=out)
    logger = logging.getLogger("infoshkola.api.requests")
    seen: list[logging.LogRecord] = []

    class Other(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record)

    other = Other()
    try:
        bind_request_id("trace-7")
        logger.info("%s", "GET /live 200 1.0ms", extra={"client": "10.0.0.7:5000"})
        info_line(logger, "GET /live 200 1.0ms", client="10.0.0.7:5000")
        logging.getLogger().addHandler(other)  # another handler: the line goes through logging
        info_line(logger, "GET /live 200 2.0ms")
        logging.getLogger().setLevel(logging.WARNING)
        info_line(logger, "not at WARNING")
    finally:
        logging.getLogger().handlers.clear()
        logging.getLogger().setLevel(level)
    through, direct, *rest = (json.loads(line) for line in out.getvalue().splitlines())
    assert through.pop("timestamp") <= direct.pop("timestamp")
    assert through == direct == {"event": "GET /live 200 1.0ms", "client": "10.0.0.7:5000",
                                 "request_id": "trace-7", "level": "info",
                                 "logger": "infoshkola.api.requests"}  # fmt: skip
    assert [line["event"] for line in rest] == ["GET /live 200 2.0ms"]
    assert [r.getMessage() for r in seen] == ["GET /live 200 2.0ms"]
