"""Scalars: money and positions exceed GraphQL's 32-bit Int, so they travel as strings."""

from typing import Annotated, Any, NewType

import strawberry

Kopecks = NewType("Kopecks", int)
Position = NewType("Position", int)
AtLeast = Annotated[
    Position | None,
    strawberry.argument(
        description="Read your own writes: wait (a few seconds at most) until the read models"
        " have applied this ledger position (a mutation's `position`)."
    ),
]


def parse_integer(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("expected whole kopecks as a string of digits")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit() and len(value) <= 19:
        return int(value)
    raise ValueError("expected a whole number as a string of digits")


SCALARS: dict[object, Any] = {
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
