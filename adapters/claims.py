"""A tap's counter accepted in the transaction that saves the tap: the group commit's
recorder sends `ACCEPT_CLAIMS` after its insert (`adapters/postgres.py`) and checks its rows
before the commit, so a counter counts as accepted exactly when its tap is stored, and the
stored row (not a process's memory) decides, across processes."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from psycopg.rows import tuple_row

if TYPE_CHECKING:
    from adapters.terminal_auth import VerifiedTerminal


@dataclass(frozen=True, eq=False)
class Claim:
    """A verified request whose counter is to be accepted in the transaction that saves its
    tap (`ACCEPT_CLAIMS`). `claim_id` is this request's own: the row keeps the last one that
    moved its counter, so the same claim saved again (a retry of a commit whose answer was
    lost) is accepted again, while another request with that counter is a replay."""

    terminal: "VerifiedTerminal"
    claim_id: UUID = field(default_factory=uuid4)


class ClaimsRefusedError(Exception):
    """Some claims of a transaction were not accepted (a replay, or the secret rotated): the
    transaction is rolled back, nothing of it is stored."""

    def __init__(self, refused: Sequence[Claim]) -> None:
        super().__init__(f"{len(refused)} counters not accepted")
        self.refused = list(refused)


ACCEPT_CLAIMS = (
    "UPDATE terminal_credentials AS t"
    " SET last_counter = GREATEST(t.last_counter, v.counter), last_claim = v.claim_id"
    " FROM unnest(%s::uuid[], %s::bigint[], %s::text[], %s::uuid[])"
    " AS v(terminal_id, counter, secret, claim_id)"
    " WHERE t.terminal_id = v.terminal_id AND t.secret = v.secret"
    " AND (t.last_counter < v.counter OR t.last_claim = v.claim_id)"
    " RETURNING t.terminal_id"
)


def send_claims(conn: Any, claims: Sequence[Claim]) -> Any:
    """Queue the statement accepting `claims` (one per terminal) in `conn`'s transaction;
    its cursor, for `check_claims` once the results are in."""
    cursor = conn.cursor(row_factory=tuple_row)  # whatever rows `conn` makes
    cursor.execute(
        ACCEPT_CLAIMS,
        (
            [c.terminal.terminal_id for c in claims],
            [c.terminal.counter for c in claims],
            [c.terminal.secret for c in claims],
            [c.claim_id for c in claims],
        ),
        prepare=True,
    )
    return cursor


def check_claims(cursor: Any, claims: Sequence[Claim]) -> None:
    """Raise `ClaimsRefusedError` (before the commit: the transaction is rolled back) unless every
    claim was accepted."""
    accepted = {row[0] for row in cursor.fetchall()}
    cursor.close()
    refused = [c for c in claims if c.terminal.terminal_id not in accepted]
    if refused:
        raise ClaimsRefusedError(refused)
