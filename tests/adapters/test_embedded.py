"""Without DATABASE_URL / REDIS_URL the system starts real servers under var/: same code path."""

from pathlib import Path
from tempfile import TemporaryDirectory

import psycopg
import redis

from adapters.embedded import stop_postgres
from app.composition import build_ledger, resolve_database_url, resolve_redis_url
from app.settings import Settings
from tests.builders import new_school


def test_without_urls_a_real_postgresql_and_redis_are_started_under_var() -> None:
    # Not pytest's tmp_path: as root, pgserver runs PostgreSQL as its own user and opens the
    # path's parents to it, and any pytest session starting meanwhile closes its base
    # /tmp/pytest-of-root to 0700 again, so initdb could find its directory out of reach.
    with TemporaryDirectory(prefix="infoshkola-embedded-") as place:
        tmp_path = Path(place)
        settings = Settings(var_dir=tmp_path / "var", database_name="embedded_check")
        try:
            check_embedded_servers(settings, tmp_path)
        finally:
            stop_postgres(settings.var_dir)


def check_embedded_servers(settings: Settings, tmp_path: Path) -> None:
    url = resolve_database_url(settings)
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT current_database(), version()").fetchone()
    assert row is not None
    assert row[0] == "embedded_check"
    assert "PostgreSQL" in row[1]
    assert (tmp_path / "var" / "pg" / "PG_VERSION").exists()

    ledger = build_ledger(settings, url)
    try:
        world = new_school(ledger)
        pupil = world.pupil(deposit=20_000)
        assert world.tap("vending", pupil.uid, items=[{"code": "A", "name": "B", "price": 5_000}])
        assert ledger.account(pupil.account_id).regular == 15_000
    finally:
        ledger.close()

    client = redis.Redis.from_url(resolve_redis_url(settings))
    assert client.ping()
    client.set("embedded", "yes")
    assert client.get("embedded") == b"yes"


def test_given_urls_are_used_as_they_are() -> None:
    settings = Settings.from_env(
        {
            "DATABASE_URL": "postgresql://u@db:5432/x",
            "REDIS_URL": "redis://cache:6379/3",
            "COMMISSION_RATES": "bank_card=0.025",
        }
    )
    assert settings.database_url == "postgresql://u@db:5432/x"
    assert resolve_redis_url(settings) == "redis://cache:6379/3"
    assert settings.commission_rates == {"bank_card": "0.025"}
