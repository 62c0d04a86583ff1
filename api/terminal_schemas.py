"""The ingestion API's JSON shapes, for OpenAPI. Requests are parsed from the signed raw
bytes with orjson (see `api.terminals`); these models document them, they do not parse."""

from typing import Any, Literal

from pydantic import BaseModel, Field


class ItemInput(BaseModel):
    code: str
    name: str
    price: int = Field(description="kopecks per unit")
    quantity: int = 1
    meal: bool = False


class TapInput(BaseModel):
    tap_id: str = Field(description="unique per terminal; a retry gets the original decision")
    card_uid: str = Field(examples=["04A1B2C3D4E5F6"])
    tapped_at: str = Field(description="the terminal's clock, ISO-8601 with a UTC offset")
    items: list[ItemInput] | None = Field(None, description="paying terminals")
    direction: Literal["in", "out"] | None = Field(None, description="turnstiles")
    offline: bool = Field(False, description="decided by the reader while offline")
    photo_check: Literal["confirmed", "mismatch"] | None = Field(
        None, description="canteen: the operator compared the pupil with the photo"
    )


class TapBatchInput(BaseModel):
    taps: list[TapInput]


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
    pupil: PupilPublic | None
    position: int = Field(description="notification id: read models at or past it show this")
    replayed: bool


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorPublic(BaseModel):
    error: ErrorDetail


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


class ActivationInput(BaseModel):
    card_uid: str
    offer_version: str
    parent_phone: str
    deposit: int = Field(description="kopecks, at least 10 000")
    receipt_id: str


class DepositInput(BaseModel):
    card_uid: str
    amount: int = Field(description="kopecks")
    receipt_id: str


class DuplicateInput(BaseModel):
    contract_number: str | None = None
    card_uid: str | None = Field(None, description="the blocked card")
    new_card_uid: str


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


ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorPublic} for status in (400, 401, 403, 404, 409)
}
