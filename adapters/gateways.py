"""What a gateway setting names, checked once at the start-up of the process that sends.

An HTTP gateway (`http(s)://host…`) needs its bearer token: an empty token would only show up
as a `Bearer ` header refused on every send, so it is refused before the process starts.
`file:<path>` names the demo's transport instead: every message becomes one JSON line in
that file (what `make run` uses when no gateway is configured; never for real parents).
"""

import fcntl
import json
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx

FILE_SCHEME = "file:"


class GatewaySettingError(ValueError):
    """A gateway setting that cannot work; its message is one line naming the variable."""


def file_path(url: str) -> Path | None:
    """The file a `file:<path>` setting names, None for any other URL."""
    if not url.startswith(FILE_SCHEME):
        return None
    path = url[len(FILE_SCHEME) :].removeprefix("//")
    return Path(path) if path else None


def check_http_gateway(url_var: str, url: str, token_var: str, token: str) -> str | None:
    """What is wrong with an HTTP gateway's pair of settings (None when they can work)."""
    url = url.strip()
    if not url:
        return f"{url_var} is not set (an http(s):// gateway, or {FILE_SCHEME}<path> for the demo)"
    if url.startswith(FILE_SCHEME):
        return None if file_path(url) else f"{url_var}={url!r} names no file"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{url_var}={url!r} is not an http(s):// URL or {FILE_SCHEME}<path>"
    if not token.strip():
        return f"{token_var} is empty: the gateway at {url} needs its bearer token"
    if not token.isprintable() or token != token.strip() or " " in token:
        return f"{token_var} holds spaces or control characters"
    return None


def require(problem: str | None) -> None:
    if problem is not None:
        raise GatewaySettingError(problem)


class MessageFile:
    """The demo's transport: one JSON line per message, once per message id (like a gateway's
    idempotency key), appended under a file lock shared by every worker process."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, message_id: str, **fields: str) -> str:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a+", encoding="utf-8") as file:
            fcntl.flock(file, fcntl.LOCK_EX)
            file.seek(0)
            for line in file:
                if json.loads(line).get("id") == message_id:
                    return f"file:{message_id}"
            file.write(json.dumps({"id": message_id, **fields}, ensure_ascii=False) + "\n")
        return f"file:{message_id}"


class HttpGateway:
    """A message gateway we post to over HTTP: bearer token, the message id as the
    idempotency key (a retry is never sent twice). Its settings are checked at construction."""

    url_setting: ClassVar[str]
    token_setting: ClassVar[str]

    def __init__(self, base_url: str, token: str, timeout: float = 10.0) -> None:
        require(check_http_gateway(self.url_setting, base_url, self.token_setting, token))
        self.base_url, self.token, self.timeout = base_url.rstrip("/"), token, timeout

    def post(self, path: str, message_id: str, body: dict[str, Any]) -> httpx.Response:
        return httpx.post(
            f"{self.base_url}{path}",
            json=body,
            headers={"Authorization": f"Bearer {self.token}", "Idempotency-Key": message_id},
            timeout=self.timeout,
        )
