"""The payment provider (acquiring): charge a saved card, then hear the verdict by webhook.

Protocol: `POST /v1/payments` with an `Idempotence-Key` (our payment id) creates a payment
for a saved-card token and answers `{"payment_id", "status"}` (`pending`, `succeeded`,
`failed`); later the provider POSTs the final status to our callback URL, the raw body
signed with HMAC-SHA256 under the shared webhook secret in `X-Signature` (hex). Only a
verified body is believed; the provider retries a webhook until it gets a 2xx.

A checkout may ask the provider to save the card (`"save_card": true`); the verdict of such a
succeeded payment then carries it: `"card": {"token": "...", "last4": "4242"}`.
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
    card_token: str = ""  # a card the provider saved at this payment (with `save_card`)
    card_last4: str = ""


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
    card = data.get("card") or {}
    if not isinstance(card, dict):
        raise AcquiringError("the saved card is not an object")
    token, last4 = str(card.get("token") or ""), str(card.get("last4") or "")
    if token and not (0 < len(token) <= 128 and len(last4) == 4 and last4.isdigit()):
        raise AcquiringError("the saved card needs a token and its last 4 digits")
    return PaymentStatus(
        str(data["payment_id"]),
        str(data["status"]),
        int(data["amount"]),
        str(data.get("reason", "")),
        token,
        last4 if token else "",
    )


class AcquiringClient:
    def __init__(self, base_url: str, api_key: str, callback_url: str, timeout: float = 15.0):
        self.base_url, self.api_key = base_url.rstrip("/"), api_key
        self.callback_url, self.timeout = callback_url, timeout

    def post(self, path: str, payment_id: str, body: dict[str, Any]) -> dict[str, Any]:
        response = httpx.post(
            f"{self.base_url}{path}",
            json=body,
            headers={"Authorization": f"Bearer {self.api_key}", "Idempotence-Key": payment_id},
            timeout=self.timeout,
        )
        if response.status_code not in (200, 201):
            raise AcquiringError(f"acquiring answered {response.status_code}: {response.text}")
        data: dict[str, Any] = response.json()
        return data

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
        data = self.post("/v1/payments", payment_id, body)
        return PaymentStatus(payment_id, str(data["status"]), amount, str(data.get("reason", "")))


@dataclass(frozen=True)
class Checkout:
    """A payment page the parent is sent to; the verdict comes later by webhook."""

    payment_id: str
    status: str
    confirmation_url: str


class CheckoutClient(AcquiringClient):
    """Payments a parent confirms on the provider's page (card or SBP):
    `POST /v1/checkouts` with an `Idempotence-Key` (our payment id) answers
    `{"payment_id", "status", "confirmation_url"}`; the verdict arrives at `callback_url`."""

    def checkout(
        self,
        payment_id: str,
        amount: int,
        method: str,
        description: str,
        return_url: str,
        save_card: bool = False,
    ) -> Checkout:
        """`save_card`: ask the provider to save the card (its verdict then names it)."""
        body: dict[str, Any] = {
            "payment_id": payment_id,
            "amount": amount,
            "currency": "RUB",
            "method": method,
            "description": description,
            "return_url": return_url,
            "callback_url": self.callback_url,
            "save_card": save_card,
        }
        data = self.post("/v1/checkouts", payment_id, body)
        return Checkout(payment_id, str(data["status"]), str(data["confirmation_url"]))
