"""Shared by the privacy tests: sentinels, a kiosk and a till, a representative's login, the
staff's photo upload, the CLI."""

import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx

from identity.activations import ActivationLogins
from tests.api.stack import Client, Stack
from tests.builders import Pupil, SchoolWorld, meal
from tests.projections.helpers import ROOT
from tests.terminals.rig import SignedTerminal

ACTIVATIONS = "/terminal/v1/kiosk/activations"
CONSENT = "pd-2026-01"
ADD_REPRESENTATIVE = """mutation($c: String!, $p: String!) {
  addRepresentative(input: {contractNumber: $c, phone: $p}) { userErrors { code } } }"""


def needle() -> str:
    """Ten random digits: a phone can hold them, and nothing else in the database does."""
    return f"{secrets.randbelow(10**10):010d}"


def terminal(stack: Stack, world: SchoolWorld, kind: str) -> SignedTerminal:
    terminal_id = world.terminals[kind]
    secret = stack.services.terminal_secrets.issue(terminal_id, world.school_id)
    return SignedTerminal(stack.http, terminal_id, secret)


def activate(stack: Stack, world: SchoolWorld, pupil: Pupil, phone: str) -> Client:
    """The parent activates the card at the kiosk (offer and consent), gets a login by SMS
    and logs in."""
    answer = terminal(stack, world, "kiosk").post(
        ACTIVATIONS,
        {"card_uid": pupil.uid, "offer_version": "offer-2026", "consent_version": CONSENT,
         "parent_phone": phone, "deposit": 30_000, "receipt_id": f"R-{uuid4().hex[:8]}"},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    logins = ActivationLogins(
        stack.ledger, stack.services.people, stack.identity, stack.database_url
    )
    while logins.step(limit=10_000):
        pass
    parent = stack.client()
    assert "accessToken" in parent.login(pupil.contract_number, stack.password_sent_to(phone))
    return parent


def add_representative(stack: Stack, parent: Client, contract: str, phone: str) -> Client:
    """The parent gives `phone` a login to the contract; the representative (a grandparent)
    logs in with the password the SMS brought."""
    answer = parent.data(ADD_REPRESENTATIVE, c=contract, p=phone)["addRepresentative"]
    assert answer == {"userErrors": []}
    representative = stack.client()
    representative.login(phone, stack.password_sent_to(phone))
    return representative


def tap_at_till(stack: Stack, world: SchoolWorld, pupil: Pupil) -> dict[str, Any]:
    """A lunch at the canteen till, which shows the pupil and loads the photo: two reads of
    personal data by a terminal. The pupil as the till shows it."""
    till = terminal(stack, world, "canteen_pos")
    shown = till.post("/terminal/v1/taps", {"tap_id": f"t-{uuid4().hex[:8]}", "card_uid": pupil.uid,
                                            "tapped_at": stack.ledger.clock().isoformat(),
                                            "items": [meal()]})  # fmt: skip
    assert shown.status_code == 200, shown.text
    pupil_shown: dict[str, Any] = shown.json()["pupil"]
    assert till.get(pupil_shown["photo_url"]).status_code == 200
    return pupil_shown


def upload_photo(stack: Stack, staff: Client, contract: str, data: bytes) -> str:
    answer = stack.http.put(
        f"/staff/v1/accounts/{contract}/photo",
        content=data,
        headers={"Authorization": f"Bearer {staff.token}", "Content-Type": "image/jpeg"},
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["sha256"])


def staff_photo(stack: Stack, staff: Client, digest: str) -> httpx.Response:
    return stack.http.get(
        f"/staff/v1/photos/{digest}", headers={"Authorization": f"Bearer {staff.token}"}
    )


def cli(database_url: str, log: Path, *args: str, **env: str) -> str:
    full = {**os.environ, "DATABASE_URL": database_url, "COLUMNS": "200", **env}
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        cwd=ROOT, env=full, capture_output=True, timeout=180, check=False,
    )  # fmt: skip
    with log.open("ab") as out:
        out.write(done.stdout + done.stderr)
    assert done.returncode == 0, (done.stdout + done.stderr).decode()[-3000:]
    return done.stdout.decode()
