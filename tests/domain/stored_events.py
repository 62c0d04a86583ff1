"""Events and snapshots as the ledger stored them, kept as files so that a refactoring of the
domain is checked against what is already in the event store.

`python -m tests.domain.stored_events --events` wrote `stored_topics.txt` (every topic our
aggregates store) and `stored_events.json` (one account's history with every kind of account
event, and its snapshots, as stored bytes) from the code of `main` before `domain/account.py`
was split. `python -m tests.domain.stored_events` (no `--events`) adds the topics new code
introduces to `stored_topics.txt`, keeping every topic already there: what is stored stays.
`--later` appends an account event class added since (`later`) to the file's `later` list,
stored as the code writes it now, leaving every stored record as it was.
"""

import importlib
import inspect
import json
import pkgutil
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, CanMutateAggregate
from eventsourcing.utils import get_topic

import domain
from domain.kinds import Channel, DeclineReason
from domain.ledger import Ledger
from domain.tap import TapContext, TapRequest

HERE = Path(__file__).resolve().parent
TOPICS = HERE / "stored_topics.txt"
EVENTS = HERE / "stored_events.json"

SCHOOL_ID = UUID("0b6f7a52-2a3e-4d38-8d8f-7f4c7c0d1a22")
TERMINAL_ID = UUID("8f1c2b3a-4d5e-4f60-9a1b-2c3d4e5f6a33")
UID, SECOND_UID, THIRD_UID = "04A1B2C3D4E5F6", "04A1B2C3D4E5F7", "04A1B2C3D4E5F8"
AT = datetime(2025, 9, 1, 5, tzinfo=UTC)
DAY = date(2025, 9, 1)
V2_FIELDS = ("service_only", "contact_ref", "low_balance_threshold", "fee_debt", "tariff_history")
LUNCH = {"code": "LUNCH", "name": "Комплексный обед", "price": 9000, "quantity": 1, "meal": True}


def current_topics() -> list[str]:
    """The topic of every aggregate, event and snapshot class in `domain/`."""
    topics: set[str] = set()
    for module in pkgutil.walk_packages(domain.__path__, "domain."):
        for _, cls in inspect.getmembers(importlib.import_module(module.name), inspect.isclass):
            if cls.__module__ != module.name:
                continue
            if issubclass(cls, CanMutateAggregate) and "TOPIC" in vars(cls):
                if cls.__name__ != "Event":  # an event declared beside its aggregate
                    topics.add(get_topic(cls))
                continue
            if not issubclass(cls, Aggregate):
                continue
            if not cls.__dict__.get("TOPIC"):
                continue  # an abstract base (every stored aggregate has an explicit topic)
            topics.add(get_topic(cls))
            for name, member in vars(cls).items():
                is_event = isinstance(member, type) and issubclass(member, CanMutateAggregate)
                if is_event and name != "Event":
                    topics.add(get_topic(member))
            if "TOPIC" in vars(cls.Snapshot):  # what the snapshots table stores
                topics.add(get_topic(cls.Snapshot))
    return sorted(topics)


def tap(tap_id: str, items: list[dict[str, Any]] | None, *, offline: bool = False) -> TapContext:
    request = TapRequest.parse(
        TERMINAL_ID, tap_id, UID, AT, items=items, offline=offline,
        direction=None if items else "in",
    )  # fmt: skip
    return TapContext(request, "canteen_pos" if items else "turnstile", DAY)


def history(ledger: Ledger) -> tuple[list[Any], list[dict[str, Any]]]:
    """One account through every kind of account event; its snapshots on the way."""
    from domain.account import ACTIVATION_MIN_DEPOSIT, Account
    from domain.dispute import Charge
    from domain.fees import FeeQuote

    account = Account.open("C-STORED", SCHOOL_ID, "5А", "subject:pupil", "subject:parent")
    account.issue_card(UID)
    account.activate_card(UID, "offer-1", "subject:phone", ACTIVATION_MIN_DEPOSIT)
    account.top_up(50_000, Channel.KIOSK_CASH, 0, "0", "pay-1", TERMINAL_ID)
    account.change_tariff("mobile")
    account.change_daily_limit(30_000)
    account.grant_subsidy("многодетная семья", 9_000)
    account.credit_subsidy(4_000, "2025-09-01")
    account.take_purchase(tap("t-1", [LUNCH]), 0)
    account.take_purchase(tap("t-2", [LUNCH]), 0, DeclineReason.TERMINAL_REVOKED)
    account.take_pass(tap("t-3", None))
    account.take_pass(tap("t-4", None), DeclineReason.TERMINAL_REVOKED)
    snapshots = [stored(ledger, Account.Snapshot.take(account))]
    account.change_notification_preferences(True)
    account.change_contact("subject:contact")
    account.set_low_balance_threshold(10_000)
    snapshots.append(stored(ledger, Account.Snapshot.take(account)))
    account.charge_tariff_fee(FeeQuote("2025-09", 90_000, [{"tariff": "mobile", "days": 30}]))
    account.top_up(30_000, Channel.BANK_CARD, 600, "0.02", "pay-2")
    account.collect_fee_debt()
    account.block_card(UID, "потеряна")
    account.take_offline_purchase(tap("t-5", [LUNCH, LUNCH], offline=True), 0, None, 5_000)
    account.top_up(40_000, Channel.KIOSK_CASH, 0, "0", "pay-3", TERMINAL_ID)
    account.order_duplicate(UID, SECOND_UID)
    account.unblock_card(UID, "нашлась")
    account.revoke_subsidy("срок истёк")
    for key, tap_id in ((f"{TERMINAL_ID}/t-1", "t-1"), (f"{TERMINAL_ID}/t-5", "t-5")):
        account.dispute_charge(
            Charge(key, tap_id, TERMINAL_ID, "canteen_pos", UID, AT, "2025-09-01", [LUNCH],
                   9_000, 9_000, 0, "terminal:x", False),
            "не ел", ["late"],
        )  # fmt: skip
    account.reverse_charge(f"{TERMINAL_ID}/t-1", "вернуть")
    account.reject_dispute(f"{TERMINAL_ID}/t-5", "ел")
    account.top_up(200_000, Channel.BANK_CARD, 0, "0", "pay-4")
    account.request_refund("original_method", "", False, "переезд")
    account.approve_refund()
    account.pay_refund("payout-1", close=True)
    account.record_erasure(["subject:pupil", "subject:parent"], 1, "152-ФЗ ст. 21")
    snapshots.append(stored(ledger, Account.Snapshot.take(account)))
    return list(account.collect_events()), snapshots


def later(ledger: Ledger) -> list[Any]:
    """Account events added after the history was written, on an account of their own: each
    is stored once, in the shape it had when it was added (`--later` appends the new ones)."""
    from domain.account import ACTIVATION_MIN_DEPOSIT, Account

    account = Account.open("C-LATER", SCHOOL_ID, "5А", "subject:pupil", "subject:parent")
    account.issue_card(UID)
    account.activate_card(UID, "offer-1", "subject:phone", ACTIVATION_MIN_DEPOSIT)
    for slot, kind in (("17", "wardrobe"), ("B-12", "locker")):
        request = TapRequest.parse(TERMINAL_ID, f"s-{slot}", UID, AT, slot=slot)
        account.take_storage(TapContext(request, kind, DAY))
    account.block_card(UID, "потеряна")
    account.take_storage(TapContext(TapRequest.parse(TERMINAL_ID, "s-3", UID, AT, slot="3"),
                                    "wardrobe", DAY))  # fmt: skip
    return list(account.collect_events())


def stored(ledger: Ledger, event: Any) -> dict[str, Any]:
    record = ledger.mapper.to_stored_event(event)
    return {
        "originator_id": str(record.originator_id),
        "originator_version": record.originator_version,
        "topic": record.topic,
        "state": record.state.decode(),
    }


def version_1(snapshot: dict[str, Any]) -> dict[str, Any]:
    """A snapshot as version 1 of the account wrote it: before notifications and fees."""
    state = json.loads(snapshot["state"])
    del state["class_version"]
    for name in V2_FIELDS:
        del state["state"][name]
    return {**snapshot, "state": json.dumps(state, ensure_ascii=False)}


def main() -> None:
    if "--events" in sys.argv:
        ledger = Ledger()
        events, snapshots = history(ledger)
        account = {
            "events": [stored(ledger, e) for e in events],
            "snapshots": [version_1(snapshots[0]), *snapshots],
        }
        EVENTS.write_text(json.dumps(account, ensure_ascii=False, indent=1) + "\n")
    if "--later" in sys.argv:
        kept = json.loads(EVENTS.read_text())
        have = {r["topic"] for r in kept["events"] + kept.get("later", [])}
        new = [stored(Ledger(), e) for e in later(Ledger())]
        kept["later"] = kept.get("later", []) + [r for r in new if r["topic"] not in have]
        EVENTS.write_text(json.dumps(kept, ensure_ascii=False, indent=1) + "\n")
    known = set(TOPICS.read_text().split()) if TOPICS.exists() else set()
    TOPICS.write_text("\n".join(sorted(known | set(current_topics()))) + "\n")


if __name__ == "__main__":
    main()
