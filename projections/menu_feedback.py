"""menu_feedback: each family's rating of a day's menu; read aggregated per day and per dish
(a dish's rating is the ratings of the days it was on the menu) for the canteen and school."""

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, ClassVar
from uuid import UUID

import psycopg
from psycopg import Cursor

from domain.feedback import MenuFeedback
from projections import rows
from projections.base import Projection, Tables, Tracked
from projections.directory import Directory


class MenuFeedbackReport(Projection):
    name = "menu_feedback"
    reads = (MenuFeedback.Left, MenuFeedback.Revised)
    tables: ClassVar[Mapping[str, str]] = {
        "menu_feedback": "feedback_id uuid PRIMARY KEY, school_id uuid NOT NULL,"
        " menu_date date NOT NULL, rating integer NOT NULL, comment text NOT NULL,"
        " left_at timestamptz NOT NULL"
    }
    indexes: ClassVar[Mapping[str, Sequence[str]]] = {"menu_feedback": ("school_id, menu_date",)}

    def apply(
        self, cur: Cursor[Any], t: Tables, batch: Sequence[Tracked], directory: Directory
    ) -> None:
        for tracked in batch:
            e = tracked.event
            if isinstance(e, MenuFeedback.Left):
                cur.execute(t.sql(
                    "INSERT INTO {menu_feedback} VALUES (%s, %s, %s, %s, %s, %s)"
                    " ON CONFLICT DO NOTHING"),
                    (e.originator_id, e.school_id, date.fromisoformat(e.menu_date), e.rating,
                     e.comment, e.timestamp),
                )  # fmt: skip
            else:
                cur.execute(t.sql(
                    "UPDATE {menu_feedback} SET rating = %s, comment = %s, left_at = %s"
                    " WHERE feedback_id = %s"),
                    (e.rating, e.comment, e.timestamp, e.originator_id),
                )  # fmt: skip


# A school's ratings per day, from the first day to the last.
PER_DAY = (
    "SELECT menu_date, count(*) AS ratings, round(avg(rating), 2)::text AS average,"
    " array_agg(rating ORDER BY rating) AS all_ratings,"
    " array_remove(array_agg(comment ORDER BY left_at), '') AS comments"
    " FROM menu_feedback WHERE school_id = %s AND menu_date BETWEEN %s AND %s"
    " GROUP BY menu_date ORDER BY menu_date"
)
# The same per dish: a dish's rating is the ratings of the days it was on the menu.
PER_DISH = (
    "SELECT i->>'code' AS code, i->>'name' AS name, count(DISTINCT m.menu_date) AS days,"
    " count(*) AS ratings, round(avg(f.rating), 2)::text AS average"
    " FROM menus m CROSS JOIN LATERAL jsonb_array_elements(m.items) i"
    " JOIN menu_feedback f ON f.school_id = m.school_id AND f.menu_date = m.menu_date"
    " WHERE m.school_id = %s AND m.menu_date BETWEEN %s AND %s"
    " GROUP BY i->>'code', i->>'name' ORDER BY avg(f.rating), i->>'code'"
)


def ratings(
    conn: psycopg.Connection[Any], school: UUID, since: date, until: date
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The school's ratings from `since` to `until`: per day, and per dish."""
    period = (school, since, until)
    return rows.dicts(conn, PER_DAY, period), rows.dicts(conn, PER_DISH, period)
