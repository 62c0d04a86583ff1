"""The application server's VAPID key pair (RFC 8292): the workers sign every Web Push with
the private key; the parents' browsers subscribe with the public key (`applicationServerKey`).

`VAPID_PRIVATE_KEY` is the raw P-256 private key, base64url (what `web-push
generate-vapid-keys` and `vapid --gen` print as the private key). Unset, one is generated at
the first start and kept in the data directory (`INFOSHKOLA_VAR/web-push/vapid-private-key`,
mode 0600) like the embedded servers' data, so the API and the workers of one machine share
it. Several machines must share one key: set the variable. A changed key makes every
browser's subscription useless (the push services check it): browsers subscribe again on
their next visit to the settings page.
"""

import base64
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

KEY_FILE = Path("web-push") / "vapid-private-key"


class VapidKeyError(ValueError):
    pass


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def unb64url(text: str) -> bytes:
    text = text.strip()
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class VapidKeys:
    private: ec.EllipticCurvePrivateKey

    @classmethod
    def from_private(cls, text: str) -> "VapidKeys":
        try:
            raw = unb64url(text)
            if len(raw) != 32:
                raise ValueError(f"{len(raw)} bytes, not 32")
            key = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
        except ValueError as error:
            raise VapidKeyError(f"not a base64url P-256 private key ({error})") from None
        return cls(key)

    @classmethod
    def generate(cls) -> "VapidKeys":
        return cls(ec.generate_private_key(ec.SECP256R1()))

    @property
    def private_text(self) -> str:
        return b64url(self.private.private_numbers().private_value.to_bytes(32, "big"))

    @property
    def public_key(self) -> str:
        """The browsers' `applicationServerKey`: the uncompressed point, base64url."""
        point = self.private.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return b64url(point)


def check_private_key(text: str) -> str:
    VapidKeys.from_private(text)
    return text


def kept_keys(var_dir: Path) -> VapidKeys:
    """The data directory's key, generated once: written aside, then linked into place, so
    two processes starting together agree on the first one linked."""
    path = var_dir / KEY_FILE
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        draft = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as file:
            file.write(VapidKeys.generate().private_text + "\n")
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another process was first: its key it is
        finally:
            draft.unlink()
    return VapidKeys.from_private(path.read_text(encoding="ascii"))


def vapid_keys(configured: str | None, var_dir: Path) -> VapidKeys:
    """`VAPID_PRIVATE_KEY` when set, else the data directory's own key."""
    return VapidKeys.from_private(configured) if configured else kept_keys(var_dir)
