"""compose.yaml runs what `infoshkola up` runs, one process a service, each with a health
check that can fail; the image is built in two stages from the lock and runs unprivileged."""

import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from uuid import uuid4

import redis
import yaml

from cli.health import Service
from cli.up import SERVICES
from domain.ledger import Ledger
from tests.builders import new_school
from tests.services import redis_server_url

ROOT = Path(__file__).resolve().parents[2]
ONE_SHOT = {"migrate", "demo"}
SERVERS = {"postgres", "redis"}


def compose() -> dict[str, dict[str, Any]]:
    services: dict[str, dict[str, Any]] = yaml.safe_load((ROOT / "compose.yaml").read_text())[
        "services"
    ]
    return services


def test_compose_starts_the_same_processes_as_infoshkola_up() -> None:
    services = compose()
    long_running = {
        name: spec["command"] for name, spec in services.items()
        if name not in SERVERS and spec.get("restart") != "no"
    }  # fmt: skip
    assert long_running == {name: list(args) for name, args in SERVICES.items()}
    assert {name for name, spec in services.items() if spec.get("restart") == "no"} == ONE_SHOT
    assert set(SERVICES) == {s.value for s in Service}


def test_every_service_has_a_real_health_check_volumes_and_the_env_file() -> None:
    services = compose()
    for name in SERVICES:
        spec = services[name]
        assert spec["healthcheck"]["test"] == ["CMD", "infoshkola", "health", name]
        assert {"data:/data", "photos:/data/blobs"} <= set(spec["volumes"])
        assert spec["env_file"] == [{"path": ".env", "required": False}]
        needs = spec["depends_on"]
        assert needs["migrate"] == {"condition": "service_completed_successfully"}
    assert services["migrate"]["command"] == ["migrate"]


def test_the_image_is_multi_stage_from_the_lock_and_not_root() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    stages = [line for line in dockerfile.splitlines() if line.startswith("FROM ")]
    assert stages[0] == "FROM node:20-slim AS web"
    assert stages[1].endswith(" AS build")
    assert len(stages) == 3
    web, rest = dockerfile.split(f"\n{stages[1]}\n")
    build, runtime = rest.split(f"\n{stages[2]}\n")
    # The pages are built from the locked npm tree, their types from the exported schema.
    assert "COPY frontend/package.json frontend/package-lock.json ./" in web
    assert "RUN npm ci" in web
    assert "COPY schema.graphql /src/schema.graphql" in web
    assert web.index("RUN npm ci") < web.index("RUN npm run build")
    assert "--require-hashes -r /src/requirements.lock" in build
    assert "swig" in build
    assert "libpcsclite-dev" in build
    assert "import smartcard.System" in build  # pyscard is built and imports in the build stage
    assert "COPY --from=build /opt/venv /opt/venv" in runtime
    assert "COPY --from=web /src/frontend/dist /app/web" in runtime
    assert "WEB_DIR=/app/web" in runtime  # api/web.py serves the pages from there
    assert "USER infoshkola" in runtime
    assert "build-essential" not in runtime
    assert "node" not in runtime
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {"frontend/node_modules", "frontend/dist"} <= set(ignored)


def run_health(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli.main", "health", *args],
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_health_checks_fail_when_the_process_lags_or_is_absent(
    ledger: Ledger, database_url: str
) -> None:
    new_school(ledger).pupil(deposit=50_000)  # events nobody has followed yet
    namespace = f"operable-{uuid4().hex[:8]}"
    env = {"DATABASE_URL": database_url, "REDIS_URL": redis_server_url(),
           "WORKERS_NAMESPACE": namespace}  # fmt: skip

    feed = run_health(env, "feed", "--max-lag", "0")
    assert feed.returncode == 1
    assert feed.stderr.startswith("unhealthy: the feed is ")
    assert len(feed.stderr.splitlines()) == 1
    assert run_health(env, "feed", "--max-lag", "100000").returncode == 0

    assert run_health(env, "scheduler").returncode == 1
    client = redis.Redis.from_url(redis_server_url())
    try:
        client.set(f"{namespace}:scheduler:lock", "me", px=60_000)
        assert run_health(env, "scheduler").returncode == 0
        assert run_health(env, "worker").returncode == 1  # no dramatiq worker heartbeat
    finally:
        client.delete(f"{namespace}:scheduler:lock")
        client.close()
    assert run_health({**env, "API_PORT": "1"}, "api").returncode == 1
