"""Web push through a push gateway: POST /v1/push with the subscriber's token.

A simplified gateway protocol (in the spirit of FCM's HTTP API): the gateway holds the
browsers' subscriptions and VAPID keys; we send the token, a title and a body, and an
`Idempotency-Key` so a resend is not shown twice.
"""

import httpx


class PushGatewayError(Exception):
    pass


class PushSender:
    def __init__(self, base_url: str, token: str, timeout: float = 10.0) -> None:
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
