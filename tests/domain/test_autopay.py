"""A rule's card: new terms name a saved card by id; rules stored with the acquirer's token
(events of class version 1) still replay, keep charging it, and take a saved card next. A rule
in force changes its card alone, to another of the parent's saved cards."""

import json
from dataclasses import replace
from uuid import uuid4

import pytest
from eventsourcing.persistence import StoredEvent

from domain.autopay import MONTHLY, Autopayment, AutopayStateError, NoSavedCardError
from domain.errors import InvalidTextError
from domain.ledger import Ledger
from domain.standing import StandingOrders
from tests.builders import SchoolWorld

CARD = str(uuid4())


def test_a_rule_names_a_saved_card_by_its_id_and_nothing_else() -> None:
    account_id = uuid4()
    rule = Autopayment.schedule(account_id, MONTHLY, 30_000, 0, 5, CARD.upper())
    assert (rule.card_id, str(rule.saved_card_id), rule.legacy_token) == (CARD, CARD, None)
    with pytest.raises(NoSavedCardError):
        Autopayment.schedule(account_id, MONTHLY, 30_000, 0, 5, "tok-visa-4242")  # a token
    with pytest.raises(InvalidTextError):
        Autopayment.schedule(account_id, MONTHLY, 30_000, 0, 5, "")
    with pytest.raises(NoSavedCardError):
        rule.change(30_000, 0, 5, "legacy:tok-visa-4242")


def as_version_1(stored: StoredEvent, token: str) -> StoredEvent:
    """The event as the code before saved cards stored it: the token, no class version."""
    state = json.loads(stored.state)
    assert state.pop("class_version") == 2
    del state["card_id"]
    state["card_token"] = token
    return replace(stored, state=json.dumps(state).encode())


def test_a_rule_stored_with_a_token_replays_charges_it_and_takes_a_saved_card_next(
    ledger: Ledger, world: SchoolWorld
) -> None:
    pupil = world.pupil(deposit=10_000)
    rule = Autopayment.schedule(pupil.account_id, MONTHLY, 30_000, 0, 5, CARD)
    [created] = rule.collect_events()
    ledger.recorder.insert_events([as_version_1(ledger.mapper.to_stored_event(created), "tok-1")])

    old: Autopayment = ledger.repository.get(rule.id)
    assert (old.legacy_token, old.saved_card_id, old.amount) == ("tok-1", None, 30_000)
    with pytest.raises(NoSavedCardError):  # new terms never carry the token on
        old.change(40_000, 0, 5, old.card_id)
    old.change(40_000, 0, 5, CARD)
    ledger.save(old)
    [changed] = ledger.recorder.select_events(rule.id, gt=1)
    assert b"tok-1" not in changed.state
    assert CARD.encode() in changed.state
    again: Autopayment = ledger.repository.get(rule.id)
    assert (again.legacy_token, str(again.saved_card_id), again.amount) == (None, CARD, 40_000)


def test_a_rule_in_force_changes_its_card_to_one_of_the_parents_saved_cards(
    ledger: Ledger, world: SchoolWorld
) -> None:
    pupil = world.pupil(deposit=10_000)
    orders, other, strange = StandingOrders(ledger), str(uuid4()), str(uuid4())
    saved = [CARD, other]  # the cards the parent saved for the account
    orders.set_up(pupil.account_id, MONTHLY, 30_000, 0, 5, CARD)
    with pytest.raises(NoSavedCardError):  # a card, but not one the parent saved
        orders.change_card(pupil.account_id, MONTHLY, strange, saved)
    with pytest.raises(NoSavedCardError):
        orders.change_card(pupil.account_id, MONTHLY, "tok-visa-4242", saved)

    rule, _ = orders.change_card(pupil.account_id, MONTHLY, other.upper(), saved)
    events = ledger.repository.event_store.get(rule.id)
    assert [type(e) for e in events][-1] is Autopayment.CardChanged
    again: Autopayment = ledger.repository.get(rule.id)
    assert (str(again.saved_card_id), again.amount, again.day, again.state) == (
        other,
        30_000,
        5,
        "active",
    )
    version = again.version
    orders.change_card(pupil.account_id, MONTHLY, other, saved)  # the same card: nothing new
    assert ledger.repository.get(rule.id).version == version

    orders.pause(pupil.account_id, MONTHLY)
    paused, _ = orders.change_card(pupil.account_id, MONTHLY, CARD, saved)
    assert (str(paused.saved_card_id), paused.state) == (CARD, "paused")  # for when it resumes
    orders.cancel(pupil.account_id, MONTHLY, "больше не нужно")
    with pytest.raises(AutopayStateError):  # a cancelled rule is set up again instead
        orders.change_card(pupil.account_id, MONTHLY, other, saved)
