"""Short-lived signed access tokens (PyJWT, HS256); the session row is what revokes them.

A token that passed PyJWT's checks once is remembered (bounded LRU): asked again, only its
times are checked (issued not in the future, not expired), as PyJWT checks them. A browser
sends the same token with every request until it is refreshed, and PyJWT's decode (base64,
JSON, HMAC, every claim) was about a tenth of a GraphQL request's CPU, paid twice (the body
limit and the session check each read it). A forged, expired or malformed token is never
remembered: each asks PyJWT again.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
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
        claims, issued, expires = _verified(secret, token)
    except (jwt.InvalidTokenError, ValueError, KeyError):
        return None
    now = datetime.now(UTC).timestamp()  # as PyJWT reads the clock
    return claims if issued <= now < expires else None


@lru_cache(maxsize=4096)
def _verified(secret: str, token: str) -> tuple[Claims, int, int]:
    """(claims, iat, exp) of a token PyJWT accepts now; raises (so is not cached) otherwise."""
    payload = jwt.decode(
        token,
        secret,
        algorithms=[ALGORITHM],
        issuer=ISSUER,
        options={"require": ["exp", "iat", "sub", "sid", "iss"]},
    )
    claims = Claims(UUID(payload["sub"]), UUID(payload["sid"]))
    return claims, int(payload["iat"]), int(payload["exp"])
