"""Traces of a person outside the personal-data store, destroyed with it (152-FZ).

The personal-data store (`adapters/people.py`) and the photo blobs hold what the events
reference. A person also leaves traces where the system itself copied a phone or an e-mail:

- identity: the logins of the account's parent and representatives (`identity_principals.phone`,
  `identity_names.name` — a representative's login name is their phone), their sessions,
  reset codes and throttling keys (`identity_attempts.key` holds the login name), the account's
  kiosk PIN and pending activation;
- the workers' outbox (`wk_outbox`): identity's rows carry the phone and a text that may name
  it; the feed's rows are the account's messages;
- the demo's message files (`SMS_GATEWAY_URL=file:…`, `var/outbox/*.jsonl`): one JSON line per
  message sent, with its address.

A login that still holds another contract keeps its phone (it is still that contract's
parent's); only this account's grant and its contract-number name go.
"""

import fcntl
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg

from adapters.gateways import file_path

CONTACT_FIELDS = ("phone", "email", "push_token", "web_push")  # web_push: the browsers


@dataclass(frozen=True)
class Traces:
    logins: int  # logins deleted (phone, names, sessions, codes)
    grants: int  # grants of the account removed
    outbox: int  # outbox rows emptied
    file_lines: int  # lines removed from message files


def contacts_in(fields: Iterable[dict[str, Any]]) -> set[str]:
    """Phones, e-mails and push tokens found in personal-data rows."""
    return {
        str(f[k]).strip() for f in fields for k in CONTACT_FIELDS if isinstance(f.get(k), str)
    } - {""}


def _exists(conn: psycopg.Connection[Any], table: str) -> bool:
    row = conn.execute("SELECT to_regclass(%s)", (table,)).fetchone()
    return bool(row and row[0])


def erase_identity(
    conn: psycopg.Connection[Any],
    account_id: UUID,
    contract_number: str,
    contacts: set[str],
    keep_manager: bool = False,
) -> tuple[int, int, set[str], set[str]]:
    """Remove the account's grants; delete the logins left without a contract. Returns
    (logins deleted, grants removed, their phones, their login subjects). With
    `keep_manager` (consent withdrawn) the parent's login stays, without its phone, unless
    that phone is another contract's too."""
    if not _exists(conn, "identity_principals"):
        return 0, 0, set(), set()
    cleared: set[str] = set()
    if keep_manager:
        rows = conn.execute(
            "WITH old AS (SELECT p.principal_id, p.phone FROM identity_principals p"
            " JOIN identity_grants g USING (principal_id) WHERE g.account_id = %s"
            " AND g.access = 'manage' AND p.phone IS NOT NULL AND NOT EXISTS"
            " (SELECT 1 FROM identity_grants o WHERE o.principal_id = p.principal_id"
            " AND o.account_id <> %s) FOR UPDATE OF p)"
            " UPDATE identity_principals p SET phone = NULL FROM old"
            " WHERE p.principal_id = old.principal_id RETURNING old.phone, p.principal_id",
            (account_id, account_id),
        ).fetchall()
        cleared = {str(r[0]) for r in rows}
        conn.execute(
            "DELETE FROM identity_reset_codes WHERE principal_id = ANY(%s)", ([r[1] for r in rows],)
        )
    holders = conn.execute(
        "SELECT g.principal_id, p.phone FROM identity_grants g"
        " JOIN identity_principals p USING (principal_id) WHERE g.account_id = %s"
        " AND (g.access <> 'manage' OR NOT %s)",
        (account_id, keep_manager),
    ).fetchall()
    removed = conn.execute(
        "DELETE FROM identity_grants WHERE account_id = %s AND principal_id = ANY(%s)",
        (account_id, [h[0] for h in holders]),
    )
    if not keep_manager:
        conn.execute(
            "DELETE FROM identity_names WHERE name = %s AND principal_id IN"
            " (SELECT principal_id FROM identity_principals WHERE kind <> 'staff')",
            (contract_number,),
        )
    orphans = conn.execute(
        "DELETE FROM identity_principals p WHERE p.principal_id = ANY(%s)"
        " AND p.kind <> 'staff' AND NOT EXISTS"
        " (SELECT 1 FROM identity_grants g WHERE g.principal_id = p.principal_id)"
        " RETURNING principal_id, phone",
        ([h[0] for h in holders],),
    ).fetchall()
    gone_phones = {str(p) for _, p in orphans if p} | cleared
    subjects = {f"identity:login:{pid}" for pid, _ in orphans}
    names = {n.lower() for n in (contacts | gone_phones | {contract_number})}
    conn.execute(
        "DELETE FROM identity_attempts WHERE lower(split_part(key, ':name:', 2)) = ANY(%s)",
        (sorted(names),),
    )
    for table in ("identity_kiosk_pins", "identity_pending_activations"):
        if _exists(conn, table) and not (keep_manager and table == "identity_kiosk_pins"):
            conn.execute(f"DELETE FROM {table} WHERE account_id = %s", (account_id,))  # noqa: S608
    return len(orphans), removed.rowcount, gone_phones, subjects


def still_used(conn: psycopg.Connection[Any], addresses: set[str]) -> set[str]:
    """Phones still of a login that holds another contract (that contract still needs them)."""
    if not _exists(conn, "identity_principals"):
        return set()
    rows = conn.execute(
        "SELECT DISTINCT phone FROM identity_principals WHERE phone = ANY(%s)", (sorted(addresses),)
    ).fetchall()
    return {str(r[0]) for r in rows}


def erase_outbox(
    conn: psycopg.Connection[Any], account_id: UUID | None, addresses: set[str], subjects: set[str]
) -> int:
    """Empty the account's messages and every message to its addresses or deleted logins: a
    message not yet sent is never sent ('erased')."""
    if not _exists(conn, "wk_outbox"):
        return 0
    done = conn.execute(
        "UPDATE wk_outbox SET body = '', address = NULL, error = NULL, pickup = false,"
        " status = CASE WHEN status IN ('pending', 'sending') THEN 'erased' ELSE status END"
        " WHERE account_id = %s OR subject_ref = ANY(%s) OR subject_ref = %s"
        " OR (address = ANY(%s) AND account_id IS NULL)",
        (account_id, sorted(subjects), f"identity:account:{account_id}", sorted(addresses)),
    )
    return done.rowcount


def erase_from_files(files: Iterable[Path], needles: set[str]) -> int:
    """Drop the lines of the message files that name one of `needles` (under the lock the
    writers take)."""
    removed = 0
    wanted = sorted(n for n in needles if n)
    if not wanted:
        return 0
    for path in files:
        if not path.is_file():
            continue
        with path.open("r+", encoding="utf-8") as file:
            fcntl.flock(file, fcntl.LOCK_EX)
            lines = file.readlines()
            kept = [line for line in lines if not any(n in _values(line) for n in wanted)]
            if len(kept) != len(lines):
                file.seek(0)
                file.writelines(kept)
                file.truncate()
                removed += len(lines) - len(kept)
    return removed


def _values(line: str) -> str:
    """A message line's text as written and as JSON decodes it (escapes undone)."""
    try:
        return line + json.dumps(json.loads(line), ensure_ascii=False)
    except ValueError:
        return line


def message_files(var_dir: Path | None, urls: Iterable[str]) -> list[Path]:
    """The demo's message files: `file:` gateway settings and `<var>/outbox/*.jsonl`."""
    found = [p for p in (file_path(u) for u in urls if u) if p is not None]
    if var_dir is not None and (var_dir / "outbox").is_dir():
        found += sorted((var_dir / "outbox").glob("*.jsonl"))
    return sorted(set(found))


def erase_traces(
    database_url: str,
    account_id: UUID,
    contract_number: str,
    contacts: set[str],
    files: Iterable[Path] = (),
    keep_manager: bool = False,
) -> Traces:
    """Every trace of the account's people outside the personal-data store; one transaction
    for the database. `keep_manager`: see `erase_identity`."""
    with psycopg.connect(database_url) as conn, conn.transaction():
        logins, grants, phones, subjects = erase_identity(
            conn, account_id, contract_number, contacts, keep_manager
        )
        addresses = (contacts | phones) - still_used(conn, contacts | phones)
        outbox = erase_outbox(conn, account_id, addresses, subjects)
    lines = erase_from_files(files, addresses)
    return Traces(logins, grants, outbox, lines)
