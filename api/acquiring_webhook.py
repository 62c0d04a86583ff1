"""The acquirer's webhook, a route of the API application: `POST /acquiring/webhook`.

The signature over the raw body is checked first (`adapters.acquiring.verify_webhook`); a
verified verdict settles the payment it names: a parent's top-up (`topup:…`, credited once
with the commission quoted at the start) or an autopayment (`autopay:<schedule>:<period>`).
It answers 2xx once settled, so the provider retries until then; settling is idempotent.
A succeeded top-up whose verdict carries a saved card (the parent ticked «Запомнить карту»)
keeps the card in the parent's personal data (`PeopleStore.save_card`, idempotent by token).
"""

import logging
from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from adapters.acquiring import (
    FAILED,
    PENDING,
    SUCCEEDED,
    AcquiringError,
    BadSignatureError,
    verify_webhook,
)
from adapters.people import PeopleStore
from api.errors import json_response, problem_response, status_of
from api.tap_batcher import TapBatcher
from domain.billing import Billing
from domain.errors import DomainError
from domain.ledger import Ledger
from domain.recorded import acting_as
from domain.top_up_request import SettleRequest
from domain.topups import TopUps

log = logging.getLogger(__name__)
PATH = "/acquiring/webhook"
ACTOR = "system:acquiring"
router = APIRouter(include_in_schema=False)


def keep_card(ledger: Ledger, people: PeopleStore, payment_id: str, token: str, last4: str) -> None:
    account_id = TopUps(ledger).payment(payment_id).account_id
    parent_ref = ledger.account(account_id).parent_ref
    people.save_card(parent_ref, account_id, token, last4, ledger.clock())


def settle(
    ledger: Ledger,
    people: PeopleStore,
    secret: str,
    body: bytes,
    signature: str,
    batcher: TapBatcher | None = None,
) -> Response:
    try:
        verdict = verify_webhook(secret, body, signature)
    except BadSignatureError:
        return problem_response(401, "bad_signature", "webhook signature does not match")
    except (AcquiringError, ValueError, KeyError, TypeError):
        return problem_response(400, "bad_payload", "not a payment verdict")
    if verdict.status == PENDING:
        return json_response({"ok": True})
    succeeded, reason = verdict.status == SUCCEEDED, verdict.reason
    kind, _, rest = verdict.payment_id.partition(":")
    try:
        with acting_as(ACTOR):
            if kind == "topup":
                request = SettleRequest(verdict.payment_id, succeeded, verdict.amount, reason)
                if batcher is not None:  # with the taps' group commit (`api/tap_batcher.py`)
                    batcher.top_up(request, ACTOR)
                else:
                    ledger.handle_top_up(request)
                if succeeded and verdict.card_token:
                    keep_card(
                        ledger, people, verdict.payment_id, verdict.card_token, verdict.card_last4
                    )
            elif kind == "autopay" and verdict.status in (SUCCEEDED, FAILED):
                schedule_id, _, period = rest.partition(":")
                billing = Billing(ledger)
                if succeeded and batcher is not None:  # the credit with the taps' group
                    batcher.top_up(billing.autopay_credit(UUID(schedule_id), period), ACTOR)
                else:
                    billing.settle_autopayment(UUID(schedule_id), period, succeeded, reason)
            else:
                return problem_response(404, "unknown_payment", "not our payment")
    except DomainError as error:
        log.warning("webhook for %s refused: %s", verdict.payment_id, error)
        return problem_response(status_of(error), error.code, str(error))
    except ValueError:
        return problem_response(404, "unknown_payment", "not our payment")
    return json_response({"ok": True})


@router.post(PATH)
async def acquiring_webhook(request: Request) -> Response:
    body = await request.body()
    ledger: Ledger = request.app.state.container.ledger
    services = request.app.state.graphql_services
    secret: str = services.settings.acquiring_webhook_secret
    batcher: TapBatcher = request.app.state.terminal_desk.batcher
    signature = request.headers.get("X-Signature", "")
    return await run_in_threadpool(
        settle, ledger, services.people, secret, body, signature, batcher
    )
