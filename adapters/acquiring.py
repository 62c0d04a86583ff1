"""The payment provider (acquiring): charge a saved card, then hear the verdict by webhook.

Protocol: `POST /v1/payments` with an `Idempotence-Key` (our payment id) creates a payment
for a saved-card token and answers `{"payment_id", "status"}` (`pending`, `succeeded`,
`failed`); later the provider POSTs the final status to our callback URL, the raw body
signed with HMAC-SHA256 under the shared webhook secret in `X-Signature` (hex). Only a
verified body is believed; the provider retries a webhook until it gets a 2xx.
"""

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

SUCCEEDED, FAILED, PENDING = "succeeded", "failed", "pending"


class AcquiringError(Exception):
    pass


class BadSignatureError(AcquiringError):
    pass


@dataclass(frozen=True)
class PaymentStatus:
    payment_id: str
    status: str
    amount: int
    reason: str = ""


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_webhook(secret: str, body: bytes, signature: str) -> PaymentStatus:
    """Check the signature over the raw bytes first, then parse."""
    if not secret:
        raise BadSignatureError("no webhook secret is configured: every webhook is refused")
    if not hmac.compare_digest(sign(secret, body), signature or ""):
        raise BadSignatureError("webhook signature does not match")
    data = orjson.loads(body)
    if data.get("status") not in (SUCCEEDED, FAILED, PENDING):
        raise AcquiringError(f"unknown payment status {data.get('status')!r}")
    return PaymentStatus(
        str(data["payment_id"]),
        str(data["status"]),
        int(data["amount"]),
        str(data.get("reason", "")),
    )


class AcquiringClient:
    def __init__(self, base_url: str, api_key: str, callback_url: str, timeout: float = 15.0):
        self.base_url, self.api_key = base_url.rstrip("/"), api_key
        self.callback_url, self.timeout = callback_url, timeout

    def charge(
        self, payment_id: str, amount: int, card_token: str, description: str
    ) -> PaymentStatus:
        body: dict[str, Any] = {
            "payment_id": payment_id,
            "amount": amount,
            "currency": "RUB",
            "card_token": card_token,
            "description": description,
            "callback_url": self.callback_url,
        }
        response = httpx.post(
            f"{self.base_url}/v1/payments",
            json=body,
            headers={"Authorization": f"Bearer {self.api_key}", "Idempotence-Key": payment_id},
            timeout=self.timeout,
        )
        if response.status_code not in (200, 201):
            raise AcquiringError(f"acquiring answered {response.status_code}: {response.text}")
        data = response.json()
        return PaymentStatus(payment_id, str(data["status"]), amount, str(data.get("reason", "")))
