"""Web push through a push gateway: POST /v1/push with the subscriber's token.

A simplified gateway protocol (in the spirit of FCM's HTTP API): the gateway holds the
browsers' subscriptions and VAPID keys; we send the token, a title and a body, and an
`Idempotency-Key` so a resend is not shown twice. `push_sender` refuses settings that cannot
work, at start-up (`adapters/gateways.py`).
"""

from typing import Protocol

from adapters.gateways import HttpGateway, MessageFile, file_path


class PushGatewayError(Exception):
    pass


class SendsPush(Protocol):
    def send(self, message_id: str, push_token: str, title: str, body: str) -> str: ...


class PushSender(HttpGateway):
    url_setting, token_setting = "PUSH_GATEWAY_URL", "PUSH_GATEWAY_TOKEN"

    def send(self, message_id: str, push_token: str, title: str, body: str) -> str:
        response = self.post(
            "/v1/push", message_id, {"token": push_token, "title": title, "body": body}
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
