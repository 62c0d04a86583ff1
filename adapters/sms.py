"""SMS through an HTTP gateway: POST /v1/messages, bearer token, idempotent on our message id.

The gateway keeps the `Idempotency-Key` of every accepted message, so a resend after a
crash is acknowledged without a second SMS.
"""

import httpx


class SmsGatewayError(Exception):
    pass


class SmsSender:
    def __init__(self, base_url: str, token: str, timeout: float = 10.0) -> None:
        self.base_url, self.token, self.timeout = base_url.rstrip("/"), token, timeout

    def send(self, message_id: str, phone: str, text: str) -> str:
        response = httpx.post(
            f"{self.base_url}/v1/messages",
            json={"to": phone, "text": text, "client_ref": message_id},
            headers={"Authorization": f"Bearer {self.token}", "Idempotency-Key": message_id},
            timeout=self.timeout,
        )
        if response.status_code not in (200, 201):
            raise SmsGatewayError(f"SMS gateway answered {response.status_code}: {response.text}")
        return str(response.json()["id"])
