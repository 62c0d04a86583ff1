"""An account's history as an auditor reads it: every event in order, decoded, with the
actor, the position in the ledger, and the wallets after it; and the state at any instant.
"""

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any
from uuid import UUID

from eventsourcing.persistence import Notification
from psycopg import sql
from psycopg.rows import tuple_row

from domain.account import Account
from domain.ledger import Ledger
from projections.audit_trail import described
from projections.audit_trail import plain as plain  # `history.plain`, as the CLI reads it
from projections.movements import movement


@dataclass(frozen=True)
class AuditEntry:
    position: int  # notification id: the event's place in the whole ledger
    version: int  # the event's place in this aggregate's own history
    event: str  # "ToppedUp", "PurchaseApproved", …
    topic: str
    timestamp: datetime  # when the ledger recorded it (UTC)
    actor: str  # "terminal:…", "parent:…", "operator:…", "system…"
    actor_kind: str
    fields: dict[str, Any]  # the event's own fields, JSON-friendly
    regular_after: int
    subsidised_after: int
    reason: str | None  # what the statement tells the parent, for money events


@dataclass(frozen=True)
class BalanceAt:
    account_id: UUID
    at: datetime
    version: int
    position: int
    regular: int
    subsidised: int
    closed: bool
    cards: dict[str, str]
    refund_status: str | None


def stored_events(ledger: Ledger, aggregate_id: UUID) -> list[tuple[int, Any]]:
    """(notification id, decoded event) of one aggregate, in version order."""
    table = sql.Identifier(str(ledger.recorder.events_table_name))  # type: ignore[attr-defined]
    datastore = ledger.recorder.datastore  # type: ignore[attr-defined]
    with datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as cur:
        rows = cur.execute(
            sql.SQL(
                "SELECT notification_id, originator_version, topic, state FROM {}"
                " WHERE originator_id = %s ORDER BY originator_version"
            ).format(table),
            (aggregate_id,),
        ).fetchall()
    return [
        (n, ledger.mapper.to_domain_event(Notification(aggregate_id, v, t, bytes(s), n)))
        for n, v, t, s in rows
    ]


def audit_trail(
    ledger: Ledger,
    account_id: UUID,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[AuditEntry]:
    """Every event of an account (or any aggregate) in order, optionally within [since, until]."""
    entries = []
    regular = subsidised = 0
    for position, event in stored_events(ledger, account_id):
        moved = movement(event)
        if moved is not None:
            regular += moved.regular
            subsidised += moved.subsidised
        if (since and event.timestamp < since) or (until and event.timestamp > until):
            continue
        said = described(event)
        entries.append(
            AuditEntry(
                position=position,
                version=event.originator_version,
                event=said["event"],
                topic=said["topic"],
                timestamp=event.timestamp,
                actor=said["actor"],
                actor_kind=said["actor_kind"],
                fields=said["fields"],
                regular_after=regular,
                subsidised_after=subsidised,
                reason=moved.reason if moved else None,
            )
        )
    return entries


def balance_at(ledger: Ledger, account_id: UUID, at: datetime) -> BalanceAt | None:
    """The account as it stood at instant `at` (None before it was opened): the repository
    replays up to the last version recorded by then, starting from a snapshot if any."""
    upto = [(n, e) for n, e in stored_events(ledger, account_id) if e.timestamp <= at]
    if not upto:
        return None
    position, last = upto[-1]
    account: Account = ledger.repository.get(account_id, version=last.originator_version)
    return BalanceAt(
        account_id=account_id,
        at=at,
        version=account.version,
        position=position,
        regular=account.regular,
        subsidised=account.subsidised,
        closed=account.closed,
        cards=dict(account.cards),
        refund_status=account.refund_status,
    )


# Exports: the same history as JSON lines (lossless) and CSV (for spreadsheets)

CSV_COLUMNS = [
    "position", "version", "event", "timestamp", "actor", "actor_kind",
    "regular_after", "subsidised_after", "reason", "fields",
]  # fmt: skip


def as_json(entry: AuditEntry) -> dict[str, Any]:
    return plain(asdict(entry))  # type: ignore[no-any-return]


def write_jsonl(entries: Iterable[AuditEntry], out: IO[str]) -> int:
    count = 0
    for entry in entries:
        out.write(json.dumps(as_json(entry), ensure_ascii=False, sort_keys=True) + "\n")
        count += 1
    return count


def write_csv(entries: Iterable[AuditEntry], out: IO[str]) -> int:
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    count = 0
    for entry in entries:
        row = as_json(entry)
        row["fields"] = json.dumps(row["fields"], ensure_ascii=False, sort_keys=True)
        writer.writerow({k: row[k] for k in CSV_COLUMNS})
        count += 1
    return count


def export_text(ledger: Ledger, account_id: UUID, file_format: str) -> tuple[str, int]:
    """The account's full history as one JSON-lines or CSV text, and how many entries."""
    out = io.StringIO()
    write = write_csv if file_format == "csv" else write_jsonl
    count = write(audit_trail(ledger, account_id), out)
    return out.getvalue(), count


def export_account(ledger: Ledger, account_id: UUID, directory: Path) -> tuple[Path, Path]:
    """`<dir>/<contract>.jsonl` and `.csv`: the account's full history, portable."""
    entries = audit_trail(ledger, account_id)
    contract = ledger.account(account_id).contract_number
    directory.mkdir(parents=True, exist_ok=True)
    jsonl, table = directory / f"{contract}.jsonl", directory / f"{contract}.csv"
    with jsonl.open("w", encoding="utf-8") as out:
        write_jsonl(entries, out)
    with table.open("w", encoding="utf-8", newline="") as out:
        write_csv(entries, out)
    return jsonl, table
