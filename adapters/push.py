"""Push messages, two ways.

1. Through a push gateway (the mobile app's): POST /v1/push with the subscriber's token. A
   simplified gateway protocol (in the spirit of FCM's HTTP API): we send the token, a title
   and a body, and an `Idempotency-Key` so a resend is not shown twice. `push_sender` refuses
   settings that cannot work, at start-up (`adapters/gateways.py`).
2. Straight to a browser's push service (the parent cabinet, a PWA): Web Push (RFC 8030),
   the payload encrypted to the subscription's keys (aes128gcm, RFC 8291) and signed for the
   push service with our VAPID key (RFC 8292), by the `pywebpush` library. A resend carries
   the same `Topic`, so a push service still holding the first replaces it.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from urllib.parse import urlsplit

import requests
from py_vapid import Vapid02
from pywebpush import WebPusher

from adapters.gateways import HttpGateway, MessageFile, file_path
from adapters.vapid import VapidKeys
from domain.web_push import PUSH_SERVICES, PushSubscription, allowed_service


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


class WebPushError(Exception):
    """The push service could not take the message now (5xx, 429, no connection): retry."""


# What a push service's answer means for the subscription (RFC 8030 §5, §7.3, §8.4).
SENT, GONE, REFUSED = "sent", "gone", "refused"
VAPID_LIFETIME = timedelta(hours=12)  # RFC 8292 §2: at most 24 hours


@dataclass(frozen=True)
class WebPushSender:
    keys: VapidKeys
    subject: str  # mailto: or https:, for the push service's operator
    services: tuple[str, ...] = PUSH_SERVICES  # the only hosts it sends to
    ttl_seconds: int = 12 * 3600  # how long the push service keeps it for an offline browser
    timeout_seconds: float = 10.0

    def claims(self, endpoint: str, now: datetime) -> dict[str, str | int]:
        url = urlsplit(endpoint)
        expires = int((now + VAPID_LIFETIME).timestamp())
        return {"aud": f"{url.scheme}://{url.netloc}", "sub": self.subject, "exp": expires}

    def send(
        self, sub: PushSubscription, message_id: str, title: str, body: str, now: datetime
    ) -> str:
        """SENT, GONE (the browser unsubscribed: forget it) or REFUSED (it will never take
        this message); `WebPushError` when worth retrying."""
        if not allowed_service(sub.endpoint, self.services):
            return GONE  # kept from before the list of push services changed: forget it
        payload = json.dumps({"title": title, "body": body, "tag": message_id},
                             ensure_ascii=False)  # fmt: skip
        headers = Vapid02(self.keys.private).sign(self.claims(sub.endpoint, now))
        # RFC 8030 §5.4: at most 32 base64url characters; the same for a resend.
        headers["Topic"] = hashlib.sha256(message_id.encode()).hexdigest()[:32]
        headers["Urgency"] = "normal"
        info = {"endpoint": sub.endpoint, "keys": {"p256dh": sub.p256dh, "auth": sub.auth}}
        try:
            response = WebPusher(info).send(
                payload, headers, ttl=self.ttl_seconds, content_encoding="aes128gcm",
                timeout=self.timeout_seconds,
            )  # fmt: skip
        except requests.RequestException as error:
            raise WebPushError(f"push service unreachable: {type(error).__name__}") from None
        except ValueError:
            return REFUSED  # keys the encryption cannot use (not a point on the curve)
        code = int(response.status_code)
        if code in (200, 201, 202):
            return SENT
        if code in (404, 410):
            return GONE
        if code == 429 or code >= 500:
            raise WebPushError(f"push service answered {code}")
        return REFUSED
