"""A browser's Web Push subscription (W3C Push API; RFC 8030 delivery, RFC 8291 keys), as a
parent's cabinet registers it: where the browser's push service takes messages for it, and
the keys a message is encrypted to. Personal data: kept beside the event log, never in it.

Everything here comes from the browser, so it is validated before it is kept or used: the
endpoint an `https` URL of bounded length with a host, no credentials and no fragment; `p256dh`
an uncompressed P-256 point (65 bytes, base64url); `auth` a 16-byte secret (base64url)."""

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from domain.errors import InvalidCommandError

MAX_ENDPOINT = 1024  # the push services' endpoints are about 200-300 characters
MAX_SUBSCRIPTIONS = 5  # browsers of one parent; the oldest goes when a sixth is added
_BASE64URL = re.compile(r"^[A-Za-z0-9_-]+={0,2}$")


class InvalidSubscriptionError(InvalidCommandError):
    code = "invalid_push_subscription"


class PushServiceNotAllowedError(InvalidSubscriptionError):
    code = "push_service_not_allowed"


# The browsers' push services. A parent's browser names the endpoint and the workers POST to
# it, so only these hosts (and their subdomains) are taken: no request to an inner network.
PUSH_SERVICES = (
    "fcm.googleapis.com",  # Chrome, Edge on Android, Opera
    "push.services.mozilla.com",  # Firefox
    "notify.windows.com",  # Edge on Windows
    "push.apple.com",  # Safari
)


def allowed_service(endpoint: str, services: Sequence[str]) -> bool:
    host = (urlsplit(endpoint).hostname or "").lower().rstrip(".")
    return any(host == s or host.endswith("." + s) for s in (x.lower() for x in services))


def check_service(endpoint: str, services: Sequence[str]) -> str:
    """The endpoint (already checked) is at one of the push services this installation uses."""
    if not allowed_service(endpoint, services):
        raise PushServiceNotAllowedError("the endpoint is not at a push service this school uses")
    return endpoint


@dataclass(frozen=True)
class PushSubscription:
    endpoint: str
    p256dh: str  # base64url, unpadded
    auth: str  # base64url, unpadded


def base64url_bytes(value: object, *, what: str, size: int, max_chars: int = 128) -> bytes:
    """The bytes of a base64url string (padding optional) of exactly `size` bytes."""
    if not isinstance(value, str) or not value or len(value) > max_chars:
        raise InvalidSubscriptionError(f"{what} is not a short base64url string")
    if not _BASE64URL.match(value):
        raise InvalidSubscriptionError(f"{what} is not base64url")
    try:
        raw = base64.urlsafe_b64decode(value.rstrip("=") + "=" * (-len(value.rstrip("=")) % 4))
    except (binascii.Error, ValueError):
        raise InvalidSubscriptionError(f"{what} is not base64url") from None
    if len(raw) != size:
        raise InvalidSubscriptionError(f"{what} is {len(raw)} bytes, not {size}")
    return raw


def unpadded(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def check_endpoint(value: object) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_ENDPOINT:
        raise InvalidSubscriptionError(f"the endpoint is not a URL of at most {MAX_ENDPOINT} chars")
    if not value.isascii() or not value.isprintable() or any(c.isspace() for c in value):
        raise InvalidSubscriptionError("the endpoint has characters a URL may not have")
    try:
        url = urlsplit(value)
        port = url.port
    except ValueError:
        raise InvalidSubscriptionError("the endpoint is not a URL") from None
    if url.scheme != "https" or not url.hostname:
        raise InvalidSubscriptionError("the endpoint is not an https:// URL with a host")
    if url.username is not None or url.password is not None or url.fragment:
        raise InvalidSubscriptionError("the endpoint may have no credentials and no fragment")
    if port == 0:
        raise InvalidSubscriptionError("the endpoint's port is 0")
    return value


def check_p256dh(value: object) -> str:
    key = base64url_bytes(value, what="the p256dh key", size=65)
    if key[0] != 4:
        raise InvalidSubscriptionError("the p256dh key is not an uncompressed P-256 point")
    return unpadded(key)


def check_auth(value: object) -> str:
    return unpadded(base64url_bytes(value, what="the auth secret", size=16))


def subscription(endpoint: object, p256dh: object, auth: object) -> PushSubscription:
    """A subscription as the browser's `PushSubscription.toJSON()` gives it, validated."""
    return PushSubscription(check_endpoint(endpoint), check_p256dh(p256dh), check_auth(auth))
