"""A reader without the card hardware: the real journal, client, offline policy and uploader."""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import httpx

from domain.account import Account
from domain.ledger import Ledger
from reader.client import TerminalClient
from reader.journal import Journal
from reader.offline import OfflinePolicy
from reader.service import Dedupe, ReaderService
from tests.clock import device_clock

LUNCH = {"code": "LUNCH", "name": "Комплексный обед", "price": 9000, "quantity": 1, "meal": True}
BUN = {"code": "BUN", "name": "Булочка", "price": 4500, "quantity": 1, "meal": False}


@dataclass
class SimReader:
    terminal_id: UUID
    journal: Journal
    client: TerminalClient
    service: ReaderService

    def close(self) -> None:
        self.client.close()
        self.journal.close()


def sim_reader(
    directory: Path,
    server: str,
    terminal_id: UUID,
    secret: str,
    payload: dict[str, Any],
    *,
    live_wait: float = 2.0,
    clock: Callable[[], datetime] = device_clock,
    http: httpx.Client | None = None,
) -> SimReader:
    journal = Journal(directory)
    client = TerminalClient(
        server, terminal_id, secret.encode(), journal.next_counter, timeout=5, http=http
    )
    policy = OfflinePolicy(journal, ZoneInfo("Asia/Novosibirsk"))
    service = ReaderService(
        journal,
        client,
        policy,
        payload,
        live_wait=live_wait,
        retry_every=0.05,
        dedupe=Dedupe(window=0.0),
        clock=clock,
    )
    return SimReader(terminal_id, journal, client, service)


def account_story(ledger: Ledger, account_id: UUID) -> dict[str, Any]:
    """What converged: the balance, the purchases and the passes, by tap id."""
    charged: Counter[str] = Counter()
    passes: Counter[tuple[str, str]] = Counter()
    for event in ledger.repository.event_store.get(account_id):
        if isinstance(event, Account.PurchaseApproved | Account.OfflinePurchaseRecorded):
            charged[event.tap_id] += 1
        elif isinstance(event, Account.PassRecorded):
            passes[(event.tap_id, event.direction)] += 1
    account = ledger.account(account_id)
    return {"regular": account.regular, "charged": charged, "passes": passes}
