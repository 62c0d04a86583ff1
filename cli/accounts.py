"""Operator commands on the ledger: `tap`, `top-up`, `account show`."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import Annotated, Any
from uuid import UUID, uuid4

import typer

from cli.demo import demo_terminal_id
from cli.output import AsJson, echo_json, fields
from cli.sessions import operator_session
from domain.kinds import TerminalKind
from domain.ledger import Ledger
from domain.money import rubles
from domain.tap import TapRequest

account_app = typer.Typer(no_args_is_help=True, help="Inspect accounts")


@contextmanager
def ledger_session(actor: str) -> Iterator[Ledger]:
    """A bootstrapped ledger; domain errors become a clear message and exit code 2."""
    with operator_session(actor) as container:
        yield container.ledger


def terminal_id(value: str) -> UUID:
    """A terminal UUID, or a terminal kind naming the demo school's terminal of that kind."""
    if value in {k.value for k in TerminalKind}:
        return demo_terminal_id(value)
    try:
        return UUID(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is neither a terminal id nor a kind") from None


def parse_item(text: str) -> dict[str, Any]:
    """CODE:NAME:PRICE_KOPECKS[:QUANTITY][:meal]"""
    parts = text.split(":")
    if len(parts) < 3 or not parts[2].isdigit():
        raise typer.BadParameter(f"item {text!r} is not CODE:NAME:PRICE[:QTY][:meal]")
    quantity = int(parts[3]) if len(parts) > 3 and parts[3].isdigit() else 1
    return {"code": parts[0], "name": parts[1], "price": int(parts[2]), "quantity": quantity,
            "meal": parts[-1] == "meal"}  # fmt: skip


def tap(
    terminal: Annotated[str, typer.Option(help="terminal id, or a kind for the demo school")],
    card: Annotated[str, typer.Option(help="card UID, hex")],
    item: Annotated[list[str] | None, typer.Option(help="CODE:NAME:PRICE[:QTY][:meal]")] = None,
    direction: Annotated[str | None, typer.Option(help="in or out, at a turnstile")] = None,
    tap_id: Annotated[str | None, typer.Option(help="defaults to a new UUID")] = None,
    as_json: AsJson = False,
) -> None:
    """Present a card to a terminal and print the decision."""
    items = [parse_item(i) for i in item] if item else None
    tid = terminal_id(terminal)
    with ledger_session(f"terminal:{tid}") as ledger:
        request = TapRequest.parse(
            tid, tap_id or str(uuid4()), card, ledger.clock(), items=items, direction=direction
        )
        result = ledger.handle_tap(request)
    if as_json:
        echo_json({**asdict(result.decision), "position": result.position})
        return
    d = result.decision
    money = None if d.regular_after is None else rubles(d.regular_after)
    subsidised = None if d.subsidised_after is None else rubles(d.subsidised_after)
    spent = None if d.spent_today is None else rubles(d.spent_today)
    limit = None if d.daily_limit is None else rubles(d.daily_limit)
    fields([
        ("outcome", d.outcome + (f" ({d.reason})" if d.reason else "")),
        ("amount", rubles(d.amount)),
        ("regular", money),
        ("subsidised", subsidised),
        ("spent today", f"{spent} of {limit}" if spent is not None else None),
        ("direction", d.direction),
        ("local date", d.local_date),
        ("position", result.position),
    ] + ([("replayed", "yes: the original decision")] if result.replayed else []))  # fmt: skip


def top_up(
    contract: Annotated[str, typer.Option(help="contract number")],
    amount: Annotated[int, typer.Option(help="kopecks")],
    channel: Annotated[str, typer.Option(help="kiosk_cash, bank_card, autopay or sbp")],
    payment_id: Annotated[str | None, typer.Option(help="external payment id")] = None,
    terminal: Annotated[str | None, typer.Option(help="the kiosk, for kiosk_cash")] = None,
    as_json: AsJson = False,
) -> None:
    """Credit an account (idempotent on the payment id)."""
    with ledger_session("operator:cli") as ledger:
        result = ledger.top_up(
            ledger.account_id_for_contract(contract),
            amount,
            channel,
            payment_id or str(uuid4()),
            terminal_id(terminal) if terminal else None,
        )
    if as_json:
        echo_json(asdict(result))
        return
    fields([
        ("payment", result.payment_id),
        ("amount", rubles(result.amount)),
        ("commission", f"{rubles(result.commission)} ({result.commission_rate})"),
        ("regular", rubles(result.regular_after)),
        ("position", result.position),
        ("replayed", "yes: credited once, earlier" if result.replayed else "no"),
    ])  # fmt: skip


@account_app.command("show")
def show(
    contract: Annotated[str, typer.Option(help="contract number")], as_json: AsJson = False
) -> None:
    """Balances, cards, tariff and limits of one account."""
    with ledger_session("operator:cli") as ledger:
        account = ledger.account(ledger.account_id_for_contract(contract))
        today = ledger.school(account.school_id).local_date(ledger.clock())
    if as_json:
        echo_json({
            "account_id": account.id, "contract": account.contract_number,
            "class": account.class_name, "regular": account.regular,
            "subsidised": account.subsidised, "spent_today": account.spent_on(today),
            "daily_limit": account.daily_limit, "tariff": account.tariff,
            "cards": dict(account.cards),
        })  # fmt: skip
        return
    cards = ", ".join(f"{uid} ({state})" for uid, state in account.cards.items())
    fields([
        ("contract", account.contract_number),
        ("class", account.class_name),
        ("regular", rubles(account.regular)),
        ("subsidised", rubles(account.subsidised)),
        ("spent today", rubles(account.spent_on(today))),
        ("daily limit", rubles(account.daily_limit)),
        ("tariff", account.tariff),
        ("cards", cards or "none"),
    ])  # fmt: skip
