"""How commands print data: a table or aligned fields for people by default, JSON with
`--json` (UTF-8, Russian kept readable, indented), the same for every command."""

from collections.abc import Iterable, Sequence
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.table import Table

AsJson = Annotated[bool, typer.Option("--json", help="print JSON instead of a table")]


def echo_json(data: Any) -> None:
    typer.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2, default=str).decode())


def fields(pairs: Iterable[tuple[str, Any]]) -> None:
    """`label  value` lines, the labels aligned; None is shown as a dash."""
    found = list(pairs)
    width = max((len(label) for label, _ in found), default=0)
    for label, value in found:
        typer.echo(f"{label:<{width}}  {'—' if value is None else value}")


def table(columns: Sequence[str], rows: Iterable[Sequence[Any]], wide: str = "") -> None:
    """A table that fits the terminal's width; the `wide` column folds onto more lines."""
    shown = Table(*columns, show_lines=False, expand=False)
    for column in shown.columns:
        column.overflow = "fold"
        column.no_wrap = column.header != wide
    for row in rows:
        shown.add_row(*("—" if value is None else str(value) for value in row))
    Console(highlight=False, soft_wrap=False).print(shown)
