"""Short-lived signed access tokens (PyJWT, HS256); the session row is what revokes them.

PyJWT checks the signature, the issuer and that every claim is there; the token's times
(issued not in the future, not expired) are checked here against the injected clock, not by
PyJWT against the machine's, so a token issued by a process on a set clock (a demo, a test's
servers) is judged by that same clock.

A token that passed PyJWT's checks once is remembered (bounded LRU): asked again, only its
times are checked. A browser sends the same token with every request until it is refreshed,
and PyJWT's decode (base64, JSON, HMAC, every claim) was about a tenth of a GraphQL request's
CPU, paid twice (the body limit and the session check each read it). A forged or malformed
token is never remembered: each asks PyJWT again.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from uuid import UUID

import jwt

ALGORITHM = "HS256"
ISSUER = "infoshkola"


@dataclass(frozen=True)
class Claims:
    principal_id: UUID
    session_id: UUID


def issue(secret: str, claims: Claims, ttl: timedelta, now: datetime) -> str:
    payload = {
        "iss": ISSUER,
        "sub": str(claims.principal_id),
        "sid": str(claims.session_id),
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
    }
    return jwt.encode(payload, secret, algorithm=ALGORITHM)


def read(secret: str, token: str, now: datetime) -> Claims | None:
    """The token's claims, or None when it is forged, malformed, or not valid at `now`."""
    try:
        claims, issued, expires = _verified(secret, token)
    except (jwt.InvalidTokenError, ValueError, TypeError, KeyError):
        return None
    return claims if issued <= now.timestamp() < expires else None


@lru_cache(maxsize=4096)
def _verified(secret: str, token: str) -> tuple[Claims, int, int]:
    """(claims, iat, exp) of a token PyJWT accepts, its times aside; raises (so is not
    cached) otherwise."""
    payload = jwt.decode(
        token,
        secret,
        algorithms=[ALGORITHM],
        issuer=ISSUER,
        options={
            "require": ["exp", "iat", "sub", "sid", "iss"],
            "verify_exp": False,  # the times are checked by `read`, on the injected clock
            "verify_iat": False,
            "verify_nbf": False,
        },
    )
    claims = Claims(UUID(payload["sub"]), UUID(payload["sid"]))
    return claims, int(payload["iat"]), int(payload["exp"])
