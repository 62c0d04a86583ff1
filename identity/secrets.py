"""Passwords, reset codes and their argon2id hashes."""

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

HASHER = PasswordHasher()  # argon2id with the library's RFC 9106 low-memory profile
# Verified against when the name is unknown, so both answers take the same time.
DUMMY_HASH = HASHER.hash(secrets.token_urlsafe(16))
ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
MIN_PASSWORD = 8
MAX_PASSWORD = 128


def new_password(length: int = 10) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def hash_secret(value: str) -> str:
    return HASHER.hash(value)


def verify(stored: str | None, given: str) -> bool:
    try:
        return HASHER.verify(stored or DUMMY_HASH, given) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def acceptable_password(password: str) -> bool:
    return MIN_PASSWORD <= len(password) <= MAX_PASSWORD and password.isprintable()
