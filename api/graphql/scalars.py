"""Scalars: money and positions exceed GraphQL's 32-bit Int, so they travel as strings."""

from typing import Any, NewType
from uuid import UUID

import strawberry
from strawberry.schema.types.base_scalars import wrap_parser

Kopecks = NewType("Kopecks", int)
Position = NewType("Position", int)


def parse_integer(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("expected whole kopecks as a string of digits")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit() and len(value) <= 19:
        return int(value)
    raise ValueError("expected a whole number as a string of digits")


SCALARS: dict[object, Any] = {
    UUID: strawberry.scalar(
        name="UUID",
        description="An object's id (schools, terminals, logins), as an RFC 4122 string.",
        serialize=str,
        parse_value=wrap_parser(UUID, "UUID"),
    ),
    Kopecks: strawberry.scalar(
        name="Kopecks",
        description="Money in whole kopecks (1 ₽ = 100), as a decimal string: may exceed 2^31.",
        serialize=str,
        parse_value=parse_integer,
    ),
    Position: strawberry.scalar(
        name="Position",
        description="A ledger notification id; pass it as `atLeast` to read your own writes.",
        serialize=str,
        parse_value=parse_integer,
    ),
}
