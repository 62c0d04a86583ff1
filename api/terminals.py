"""Terminal ingestion `/terminal/v1/...`: signed requests in, orjson answers out.

The body's size is limited while it streams in, before this router (`api/body_limit.py`).
The signature is checked over the raw bytes before anything is parsed (the async
dependency reads the body; the signature is checked on the event loop from the secret in
memory, in the threadpool when it must be read first; the revocation look and the counter
wait for `TerminalDesk`'s admission thread, shared by concurrent requests). A tap's route
is async: it waits for its group commit and its pupil's name without holding a thread; its
requests are answered ahead of this router by `api/terminals_tap.py` (pure ASGI), and its
route here stays for the OpenAPI document. The other routes are plain `def`s, so FastAPI
runs their eventsourcing calls in its threadpool.
"""

import inspect
from collections.abc import Callable
from operator import attrgetter
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request, Response, Security
from fastapi.security import APIKeyHeader
from pydantic import BaseModel

from adapters.terminal_auth import SignedRequest
from api.errors import json_response, problem_response
from api.photos import PHOTO_RESPONSES, photo_response
from api.terminal import Terminal
from api.terminal_desk import TerminalDesk
from api.terminal_schemas import (
    ERRORS,
    PIN_ERRORS,
    ActivationInput,
    BalanceInput,
    DenyListPublic,
    DepositInput,
    DuplicateInput,
    ReceiptPublic,
    TapBatchInput,
    TapBatchPublic,
    TapDecisionPublic,
    TapInput,
    body_of,
)
from domain.errors import InvalidCommandError

router = APIRouter(prefix="/terminal/v1", tags=["terminals"], responses=ERRORS)


async def get_desk(request: Request) -> TerminalDesk:
    """Async, so FastAPI calls it on the event loop: a plain `def` dependency costs a hand-off
    to its threadpool on every request (a fifth of the loop's work on a tap)."""
    desk: TerminalDesk = request.app.state.terminal_desk
    return desk


DeskDep = Annotated[TerminalDesk, Depends(get_desk)]


# The signature's three headers, as OpenAPI security schemes required together; checked by
# `desk.authenticate` (auto_error=False: a missing one is its `401`, in problem details).
TERMINAL_ID = APIKeyHeader(
    name="X-Terminal-Id", scheme_name="TerminalId", auto_error=False,
    description="the terminal's UUID",
)  # fmt: skip
COUNTER = APIKeyHeader(
    name="X-Counter", scheme_name="Counter", auto_error=False,
    description="a decimal integer, strictly increasing per terminal",
)  # fmt: skip
SIGNATURE = APIKeyHeader(
    name="X-Signature", scheme_name="Signature", auto_error=False,
    description="hex HMAC-SHA256(secret, terminal_id\\ncounter\\nMETHOD\\npath\\n + raw body)",
)  # fmt: skip


async def signed_terminal(
    request: Request,
    desk: DeskDep,
    x_terminal_id: Annotated[str | None, Security(TERMINAL_ID)] = None,
    x_counter: Annotated[str | None, Security(COUNTER)] = None,
    x_signature: Annotated[str | None, Security(SIGNATURE)] = None,
) -> Terminal:
    body = await request.body()
    path = request.scope["path"]
    query = request.scope.get("query_string", b"").decode("latin-1")
    if request.method == "GET" and query:
        path = f"{path}?{query}"
    signed = SignedRequest(
        x_terminal_id or "", x_counter or "", x_signature or "", request.method, path, body
    )
    return await desk.authenticate_async(signed)


TerminalDep = Annotated[Terminal, Depends(signed_terminal)]


def parsed(terminal: Terminal) -> object:
    try:
        return orjson.loads(terminal.body)
    except orjson.JSONDecodeError:
        raise InvalidCommandError("the body is not JSON") from None


# Every signed POST: its operationId, path, summary, answer and body schemas, and the desk's
# method that takes (terminal, parsed JSON body). A new kind of terminal request is a row here.
POSTS: list[tuple[str, str, str, type[BaseModel], type[BaseModel], str]] = [
    ("postTap", "/taps", "Decide one tap", TapDecisionPublic, TapInput, "tap"),
    ("postTapBatch", "/taps/batch", "Decide a batch of taps (offline uploads), answered in order",
     TapBatchPublic, TapBatchInput, "taps"),
    ("postKioskActivation", "/kiosk/activations",
     "Activate a card: offer accepted, parent phone, first cash deposit",
     ReceiptPublic, ActivationInput, "kiosk.activate"),
    ("postKioskDeposit", "/kiosk/deposits",
     "Cash deposit at the kiosk, by the card on the reader or by contract number",
     ReceiptPublic, DepositInput, "kiosk.deposit"),
    ("postKioskDuplicate", "/kiosk/duplicates",
     "Order a duplicate of a blocked card (fee from the regular wallet), after the kiosk PIN",
     ReceiptPublic, DuplicateInput, "kiosk.duplicate"),
    ("postKioskBalance", "/kiosk/balances", "The contract's balance, after the kiosk PIN",
     ReceiptPublic, BalanceInput, "kiosk.balance"),
]  # fmt: skip


def signed_post(handler: str) -> Callable[[Terminal, TerminalDesk], Any]:
    """A route that hands the signed JSON body to the desk's `handler` and answers its dict:
    on the event loop when the handler is async (a tap), else in FastAPI's threadpool."""
    handle = attrgetter(handler)
    if inspect.iscoroutinefunction(getattr(TerminalDesk, handler, None)):

        async def route_async(terminal: TerminalDep, desk: DeskDep) -> Response:
            return json_response(await handle(desk)(terminal, parsed(terminal)))

        return route_async

    def route(terminal: TerminalDep, desk: DeskDep) -> Response:
        return json_response(handle(desk)(terminal, parsed(terminal)))

    return route


for name, path, summary, answer, body, handler in POSTS:
    router.post(
        path,
        name=name,
        operation_id=name,
        summary=summary,
        response_model=answer,
        responses=PIN_ERRORS if "pin" in body.model_fields else None,
        openapi_extra=body_of(body),
    )(signed_post(handler))


@router.get(
    "/deny-list",
    summary="Blocked card UIDs of the terminal's school",
    operation_id="getDenyList",
    response_model=DenyListPublic,
)
def get_deny_list(terminal: TerminalDep, desk: DeskDep, since: int = 0) -> Response:
    return json_response(desk.denied_cards(terminal, since))


@router.get(
    "/photos/{sha256}",
    summary="A pupil's photo, for terminals of the pupil's school",
    operation_id="getPupilPhoto",
    response_class=Response,
    responses=PHOTO_RESPONSES,
)
def get_photo(sha256: str, terminal: TerminalDep, desk: DeskDep) -> Response:
    data = desk.photo(terminal, sha256)
    if data is None:
        return problem_response(404, "photo_not_found", "no such photo for this school")
    return photo_response(data)
