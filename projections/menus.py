"""menus: school × date → items with prices, allergens and nutrition (the newest publication)."""

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, ClassVar
from uuid import UUID

import psycopg
from psycopg import Cursor

from domain.menu import Menu
from projections import rows
from projections.base import Projection, Tables, Tracked
from projections.directory import Directory

COLUMNS = (
    ("school_id", "uuid"),
    ("menu_date", "date"),
    ("items", "jsonb"),
    ("published_at", "timestamptz"),
    ("position", "bigint"),
)


class Menus(Projection):
    name = "menus"
    reads = (Menu.MenuPublished,)
    tables: ClassVar[Mapping[str, str]] = {
        "menus": "school_id uuid NOT NULL, menu_date date NOT NULL, items jsonb NOT NULL,"
        " published_at timestamptz NOT NULL, position bigint NOT NULL,"
        " PRIMARY KEY (school_id, menu_date)"
    }

    def apply(
        self, cur: Cursor[Any], t: Tables, batch: Sequence[Tracked], directory: Directory
    ) -> None:
        latest: dict[tuple[UUID, date], tuple[Any, ...]] = {}
        for tracked in batch:
            e = tracked.event
            key = (e.school_id, date.fromisoformat(e.menu_date))
            latest[key] = (*key, e.items, e.timestamp, tracked.position)
        rows.upsert(cur, t["menus"], COLUMNS, ("school_id", "menu_date"), list(latest.values()))


def get_menu(conn: psycopg.Connection[Any], school_id: UUID, day: date) -> list[dict[str, Any]]:
    row = conn.execute(
        "SELECT items FROM menus WHERE school_id = %s AND menu_date = %s", (school_id, day)
    ).fetchone()
    return list(row[0]) if row else []
