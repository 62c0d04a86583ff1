"""`infoshkola reader`: a PC/SC card reader acting as one terminal.

Each card put on a reader becomes a signed tap for the terminal's kind: a turnstile pass in
the given direction, or a purchase of the configured items at a paying terminal. Decisions are
printed as JSON lines (the operator's screen); logs go to stderr.
"""

import logging
import os
import signal
import sys
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID
from zoneinfo import ZoneInfo

import orjson
import typer

from adapters.clock import parse_clock
from adapters.logs import configure_logging
from adapters.reader.client import TerminalClient
from adapters.reader.journal import Journal
from adapters.reader.offline import OfflinePolicy
from adapters.reader.service import Dedupe, ReaderService
from adapters.settings import clock_setting


def parse_item(text: str) -> dict[str, Any]:
    """ "LUNCH:Комплексный обед:9000:meal" -> one item line (price in kopecks)."""
    parts = text.split(":")
    if len(parts) not in (3, 4) or not parts[2].isdigit() or parts[3:] not in ([], ["meal"]):
        raise typer.BadParameter(f"{text!r} is not CODE:NAME:PRICE_KOPECKS[:meal]")
    return {"code": parts[0], "name": parts[1], "price": int(parts[2]), "quantity": 1,
            "meal": parts[3:] == ["meal"]}  # fmt: skip


def tap_payload(kind: str, direction: str | None, items: list[str]) -> dict[str, Any]:
    if kind == "turnstile":
        if items or direction not in ("in", "out"):
            raise typer.BadParameter("a turnstile needs --direction in|out and no --item")
        return {"direction": direction}
    if not items or direction is not None:
        raise typer.BadParameter(f"a {kind} needs at least one --item and no --direction")
    return {"items": [parse_item(i) for i in items]}


def reader(
    terminal: Annotated[UUID, typer.Option(help="this terminal's id")],
    secret_file: Annotated[Path, typer.Option(help="file holding the terminal's secret")],
    server: Annotated[str, typer.Option(help="API base URL, e.g. http://127.0.0.1:8000")],
    kind: Annotated[str, typer.Option(help="turnstile, canteen_pos, vending, ...")],
    direction: Annotated[str | None, typer.Option(help="turnstile: in or out")] = None,
    item: Annotated[
        list[str] | None, typer.Option(help="paying terminal: CODE:NAME:PRICE_KOPECKS[:meal]")
    ] = None,
    journal_dir: Annotated[Path | None, typer.Option(help="default var/reader/<terminal>")] = None,
    time_zone: Annotated[str, typer.Option(help="school time zone for offline caps")] = "UTC",
    live_wait: Annotated[float, typer.Option(help="seconds to wait for the server")] = 2.0,
    dedupe_window: Annotated[float, typer.Option(help="same card, same reader: one tap")] = 3.0,
    watchdog: Annotated[float, typer.Option(help="exit when the card loop hangs this long")] = 60,
) -> None:
    """Read cards and post signed taps; journal them and decide offline when the server is away."""
    from adapters.reader.pcsc import CardWatcher, Watchdog  # needs libpcsclite at import

    configure_logging(stream=sys.stderr)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    payload = tap_payload(kind, direction, item or [])
    secret = secret_file.read_text().strip().encode()
    journal = Journal(journal_dir or Path("var") / "reader" / str(terminal))
    client = TerminalClient(server, terminal, secret, journal.next_counter)
    service = ReaderService(
        journal,
        client,
        OfflinePolicy(journal, ZoneInfo(time_zone)),
        payload,
        kind=kind,
        live_wait=live_wait,
        dedupe=Dedupe(dedupe_window),
        clock=parse_clock(clock_setting(os.environ)),
    )

    def show(reader_name: str, uid: str) -> None:
        decision = service.tap(reader_name, uid)
        if decision is not None:
            line = {"reader": reader_name, "card_uid": uid, "decision": decision}
            sys.stdout.buffer.write(orjson.dumps(line) + b"\n")
            sys.stdout.flush()

    watcher = CardWatcher(show)
    dog = Watchdog(lambda: watcher.heartbeat, limit=watchdog)
    signal.signal(signal.SIGTERM, lambda *_: watcher.stop())
    signal.signal(signal.SIGINT, lambda *_: watcher.stop())
    service.start()
    dog.start()
    logging.getLogger(__name__).info("reader for terminal %s (%s) started", terminal, kind)
    try:
        watcher.run()
    finally:
        dog.stop()
        service.stop()
        client.close()
        journal.close()
