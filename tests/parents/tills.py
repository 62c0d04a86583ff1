"""Signed terminals of a test school, speaking HTTP to the stack's API server."""

from datetime import date
from typing import Any
from uuid import UUID

from adapters.terminal_auth import enrol_terminal
from tests.api.stack import Stack
from tests.terminals.rig import SignedTerminal


def till(stack: Stack, school_id: UUID, kind: str, label: str) -> SignedTerminal:
    secrets = stack.services.terminal_secrets
    terminal_id, secret = enrol_terminal(stack.ledger, secrets, school_id, kind, label)
    return SignedTerminal(stack.http, terminal_id, secret)


def decided(terminal: SignedTerminal, uid: str, **fields: Any) -> dict[str, Any]:
    response = terminal.tap(uid, **fields)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def school_today(stack: Stack, school_id: UUID) -> date:
    school = stack.ledger.school(school_id)
    return stack.ledger.clock().astimezone(school.zone).date()
