"""A loopback push service (RFC 8030) and a browser's subscription to it, for Web Push tests.

The service speaks https (a self-signed certificate the test's processes trust through
`REQUESTS_CA_BUNDLE`), checks each message as a real one does: the VAPID token (RFC 8292:
an ES256 JWT signed by the key in `k`, for this origin, not expired, with a subject), the
`aes128gcm` content encoding and a TTL, and keeps it. The browser holds the subscription's
private key and auth secret, so a test reads what was pushed by decrypting it (RFC 8291),
as the browser would. `gone(endpoint)` makes the service answer 410 for a subscription.
"""

import datetime as dt
import ipaddress
import json
import os
import ssl
import tempfile
import threading
import uuid
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar, Self

import http_ece
import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from adapters.vapid import VapidKeys, b64url, unb64url
from tests.fakes.http import Loopback, QuietHandler, serve

# The installation's VAPID key in tests (the API offers its public half; the workers sign).
TEST_VAPID = VapidKeys.from_private("x0cuGmWGT2pJfVdoEyAvSWqH1hOV8aHfh1TC1FP4D_M")


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "push.test")])
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        # valid whatever clock a test travels to (the worker's TLS checks the real one)
        .not_valid_before(dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
        .not_valid_after(dt.datetime(2099, 12, 31, tzinfo=dt.UTC))
        .add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_file, key_file = folder / "push-cert.pem", folder / "push-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@dataclass
class FakeBrowser:
    """A browser's push subscription: what it sends the cabinet, and what it can decrypt."""

    endpoint: str
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    @property
    def p256dh(self) -> str:
        point = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return b64url(point)

    @property
    def auth_secret(self) -> str:
        return b64url(self.auth)

    def read(self, body: bytes) -> dict[str, Any]:
        plain = http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth,
                                 version="aes128gcm")  # fmt: skip
        found: dict[str, Any] = json.loads(plain)
        return found


@dataclass
class Pushed:
    path: str
    headers: dict[str, str]
    body: bytes
    claims: dict[str, Any]  # the VAPID token's, once verified
    vapid_key: str  # `k`: the application server's public key
    status: int


@dataclass
class FakePushService(Loopback):
    scheme: ClassVar[str] = "https"
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="push-")))
    received: list[Pushed] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # why requests were refused
    gone_paths: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    def start(self) -> Self:
        self.cert_file, key_file = self_signed(self.folder)
        service = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                code = service.take(self.path, {k.lower(): v for k, v in self.headers.items()},
                                    body)  # fmt: skip
                self.send_response(code)
                if code == 201:
                    self.send_header("Location", f"{service.url}/message/{uuid.uuid4().hex}")
                self.send_header("Content-Length", "0")
                self.end_headers()

        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(self.cert_file, key_file)
        self.server = serve(Handler, tls)
        return self

    def browser(self) -> FakeBrowser:
        return FakeBrowser(f"{self.url}/push/{uuid.uuid4().hex}")

    def gone(self, browser: FakeBrowser) -> None:
        self.gone_paths.add(browser.endpoint.removeprefix(self.url))

    def take(self, path: str, headers: dict[str, str], body: bytes) -> int:
        problem, claims, key = self.check(headers, body)
        code = 400 if problem else 410 if path in self.gone_paths else 201
        with self.lock:
            if problem:
                self.refused.append(problem)
            self.received.append(Pushed(path, headers, body, claims, key, code))
        return code

    def check(self, headers: dict[str, str], body: bytes) -> tuple[str, dict[str, Any], str]:
        scheme, _, params = headers.get("authorization", "").partition(" ")
        fields = dict(p.strip().split("=", 1) for p in params.split(",") if "=" in p)
        if scheme != "vapid" or not {"t", "k"} <= set(fields):
            return "no VAPID authorization", {}, ""
        point = unb64url(fields["k"])
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        try:
            claims = jwt.decode(fields["t"], public, algorithms=["ES256"], audience=self.url,
                                options={"verify_exp": False})  # fmt: skip
        except jwt.InvalidTokenError as error:
            return f"bad VAPID token: {error}", {}, fields["k"]
        if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
            return "no VAPID subject", claims, fields["k"]
        if headers.get("content-encoding") != "aes128gcm" or not body:
            return "not aes128gcm", claims, fields["k"]
        if not headers.get("ttl", "").isdigit():
            return "no TTL", claims, fields["k"]
        return "", claims, fields["k"]

    def messages(self, browser: FakeBrowser) -> list[dict[str, Any]]:
        """What reached the browser, decrypted, in order (repeats of one `Topic` once)."""
        path = browser.endpoint.removeprefix(self.url)
        with self.lock:
            mine = [p for p in self.received if p.path == path and p.status == 201]
        seen, found = set(), []
        for p in mine:
            if p.headers.get("topic") not in seen:
                seen.add(p.headers.get("topic"))
                found.append(browser.read(p.body))
        return found
