"""The acquirer's verdict: signed first, then parsed; a saved card comes with its last digits."""

import json

import pytest

from adapters.acquiring import AcquiringError, BadSignatureError, sign, verify_webhook

SECRET = "webhook-secret"


def verdict(**extra: object) -> bytes:
    body = {"payment_id": "topup:1", "status": "succeeded", "amount": 10_300, **extra}
    return json.dumps(body).encode()


def test_a_verdict_names_the_card_the_acquirer_saved_and_only_a_whole_one() -> None:
    plain = verify_webhook(SECRET, verdict(), sign(SECRET, verdict()))
    assert (plain.status, plain.amount, plain.card_token, plain.card_last4) == (
        "succeeded", 10_300, "", ""
    )  # fmt: skip
    body = verdict(card={"token": "tok-abc", "last4": "4242"})
    saved = verify_webhook(SECRET, body, sign(SECRET, body))
    assert (saved.card_token, saved.card_last4) == ("tok-abc", "4242")
    for card in ({"token": "tok-abc"}, {"token": "tok-abc", "last4": "42a2"}, "tok-abc",
                 {"token": "t" * 129, "last4": "4242"}):  # fmt: skip
        bad = verdict(card=card)
        with pytest.raises(AcquiringError):
            verify_webhook(SECRET, bad, sign(SECRET, bad))
    with pytest.raises(BadSignatureError):
        verify_webhook(SECRET, body, sign("another-secret", body))
