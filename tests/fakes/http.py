"""Loopback fakes of the external HTTP services: SMS gateway, push gateway, acquiring.

Each one speaks the protocol our adapter speaks (see `adapters/sms.py`, `adapters/push.py`,
`adapters/acquiring.py`), keeps every request it got, and, like the real services, dedupes
on the idempotency key: a repeated key is acknowledged with the first answer. `fail_next(n)`
makes it answer the next n requests 503, like a gateway that is down.
"""

import json
import ssl
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Self

import httpx

from adapters.acquiring import sign


class QuietHandler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def serve(handler: type[BaseHTTPRequestHandler], tls: ssl.SSLContext | None = None) -> Any:
    """A loopback server on a free port, serving in a thread (https with `tls`).

    Its loop looks for a shutdown request every 50 ms, not the default 0.5 s: `shut` waits for
    that look, and every stack stops several of these fakes."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server


def shut(server: ThreadingHTTPServer | None) -> None:
    if server:
        server.shutdown()
        server.server_close()


class Loopback:
    """A fake served on a loopback port by `serve`: its URL, and `stop()`."""

    scheme: ClassVar[str] = "http"
    server: ThreadingHTTPServer | None

    def stop(self) -> None:
        shut(self.server)

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"{self.scheme}://127.0.0.1:{self.server.server_address[1]}"


@dataclass
class Received:
    key: str
    body: dict[str, Any]
    status: int = 0  # what it answered


@dataclass
class FakeService(Loopback):
    token: str
    requests: list[Received] = field(default_factory=list)  # every request, repeats included
    accepted: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> first answer
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None
    failures: int = 0  # the next requests to answer 503

    def fail_next(self, n: int) -> None:
        with self.lock:
            self.failures = n

    def answer(self, path: str, key: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        raise NotImplementedError

    def handle(self, path: str, headers: Any, raw: bytes) -> tuple[int, dict[str, Any]]:
        if headers.get("Authorization") != f"Bearer {self.token}":
            return 401, {"error": "unauthorised"}
        key = headers.get("Idempotency-Key") or headers.get("Idempotence-Key") or ""
        body = json.loads(raw)
        with self.lock:
            received = Received(key, body)
            self.requests.append(received)
            if self.failures > 0:
                self.failures -= 1
                code, reply = 503, {"error": "unavailable"}
            elif key in self.accepted:
                code, reply = 200, self.accepted[key]
            else:
                code, reply = self.answer(path, key, body)
                if code in (200, 201):
                    self.accepted[key] = reply
            received.status = code
        return code, reply

    def start(self) -> Self:
        service = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                code, reply = service.handle(self.path, self.headers, raw)
                data = json.dumps(reply).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = serve(Handler)
        return self

    def delivered(self) -> list[dict[str, Any]]:
        """What reached people: one per idempotency key."""
        with self.lock:
            firsts: dict[str, dict[str, Any]] = {}
            for r in self.requests:
                firsts.setdefault(r.key, r.body)
            return [firsts[k] for k in self.accepted]


class FakeSmsGateway(FakeService):
    def answer(self, path: str, key: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if path != "/v1/messages" or not body.get("to") or not body.get("text"):
            return 400, {"error": "bad request"}
        return 201, {"id": f"sms-{uuid.uuid4().hex[:12]}", "status": "queued"}

    def to(self, phone: str) -> list[str]:
        return [b["text"] for b in self.delivered() if b["to"] == phone]


class FakePushGateway(FakeService):
    def answer(self, path: str, key: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if path != "/v1/push" or not body.get("token"):
            return 400, {"error": "bad request"}
        return 201, {"id": f"push-{uuid.uuid4().hex[:12]}"}

    def to(self, token: str) -> list[str]:
        return [b["body"] for b in self.delivered() if b["token"] == token]


@dataclass
class FakeAcquiring(FakeService):
    """Charges saved cards: token "tok-declined" fails, any other succeeds. The verdict is
    answered `pending` and then POSTed, signed, to the callback URL, retried until 2xx.

    A checkout asked to `save_card` saves the card paid with (`pay(card=...)`): the verdict of
    its success names it, `"card": {"token", "last4"}`, one token per card number."""

    secret: str = ""
    webhooks_delivered: list[str] = field(default_factory=list)

    checkouts: dict[str, dict[str, Any]] = field(default_factory=dict)

    def answer(self, path: str, key: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if path == "/v1/checkouts" and key == body.get("payment_id"):
            self.checkouts[key] = body
            page = f"{self.url}/pay/{key}"
            return 201, {"payment_id": key, "status": "pending", "confirmation_url": page}
        if path != "/v1/payments" or key != body.get("payment_id"):
            return 400, {"error": "bad request"}
        declined = body["card_token"] == "tok-declined"
        verdict = {
            "payment_id": body["payment_id"],
            "status": "failed" if declined else "succeeded",
            "amount": body["amount"],
            "reason": "карта отклонена банком" if declined else "",
        }
        threading.Thread(target=self.call_back, args=(body["callback_url"], verdict)).start()
        return 201, {"payment_id": body["payment_id"], "status": "pending"}

    def call_back(self, url: str, verdict: dict[str, Any]) -> None:
        raw = json.dumps(verdict).encode()
        stop = threading.Event()
        for _ in range(600):
            try:
                response = httpx.post(
                    url, content=raw, headers={"X-Signature": sign(self.secret, raw)}
                )
                if response.status_code == 200:
                    with self.lock:
                        self.webhooks_delivered.append(verdict["payment_id"])
                    return
            except httpx.HTTPError:
                pass
            stop.wait(0.1)  # the provider's retry interval while our endpoint is down

    def pay(
        self,
        payment_id: str,
        *,
        succeed: bool = True,
        amount: int | None = None,
        card: str = "4111111111114242",
    ) -> None:
        """The parent confirms (or the bank refuses) on the payment page with `card`: the
        verdict is POSTed, signed, to the checkout's callback URL until it is acknowledged."""
        with self.lock:
            body = self.checkouts[payment_id]
        verdict: dict[str, Any] = {
            "payment_id": payment_id,
            "status": "succeeded" if succeed else "failed",
            "amount": body["amount"] if amount is None else amount,
            "reason": "" if succeed else "недостаточно средств на карте",
        }
        if succeed and body.get("save_card") is True:
            verdict["card"] = {"token": self.token_of(card), "last4": card[-4:]}
        self.call_back(body["callback_url"], verdict)

    @staticmethod
    def token_of(card: str) -> str:
        """The token this acquirer saves a card number under."""
        return f"tok-{uuid.uuid5(uuid.NAMESPACE_OID, card).hex[:16]}"

    def charges(self) -> list[str]:
        return list(self.accepted)
