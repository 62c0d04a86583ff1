"""Short-lived signed access tokens (PyJWT, HS256); the session row is what revokes them."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

import jwt

ALGORITHM = "HS256"
ISSUER = "infoshkola"


@dataclass(frozen=True)
class Claims:
    principal_id: UUID
    session_id: UUID


def issue(secret: str, claims: Claims, ttl: timedelta, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    payload = {
        "iss": ISSUER,
        "sub": str(claims.principal_id),
        "sid": str(claims.session_id),
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
    }
    return jwt.encode(payload, secret, algorithm=ALGORITHM)


def read(secret: str, token: str) -> Claims | None:
    """The token's claims, or None when it is forged, expired or malformed."""
    try:
        payload = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "sid", "iss"]},
        )
        return Claims(UUID(payload["sub"]), UUID(payload["sid"]))
    except (jwt.InvalidTokenError, ValueError, KeyError):
        return None
