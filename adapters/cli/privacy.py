"""`infoshkola privacy …`: personal data under 152-FZ from the command line (docs/PRIVACY.md).

Staff answer a subject access request (`export`), read the access log (`access-log`),
decide a parent's erasure request (`approve`, `refuse`), list consents (`consents`) and run
the retention schedule (`retention`). Every read of personal data here is logged with the
staff member named by `--by`.
"""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from adapters.audit.erasure import refund_refs
from adapters.bootstrap import Container, bootstrap
from adapters.cli.audit import account_id
from adapters.privacy.office import PrivacyOffice, build_office
from domain.errors import DomainError
from domain.recorded import acting_as

app = typer.Typer(no_args_is_help=True, help="Personal data: exports, access log, erasure")
Contract = Annotated[str, typer.Argument(help="contract number or account id")]
By = Annotated[str, typer.Option("--by", help="the staff member answering (for the access log)")]


@contextmanager
def session(actor: str) -> Iterator[tuple[Container, PrivacyOffice]]:
    container = bootstrap()
    settings = container.settings
    office = build_office(
        container.ledger, container.database_url,
        settings.blob_dir or settings.var_dir / "blobs", settings.var_dir,
    )  # fmt: skip
    try:
        office.create_tables()
        with acting_as(actor):
            yield container, office
    except DomainError as error:
        typer.echo(f"error [{error.code}]: {error}", err=True)
        raise typer.Exit(2) from None
    finally:
        office.close()
        container.close()


def operator(by: str) -> str:
    by = by.strip()
    if not by or len(by) > 64 or not by.isprintable() or " " in by:
        typer.echo("error: --by names the staff member (no spaces, up to 64 characters)", err=True)
        raise typer.Exit(2)
    return f"operator:{by}"


@app.command("export")
def export(
    contract: Contract,
    by: By,
    out: Annotated[Path | None, typer.Option(help="write the JSON here (else stdout)")] = None,
) -> None:
    """A subject access answer: the personal data of the contract's pupil and parent (JSON)."""
    actor = operator(by)
    with session(actor) as (c, office):
        found = office.export(actor, None, [account_id(c, contract)], [])
    data = json.dumps(found["contracts"][0], ensure_ascii=False, indent=2)
    if out is None:
        typer.echo(data)
    else:
        out.write_text(data + "\n", encoding="utf-8")
        typer.echo(f"written to {out}")


@app.command("access-log")
def access_log(contract: Contract) -> None:
    """Who read the contract's personal data or photos, when, and for what operation."""
    with session("auditor:cli") as (c, office):
        account = account_id(c, contract)
        entries = office.log.entries(account, refund_refs(c.ledger, account))
    for e in entries:
        whose = str(e.account_id) if e.account_id else e.subject_ref
        typer.echo(f"{e.at.isoformat()}\t{e.actor}\t{e.operation}\t{whose}")
    typer.echo(f"{len(entries)} reads", err=True)


@app.command("consents")
def consents(contract: Contract) -> None:
    """Consents given and withdrawn for the contract: who, which text, when."""
    with session("auditor:cli") as (c, office):
        found = office.consent_events(account_id(c, contract))
    for e in found:
        typer.echo(json.dumps(e, ensure_ascii=False))


@app.command("approve")
def approve(contract: Contract, by: By) -> None:
    """Approve the parent's erasure request: everything personal is destroyed, the parent is
    told by SMS."""
    with session(operator(by)) as (c, office):
        done = office.approve_erasure(account_id(c, contract))
    typer.echo(f"erased {len(done.subjects)} subjects, {done.photos} photos; "
               f"recorded at position {done.position}")  # fmt: skip


@app.command("refuse")
def refuse(
    contract: Contract, by: By, reason: Annotated[str, typer.Option(help="why, for the parent")]
) -> None:
    """Refuse the parent's erasure request, with the reason."""
    with session(operator(by)) as (c, office):
        position = office.refuse_erasure(account_id(c, contract), reason)
    typer.echo(f"refused; recorded at position {position}")


@app.command("retention")
def retention() -> None:
    """Erase what was kept for accounting once its retention period is over."""
    with session("system:retention") as (c, office):
        done = office.apply_retention(c.ledger.clock())
    typer.echo(f"{len(done)} accounts past their retention period erased")
