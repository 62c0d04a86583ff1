"""A query's thread hand-offs: the session is checked once however many fields ask for the
viewer, and the balances row the first account field needs is read in the same hop.
Balance + 20-line statement is two hops (the session and the row; the statement page), not
four (a session check per field, the row, the page)."""

from collections.abc import Callable
from typing import Any

import pytest

from api.graphql.services import Services
from bench.load import BALANCE_AND_STATEMENT
from identity.service import Role
from tests.api.stack import Client, Stack


class Hops:
    """What the GraphQL services were asked to do off the event loop, by function name."""

    def __init__(self, services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
        self.names: list[str] = []
        self.sessions = 0
        real_run, real_authenticate = services.run, services.identity.authenticate

        async def run(fn: Callable[..., Any], *args: Any) -> Any:
            self.names.append(getattr(fn, "__name__", repr(fn)))
            return await real_run(fn, *args)

        def authenticate(token: str) -> Any:
            self.sessions += 1
            return real_authenticate(token)

        monkeypatch.setattr(services, "run", run)
        monkeypatch.setattr(services.identity, "authenticate", authenticate)

    def clear(self) -> None:
        self.names.clear()
        self.sessions = 0


@pytest.fixture
def hops(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Hops:
    return Hops(stack.services, monkeypatch)


def balance_and_statement(client: Client, contract: str) -> dict[str, Any]:
    return client.data(BALANCE_AND_STATEMENT, c=contract)


def test_staff_balance_and_statement_is_one_session_check_and_two_hops(
    stack: Stack, hops: Hops
) -> None:
    world = stack.school()
    admin = stack.staff(Role.SCHOOL_ADMIN, world.school_id)
    pupil = world.pupil(deposit=30_000)
    stack.project()
    balance_and_statement(admin, pupil.contract_number)  # the document validated once
    hops.clear()
    data = balance_and_statement(admin, pupil.contract_number)
    assert data["account"]["regular"] == "30000"  # Kopecks: a string
    assert len(data["statement"]["edges"]) == 1
    assert hops.sessions == 1
    assert hops.names == ["check", "read_now"]  # the session and the row; the page


def test_a_parents_balance_and_statement_is_one_session_check_and_two_hops(
    stack: Stack, hops: Hops
) -> None:
    office = stack.school_office()
    stack.project()
    family = office.family
    balance_and_statement(family.client, family.contract)
    hops.clear()
    data = balance_and_statement(family.client, family.contract)
    assert data["account"]["contractNumber"] == family.contract
    assert hops.sessions == 1
    assert hops.names == ["check", "read_now"]


def test_a_contract_the_viewer_may_not_see_reads_nothing_more(stack: Stack, hops: Hops) -> None:
    world, other = stack.school(), stack.school()
    foreign = other.pupil().contract_number
    stack.project()
    admin = stack.staff(Role.SCHOOL_ADMIN, world.school_id)
    query = "query($c: String!) { account(contractNumber: $c) { regular } }"
    assert admin.error_code(query, c=foreign) == "FORBIDDEN"
    hops.clear()
    assert admin.error_code(query, c=foreign) == "FORBIDDEN"
    assert admin.error_code(query, c="T-" + "9" * 40) == "FORBIDDEN"  # no such contract can be
    assert hops.sessions == 2
    assert hops.names == ["check", "check"]
    anonymous = stack.client()
    assert anonymous.error_code(query, c=foreign) == "UNAUTHENTICATED"
    assert hops.names == ["check", "check"]  # no token: nothing to check
