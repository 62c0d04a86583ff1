"""The demo school `make run` seeds lives on its own clock: what it dates, it dates by the
school's day, not by UTC's (at this suite's default instant, 1 March in Novosibirsk is still
28 February in UTC)."""

from collections.abc import Iterator
from datetime import datetime

import pytest

from adapters.postgres import eventsourcing_env
from cli.demo import PUPILS, demo_contract, seed_demo
from domain.account import Account
from domain.ledger import Ledger
from tests.clock import today
from tests.services import drop_database, fresh_database


@pytest.fixture
def own_ledger() -> Iterator[Ledger]:
    """A ledger on a database of its own: the demo is seeded once per database."""
    url = fresh_database()
    found = Ledger(eventsourcing_env(url, pool_size=2))
    yield found
    found.close()
    drop_database(url)


def test_the_demos_subsidies_are_credited_for_the_schools_day(
    travelled: datetime, own_ledger: Ledger
) -> None:
    seed_demo(own_ledger)
    subsidised = [n for n in range(1, PUPILS + 1) if n % 5 == 0]
    assert subsidised
    for n in subsidised:
        account_id = own_ledger.account_id_for_contract(demo_contract(n))
        events = own_ledger.repository.event_store.get(account_id)
        credits = [e for e in events if isinstance(e, Account.SubsidyCredited)]
        assert [(e.period, e.amount) for e in credits] == [(today().isoformat(), 9_000)]
