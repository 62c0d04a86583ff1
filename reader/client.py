"""The terminal's signed HTTP client for `/terminal/v1/...`.

Every request carries `X-Terminal-Id`, `X-Counter` (strictly increasing, persisted in the
journal) and `X-Signature` = hex HMAC-SHA256(secret, canonical), where canonical is
`"{terminal_id}\\n{counter}\\n{METHOD}\\n{path}\\n"` + the raw body; a GET's path includes its
query string. Requests go one at a time, so counters reach the server in order.
"""

import hashlib
import hmac
import threading
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

import httpx
import orjson

PREFIX = "/terminal/v1"


class ServerUnreachableError(Exception):
    """No answer, or the server failed (5xx): the tap stays journaled and is retried."""


class RequestRejectedError(Exception):
    """The server refused the request itself (4xx): retrying the same request will not help."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"server answered {status}: {body!r}")
        self.status = status
        self.body = body


def canonical(terminal_id: str, counter: int, method: str, path: str, body: bytes) -> bytes:
    return f"{terminal_id}\n{counter}\n{method}\n{path}\n".encode() + body


def sign(secret: bytes, message: bytes) -> str:
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


class TerminalClient:
    def __init__(
        self,
        server: str,
        terminal_id: UUID,
        secret: bytes,
        next_counter: Callable[[], int],
        timeout: float = 5.0,
        http: httpx.Client | None = None,
    ) -> None:
        """`http` lets many terminals in one process share a connection pool."""
        self.terminal_id = str(terminal_id)
        self.secret = secret
        self.next_counter = next_counter
        self.timeout = timeout
        self.server = server.rstrip("/")
        self._own_http = http is None
        # a dead network fails fast on connect; a slow server still gets `timeout` to answer
        self._timeout = httpx.Timeout(timeout, connect=min(2.0, timeout))
        self._http = http or httpx.Client(timeout=self._timeout)
        self._lock = threading.Lock()

    def close(self) -> None:
        if self._own_http:
            self._http.close()

    def post_tap(self, tap: dict[str, Any]) -> dict[str, Any]:
        decision: dict[str, Any] = self._call("POST", f"{PREFIX}/taps", tap)
        return decision

    def post_batch(self, taps: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        answer = self._call("POST", f"{PREFIX}/taps/batch", {"taps": list(taps)})
        results: list[dict[str, Any]] = answer["results"]
        if len(results) != len(taps):
            raise RequestRejectedError(200, f"{len(results)} results for {len(taps)} taps")
        return results

    def deny_list(self, since: int | None = None) -> dict[str, Any]:
        query = "" if since is None else "?" + urlencode({"since": since})
        answer: dict[str, Any] = self._call("GET", f"{PREFIX}/deny-list{query}", None)
        return answer

    def _call(self, method: str, path: str, payload: Any) -> Any:
        body = b"" if payload is None else orjson.dumps(payload)
        with self._lock:
            counter = self.next_counter()
            headers = {
                "X-Terminal-Id": self.terminal_id,
                "X-Counter": str(counter),
                "X-Signature": sign(
                    self.secret, canonical(self.terminal_id, counter, method, path, body)
                ),
            }
            if payload is not None:
                headers["Content-Type"] = "application/json"
            try:
                response = self._http.request(
                    method, self.server + path, content=body, headers=headers, timeout=self._timeout
                )
            except httpx.HTTPError as error:  # connect, read, timeout, protocol
                raise ServerUnreachableError(f"{method} {path}: {error!r}") from error
        if response.status_code >= 500:
            raise ServerUnreachableError(f"{method} {path}: {response.status_code}")
        try:
            answer = orjson.loads(response.content) if response.content else None
        except orjson.JSONDecodeError:
            answer = response.text
        if response.status_code >= 400:
            raise RequestRejectedError(response.status_code, answer)
        return answer
