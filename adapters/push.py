"""Web push through a push gateway: POST /v1/push with the subscriber's token.

A simplified gateway protocol (in the spirit of FCM's HTTP API): the gateway holds the
browsers' subscriptions and VAPID keys; we send the token, a title and a body, and an
`Idempotency-Key` so a resend is not shown twice. `push_sender` refuses settings that cannot
work, at start-up (`adapters/gateways.py`).
"""

from typing import Protocol

import httpx

from adapters.gateways import MessageFile, check_http_gateway, file_path, require


class PushGatewayError(Exception):
    pass


class SendsPush(Protocol):
    def send(self, message_id: str, push_token: str, title: str, body: str) -> str: ...


class PushSender:
    def __init__(self, base_url: str, token: str, timeout: float = 10.0) -> None:
        require(check_http_gateway("PUSH_GATEWAY_URL", base_url, "PUSH_GATEWAY_TOKEN", token))
        self.base_url, self.token, self.timeout = base_url.rstrip("/"), token, timeout

    def send(self, message_id: str, push_token: str, title: str, body: str) -> str:
        response = httpx.post(
            f"{self.base_url}/v1/push",
            json={"token": push_token, "title": title, "body": body},
            headers={"Authorization": f"Bearer {self.token}", "Idempotency-Key": message_id},
            timeout=self.timeout,
        )
        if response.status_code not in (200, 201):
            raise PushGatewayError(f"push gateway answered {response.status_code}")
        return str(response.json()["id"])


class PushFile:
    """`PUSH_GATEWAY_URL=file:<path>`: the demo's push messages, one JSON line each."""

    def __init__(self, file: MessageFile) -> None:
        self.file = file

    def send(self, message_id: str, push_token: str, title: str, body: str) -> str:
        return self.file.write(message_id, to=push_token, title=title, text=body)


def push_sender(url: str, token: str) -> SendsPush:
    path = file_path(url)
    if path is not None:
        return PushFile(MessageFile(path))
    return PushSender(url, token)
