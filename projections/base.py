"""What every read model shares: its tables, the events it reads, and one batch step.

A projection never commits: the runner opens one transaction per batch, lets the projection
write its rows, then stores the batch's position in the same transaction (exactly-once).
Its table names are given per call, so the same code fills the live tables or fresh
`_next` tables during a rebuild.
"""

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, LiteralString

from psycopg import Cursor, sql

from projections import rows
from projections.directory import Directory


@dataclass(frozen=True)
class Tracked:
    """A decoded domain event with its notification id (its position in the ledger)."""

    position: int
    event: Any


class Tables:
    """Logical table names of one projection → the physical tables written this time."""

    def __init__(self, names: Mapping[str, str]) -> None:
        self.names = dict(names)

    def __getitem__(self, logical: str) -> str:
        return self.names[logical]

    def sql(self, template: LiteralString) -> sql.Composed:
        """`"UPDATE {balances} SET …"` with every `{name}` quoted as the physical table."""
        return sql.SQL(template).format(**{k: sql.Identifier(v) for k, v in self.names.items()})


class Projection(ABC):
    name: ClassVar[str]
    # Event classes this projection reads (filtered in SQL); directory events are added.
    reads: ClassVar[tuple[type, ...]]
    # Logical table name → column definitions; the first column list is its primary key.
    tables: ClassVar[Mapping[str, str]]
    # Logical table name → secondary index column lists.
    indexes: ClassVar[Mapping[str, Sequence[str]]] = {}

    @abstractmethod
    def apply(
        self, cur: Cursor[Any], t: Tables, batch: Sequence[Tracked], directory: Directory
    ) -> None:
        """Write the batch's rows with `cur`, inside the transaction that stores the position."""

    def physical(self, suffix: str = "") -> Tables:
        return Tables({logical: f"{logical}{suffix}" for logical in self.tables})

    def create_tables(self, cur: Cursor[Any], t: Tables) -> None:
        for logical, columns in self.tables.items():
            cur.execute(
                sql.SQL("CREATE TABLE IF NOT EXISTS {} ({})").format(
                    sql.Identifier(t.names[logical]),
                    sql.SQL(columns),
                )
            )
            self.create_indexes(cur, t.names[logical], self.indexes.get(logical, ()))

    @staticmethod
    def create_indexes(cur: Cursor[Any], table: str, declared: Sequence[str]) -> None:
        """Make the table's secondary indexes exactly the declared ones, known by columns.

        By columns, not by name: PostgreSQL cuts names at 63 bytes and a rebuild's swap
        renames them, so a name says too little. An index an earlier version declared and
        this one does not is dropped; primary keys and unique indexes are never touched."""
        existing = dict(
            cur.execute(
                "SELECT i.relname, string_agg(a.attname, ', ' ORDER BY k.ord)"
                " FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
                " JOIN pg_class t ON t.oid = x.indrelid"
                " CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, ord)"
                " JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum"
                " WHERE t.relname = %s AND t.relnamespace = current_schema()::regnamespace"
                " AND NOT x.indisprimary AND NOT x.indisunique GROUP BY i.relname",
                (table,),
            ).fetchall()
        )
        for index, cols in existing.items():
            if cols not in declared:
                cur.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(sql.Identifier(index)))
        for cols in declared:
            if cols not in existing.values():
                cur.execute(
                    sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} ({})").format(
                        sql.Identifier(f"{table}_{cols.replace(', ', '_')}_idx"),
                        sql.Identifier(table),
                        sql.SQL(cols),
                    )
                )


class RowPerKey(Projection):
    """A read model of one table (named as the projection) holding a row per key, each event
    folded into the row of its key: a batch reads the rows its events touch, folds the events
    in order and writes the rows back in one upsert. The table is declared by `columns`: every
    column NOT NULL but the `nullable` ones, the `key` columns its primary key."""

    columns: ClassVar[rows.Columns]
    key: ClassVar[tuple[str, ...]]
    nullable: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.tables = {cls.name: rows.ddl(cls.columns, cls.key, cls.nullable)}

    @abstractmethod
    def key_of(self, event: Any) -> Any:
        """The key of the row `event` changes (a tuple for a key of several columns)."""

    @abstractmethod
    def fold(
        self, cur: Cursor[Any], row: list[Any] | None, tracked: Tracked, directory: Directory
    ) -> list[Any]:
        """The row with the event folded in (`row` is None where the key has none yet)."""

    def prepare(self, cur: Cursor[Any], keys: set[Any], directory: Directory) -> None:
        """Before folding: load what the batch's rows will look up (nothing by default)."""

    def apply(
        self, cur: Cursor[Any], t: Tables, batch: Sequence[Tracked], directory: Directory
    ) -> None:
        table = t[self.name]
        keys = {self.key_of(tracked.event) for tracked in batch}
        self.prepare(cur, keys, directory)
        lookup = self.key[0] if len(self.key) == 1 else self.key
        state = rows.current(cur, table, self.columns, lookup, keys)
        for tracked in batch:
            key = self.key_of(tracked.event)
            state[key] = self.fold(cur, state.get(key), tracked, directory)
        rows.upsert(cur, table, self.columns, self.key, list(state.values()))
