"""Set-based writes: a whole batch of rows in one statement (arrays in, `unnest` out)."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, LiteralString
from uuid import UUID

import orjson
import psycopg
from psycopg import Cursor, sql
from psycopg.rows import dict_row

# (column, PostgreSQL type); jsonb travels as text and is cast in SQL.
Columns = Sequence[tuple[str, str]]


def ddl(columns: Columns, key: Sequence[str], nullable: Sequence[str] = ()) -> str:
    """The column definitions of a table of `columns`: NOT NULL but the `nullable` ones, `key`
    its primary key."""
    defined = [f"{c} {t}" if c in nullable else f"{c} {t} NOT NULL" for c, t in columns]
    return ", ".join([*defined, f"PRIMARY KEY ({', '.join(key)})"])


def _unnest(columns: Columns) -> tuple[sql.Composable, sql.Composable]:
    names = sql.SQL(", ").join(sql.Identifier(c) for c, _ in columns)
    arrays = sql.SQL(", ").join(
        sql.SQL("%s::{}[]").format(sql.SQL("text" if t == "jsonb" else t)) for _, t in columns
    )
    casts = sql.SQL(", ").join(
        sql.SQL("u.{}::{}").format(sql.Identifier(c), sql.SQL(t)) for c, t in columns
    )
    select = sql.SQL("SELECT {} FROM unnest({}) AS u({})").format(casts, arrays, names)
    return names, select


def _params(columns: Columns, rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
    params: list[list[Any]] = [[] for _ in columns]
    for row in rows:
        for i, value in enumerate(row):
            if columns[i][1] == "jsonb" and value is not None:
                value = orjson.dumps(value).decode()
            params[i].append(value)
    return params


def insert(cur: Cursor[Any], table: str, columns: Columns, rows: Sequence[Sequence[Any]]) -> None:
    """Append rows with COPY (the fastest way in; the rows must be new)."""
    if not rows:
        return
    jsonb = [i for i, (_, t) in enumerate(columns) if t == "jsonb"]
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(c) for c, _ in columns)
    )
    with cur.copy(statement) as copy:
        for row in rows:
            if jsonb:
                row = list(row)
                for i in jsonb:
                    row[i] = None if row[i] is None else orjson.dumps(row[i]).decode()
            copy.write_row(row)


def fetch(
    cur: Cursor[Any], table: str, columns: Columns, key: str | Sequence[str], keys: Iterable[Any]
) -> dict[Any, tuple[Any, ...]]:
    """Current rows of `table` whose `key` is in `keys`, by key: a column and its values, or
    a primary key of several columns and tuples of their values."""
    wanted = list(set(keys))
    if not wanted:
        return {}
    names = [c for c, _ in columns]
    if isinstance(key, str):
        match = sql.SQL("WHERE {} = ANY(%s)").format(sql.Identifier(key))
        params: list[Any] = [wanted]
    else:
        types = dict(columns)
        match = sql.SQL("JOIN unnest({}) AS k({}) USING ({})").format(
            sql.SQL(", ").join(sql.SQL("%s::{}[]").format(sql.SQL(types[k])) for k in key),
            sql.SQL(", ").join(sql.Identifier(k) for k in key),
            sql.SQL(", ").join(sql.Identifier(k) for k in key),
        )
        params = [[w[i] for w in wanted] for i in range(len(key))]
    rows = cur.execute(
        sql.SQL("SELECT {} FROM {} {}").format(
            sql.SQL(", ").join(sql.Identifier(c) for c in names), sql.Identifier(table), match
        ),
        params,
    ).fetchall()
    if isinstance(key, str):
        index = names.index(key)
        return {row[index]: tuple(row) for row in rows}
    indices = [names.index(k) for k in key]
    return {tuple(row[i] for i in indices): tuple(row) for row in rows}


def current(
    cur: Cursor[Any], table: str, columns: Columns, key: str | Sequence[str], keys: Iterable[Any]
) -> dict[Any, list[Any]]:
    """`fetch`'s rows as lists, for a projection to fold its batch into and `upsert` back."""
    return {k: list(v) for k, v in fetch(cur, table, columns, key, keys).items()}


def _insert_or_update(
    cur: Cursor[Any],
    table: str,
    columns: Columns,
    key: Sequence[str],
    rows: Sequence[Sequence[Any]],
    assignment: LiteralString,
) -> None:
    """INSERT … ON CONFLICT (key) DO UPDATE SET `assignment` for each non-key column
    (`{0}` the column, `{1}` the table)."""
    if not rows:
        return
    names, select = _unnest(columns)
    assignments = sql.SQL(", ").join(
        sql.SQL(assignment).format(sql.Identifier(c), sql.Identifier(table))
        for c, _ in columns
        if c not in key
    )
    cur.execute(
        sql.SQL("INSERT INTO {} ({}) {} ON CONFLICT ({}) DO UPDATE SET {}").format(
            sql.Identifier(table),
            names,
            select,
            sql.SQL(", ").join(sql.Identifier(k) for k in key),
            assignments,
        ),
        _params(columns, rows),
    )


# Insert rows, replacing the non-key columns of rows whose key exists.
upsert = partial(_insert_or_update, assignment="{0} = EXCLUDED.{0}")
# Insert rows, or add their non-key columns to the existing row (counters, sums).
add = partial(_insert_or_update, assignment="{0} = {1}.{0} + EXCLUDED.{0}")


def dicts(
    conn: psycopg.Connection[Any], query: LiteralString, params: Sequence[Any]
) -> list[dict[str, Any]]:
    """The rows a read-model query answers, each as {column: value}."""
    return conn.cursor(row_factory=dict_row).execute(query, params).fetchall()


@dataclass(frozen=True)
class CaseQueue:
    """A staff queue of cases, oldest first: `select` (ending in WHERE) its rows, `school` and
    `status` its columns, `order` its keyset (a time, then a text)."""

    select: LiteralString
    school: LiteralString
    status: LiteralString
    order: tuple[LiteralString, LiteralString]

    def page(
        self,
        conn: psycopg.Connection[Any],
        school_id: UUID,
        statuses: Sequence[str],
        after: tuple[str, ...] | None,
        first: int,
    ) -> list[dict[str, Any]]:
        """Up to `first + 1` cases of the school in `statuses`, past the key `after`."""
        at, then = self.order
        past = after or (None, None)
        return dicts(
            conn,
            f"{self.select}{self.school} = %s AND {self.status} = ANY(%s)"
            f" AND (%s::text IS NULL OR ({at}, {then}) > (%s::timestamptz, %s::text))"
            f" ORDER BY {at}, {then} LIMIT %s",
            (school_id, list(statuses), past[0], past[0], past[1], first + 1),
        )


def insert_new(
    cur: Cursor[Any], table: str, columns: Columns, rows: Sequence[Sequence[Any]]
) -> list[tuple[Any, ...]]:
    """Insert rows that are not there yet; returns the rows actually inserted."""
    if not rows:
        return []
    names, select = _unnest(columns)
    cur.execute(
        sql.SQL("INSERT INTO {} ({}) {} ON CONFLICT DO NOTHING RETURNING {}").format(
            sql.Identifier(table), names, select, names
        ),
        _params(columns, rows),
    )
    return [tuple(r) for r in cur.fetchall()]
