"""A parent's mutation that takes `input: {contractNumber, …}`, answered by its payload."""

from typing import Any

from tests.api.stack import Family


def run(family: Family, query: str, name: str, **fields: Any) -> dict[str, Any]:
    """`query` with `$i` = the family's contract and `fields`; the payload of field `name`."""
    payload: dict[str, Any] = family.client.data(
        query, i={"contractNumber": family.contract, **fields}
    )[name]
    return payload
