"""Money in over HTTP joins the taps' group commit (api/tap_batcher.py): a kiosk's cash deposit
and the acquirer's verdict on a parent's card payment are decided and saved by the batcher."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from adapters.acquiring import sign
from api.app import close_app, create_app
from api.graphql.services import ApiSettings
from app.composition import Container
from app.settings import Settings
from domain.account import Account
from domain.ledger import Ledger
from domain.topups import TopUps
from tests.terminals.rig import TerminalWorld

SECRET = "webhook-secret"


@pytest.fixture
def app(database_url: str, ledger: Ledger, tmp_path: Path) -> Iterator[FastAPI]:
    settings = Settings(database_url=database_url, var_dir=tmp_path)
    api = ApiSettings(acquiring_webhook_secret=SECRET, var_dir=tmp_path)
    app = create_app(Container(settings, database_url, ledger), api)
    yield app
    close_app(app)


def test_a_kiosk_deposit_is_saved_by_the_tap_batcher(school: TerminalWorld) -> None:
    pupil = school.world.pupil(deposit=10_000)
    school.desk.batcher.reset_counts()
    body = {"card_uid": pupil.uid, "amount": 25_000, "receipt_id": "R-group-1"}

    answer = school["kiosk"].post("/terminal/v1/kiosk/deposits", body)

    assert answer.status_code == 200
    assert answer.json()["receipt"]["regular_after"] == 35_000
    assert (school.desk.batcher.batches, school.desk.batcher.taps) == (1, 1)
    assert school.account(pupil.account_id).regular == 35_000


def test_a_kiosk_activation_is_saved_by_the_tap_batcher(school: TerminalWorld) -> None:
    pupil = school.world.pupil(activate=False)
    school.desk.batcher.reset_counts()
    body = {
        "card_uid": pupil.uid,
        "offer_version": "offer-2026",
        "consent_version": "pd-2026-01",
        "parent_phone": "+7 913 000-00-02",
        "deposit": 15_000,
        "receipt_id": "R-group-2",
    }

    answer = school["kiosk"].post("/terminal/v1/kiosk/activations", body)

    assert answer.status_code == 200
    assert answer.json()["receipt"]["regular_after"] == 15_000
    assert (school.desk.batcher.batches, school.desk.batcher.taps) == (1, 1)
    assert school.account(pupil.account_id).cards[pupil.uid] == "active"


def test_the_acquirers_verdict_is_saved_by_the_tap_batcher_and_credits_once(
    school: TerminalWorld, http: httpx.Client
) -> None:
    ledger = school.ledger
    pupil = school.world.pupil(deposit=10_000)
    payment, _ = TopUps(ledger).start(pupil.account_id, 20_000, "bank_card")
    body = (
        f'{{"payment_id": "{payment.payment_id}", "status": "succeeded", '
        f'"amount": {payment.total}}}'
    ).encode()
    school.desk.batcher.reset_counts()

    answers = [
        http.post("/acquiring/webhook", content=body, headers={"X-Signature": sign(SECRET, body)})
        for _ in range(2)  # the provider repeats itself
    ]

    assert [a.status_code for a in answers] == [200, 200]
    assert school.desk.batcher.taps == 2
    events = ledger.repository.event_store.get(pupil.account_id)
    credited = [e for e in events if isinstance(e, Account.ToppedUp)]
    assert [e.amount for e in credited if e.payment_id == payment.payment_id] == [20_000]
    assert school.account(pupil.account_id).regular == 30_000
