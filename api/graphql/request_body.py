"""The JSON body of a GraphQL request: orjson, one shape, variables of bounded nesting and size.

Python's `json` recurses: variables nested 10,000 deep were a `RecursionError` (a 500). orjson
refuses nesting beyond its own limit; below it the variables are walked without recursion,
stopping at the first level or value over the limit: `400 variables_too_deep` /
`variables_too_large` in the terminal API's envelope, before strawberry sees the request.
A body that is not an operation object (or a list of them) with fields of the right types is
`400 invalid_request` (strawberry checks a single operation but not a batch's: `[1]` was a 500),
and so is a body that is no JSON at all (strawberry answered a bare text "Unable to parse
request body as JSON", without a code; a lone surrogate escape such as `"\\ud800"` is no
JSON for orjson).
"""

from typing import Any

import orjson

from api.errors import RequestRefusedError

MAX_VARIABLES_DEPTH = 16  # objects and lists inside `variables`; our deepest input is 4
MAX_VARIABLES_VALUES = 10_000  # every object, list and scalar inside `variables`


def too_deep() -> RequestRefusedError:
    return RequestRefusedError(
        "variables_too_deep", f"GraphQL variables nest at most {MAX_VARIABLES_DEPTH} levels"
    )


def decode(data: str | bytes) -> object:
    """The request (or batch), or `RequestRefusedError` with the code of what is wrong."""
    try:
        found = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        if "depth" in str(error):
            raise too_deep() from None
        raise RequestRefusedError("invalid_request", "the body is not JSON") from None
    for operation in found if isinstance(found, list) else [found]:
        check_shape(operation)
        check_variables(operation.get("variables"))
    return found


SHAPE = {"query": str, "operationName": str, "variables": dict, "extensions": dict}


def check_shape(operation: Any) -> None:
    if not isinstance(operation, dict):
        raise RequestRefusedError(
            "invalid_request", "a GraphQL request is an operation object or a list of them"
        )
    for name, kind in SHAPE.items():
        value = operation.get(name)
        if value is not None and not isinstance(value, kind):
            raise RequestRefusedError("invalid_request", f"`{name}` must be a {kind.__name__}")


def check_variables(variables: Any) -> None:
    pending: list[tuple[Any, int]] = [(variables, 1)]
    seen = 0
    while pending:
        value, depth = pending.pop()
        seen += 1
        if seen > MAX_VARIABLES_VALUES:
            raise RequestRefusedError(
                "variables_too_large",
                f"GraphQL variables hold at most {MAX_VARIABLES_VALUES} values",
            )
        if isinstance(value, dict | list):
            if depth > MAX_VARIABLES_DEPTH:
                raise too_deep()
            children = value.values() if isinstance(value, dict) else value
            pending.extend((child, depth + 1) for child in children)
