"""Terminals that sign their requests, talking HTTP to the real app."""

import itertools
import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import httpx
import orjson

from adapters.terminal_auth import signed_headers
from api.terminal_desk import TerminalDesk
from domain.account import Account
from domain.ledger import Ledger
from tests.builders import SchoolWorld, new_school
from tests.clock import device_clock

_taps = itertools.count(1)


@dataclass
class SignedTerminal:
    """A device with its secret; every call uses the next counter unless told otherwise."""

    http: httpx.Client
    terminal_id: UUID
    secret: str
    counter: int = 0

    def post(
        self, path: str, payload: Any, *, counter: int | None = None, secret: str | None = None
    ) -> httpx.Response:
        body = orjson.dumps(payload)
        return self.send("POST", path, body, counter=counter, secret=secret)

    def get(self, path: str, *, counter: int | None = None) -> httpx.Response:
        return self.send("GET", path, b"", counter=counter)

    def send(
        self,
        method: str,
        path: str,
        body: bytes,
        *,
        counter: int | None = None,
        secret: str | None = None,
        signed_path: str | None = None,
    ) -> httpx.Response:
        if counter is None:
            self.counter += 1
            counter = self.counter
        headers = signed_headers(
            secret or self.secret, str(self.terminal_id), counter, method, signed_path or path, body
        )
        headers["Content-Type"] = "application/json"
        return self.http.request(method, path, content=body, headers=headers)

    def tap(
        self, card_uid: str, *, counter: int | None = None, secret: str | None = None, **fields: Any
    ) -> httpx.Response:
        return self.post(
            "/terminal/v1/taps", tap(card_uid, **fields), counter=counter, secret=secret
        )


def tap(card_uid: str, **fields: Any) -> dict[str, Any]:
    """A tap body; `at` is the terminal's clock (now by default)."""
    at: datetime = fields.pop("at", None) or device_clock()
    return {
        "tap_id": fields.pop("tap_id", None) or f"t-{next(_taps)}-{uuid4().hex[:6]}",
        "card_uid": card_uid,
        "tapped_at": at.isoformat(),
        **fields,
    }


@dataclass
class TerminalWorld:
    """A school whose terminals (one per kind) hold secrets and speak HTTP."""

    world: SchoolWorld
    desk: TerminalDesk
    http: httpx.Client
    terminals: dict[str, SignedTerminal] = field(default_factory=dict)

    @property
    def ledger(self) -> Ledger:
        return self.world.ledger

    def __getitem__(self, kind: str) -> SignedTerminal:
        return self.terminals[kind]

    def account(self, account_id: UUID) -> Account:
        return self.ledger.account(account_id)

    def pin(self, account_id: UUID, pin: str) -> None:
        """The family's kiosk PIN, as the parent sets it in the cabinet."""
        assert self.desk.kiosk.pins is not None
        self.desk.kiosk.pins.set(account_id, pin)

    def named_pupil(self, name: str, photo: bytes | None = None, **kw: Any) -> Any:
        pupil = self.world.pupil(**kw)
        account = self.account(pupil.account_id)
        fields = {"name": name}
        if photo is not None:
            fields["photo"] = self.desk.blobs.put(photo, self.world.school_id)
        self.desk.people.put(account.pupil_ref, **fields)
        return pupil


def terminal_world(ledger: Ledger, desk: TerminalDesk, http: httpx.Client) -> TerminalWorld:
    world = new_school(ledger)
    school = TerminalWorld(world, desk, http)
    for kind, terminal_id in world.terminals.items():
        secret = desk.secrets.issue(terminal_id, world.school_id)
        school.terminals[kind] = SignedTerminal(http, terminal_id, secret)
    return school


def fake_jpeg() -> bytes:
    return b"\xff\xd8\xff\xe0" + random.randbytes(64) + b"\xff\xd9"
