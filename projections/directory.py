"""Which school an account belongs to and the school's time zone, for school-local times.

Shared by every projection: a school's zone and an account's school never change, so the
directory only grows, its writes are idempotent, and a directory ahead of a projection is
harmless. Each projection absorbs the directory events of its batch in its own transaction
before it looks anything up, so the entries it needs are always there.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from psycopg import Cursor

from domain.account import Account
from domain.school import School

DIRECTORY_EVENTS: tuple[type, ...] = (School.Registered, Account.Opened)

DDL = (
    "CREATE TABLE IF NOT EXISTS projection_schools ("
    " school_id uuid PRIMARY KEY, name text NOT NULL, time_zone text NOT NULL)",
    "CREATE TABLE IF NOT EXISTS projection_accounts ("
    " account_id uuid PRIMARY KEY, school_id uuid NOT NULL, contract_number text NOT NULL)",
)


@dataclass(frozen=True)
class AccountEntry:
    account_id: UUID
    school_id: UUID
    contract_number: str
    zone: ZoneInfo

    def local(self, moment: datetime) -> datetime:
        """School-local wall-clock time (naive), as a parent reads it on the statement."""
        return moment.astimezone(self.zone).replace(tzinfo=None)


class Directory:
    def __init__(self) -> None:
        self.zones: dict[UUID, ZoneInfo] = {}
        self.accounts: dict[UUID, AccountEntry] = {}

    def absorb(self, cur: Cursor[Any], events: Iterable[Any]) -> None:
        schools = [e for e in events if isinstance(e, School.Registered)]
        accounts = [e for e in events if isinstance(e, Account.Opened)]
        if schools:
            cur.executemany(
                "INSERT INTO projection_schools VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                [(e.originator_id, e.name, e.time_zone) for e in schools],
            )
            for school in schools:
                self.zones[school.originator_id] = ZoneInfo(school.time_zone)
        if accounts:
            cur.executemany(
                "INSERT INTO projection_accounts VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                [(e.originator_id, e.school_id, e.contract_number) for e in accounts],
            )
            for e in accounts:
                self.accounts[e.originator_id] = AccountEntry(
                    e.originator_id, e.school_id, e.contract_number, self.zone(cur, e.school_id)
                )

    def zone(self, cur: Cursor[Any], school_id: UUID) -> ZoneInfo:
        if school_id not in self.zones:
            row = cur.execute(
                "SELECT time_zone FROM projection_schools WHERE school_id = %s", (school_id,)
            ).fetchone()
            if row is None:
                raise LookupError(f"school {school_id} is not in the directory")
            self.zones[school_id] = ZoneInfo(row[0])
        return self.zones[school_id]

    def account(self, cur: Cursor[Any], account_id: UUID) -> AccountEntry:
        if account_id not in self.accounts:
            self.load(cur, [account_id])
        return self.accounts[account_id]

    def load(self, cur: Cursor[Any], account_ids: Iterable[UUID]) -> None:
        """Fetch many unknown accounts in one query (a batch touches many accounts)."""
        missing = list({a for a in account_ids if a not in self.accounts})
        if not missing:
            return
        rows = cur.execute(
            "SELECT a.account_id, a.school_id, a.contract_number, s.time_zone"
            " FROM projection_accounts a JOIN projection_schools s USING (school_id)"
            " WHERE a.account_id = ANY(%s)",
            (missing,),
        ).fetchall()
        for account_id, school_id, contract, tz in rows:
            zone = self.zones.setdefault(school_id, ZoneInfo(tz))
            self.accounts[account_id] = AccountEntry(account_id, school_id, contract, zone)
        unknown = [a for a in missing if a not in self.accounts]
        if unknown:
            raise LookupError(f"accounts {unknown[:3]} are not in the directory")
