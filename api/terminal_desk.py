"""What terminals may do, in primitives: JSON objects in, JSON-ready answers out.

The desk authenticates a signed request, keeps a terminal to its own school, turns JSON
into domain commands for the `Ledger` and answers with decisions and receipts. Deciding is
the domain's job; everything here is translation, authorisation and personal-data lookups.
"""

from typing import Any
from uuid import UUID

from adapters import metrics
from adapters.blobs import BlobStore
from adapters.people import PeopleStore
from adapters.terminal_auth import (
    SignedRequest,
    TerminalAuthError,
    TerminalSecrets,
    VerifiedTerminal,
)
from api.deny_list import DenyList, Revocations
from api.gathered import Gathered
from api.kiosk import Kiosk
from api.tap_batcher import TapBatcher
from api.terminal import Terminal, fields_of
from api.terminal_schemas import MAX_BATCH, TapBatchInput, TapInput
from domain import school_settings
from domain.errors import DomainError, InvalidCommandError
from domain.kinds import DeclineReason
from domain.ledger import Ledger
from domain.tap import TapRequest
from privacy.office import PrivacyOffice

PHOTO_PATH = "/terminal/v1/photos/"
_HIDDEN_FROM_FOREIGN = ("account_id", "regular_after", "subsidised_after", "spent_today",
                        "daily_limit")  # fmt: skip


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
        self.batcher = TapBatcher(ledger)  # taps of all request threads, saved together
        # revocation and counter of concurrent requests: one look, one UPDATE for them all
        self._admission: Gathered[VerifiedTerminal, None] = Gathered(self._admit, "admission")
        self._pupil_refs: dict[UUID, tuple[UUID, str, str]] = {}
        # concurrent answers' pupils: one query for their names, one access-log write
        self._names: Gathered[tuple[str, UUID, str], dict[str, str]] = Gathered(
            self._read_names, "pupil-names"
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
        verified = self.secrets.authenticate(request)
        kind = self._kind_of(verified.terminal_id, verified.school_id)
        self._admission(verified)
        return Terminal(verified.terminal_id, verified.school_id, kind, request.body)

    def _admit(self, terminals: list[VerifiedTerminal]) -> list[TerminalAuthError | None]:
        """Concurrent requests' revocation look and counters, together: a look at the store
        that began after each of them arrived, then one UPDATE of the counters of the
        terminals not revoked (`TerminalSecrets.advance_all`)."""
        revoked = self.revocations.revoked_among({t.terminal_id for t in terminals})
        results: list[TerminalAuthError | None] = [
            TerminalAuthError("terminal_revoked", "this terminal has been revoked", 403)
            if t.terminal_id in revoked
            else None
            for t in terminals
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

    def tap(self, terminal: Terminal, raw: object) -> dict[str, Any]:
        return self._decide(terminal, tap_request(terminal, raw))

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
        if not result.replayed:
            metrics.TAP_DECISIONS.labels(
                result.decision.outcome, result.decision.reason or ""
            ).inc()
        answer = result.decision.as_dict()
        pupil = None
        if result.decision.reason == DeclineReason.FOREIGN_SCHOOL:
            answer.update(dict.fromkeys(_HIDDEN_FROM_FOREIGN))
        elif result.decision.account_id:
            account_id = UUID(result.decision.account_id)
            pupil = self.pupil(account_id, terminal.school_id, terminal.actor)
        return {**answer, "pupil": pupil, "position": result.position, "replayed": result.replayed}

    def pupil(self, account_id: UUID, school_id: UUID, actor: str) -> dict[str, Any] | None:
        """Name, class and photo for the operator's or the guard's screen (own school only)."""
        if account_id not in self._pupil_refs:
            account = self.ledger.account(account_id)
            self._pupil_refs[account_id] = (
                account.school_id,
                account.pupil_ref,
                account.class_name,
            )
        account_school, pupil_ref, class_name = self._pupil_refs[account_id]
        if account_school != school_id:
            return None
        fields = self._names((pupil_ref, account_id, actor))
        photo = fields.get("photo")
        return {
            "name": fields.get("name"),
            "class": fields.get("class") or class_name,
            "photo_url": f"{PHOTO_PATH}{photo}" if photo else None,
        }

    def _read_names(self, reads: list[tuple[str, UUID, str]]) -> list[dict[str, str]]:
        """The personal data of (pupil, account, actor) reads, each one logged when found."""
        found = self.people.get_many(sorted({ref for ref, _, _ in reads}))
        if self.privacy is not None:
            self.privacy.log.record_all(
                [(actor, "tap.pupil", account, [ref]) for ref, account, actor in reads
                 if found.get(ref)]
            )  # fmt: skip
        return [found.get(ref) or {} for ref, _, _ in reads]

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
        today = self.ledger.clock().astimezone(school.zone).date()
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
