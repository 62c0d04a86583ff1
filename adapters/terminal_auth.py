"""Terminal secrets and signed requests (HMAC-SHA256 with a strictly increasing counter).

A terminal signs `canonical(terminal_id, counter, method, path, body)` with its secret. The
secret lives only here, in its own table, never in an event: it is issued once when the
terminal is registered. Each accepted request stores its counter; one not above the last
accepted counter is a replay.

A tap's counter is accepted in the transaction that saves the tap (`Claim`, `accept_claims`):
the group commit's `UPDATE … WHERE last_counter < counter` is the truth, across processes; the
process keeps the highest counter each terminal had committed (`refused_from_memory`) only to
refuse an old counter without a round trip.
"""

import hashlib
import hmac
import secrets
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, overload
from uuid import UUID

import psycopg

from adapters import migrations
from adapters.claims import Claim
from adapters.postgres import checked_pool

if TYPE_CHECKING:
    from domain.ledger import Ledger

MAX_COUNTER = 2**63 - 1


def canonical(terminal_id: str, counter: int, method: str, path: str, body: bytes) -> bytes:
    """What is signed: for GET the path includes its query string (`/x?since=3`)."""
    return f"{terminal_id}\n{counter}\n{method.upper()}\n{path}\n".encode() + body


def sign(secret: str, terminal_id: str, counter: int, method: str, path: str, body: bytes) -> str:
    message = canonical(terminal_id, counter, method, path, body)
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(
    secret: str, terminal_id: str, counter: int, method: str, path: str, body: bytes = b""
) -> dict[str, str]:
    """The three headers a terminal sends (used by the reader and by tests)."""
    return {
        "X-Terminal-Id": terminal_id,
        "X-Counter": str(counter),
        "X-Signature": sign(secret, terminal_id, counter, method, path, body),
    }


class TerminalAuthError(Exception):
    """A request that is not (or no longer) a terminal's own: nothing is done for it."""

    def __init__(self, code: str, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.code, self.status = code, status


def replayed() -> TerminalAuthError:
    return TerminalAuthError("replayed_counter", "the counter is not above the last accepted one")


def bad_signature() -> TerminalAuthError:
    return TerminalAuthError("bad_signature", "the request signature does not verify")


@dataclass(frozen=True)
class SignedRequest:
    terminal_id: str
    counter: str
    signature: str
    method: str
    path: str
    body: bytes


@dataclass(frozen=True)
class VerifiedTerminal:
    terminal_id: UUID
    school_id: UUID
    counter: int
    secret: str = field(repr=False)


def _verifies(secret: str, terminal_id: UUID, counter: int, request: SignedRequest) -> bool:
    expected = sign(secret, str(terminal_id), counter, request.method, request.path, request.body)
    return hmac.compare_digest(expected, request.signature.strip().lower())


class TerminalSecrets:
    """The credentials table: issue a secret, verify a signed request, advance the counter."""

    def __init__(self, database_url: str, pool_size: int = 4) -> None:
        self.database_url = database_url
        self._pool = checked_pool(database_url, max_size=pool_size)
        # (school, secret) per terminal: a request signed with it costs no query to verify;
        # `advance` accepts the counter only while the stored secret is still this one.
        self._known: dict[UUID, tuple[UUID, str]] = {}
        # the highest counter each terminal had committed, as this process saw it: a lower
        # one is refused without a round trip (the stored row may be higher still)
        self._committed: dict[UUID, int] = {}
        self._committed_lock = threading.Lock()

    def _connection(self) -> Any:
        return self._pool.connection()

    def close(self) -> None:
        self._pool.close()

    def create_tables(self) -> None:
        migrations.upgrade(self.database_url)

    def issue(self, terminal_id: UUID, school_id: UUID) -> str:
        """A new secret for a terminal that has none; shown once, to be put on the device."""
        secret = secrets.token_hex(32)
        with self._connection() as conn:
            cur = conn.execute(
                "INSERT INTO terminal_credentials (terminal_id, school_id, secret) "
                "VALUES (%s, %s, %s) ON CONFLICT (terminal_id) DO NOTHING",
                (terminal_id, school_id, secret),
            )
            if cur.rowcount != 1:
                raise TerminalAuthError(
                    "secret_already_issued", f"terminal {terminal_id} already has a secret", 409
                )
        return secret

    def rotate(self, terminal_id: UUID) -> str:
        """Replace a lost or leaked secret; the counter keeps rising from where it was."""
        secret = secrets.token_hex(32)
        with self._connection() as conn:
            cur = conn.execute(
                "UPDATE terminal_credentials SET secret = %s, issued_at = now() "
                "WHERE terminal_id = %s",
                (secret, terminal_id),
            )
            if cur.rowcount != 1:
                raise TerminalAuthError("unknown_terminal", f"terminal {terminal_id} has no secret")
        self._known.pop(terminal_id, None)
        return secret

    @overload
    def authenticate(self, request: SignedRequest) -> VerifiedTerminal: ...
    @overload
    def authenticate(self, request: SignedRequest, load: bool) -> VerifiedTerminal | None: ...

    def authenticate(self, request: SignedRequest, load: bool = True) -> VerifiedTerminal | None:
        """Check the signature over the raw bytes; the counter is checked by `advance`.
        `load=False`: None where checking it needs the stored secret (unknown to this
        process yet, rotated, or a forgery), so an async caller knows it needs a thread."""
        try:
            terminal_id = UUID(request.terminal_id)
            counter = int(request.counter)
        except (TypeError, ValueError):
            raise TerminalAuthError(
                "unsigned_request", "X-Terminal-Id, X-Counter and X-Signature are required"
            ) from None
        if not 0 <= counter <= MAX_COUNTER or not request.counter.isdigit():
            raise TerminalAuthError("bad_counter", "X-Counter must be a non-negative integer")
        known = self._known.get(terminal_id)
        if known is None or not _verifies(known[1], terminal_id, counter, request):
            if not load:
                return None
            known = self._load(terminal_id)
            if not _verifies(known[1], terminal_id, counter, request):
                raise bad_signature()
        return VerifiedTerminal(terminal_id, known[0], counter, known[1])

    def _load(self, terminal_id: UUID) -> tuple[UUID, str]:
        with self._connection() as conn:
            row = conn.execute(
                "SELECT school_id, secret FROM terminal_credentials WHERE terminal_id = %s",
                (terminal_id,),
            ).fetchone()
        if row is None:
            self._known.pop(terminal_id, None)
            raise TerminalAuthError("unknown_terminal", "this terminal has no credentials")
        self._known[terminal_id] = (row[0], row[1])
        return self._known[terminal_id]

    def advance(self, terminal: VerifiedTerminal) -> None:
        """Accept the counter only if it is above the last accepted one and the secret that
        verified the request is still the terminal's (atomically, one statement)."""
        with self._connection() as conn:
            cur = conn.execute(
                "UPDATE terminal_credentials SET last_counter = %s "
                "WHERE terminal_id = %s AND last_counter < %s AND secret = %s",
                (terminal.counter, terminal.terminal_id, terminal.counter, terminal.secret),
            )
            if cur.rowcount == 1:
                return
        raise self._refusal(terminal)

    def advance_all(self, terminals: Sequence[VerifiedTerminal]) -> list[TerminalAuthError | None]:
        """`advance` for the requests of many terminals, one statement (one commit) for them
        all; each request's refusal or None, in order. Several requests of one terminal are
        taken in the order given, each in a statement after the one before (as one by one)."""
        results: list[TerminalAuthError | None] = [None] * len(terminals)
        pending = list(range(len(terminals)))
        while pending:
            seen: set[UUID] = set()
            now: list[int] = []
            later: list[int] = []
            for n in pending:
                (later if terminals[n].terminal_id in seen else now).append(n)
                seen.add(terminals[n].terminal_id)
            now.sort(key=lambda n: terminals[n].terminal_id)  # one lock order everywhere
            try:
                accepted = self._advance_together([terminals[n] for n in now])
            except psycopg.errors.DeadlockDetected:  # another process's rows: one by one
                accepted = set()
                for n in now:
                    try:
                        self.advance(terminals[n])
                        accepted.add(terminals[n].terminal_id)
                    except TerminalAuthError as error:
                        results[n] = error
                now = [n for n in now if results[n] is None]
            for n in now:
                if terminals[n].terminal_id not in accepted:
                    results[n] = self._refusal(terminals[n])
            pending = later
        return results

    def _advance_together(self, terminals: list[VerifiedTerminal]) -> set[UUID]:
        """The terminals (one request each) whose counter and secret were accepted."""
        with self._connection() as conn:
            rows = conn.execute(
                "UPDATE terminal_credentials AS t SET last_counter = v.counter"
                " FROM unnest(%s::uuid[], %s::bigint[], %s::text[])"
                " AS v(terminal_id, counter, secret)"
                " WHERE t.terminal_id = v.terminal_id AND t.last_counter < v.counter"
                " AND t.secret = v.secret RETURNING t.terminal_id",
                (
                    [t.terminal_id for t in terminals],
                    [t.counter for t in terminals],
                    [t.secret for t in terminals],
                ),
            ).fetchall()
        return {row[0] for row in rows}

    def _refusal(self, terminal: VerifiedTerminal) -> TerminalAuthError:
        """Why a counter was not accepted: the secret rotated meanwhile, or a replay."""
        if self._load(terminal.terminal_id)[1] != terminal.secret:
            return bad_signature()
        return replayed()

    def refused_from_memory(self, terminal: VerifiedTerminal) -> TerminalAuthError | None:
        """A replay known without asking the store: not above a counter already committed."""
        if terminal.counter <= self._committed.get(terminal.terminal_id, -1):
            return replayed()
        return None

    def committed(self, claims: Iterable[Claim]) -> None:
        """These claims' transaction committed: their counters are known as accepted."""
        with self._committed_lock:
            for claim in claims:
                t = claim.terminal
                if t.counter > self._committed.get(t.terminal_id, -1):
                    self._committed[t.terminal_id] = t.counter

    def forget_committed(self) -> None:
        """The store failed (maybe restarted): what it holds is read again, not remembered."""
        with self._committed_lock:
            self._committed.clear()

    def refusals(self, refused: Sequence[Claim]) -> list[TerminalAuthError]:
        """Why each claim was refused (`ClaimsRefusedError`): its secret rotated, or a replay; the
        stored counters, read for it, are remembered as committed."""
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT terminal_id, school_id, secret, last_counter FROM terminal_credentials"
                " WHERE terminal_id = ANY(%s)",
                ([c.terminal.terminal_id for c in refused],),
            ).fetchall()
        stored = {row[0]: row for row in rows}
        with self._committed_lock:
            for terminal_id, school_id, secret, counter in rows:
                self._known[terminal_id] = (school_id, secret)
                self._committed[terminal_id] = max(counter, self._committed.get(terminal_id, -1))
        return [
            replayed()
            if (row := stored.get(c.terminal.terminal_id)) and row[2] == c.terminal.secret
            else bad_signature()
            for c in refused
        ]

    def last_counter(self, terminal_id: UUID) -> int | None:
        with self._connection() as conn:
            row = conn.execute(
                "SELECT last_counter FROM terminal_credentials WHERE terminal_id = %s",
                (terminal_id,),
            ).fetchone()
        return int(row[0]) if row else None


def enrol_terminal(
    ledger: "Ledger",
    secrets_store: TerminalSecrets,
    school_id: UUID,
    kind: str,
    label: str,
    terminal_id: UUID | None = None,
) -> tuple[UUID, str]:
    """Register a terminal with its school and issue its secret (returned this once only)."""
    new_id = ledger.register_terminal(school_id, kind, label, terminal_id)
    return new_id, secrets_store.issue(new_id, school_id)
