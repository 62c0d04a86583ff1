"""`infoshkola audit …`: history, balance as of an instant, exports, the hash chain and its
signed head, full verification, unreturned balances and erasure (see docs/audit.md)."""

import json
import shutil
import sys
import textwrap
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated
from uuid import UUID

import psycopg
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from adapters.audit import chain, history, replay, signing
from adapters.bootstrap import Container, bootstrap
from adapters.cli.output import AsJson, echo_json, fields, table
from adapters.logs import configure_logging
from adapters.privacy.office import build_office
from domain import casework
from domain.money import rubles
from domain.recorded import acting_as

app = typer.Typer(no_args_is_help=True, help="Audit: history, balances at T, verify, exports")
console = Console(stderr=True)

Account = Annotated[str, typer.Argument(help="contract number or account id")]


@contextmanager
def session(actor: str = "auditor:cli") -> Iterator[Container]:
    container = bootstrap()
    try:
        with acting_as(actor):
            yield container
    finally:
        container.close()


def account_id(container: Container, ref: str) -> UUID:
    try:
        return UUID(ref)
    except ValueError:
        return container.ledger.account_id_for_contract(ref)


def events_table(container: Container) -> str:
    return str(container.ledger.recorder.events_table_name)  # type: ignore[attr-defined]


def instant(text: str) -> datetime:
    """An ISO-8601 instant (UTC when it has no offset); anything else is a usage error."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not an ISO-8601 instant, e.g. 2026-11-21T12:00:00+07:00"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, transient=not console.is_terminal,
    )  # fmt: skip


@app.command("history")
def history_(
    account: Account,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per line")] = False,
) -> None:
    """Every event of an account in order: position, version, time, actor, fields."""
    with session() as c:
        entries = history.audit_trail(c.ledger, account_id(c, account))
    if as_json:
        history.write_jsonl(entries, sys.stdout)
        return
    width = max(shutil.get_terminal_size().columns, 60)
    for e in entries:  # two lines an event, wrapped to the terminal (80 columns suffice)
        details = e.reason or json.dumps(e.fields, ensure_ascii=False, sort_keys=True)
        when = e.timestamp.strftime("%Y-%m-%d %H:%M:%S")
        money = f"{rubles(e.regular_after)} / {rubles(e.subsidised_after)}"
        head = f"#{e.position} v{e.version} {when}  {e.event}"
        typer.echo(f"{head}  {money:>{max(width - len(head) - 2, 0)}}")
        lines = textwrap.wrap(f"by {e.actor}: {details}", width - 4)
        typer.echo(textwrap.indent("\n".join(lines), "    "))


@app.command("balance-at")
def balance_at(
    account: Account,
    at: Annotated[str, typer.Argument(help="ISO instant, e.g. 2026-11-21T12:00:00+07:00")],
    as_json: AsJson = False,
) -> None:
    """The account's state and balance as of an instant (replayed from a snapshot)."""
    moment = instant(at)
    with session() as c:
        found = history.balance_at(c.ledger, account_id(c, account), moment)
    if found is None:
        typer.echo("the account did not exist yet at that instant", err=True)
        raise typer.Exit(1)
    state = history.plain(found.__dict__)
    if as_json:
        echo_json(state)
        return
    money = {"regular", "subsidised"}
    fields(
        (key, rubles(value) if key in money else value)
        for key, value in state.items()
        if not isinstance(value, dict | list)
    )


@app.command("export")
def export(
    account: Account,
    out: Annotated[Path, typer.Option(help="directory for <contract>.jsonl and .csv")] = Path("."),
) -> None:
    """The account's full history as JSON lines and CSV (the parent's portable copy)."""
    with session() as c:
        jsonl, csv = history.export_account(c.ledger, account_id(c, account), out)
    typer.echo(f"{jsonl}\n{csv}")


@app.command("chain")
def chain_(
    follow: Annotated[bool, typer.Option(help="keep extending as events arrive")] = False,
    every: Annotated[float, typer.Option(help="seconds between looks when following")] = 2.0,
) -> None:
    """Extend the hash chain over the event log (the tracked process `make run` keeps)."""
    with session() as c, psycopg.connect(c.database_url, autocommit=True) as conn:
        if follow:
            configure_logging(c.settings)
        stop = threading.Event()
        while True:
            position = chain.extend(conn, events_table(c))
            if not follow:
                typer.echo(f"chained up to {position}")
                return
            if stop.wait(every):
                return


@app.command("chain-head")
def chain_head(
    key: Annotated[Path, typer.Option(help="the operator's ed25519 private key (PEM)")],
    out: Annotated[Path | None, typer.Option(help="write the signed head here")] = None,
) -> None:
    """Sign the chain's head with the operator's key (run daily; hand the file to auditors)."""
    with session() as c, psycopg.connect(c.database_url, autocommit=True) as conn:
        head = signing.signed_head(
            conn, events_table(c), signing.load_private(key), c.ledger.clock()
        )
    text = json.dumps(head, indent=2)
    if out:
        out.write_text(text + "\n")
    typer.echo(text)


@app.command("check-head")
def check_head(
    head: Annotated[Path, typer.Argument(help="a signed head written by chain-head")],
    public_key: Annotated[Path, typer.Option(help="the operator's public key (PEM)")],
) -> None:
    """Check a signed head against the operator's public key and today's log."""
    with session() as c, psycopg.connect(c.database_url, autocommit=True) as conn:
        result = signing.check_head(
            conn, json.loads(head.read_text()), signing.load_public(public_key)
        )
    typer.echo(result.detail)
    if not result.ok:
        raise typer.Exit(1)


@app.command("keygen")
def keygen(path: Annotated[Path, typer.Argument(help="where to write the private key")]) -> None:
    """Generate the operator's ed25519 key pair (private PEM, and .pub beside it)."""
    typer.echo(f"public key: {signing.generate_key(path)}")


@app.command("verify")
def verify(
    skip_read_models: Annotated[bool, typer.Option(help="only the chain and the replay")] = False,
    wait: Annotated[
        float, typer.Option(help="seconds to let the projections reach the head first")
    ] = 30.0,
) -> None:
    """Replay the whole store: the hash chain, every aggregate, every read model.

    A read model behind the head (after --wait) or whose projection has an error fails it.
    """
    problems = 0
    with session() as c, psycopg.connect(c.database_url, autocommit=True) as conn, bar() as p:
        table = events_table(c)
        tasks: dict[str, TaskID] = {}

        def advance(name: str, position: int, head: int) -> None:
            if name not in tasks:
                tasks[name] = p.add_task(name, total=None)
            p.update(tasks[name], completed=position, total=max(head, 1))

        chain.extend(conn, table, progress=lambda n, h: advance("chain: extend", n, h))
        report = chain.verify(conn, table, progress=lambda n, h: advance("chain: verify", n, h))
        out = Console()
        if report.ok:
            out.print(f"chain: {report.checked} events verified, head {report.head} "
                      f"{report.head_hash} ({report.unchained} not chained yet)")  # fmt: skip
        else:
            problems += 1
            out.print(f"chain: FIRST BAD POSITION {report.first_bad}: {report.problem}")
        aggregates = replay.verify_aggregates(c.ledger, advance)
        models = [] if skip_read_models else replay.verify_read_models(
            c.ledger, c.database_url, progress=advance, wait=wait)  # fmt: skip
    problems += len(aggregates.mismatched)
    for account, error in list(aggregates.unreadable.items())[:5]:
        out.print(f"  account {account} does not replay: {error}")
    out.print(f"aggregates: {aggregates.accounts} accounts replayed, "
              f"{len(aggregates.mismatched)} differ from their snapshots "
              f"{[str(a) for a in aggregates.mismatched[:5]]}")  # fmt: skip
    table_ = Table(
        "read model", "position", "behind head", "differences", "live digest = replay digest"
    )
    for m in models:
        problems += m.differences
        same = "yes" if m.live_digest == m.replay_digest else "NO"
        table_.add_row(m.name, str(m.position), str(m.lag), str(m.differences), same)
    if models:
        out.print(table_)
    for m in models:
        typer.echo(f"digest {m.name}: {m.live_digest}")
        for reason in m.reasons:
            typer.echo(f"  NOT VERIFIED: {reason}")
        for t in m.tables:
            for sample in t.samples:
                out.print(f"  {m.name}.{t.table}: {sample}")
    out.print(f"differences: {problems}")
    if problems:
        raise typer.Exit(1)


@app.command("refunds")
def refunds(
    school: Annotated[str | None, typer.Option(help="only this school's accounts")] = None,
    as_json: AsJson = False,
) -> None:
    """Balances not yet returned (refunds under way, schools that left) and for how long."""
    with session() as c:
        found = casework.unreturned_balances(
            c.ledger, c.ledger.clock(), UUID(school) if school else None
        )
    if as_json:
        echo_json([u.__dict__ for u in found])
        return
    table(
        ("contract", "regular", "subsidised", "refund", "since", "days waiting"),
        [(u.contract_number, rubles(u.regular), rubles(u.subsidised),
          u.refund_status or "not requested", u.since.strftime("%Y-%m-%d") if u.since else None,
          u.waiting_days) for u in found],
    )  # fmt: skip
    typer.echo(f"{len(found)} balances not yet returned")


@app.command("erase")
def erase(
    account: Account,
    basis: Annotated[str, typer.Option(help="the legal basis, e.g. the parent's request no.")],
) -> None:
    """Destroy the personal data and photos of an account's pupil and parent (152-FZ)."""
    with session("operator:cli") as c:
        blob_dir = c.settings.blob_dir or c.settings.var_dir / "blobs"
        office = build_office(c.ledger, c.database_url, blob_dir, c.settings.var_dir)
        try:
            done = office.erase(account_id(c, account), basis)
        finally:
            office.close()
    typer.echo(f"erased {len(done.subjects)} subjects, {done.photos} photos; "
               f"recorded at position {done.position}")  # fmt: skip
