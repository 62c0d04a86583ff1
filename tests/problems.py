"""Reading an error answer in a test: every route answers RFC 9457 problem details
(`api/errors.py`); `problem_code` is THE way a test reads an error's typed code."""

from typing import Any

import orjson


def problem(response: Any) -> dict[str, Any]:
    """The problem details of an error answer (an httpx response, a starlette Response or a
    `tests/api/wire.py` Answer), checked to be one: media type, `status`, `type`."""
    media = response.headers.get("content-type", "")
    assert media.startswith("application/problem+json"), (media, response)
    body: dict[str, Any] = (
        orjson.loads(response.body) if hasattr(response, "body") else response.json()
    )
    status = getattr(response, "status_code", None) or response.status
    assert body["status"] == status, body
    assert body["type"] == f"urn:infoshkola:problem:{body['code']}", body
    return body


def problem_code(response: Any) -> str:
    return str(problem(response)["code"])
