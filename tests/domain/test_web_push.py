"""A browser's push subscription is validated before it is kept or pushed to."""

import pytest

from domain.web_push import (
    PUSH_SERVICES,
    InvalidSubscriptionError,
    PushServiceNotAllowedError,
    allowed_service,
    check_service,
    subscription,
)
from tests.fakes.web_push import FakeBrowser

GOOD = FakeBrowser("https://push.example.org/wpush/v2/abc")


def test_a_browsers_subscription_is_kept_unpadded() -> None:
    padded = GOOD.auth_secret + "=="
    found = subscription(GOOD.endpoint, GOOD.p256dh, padded)
    assert (found.endpoint, found.p256dh, found.auth) == (
        GOOD.endpoint, GOOD.p256dh, GOOD.auth_secret,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("endpoint", "p256dh", "auth"),
    [
        ("http://push.example.org/x", GOOD.p256dh, GOOD.auth_secret),  # not https
        ("https:///x", GOOD.p256dh, GOOD.auth_secret),  # no host
        ("https://u:p@push.example.org/x", GOOD.p256dh, GOOD.auth_secret),  # credentials
        ("https://push.example.org/x#f", GOOD.p256dh, GOOD.auth_secret),  # a fragment
        ("https://push.example.org/" + "x" * 1100, GOOD.p256dh, GOOD.auth_secret),  # too long
        ("https://push.example.org/a b", GOOD.p256dh, GOOD.auth_secret),  # a space
        ("https://push.example.org:99999/x", GOOD.p256dh, GOOD.auth_secret),  # no such port
        (GOOD.endpoint, GOOD.p256dh[:-4], GOOD.auth_secret),  # a short key
        (GOOD.endpoint, "A" + GOOD.p256dh[1:], GOOD.auth_secret),  # not uncompressed (0x04)
        (GOOD.endpoint, GOOD.p256dh.replace("-", "+").replace("_", "/") + "+/", GOOD.auth_secret),
        (GOOD.endpoint, GOOD.p256dh, "c2hvcnQ"),  # a 5-byte secret
        (GOOD.endpoint, GOOD.p256dh, "not base64!"),
        (GOOD.endpoint, GOOD.p256dh, 16),
    ],
    # named, not by value: GOOD's keys are new each run, and two xdist processes must agree
    ids=["not-https", "no-host", "credentials", "fragment", "too-long", "space", "bad-port",
         "short-key", "not-uncompressed", "key-not-base64url", "short-secret",
         "secret-not-base64", "secret-not-text"],  # fmt: skip
)
def test_a_subscription_that_cannot_work_is_refused(endpoint: str, p256dh: str, auth: str) -> None:
    with pytest.raises(InvalidSubscriptionError):
        subscription(endpoint, p256dh, auth)


@pytest.mark.parametrize(
    ("endpoint", "allowed"),
    [
        ("https://fcm.googleapis.com/fcm/send/abc", True),
        ("https://updates.push.services.mozilla.com/wpush/v2/abc", True),
        ("https://wns2-par02p.notify.windows.com/w/?token=abc", True),
        ("https://web.push.apple.com/abc", True),
        ("https://FCM.googleapis.com./fcm/send/abc", True),  # case and a trailing dot
        ("https://10.0.0.7/push", False),  # an inner network
        ("https://127.0.0.1:5432/", False),
        ("https://evilfcm.googleapis.com.example.org/x", False),
        ("https://notfcm.googleapis.com.evil/x", False),
        ("https://googleapis.com/x", False),  # the parent domain is not the service
    ],
)
def test_only_the_browsers_push_services_are_taken(endpoint: str, allowed: bool) -> None:
    assert allowed_service(endpoint, PUSH_SERVICES) is allowed
    if allowed:
        assert check_service(endpoint, PUSH_SERVICES) == endpoint
    else:
        with pytest.raises(PushServiceNotAllowedError):
            check_service(endpoint, PUSH_SERVICES)
