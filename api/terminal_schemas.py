"""The ingestion API's JSON shapes, for OpenAPI. Requests are parsed from the signed raw
bytes with orjson (see `api.terminals`); these models document them and name the fields a
request may carry (`api.terminal.fields_of` refuses any other); the domain checks the values
(`domain/fields.py`, limits in docs/terminals.md)."""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.account import ACTIVATION_MIN_DEPOSIT
from domain.fields import CODE, NAME
from domain.money import MAX_ITEM_PRICE, MAX_LINES, MAX_QUANTITY, MAX_TOP_UP
from domain.tap import MAX_CLOCK_SKEW, OFFLINE_MAX_AGE, ONLINE_MAX_AGE

MAX_BATCH = 500
TAPPED_AT = (
    "the terminal's clock, ISO-8601 with a UTC offset (at most ±14:00), stored in UTC; at most "
    f"{MAX_CLOCK_SKEW} ahead of the server's clock and at most {ONLINE_MAX_AGE} old for an "
    f"online tap, {OFFLINE_MAX_AGE} for an offline one (h:mm:ss)"
)


class StrictInput(BaseModel):
    """A request body: a field not listed is refused (`400 unknown_field`)."""

    model_config = ConfigDict(extra="forbid")


class ItemInput(StrictInput):
    code: str = Field(min_length=1, max_length=CODE.max_length)
    name: str = Field(min_length=1, max_length=NAME.max_length)
    price: int = Field(description="kopecks per unit", ge=1, le=MAX_ITEM_PRICE)
    quantity: int = Field(1, ge=1, le=MAX_QUANTITY)
    meal: bool = False


class TapInput(StrictInput):
    tap_id: str = Field(description="unique per terminal; a retry gets the original decision")
    card_uid: str = Field(examples=["04A1B2C3D4E5F6"])
    tapped_at: str = Field(description=TAPPED_AT)
    items: list[ItemInput] | None = Field(
        None, description="paying terminals", min_length=1, max_length=MAX_LINES
    )
    direction: Literal["in", "out"] | None = Field(None, description="turnstiles")
    offline: bool = Field(False, description="decided by the reader while offline")
    photo_check: Literal["confirmed", "mismatch"] | None = Field(
        None, description="canteen: the operator compared the pupil with the photo"
    )
    paying_wallet: Literal["regular", "subsidised"] | None = Field(
        None,
        description="canteen till, online: the operator's choice of the wallet that pays; "
        "`regular` pays everything from the parent's own money, `subsidised` pays the meals "
        "from the subsidy only (declined `insufficient_funds` when it does not cover them); "
        "recorded on the purchase",
    )
    slot: str | None = Field(
        None,
        description="wardrobe or locker: a free use with this hanger or locker number "
        "(1 to 16 letters, digits or dashes) instead of items; moves no money",
        examples=["17"],
        pattern=r"^[0-9A-Za-zА-Яа-яЁё][0-9A-Za-zА-Яа-яЁё\-]{0,15}$",
    )


class TapBatchInput(StrictInput):
    taps: list[TapInput] = Field(min_length=1, max_length=MAX_BATCH)


class PupilPublic(BaseModel):
    name: str | None
    class_: str | None = Field(alias="class")
    photo_url: str | None


class TapDecisionPublic(BaseModel):
    terminal_id: str
    tap_id: str
    card_uid: str
    kind: str
    outcome: Literal["approved", "declined"]
    reason: str | None
    local_date: str
    account_id: str | None
    amount: int
    from_regular: int
    from_subsidised: int
    regular_after: int | None
    subsidised_after: int | None
    spent_today: int | None
    daily_limit: int | None
    direction: str | None
    items: list[dict[str, Any]]
    offline: bool
    after_block: bool = Field(description="an offline tap made after the card was blocked")
    photo_check: str | None = Field(None, description="the operator's verdict, if given")
    paying_wallet: str | None = Field(None, description="the wallet the till operator chose")
    slot: str | None = Field(None, description="the hanger or locker number of a free use")
    preorder_id: str | None = Field(
        None, description="the pre-order served at this tap (paid when it was ordered)"
    )
    pupil: PupilPublic | None
    position: int = Field(description="notification id: read models at or past it show this")
    replayed: bool


class ErrorDetail(BaseModel):
    code: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details: every error answer of every route."""

    type: str = Field(description="urn:infoshkola:problem:<code>")
    title: str = Field(description="the HTTP status's phrase")
    status: int
    detail: str = Field(description="what is wrong, for people")
    code: str = Field(description="the stable code a client branches on", examples=["unknown_card"])


class TapFailure(BaseModel):
    tap_id: str | None
    error: ErrorDetail


class TapBatchPublic(BaseModel):
    results: list[TapDecisionPublic | TapFailure]


class DenyListPublic(BaseModel):
    version: int
    changed: bool = Field(description="version > since")
    uids: list[str] = Field(description="every blocked card UID of the terminal's school")
    offline_cap: int = Field(description="kopecks one card may spend offline")


class ActivationInput(StrictInput):
    card_uid: str
    offer_version: str
    consent_version: str = Field(
        description="the version of the consent to the processing of personal data the parent "
        "accepted with the offer (152-FZ; see docs/PRIVACY.md)"
    )
    parent_phone: str
    deposit: int = Field(description="kopecks", ge=ACTIVATION_MIN_DEPOSIT, le=MAX_TOP_UP)
    receipt_id: str


PIN = Field(
    description="the family's 4-digit kiosk PIN (sent by SMS at activation, or set in the "
    "cabinet); 403 `wrong_pin` or `pin_not_set`, 429 `pin_locked` after 5 wrong tries in "
    "15 minutes; a refused PIN records nothing",
    pattern=r"^[0-9]{4}$",
    examples=["0421"],
)


class DepositInput(StrictInput):
    """Name the contract by its card on the reader or by its number, exactly one."""

    card_uid: str | None = Field(None, description="the card on the reader")
    contract_number: str | None = Field(None, description="the contract, typed in (no card)")
    amount: int = Field(description="kopecks", ge=1, le=MAX_TOP_UP)
    receipt_id: str


class DuplicateInput(StrictInput):
    contract_number: str | None = None
    card_uid: str | None = Field(None, description="the blocked card")
    new_card_uid: str
    pin: str = PIN


class BalanceInput(StrictInput):
    """Name the contract by its card on the reader or by its number, exactly one."""

    card_uid: str | None = Field(None, description="the card on the reader")
    contract_number: str | None = Field(None, description="the contract, typed in")
    pin: str = PIN


class ReceiptPublic(BaseModel):
    receipt: dict[str, Any]
    position: int
    replayed: bool


REQUEST_SCHEMAS: dict[str, dict[str, Any]] = {}


def body_of(model: type[BaseModel]) -> dict[str, Any]:
    """`openapi_extra` for a JSON body the route reads itself (see `add_request_schemas`)."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    REQUEST_SCHEMAS.update(schema.pop("$defs", {}))
    REQUEST_SCHEMAS[model.__name__] = schema
    ref = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": ref}}}}


def add_request_schemas(openapi: dict[str, Any]) -> dict[str, Any]:
    schemas = openapi.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in REQUEST_SCHEMAS.items():
        schemas.setdefault(name, schema)
    return openapi


WHY = {
    400: "a malformed or refused request (`invalid_command`, `unknown_field`, …)",
    401: "not authenticated: a missing or bad signature, a replayed counter, an unknown terminal",
    403: "authenticated, but not allowed (a revoked terminal, another school's resource)",
    404: "no such resource",
    409: "a conflict: the same id with another payload, insufficient funds, a closed account",
    413: "the body is larger than the route's limit (`body_too_large`)",
    429: "too many tries (`pin_locked`: wrong kiosk PINs); try again later",
    500: "the server failed (`internal_error`); retry later",
    503: "a server the process needs does not answer (`not_ready`, with the `checks`)",
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for error statuses, each an RFC 9457 problem details body."""
    REQUEST_SCHEMAS["Problem"] = Problem.model_json_schema()
    ref = {"$ref": "#/components/schemas/Problem"}
    return {
        status: {
            "description": WHY[status],
            "content": {"application/problem+json": {"schema": ref}},
        }
        for status in statuses
    }


ERRORS = problems(400, 401, 403, 404, 409, 413, 500)
PIN_ERRORS = problems(429, 503)  # the kiosk PIN: locked out; the PINs cannot be checked
