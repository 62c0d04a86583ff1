"""Identity reads the time from the system's one injected clock, not from the machine or from
PostgreSQL: a session, a reset code and the login throttle's window all age as that clock moves.

The clock here starts far from any day this suite runs on, and each test moves it by hand, so a
time read from anywhere else (`datetime.now`, PostgreSQL's `now()`) would fail the test.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import psycopg
import pytest

from identity import secrets, service
from identity.service import Identity, Role

START = datetime(2031, 5, 20, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"
ADDRESS = "10.20.30.40"


@dataclass
class HandClock:
    at: datetime

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def clock() -> HandClock:
    return HandClock(START)


@pytest.fixture
def identity(database_url: str, clock: HandClock) -> Iterator[Identity]:
    found = Identity(database_url, clock=clock)
    found.create_tables()
    yield found
    found.close()


def cook(identity: Identity) -> str:
    name = f"cook-{uuid4().hex[:8]}"
    identity.create_staff(name, PASSWORD, Role.CANTEEN_OPERATOR, [uuid4()])
    return name


def test_an_access_token_and_its_session_expire_by_the_injected_clock(
    identity: Identity, clock: HandClock
) -> None:
    issued = identity.login(cook(identity), PASSWORD, ADDRESS)
    assert issued.expires_at == START + identity.settings.access_ttl
    clock.at = START + identity.settings.access_ttl - timedelta(seconds=1)
    assert identity.authenticate(issued.access_token) == issued.principal
    assert identity.signed_in(issued.access_token)
    clock.at = START + identity.settings.access_ttl
    assert identity.authenticate(issued.access_token) is None
    assert not identity.signed_in(issued.access_token)

    renewed = identity.refresh(issued.refresh_token)  # the session lives on
    assert renewed.expires_at == clock.at + identity.settings.access_ttl
    clock.at += identity.settings.session_ttl
    assert identity.authenticate(renewed.access_token) is None
    with pytest.raises(service.LoginRefusedError):
        identity.refresh(renewed.refresh_token)


def test_a_token_issued_ahead_of_the_clock_is_not_yet_valid(
    identity: Identity, clock: HandClock
) -> None:
    issued = identity.login(cook(identity), PASSWORD, ADDRESS)
    clock.at = START - timedelta(seconds=1)
    assert not identity.signed_in(issued.access_token)
    clock.at = START
    assert identity.signed_in(issued.access_token)


def test_the_throttle_window_passes_by_the_injected_clock(
    identity: Identity, clock: HandClock
) -> None:
    name = cook(identity)
    for _ in range(identity.settings.limits.per_name):
        with pytest.raises(service.LoginRefusedError):
            identity.login(name, "wrong password", ADDRESS)
    clock.at += identity.settings.limits.window - timedelta(seconds=1)
    with pytest.raises(service.ThrottledError):
        identity.login(name, PASSWORD, ADDRESS)
    clock.at += timedelta(seconds=2)
    assert identity.login(name, PASSWORD, ADDRESS).principal.role == Role.CANTEEN_OPERATOR


def test_a_reset_code_expires_by_the_injected_clock(
    identity: Identity, clock: HandClock, database_url: str
) -> None:
    contract = f"T-{uuid4().hex[:8]}"
    identity.grant_parent(contract, uuid4(), "+79135550077")
    code = "246810"

    def request_code() -> None:
        identity.request_reset(contract, ADDRESS)
        with psycopg.connect(database_url, autocommit=True) as conn:  # the SMS's code, known
            conn.execute(
                "UPDATE identity_reset_codes SET code_hash = %s WHERE principal_id = %s",
                (secrets.hash_secret(code), identity.principal_of(contract)),
            )

    request_code()
    clock.at += identity.settings.reset_ttl
    with pytest.raises(service.InvalidResetCodeError):
        identity.reset_password(contract, code, "a new password 1", ADDRESS)

    request_code()
    clock.at += identity.settings.reset_ttl - timedelta(seconds=1)
    identity.reset_password(contract, code, "a new password 2", ADDRESS)
    assert identity.login(contract, "a new password 2", ADDRESS).principal.kind == "parent"


def test_a_login_is_created_at_the_injected_clocks_time(
    identity: Identity, database_url: str
) -> None:
    """The personal-data export shows when a login was made (`privacy/office.py`)."""
    name = cook(identity)
    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT created_at FROM identity_principals WHERE principal_id = %s",
            (identity.principal_of(name),),
        ).fetchone()
    assert row == (START,)
