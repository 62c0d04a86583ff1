"""The chain head, signed daily with the operator's ed25519 key, so an auditor holding a
signed head can later prove the log up to it is unchanged (and its chain table too)."""

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from audit import chain

SIGNED_FIELDS = ("events_table", "notification_id", "entry_hash", "signed_at")


def generate_key(path: Path) -> Path:
    """A new operator key (PKCS#8 PEM, owner-readable only); its public half beside it."""
    key = Ed25519PrivateKey.generate()
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)
    public = path.with_suffix(".pub")
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return public


def load_private(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an ed25519 private key")
    return key


def load_public(path: Path) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(path.read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{path} is not an ed25519 public key")
    return key


def _message(head: dict[str, Any]) -> bytes:
    return json.dumps({k: head[k] for k in SIGNED_FIELDS}, sort_keys=True).encode()


def signed_head(
    conn: psycopg.Connection[Any], events_table: str, key: Ed25519PrivateKey, now: datetime
) -> dict[str, Any]:
    """Extend the chain, then sign its head: a small JSON document to hand to auditors."""
    chain.extend(conn, events_table)
    position, digest = chain.head(conn)
    head: dict[str, Any] = {
        "events_table": events_table,
        "notification_id": position,
        "entry_hash": digest.hex(),
        "signed_at": now.isoformat(),
    }
    head["signature"] = base64.b64encode(key.sign(_message(head))).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    head["public_key"] = public.hex()
    return head


@dataclass(frozen=True)
class HeadCheck:
    signature_valid: bool
    chain_matches: bool  # the chain still has this hash at this position, and verifies to it
    detail: str

    @property
    def ok(self) -> bool:
        return self.signature_valid and self.chain_matches


def check_head(
    conn: psycopg.Connection[Any], head: dict[str, Any], public: Ed25519PublicKey
) -> HeadCheck:
    try:
        public.verify(base64.b64decode(head["signature"]), _message(head))
    except (InvalidSignature, KeyError, ValueError):
        return HeadCheck(False, False, "the signature does not match the head")
    stored = chain.hash_at(conn, int(head["notification_id"]))
    if stored is None or stored.hex() != head["entry_hash"]:
        return HeadCheck(True, False, "the chain no longer holds the signed hash at its position")
    report = chain.verify(conn, str(head["events_table"]))
    if report.first_bad is not None and report.first_bad <= int(head["notification_id"]):
        return HeadCheck(True, False, f"the log departs from the chain: {report.problem}")
    return HeadCheck(True, True, f"log verified up to {head['notification_id']}")
