"""What terminals may do, in primitives: JSON objects in, JSON-ready answers out.

The desk authenticates a signed request, keeps a terminal to its own school, turns JSON
into domain commands for the `Ledger` and answers with decisions and receipts. Deciding is
the domain's job; everything here is translation, authorisation and personal-data lookups.
"""

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from fastapi.concurrency import run_in_threadpool

from adapters import metrics
from adapters.blobs import BlobStore
from adapters.claims import Claim
from adapters.people import PeopleStore
from adapters.postgres import ColumnsRecorder
from adapters.terminal_auth import (
    SignedRequest,
    TerminalAuthError,
    TerminalSecrets,
    VerifiedTerminal,
)
from api.deny_list import DenyList, Revocations
from api.gathered import Gathered, relay
from api.kiosk import Kiosk
from api.tap_batcher import TapBatcher
from api.terminal import Terminal, fields_of
from api.terminal_schemas import MAX_BATCH, TapBatchInput, TapInput
from domain import school_settings
from domain.errors import DomainError, InvalidCommandError
from domain.group_commit import TapResult
from domain.index import card_key
from domain.kinds import DeclineReason
from domain.ledger import Ledger
from domain.tap import TapRequest
from privacy.office import PrivacyOffice

PHOTO_PATH = "/terminal/v1/photos/"
ADMISSION_THREADS = 4  # admissions and names read at once (the group commit stays one thread)
_HIDDEN_FROM_FOREIGN = ("account_id", "regular_after", "subsidised_after", "spent_today",
                        "daily_limit")  # fmt: skip


class TapClaims:
    """The tap batcher's `Claims`: a signed tap's counter is accepted in its group's
    transaction (`api/tap_batcher.py`); before the group is decided, a counter this process
    knows committed is refused (`TerminalSecrets.refused_from_memory`), with no round trip.
    The terminal's revocation is the group's decision's (`GroupCommit.decide`), on the school
    its version query found: no look of its own."""

    def __init__(self, secrets: TerminalSecrets) -> None:
        self.secrets = secrets

    def screen(self, claims: list[Claim]) -> list[Exception | None]:
        return [self.secrets.refused_from_memory(c.terminal) for c in claims]

    def committed(self, claims: list[Claim]) -> None:
        self.secrets.committed(claims)

    def refusals(self, refused: list[Claim]) -> list[Exception]:
        return list(self.secrets.refusals(refused))

    def forget(self) -> None:
        self.secrets.forget_committed()


def revoked_error() -> TerminalAuthError:
    return TerminalAuthError("terminal_revoked", "this terminal has been revoked", 403)


@dataclass(frozen=True)
class PupilRead:
    """A pupil's name for a terminal's answer: whose account, the terminal's school, who reads."""

    account_id: UUID
    school_id: UUID
    actor: str


class TerminalDesk:
    def __init__(
        self,
        ledger: Ledger,
        secrets: TerminalSecrets,
        people: PeopleStore,
        blobs: BlobStore,
        offline_cap: int,
    ) -> None:
        self.ledger, self.secrets, self.people, self.blobs = ledger, secrets, people, blobs
        self.offline_cap = offline_cap
        self.deny_list = DenyList(ledger)
        self.revocations = Revocations(ledger)
        self.kiosk = Kiosk(ledger, people)
        self.privacy: PrivacyOffice | None = None  # set by the app: consent and the access log
        self._kinds: dict[UUID, str] = {}  # a terminal's kind never changes
        # taps of all request threads, saved together; on PostgreSQL a signed tap's counter
        # is accepted in its group's transaction (`TapClaims`)
        claimed = isinstance(ledger.recorder, ColumnsRecorder)
        claims = TapClaims(secrets) if claimed else None
        self.batcher = TapBatcher(ledger, claims=claims)
        self.kiosk.batcher = self.batcher
        self._claiming: set[UUID] = set()  # terminals with a claimed tap not yet answered
        self._claiming_lock = threading.Lock()
        # revocation and counter of concurrent requests: one look, one UPDATE for them all
        self._admission: Gathered[VerifiedTerminal, None] = Gathered(
            self._admit, "admission", threads=ADMISSION_THREADS
        )
        self._pupil_refs: dict[UUID, tuple[UUID, str, str]] = {}
        # concurrent answers' pupils: one query for their names, one access-log write
        self._names: Gathered[PupilRead, dict[str, Any] | None] = Gathered(
            self._read_names, "pupil-names", threads=ADMISSION_THREADS
        )

    def create_tables(self) -> None:
        self.secrets.create_tables()
        self.people.create_tables()
        self.blobs.create_tables()

    def close(self) -> None:
        self.batcher.close()
        self._admission.close()
        self._names.close()
        self.secrets.close()
        self.people.close()

    # Authentication

    def authenticate(self, request: SignedRequest) -> Terminal:
        """Signature first (a forgery changes nothing), then revocation, then the counter."""
        verified, kind = self._verify(request)
        self._admission(verified)
        return Terminal(verified.terminal_id, verified.school_id, kind, request.body)

    async def authenticate_async(self, request: SignedRequest) -> Terminal:
        """`authenticate` on the event loop, holding no thread: the signature from memory
        (a thread only when the terminal's secret or kind must be read first), then the
        admission's future."""
        known = self.secrets.authenticate(request, load=False)
        found = self._kinds.get(known.terminal_id) if known else None
        if known is not None and found is not None:
            verified, kind = known, found
        else:
            verified, kind = await run_in_threadpool(self._verify, request)
        await asyncio.wrap_future(self._admission.submit(verified))
        return Terminal(verified.terminal_id, verified.school_id, kind, request.body)

    def _verify(self, request: SignedRequest) -> tuple[VerifiedTerminal, str]:
        verified = self.secrets.authenticate(request)
        return verified, self._kind_of(verified.terminal_id, verified.school_id)

    def _admit(self, terminals: list[VerifiedTerminal]) -> list[TerminalAuthError | None]:
        """Concurrent requests' revocation look and counters, together: a look at the store
        that began after each of them arrived, then one UPDATE of the counters of the
        terminals not revoked (`TerminalSecrets.advance_all`)."""
        revoked = self.revocations.revoked_among({t.terminal_id for t in terminals})
        results: list[TerminalAuthError | None] = [
            revoked_error() if t.terminal_id in revoked else None for t in terminals
        ]
        live = [n for n, t in enumerate(terminals) if t.terminal_id not in revoked]
        advanced = self.secrets.advance_all([terminals[n] for n in live])
        for n, refusal in zip(live, advanced, strict=True):
            results[n] = refusal
        return results

    def _kind_of(self, terminal_id: UUID, school_id: UUID) -> str:
        if terminal_id not in self._kinds:
            try:
                terminal = self.ledger.school(school_id).terminal(terminal_id)
            except DomainError:
                raise TerminalAuthError("unknown_terminal", "not a registered terminal") from None
            self._kinds[terminal_id] = terminal["kind"]
        return self._kinds[terminal_id]

    # Taps

    async def tap(self, terminal: Terminal, raw: object) -> dict[str, Any]:
        """One tap, on the event loop: it waits for its batch's and its pupil's futures and
        holds no thread meanwhile. The pupil's name is read beside the group commit when
        this process already knows the card's owner (`_expected_read`), so it costs the tap
        no stage of its own; it is read after the decision only when the decision names
        another pupil (the card changed hands meanwhile)."""
        request = tap_request(terminal, raw)
        decided = self.batcher.submit(request, terminal.actor)
        expected = self._expected_read(terminal, request)
        named = self._names.submit(expected) if expected else None
        return await self._answered(terminal, await asyncio.wrap_future(decided), expected, named)

    async def tap_signed(
        self, signed: SignedRequest, parse: Callable[[Terminal], object]
    ) -> dict[str, Any]:
        """`authenticate_async`, then `tap` of the body `parse` reads, with one hand-off
        fewer: when the signature checks from memory, the admission's thread hands the
        admitted tap to the group commit (and its pupil to the names) itself, and the loop
        waits for the decision only. Fewer still when the batcher takes claims and the
        terminal has no other claimed tap waiting (`_tap_claimed`): no admission at all.
        Refusals come in the same order (the admission's, then the body's, then the
        domain's)."""
        known = self.secrets.authenticate(signed, load=False)
        kind = self._kinds.get(known.terminal_id) if known else None
        if known is None or kind is None:
            terminal = await self.authenticate_async(signed)
            return await self.tap(terminal, parse(terminal))
        terminal = Terminal(known.terminal_id, known.school_id, kind, signed.body)
        try:
            request: TapRequest | DomainError = tap_request(terminal, parse(terminal))
        except DomainError as error:
            request = error
        if not isinstance(request, DomainError) and self._claim(known.terminal_id):
            return await self._tap_claimed(terminal, known, request)
        expected = (
            None if isinstance(request, DomainError) else self._expected_read(terminal, request)
        )
        decided: Future[TapResult] = Future()
        named: list[Future[dict[str, Any] | None]] = []

        def admitted(admission: Future[None]) -> None:  # in the admission's thread
            try:
                refused = admission.exception()
                if refused is not None:
                    decided.set_exception(refused)
                elif isinstance(request, DomainError):
                    decided.set_exception(request)
                else:
                    if expected is not None:  # before the tap: its answer may come at once
                        named.append(self._names.submit(expected))
                    relay(self.batcher.submit(request, terminal.actor), decided)
            except BaseException as error:  # the request must be answered all the same
                if not decided.done():
                    decided.set_exception(error)

        self._admission.submit(known).add_done_callback(admitted)
        result = await asyncio.wrap_future(decided)
        return await self._answered(terminal, result, expected, named[0] if named else None)

    def _claim(self, terminal_id: UUID) -> bool:
        """Whether a tap of this terminal may take its counter into the group commit: the
        batcher takes claims, and the terminal has no claimed tap waiting (one claim per
        terminal in flight: one row per terminal in a group's statement, and a claim whose
        commit's answer was lost is recognised by the row as its own)."""
        if self.batcher.claims is None:
            return False
        with self._claiming_lock:
            if terminal_id in self._claiming:
                return False
            self._claiming.add(terminal_id)
            return True

    async def _tap_claimed(
        self, terminal: Terminal, known: VerifiedTerminal, request: TapRequest
    ) -> dict[str, Any]:
        """A tap whose counter is accepted in its group's transaction: the batcher screens it
        (a counter known committed) and decides it (a revoked terminal is refused there),
        then its pupil's name is read beside the group's commit, as in `tap_signed`."""
        expected = self._expected_read(terminal, request)
        named: list[Future[dict[str, Any] | None]] = []

        def admitted() -> None:  # in the batcher's thread, once decided, not refused
            if expected is not None:
                named.append(self._names.submit(expected))

        decided = self.batcher.submit(request, terminal.actor, Claim(known), admitted)
        decided.add_done_callback(lambda _: self._unclaim(known.terminal_id))
        result = await asyncio.wrap_future(decided)
        return await self._answered(terminal, result, expected, named[0] if named else None)

    def _unclaim(self, terminal_id: UUID) -> None:
        with self._claiming_lock:
            self._claiming.discard(terminal_id)

    async def _answered(
        self,
        terminal: Terminal,
        result: TapResult,
        expected: "PupilRead | None",
        named: "Future[dict[str, Any] | None] | None",
    ) -> dict[str, Any]:
        """The answer to a decided tap, with the pupil `named` read if the decision names
        that pupil (else read now)."""
        read = self._pupil_read(terminal, result)
        if read is None:
            return self._answer(result, None)
        if read != expected or named is None:
            named = self._names.submit(read)
        pupil = named.result() if named.done() else await asyncio.wrap_future(named)
        return self._answer(result, pupil)

    def _expected_read(self, terminal: Terminal, request: TapRequest) -> "PupilRead | None":
        """The read the decision will ask for, when the card's owner is known in memory (a
        foreign pupil's read answers None and logs nothing, as after the decision)."""
        owner = self.ledger.known_index(card_key(request.card_uid))
        return PupilRead(owner, terminal.school_id, terminal.actor) if owner else None

    def taps(self, terminal: Terminal, raw: object) -> dict[str, Any]:
        """A batch: decided in `tapped_at` order, answered in the order sent."""
        taps = fields_of(raw, TapBatchInput)["taps"]
        if not isinstance(taps, list) or not 1 <= len(taps) <= MAX_BATCH:
            raise InvalidCommandError(f"a batch is {{'taps': [...]}} with 1 to {MAX_BATCH} taps")
        results: list[dict[str, Any] | None] = [None] * len(taps)
        parsed: list[tuple[int, TapRequest]] = []
        for i, one in enumerate(taps):
            try:
                parsed.append((i, tap_request(terminal, one)))
            except DomainError as error:
                results[i] = failed(one, error)
        for i, request in sorted(parsed, key=lambda pair: pair[1].tapped_at):
            try:
                results[i] = self._decide(terminal, request)
            except DomainError as error:
                results[i] = failed(taps[i], error)
        metrics.TAP_BATCH_SIZE.observe(len(taps))
        return {"results": results}

    def _decide(self, terminal: Terminal, request: TapRequest) -> dict[str, Any]:
        result = self.batcher.decide(request, terminal.actor)
        read = self._pupil_read(terminal, result)
        return self._answer(result, self._names(read) if read else None)

    def _answer(self, result: TapResult, pupil: dict[str, Any] | None) -> dict[str, Any]:
        if not result.replayed:
            metrics.TAP_DECISIONS.labels(
                result.decision.outcome, result.decision.reason or ""
            ).inc()
        answer = result.decision.as_dict()
        if result.decision.reason == DeclineReason.FOREIGN_SCHOOL:
            answer.update(dict.fromkeys(_HIDDEN_FROM_FOREIGN))
        return {**answer, "pupil": pupil, "position": result.position, "replayed": result.replayed}

    @staticmethod
    def _pupil_read(terminal: Terminal, result: TapResult) -> "PupilRead | None":
        """Whose name the answer shows (none for a foreign card or an unknown one)."""
        decision = result.decision
        if decision.reason == DeclineReason.FOREIGN_SCHOOL or not decision.account_id:
            return None
        return PupilRead(UUID(decision.account_id), terminal.school_id, terminal.actor)

    def _read_names(self, reads: list["PupilRead"]) -> list[dict[str, Any] | None]:
        """Name, class and photo for the operator's or the guard's screen (own school only),
        for concurrent answers: one statement reads their personal data and writes one
        access-log row for every read of it (`tap.pupil`)."""
        own: list[tuple[UUID, str, str] | None] = []  # (school, pupil, class), own school's
        for read in reads:
            if read.account_id not in self._pupil_refs:
                account = self.ledger.account(read.account_id)
                self._pupil_refs[read.account_id] = (
                    account.school_id, account.pupil_ref, account.class_name,
                )  # fmt: skip
            mine = self._pupil_refs[read.account_id]
            own.append(mine if mine[0] == read.school_id else None)
        if self.privacy is None:
            found = self.people.get_many(sorted({ref[1] for ref in own if ref}))
        else:
            found = self.people.get_many_logged(
                [(read.actor, "tap.pupil", read.account_id, ref[1])
                 for read, ref in zip(reads, own, strict=True) if ref],
                self.privacy.log.clock(),
            )  # fmt: skip
        answers: list[dict[str, Any] | None] = []
        for ref in own:
            if ref is None:
                answers.append(None)
                continue
            fields = found.get(ref[1]) or {}
            photo = fields.get("photo")
            answers.append({
                "name": fields.get("name"),
                "class": fields.get("class") or ref[2],
                "photo_url": f"{PHOTO_PATH}{photo}" if photo else None,
            })  # fmt: skip
        return answers

    def photo(self, terminal: Terminal, digest: str) -> bytes | None:
        if not self.blobs.readable_by(digest, terminal.school_id):
            return None
        data = self.blobs.read(digest)
        if data is not None and self.privacy is not None:
            self.privacy.log.photo_read(terminal.actor, "photo.terminal", digest)
        return data

    def denied_cards(self, terminal: Terminal, since: int) -> dict[str, Any]:
        version, uids = self.deny_list.for_school(terminal.school_id)
        school = self.ledger.school(terminal.school_id)  # the school's cap: the server's rule too
        today = school.local_date(self.ledger.clock())
        return {
            "version": version,
            "changed": version > since,
            "uids": uids,
            "offline_cap": school_settings.offline_cap_on(school, today, self.offline_cap),
        }


def tap_request(terminal: Terminal, raw: object) -> TapRequest:
    """A tap's JSON as the domain's request: the fields `TapInput` names, values checked there."""
    body = fields_of(raw, TapInput)
    return TapRequest.parse(
        terminal.terminal_id,
        body["tap_id"],
        body["card_uid"],
        body["tapped_at"],
        items=body.get("items"),
        direction=body.get("direction"),
        offline=body.get("offline", False),
        photo_check=body.get("photo_check"),
        paying_wallet=body.get("paying_wallet"),
        slot=body.get("slot"),
    )


def failed(raw: object, error: DomainError) -> dict[str, Any]:
    tap_id = raw.get("tap_id") if isinstance(raw, dict) else None
    return {"tap_id": tap_id, "error": {"code": error.code, "message": str(error)}}
