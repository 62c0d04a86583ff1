"""`infoshkola projections run|status|event|metrics|rebuild`: keep, inspect and rebuild the
read models (docs/projections.md says how an operator repairs one stuck on an event)."""

import contextlib
import json
import signal
import threading
from typing import Annotated

import psycopg
import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from adapters.bootstrap import bootstrap
from adapters.cli.output import AsJson, echo_json
from adapters.logs import configure_logging
from projections import all_projections, by_name, metrics, positions, runner
from projections.base import Projection
from projections.processes import spread, supervise

app = typer.Typer(no_args_is_help=True, help="Read models: run the projections, status, rebuild")


def _chosen(names: list[str] | None) -> list[Projection]:
    try:
        return [by_name(n) for n in names] if names else all_projections()
    except KeyError as exc:
        raise typer.BadParameter(str(exc)) from None


@app.command()
def run(
    only: Annotated[list[str] | None, typer.Option(help="run only these projections")] = None,
    batch_size: Annotated[int, typer.Option(help="events per transaction")] = runner.BATCH_SIZE,
    report_every: Annotated[float, typer.Option(help="seconds between lag reports")] = 30.0,
    processes: Annotated[int, typer.Option(help="OS processes to spread them over")] = 1,
) -> None:
    """Keep every read model up to date; a failed projection restarts with backoff."""
    configure_logging()
    chosen = _chosen(only)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    if processes > 1:
        groups = spread([p.name for p in chosen], processes)
        typer.echo(f"projections in {len(groups)} processes: {groups}")
        extra = ["--batch-size", str(batch_size), "--report-every", str(report_every)]
        supervise(groups, extra, stop)
        return
    container = bootstrap()
    typer.echo(f"projections: {', '.join(p.name for p in chosen)}")
    try:
        runner.run_all(
            container.database_url,
            runner.Source(container.ledger),
            chosen,
            stop,
            report=typer.echo,
            report_every=report_every,
            batch_size=batch_size,
        )
    finally:
        container.close()


@app.command()
def status(
    max_lag: Annotated[
        int | None,
        typer.Option(
            help="more events than this behind the head is a problem [PROJECTIONS_MAX_LAG]"
        ),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Each projection's position, lag behind the ledger (in events) and last error.

    Exits 1 when any projection has an error or lags more than --max-lag events.
    """
    container = bootstrap()
    max_lag = container.settings.projections_max_lag if max_lag is None else max_lag
    try:
        events = runner.Source(container.ledger).events_table
        with psycopg.connect(container.database_url, autocommit=True) as conn:
            rows = positions.status(conn, events)
            head = positions.max_notification_id(conn, events)
    finally:
        container.close()
    problems = [found for r in rows if (found := positions.problem(r, max_lag))]
    if not rows and head > max_lag:
        problems.append(f"no projection has run yet; the ledger holds {head} notifications")
    if as_json:
        echo_json({"head": head, "max_lag": max_lag, "projections": rows, "problems": problems})
    elif not rows:
        typer.echo(f"no projection has run yet; the ledger holds {head} notifications")
    else:
        typer.echo(f"{'projection':<16}{'position':>12}{'lag':>10}  updated")
        for r in rows:
            updated = r["updated_at"].isoformat(timespec="seconds")
            typer.echo(f"{r['name']:<16}{r['position']:>12}{r['lag']:>10}  {updated}")
            if r["last_error"]:
                at = r["failed_position"]
                typer.echo(f"  failed on event {at}: {r['last_error']}" if at is not None
                           else f"  last error: {r['last_error']}")  # fmt: skip
        for found in problems:
            typer.echo(f"PROBLEM: {found}")
    if problems:
        raise typer.Exit(1)


@app.command()
def event(position: Annotated[int, typer.Argument(help="the event's notification id")]) -> None:
    """Show one stored event as the projections read it (to see why one fails on it)."""
    container = bootstrap()
    try:
        source = runner.Source(container.ledger)
        with psycopg.connect(container.database_url, autocommit=True) as conn:
            found = source.inspect(conn, position)
    finally:
        container.close()
    if found is None:
        typer.echo(f"no event at position {position}")
        raise typer.Exit(1)
    with contextlib.suppress(ValueError):  # else shown as the stored text
        found["state"] = json.loads(found["state"])
    typer.echo(json.dumps(found, ensure_ascii=False, indent=2))


@app.command("metrics")
def metrics_() -> None:
    """Positions, lag and errors in Prometheus' text format."""
    container = bootstrap()
    try:
        table = runner.Source(container.ledger).events_table
        with psycopg.connect(container.database_url, autocommit=True) as conn:
            typer.echo(metrics.render(conn, table).decode(), nl=False)
    finally:
        container.close()


@app.command()
def rebuild(
    name: Annotated[str | None, typer.Argument(help="one projection; all when omitted")] = None,
    batch_size: Annotated[int, typer.Option(help="events per transaction")] = 5000,
) -> None:
    """Rebuild into fresh tables and swap them in; readers never see a half-built model."""
    chosen = _chosen([name] if name else None)
    container = bootstrap()
    source = runner.Source(container.ledger)
    columns = (
        TextColumn("{task.description:<16}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    try:
        with Progress(*columns) as bar:
            label = name or "all projections"
            task = bar.add_task(label, total=None)

            def advance(position: int, head: int) -> None:
                bar.update(task, completed=position, total=head)

            # All of them in one pass: each event is read and decoded once for all six.
            runner.rebuild(container.database_url, source, chosen, batch_size, progress=advance)
    except runner.RebuildFailedError as failed:
        for name, error in failed.failures.items():
            typer.echo(f"NOT REBUILT: {name}: {error}")
        typer.echo(f"rebuilt and swapped in: {len(chosen) - len(failed.failures)} of {len(chosen)}")
        raise typer.Exit(1) from None
    finally:
        container.close()
