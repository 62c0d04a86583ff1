"""Tap commands: decide a tap on current state, alone or in a group commit.

`TapCommands` is the part of the `Ledger` that terminals use: each tap reads its record (a
retried tap gets its first decision back), the terminal's school, the card's account, and
decides (`Account.take_purchase`, `take_pass`, `take_offline_purchase`); `handle_tap` saves
one, `handle_taps` many together (`domain/group_commit.py`).
"""

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

from eventsourcing.persistence import Recording

from domain import preorder, protection, school_settings
from domain.commands import Commands
from domain.errors import DomainError, TapConflictError, TapPayloadError, TerminalRevokedError
from domain.group_commit import GroupCommit, PendingTap, TapResult
from domain.index import Index, card_key, index_id
from domain.kinds import PAYING_KINDS, DeclineReason, Outcome, TerminalKind
from domain.menu import Menu, menu_id
from domain.pending import Pending
from domain.school import School
from domain.tap import Tap, TapContext, TapDecision, TapRequest, check_tapped_at

if TYPE_CHECKING:
    from domain.ledger import Collected


class TapCommands(Commands):
    offline_cap: int
    group_commit: GroupCommit

    if TYPE_CHECKING:  # the Ledger's (`domain/ledger.py`)

        def collect(self, *aggregates: Any) -> "Collected": ...

        def record(
            self, collected: "Collected", claims: Sequence[object] = ()
        ) -> list[Recording[UUID]]: ...

    def handle_tap(self, request: TapRequest, claim: object | None = None) -> TapResult:
        """Decide a tap and save it; a retried tap gets its original decision back. `claim`:
        accepted by the store in the tap's transaction (`domain/group_commit.py`)."""

        def attempt() -> TapResult:
            if claim is not None:
                self.check_not_revoked(request.terminal_id)
            pending = self.decide_tap(request)
            if claim is not None:
                recordings = self.record(self.collect(*pending.aggregates), [claim])
            elif pending.replayed:
                recordings = []
            else:
                recordings = self.save(*pending.aggregates)
            if pending.replayed:
                return TapResult(pending.answer, self._head(), replayed=True)
            return TapResult(pending.answer, self._position(recordings))

        return self._retry(attempt)

    def handle_taps(
        self, requests: Sequence[TapRequest], actors: Sequence[str] | None = None
    ) -> list[TapResult | DomainError]:
        """Group commit (`domain/group_commit.py`): decided in order, saved together; a tap
        the domain refuses gets its error in place. `actors`: who acts for each tap."""
        results = self.group_commit.handle(requests, actors)
        return cast(list[TapResult | DomainError], results)  # taps in, taps' results out

    def check_not_revoked(self, terminal_id: UUID) -> None:
        """An authenticated request (a claimed tap, `domain/group_commit.py`) of a revoked
        terminal is refused outright; a tap decided otherwise records its decline."""
        if self.school(self.terminal_school_id(terminal_id)).terminal(terminal_id)["revoked"]:
            raise TerminalRevokedError("this terminal has been revoked")

    def decide_tap(self, request: TapRequest) -> PendingTap:
        """Decide on the current state without saving (see `PendingTap`)."""
        recorded = self._find(request.record_id, Tap)
        if recorded is not None:
            if not recorded.matches(request):
                raise TapConflictError(
                    f"tap {request.tap_id} of terminal {request.terminal_id} was already "
                    "decided with a different payload"
                )
            return Pending(TapDecision.from_dict(recorded.decision), (), replayed=True)
        check_tapped_at(request.tapped_at, self.clock(), offline=request.offline)

        school = self.school(self.terminal_school_id(request.terminal_id))
        terminal = school.terminal(request.terminal_id)
        kind = TerminalKind(terminal["kind"])
        check_payload(request, kind)
        ctx = TapContext(request, kind.value, school.local_date(request.tapped_at))
        refusal = DeclineReason.TERMINAL_REVOKED if terminal["revoked"] else None

        card = self._find(index_id(card_key(request.card_uid)), Index)
        if card is None:
            decision = ctx.decision(Outcome.DECLINED, reason=DeclineReason.UNKNOWN_CARD.value)
            return Pending(decision, (Tap.decide(request, school.id, decision),))
        account = self.account(card.owner_id)
        if account.school_id != school.id:  # refused on the terminal's side only
            reason = refusal or DeclineReason.FOREIGN_SCHOOL
            decision = ctx.decision(Outcome.DECLINED, reason=reason.value)
            tap = Tap.decide(request, school.id, decision, foreign_card_of=account.school_id)
            return Pending(decision, (tap,))
        if kind == TerminalKind.TURNSTILE:
            decision = account.take_pass(ctx, refusal)
        elif request.slot is not None:  # a free wardrobe or locker use
            decision = account.take_storage(ctx, refusal)
        elif request.offline:  # the food was eaten while offline: recorded, not refused
            cap = self.offline_cap_of(school, ctx.local_date)
            overdraft = school_settings.overdraft_on(school, ctx.local_date)

            def offline(c: TapContext) -> TapDecision:
                return account.take_offline_purchase(c, overdraft, refusal, cap)

            served = None if refusal else preorder.serve(account, ctx, offline, frozen=False)
            decision = served or offline(ctx)
        else:
            overdraft = school_settings.overdraft_on(school, ctx.local_date)

            def online(c: TapContext) -> TapDecision:
                why = refusal or protection.refusal(account, c, lambda: self._menu(c))
                return account.take_purchase(c, overdraft, why)

            frozen = protection.protection_of(account).frozen is not None
            served = None if refusal else preorder.serve(account, ctx, online, frozen)
            decision = served or online(ctx)
        return Pending(decision, (account, Tap.decide(request, school.id, decision)))

    def _menu(self, ctx: TapContext) -> dict[str, list[str]]:
        """Allergens per item code of the day's published menu at the tap's school."""
        school_id = self.terminal_school_id(ctx.request.terminal_id)
        menu = self._find(menu_id(school_id, ctx.local_date), Menu)
        return protection.menu_allergens(menu.items if menu else [])

    def offline_cap_of(self, school: School, day: date | None = None) -> int:
        """What one card may spend offline per reader and day: the school's, else the default."""
        day = day or school.local_date(self.clock())
        return school_settings.offline_cap_on(school, day, self.offline_cap)


STORAGE_KINDS = frozenset({TerminalKind.WARDROBE, TerminalKind.LOCKER})


def check_payload(request: TapRequest, kind: TerminalKind) -> None:
    if request.paying_wallet is not None and (kind != TerminalKind.CANTEEN_POS or request.offline):
        raise TapPayloadError("only the canteen's till chooses the paying wallet, online")
    if request.slot is not None:
        if kind not in STORAGE_KINDS:
            raise TapPayloadError("only the wardrobe or a locker takes a hanger or locker number")
        if request.items or request.direction is not None:
            raise TapPayloadError("a free wardrobe or locker use carries its number, no items")
    elif kind == TerminalKind.TURNSTILE:
        if request.items or request.direction is None:
            raise TapPayloadError("a turnstile tap carries a direction and no items")
    elif kind in PAYING_KINDS:
        if not request.items or request.direction is not None:
            raise TapPayloadError(f"a {kind.value} tap carries the items or the charge")
    else:
        raise TapPayloadError(f"a {kind.value} takes kiosk operations, not taps")
