"""The command side: one method per command, each deciding on current state, then saving.

Every command reloads what it decides on and saves all touched aggregates in one
transaction; a version conflict (`IntegrityError`) means someone else saved first, so the
command is decided again on the new state, a bounded number of times.
"""

from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, Repository
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from domain import (
    preferences,  # noqa: F401 - registers its topics for log readers
    protection,
)
from domain.account import Account
from domain.autopay import Autopayment  # noqa: F401 - registers its topics for log readers
from domain.clock import Clock, event_clock
from domain.errors import (
    CardAlreadyIssuedError,
    ConcurrencyError,
    ContractAlreadyExistsError,
    DomainError,
    InvalidCommandError,
    PaymentConflictError,
    TapConflictError,
    TapPayloadError,
    UnknownCardError,
    UnknownContractError,
    UnknownSchoolError,
    UnknownTerminalError,
)
from domain.feedback import MenuFeedback, feedback_id
from domain.fields import IDENT, check_amount, check_date, text
from domain.index import (
    CardIndex,
    ContractIndex,
    Index,
    TerminalIndex,
    card_key,
    contract_key,
    index_id,
    terminal_key,
)
from domain.kinds import PAYING_KINDS, Channel, DeclineReason, Outcome, TerminalKind
from domain.menu import Menu, menu_id
from domain.money import DEFAULT_OFFLINE_CAP, MAX_TOP_UP, parse_rate
from domain.money import commission as commission_on
from domain.payment import Payment, payment_fingerprint, payment_record_id
from domain.recorded import derived_id
from domain.school import School, check_offline_cap
from domain.tap import Tap, TapContext, TapDecision, TapRequest, check_tapped_at, normalise_uid
from domain.topup import rate_for

T = TypeVar("T")
INDEX_MEMORY = 200_000  # index records remembered per process (a few dozen MB at most)
# Aggregates already loaded or decided on by the group commit under way in this context.
_batch: ContextVar[dict[UUID, Aggregate] | None] = ContextVar("_batch", default=None)
A = TypeVar("A", bound=Aggregate)

DEFAULT_COMMISSION_RATES: Mapping[str, str] = {
    Channel.KIOSK_CASH: "0",
    Channel.BANK_CARD: "0.05",
    Channel.AUTOPAY: "0.05",
    Channel.SBP: "0",
}


@dataclass(frozen=True)
class TapResult:
    decision: TapDecision
    position: int
    replayed: bool = False


@dataclass(frozen=True)
class PendingTap:
    """A decided tap not yet saved: several can be saved together (group commit)."""

    decision: TapDecision
    aggregates: tuple[Aggregate, ...]
    replayed: bool = False


@dataclass(frozen=True)
class TopUpResult:
    account_id: UUID
    payment_id: str
    amount: int
    commission: int
    commission_rate: str
    regular_after: int
    position: int
    replayed: bool = False


class Ledger(Application[UUID]):
    name = "Ledger"
    max_attempts = 100

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        commission_rates: Mapping[str, str] | None = None,
        snapshot_interval: int = 100,
        clock: Clock = event_clock,
        offline_cap: int = DEFAULT_OFFLINE_CAP,
    ) -> None:
        self.snapshotting_intervals = {Account: snapshot_interval}  # type: ignore[misc]
        super().__init__({"IS_SNAPSHOTTING_ENABLED": "y", **(env or {})})
        rates = {**DEFAULT_COMMISSION_RATES, **(commission_rates or {})}
        for channel, rate in rates.items():
            Channel(channel)
            parse_rate(rate)
        self.commission_rates = rates
        self.clock = clock
        self.offline_cap = check_offline_cap(offline_cap)
        # Only accounts are snapshotted: other aggregates load without asking for a snapshot.
        self._plain = Repository(event_store=self.events)
        # Index records never change once made, so a found one can be remembered for good.
        self._indexes: dict[UUID, Index] = {}

    # Schools and terminals

    def register_school(
        self,
        name: str,
        city: str,
        time_zone: str,
        meal_overdraft: int,
        school_id: UUID | None = None,
    ) -> UUID:
        school = School.register(name, city, time_zone, meal_overdraft, school_id)
        self.save(school)
        return school.id

    def register_terminal(
        self, school_id: UUID, kind: str, label: str, terminal_id: UUID | None = None
    ) -> UUID:
        """Register a terminal; a device that ships with its own id keeps it."""

        def attempt() -> UUID:
            school = self.school(school_id)
            if terminal_id and self._find(index_id(terminal_key(terminal_id)), Index):
                raise InvalidCommandError(f"terminal {terminal_id} is already registered")
            new_id = school.register_terminal(kind, label, terminal_id)
            self.save(school, TerminalIndex(new_id, school.id))
            return new_id

        return self._retry(attempt)

    def set_offline_cap(self, school_id: UUID, cap: int) -> int:
        """The school's own offline cap (kopecks per card, reader and day)."""

        def attempt() -> int:
            school = self.school(school_id)
            school.set_offline_cap(cap)
            return self._position(self.save(school))

        return self._retry(attempt)

    def revoke_terminal(self, terminal_id: UUID, reason: str) -> int:
        def attempt() -> int:
            school = self.school(self.terminal_school_id(terminal_id))
            school.revoke_terminal(terminal_id, reason)
            return self._position(self.save(school))

        return self._retry(attempt)

    # Accounts and cards

    def open_account(
        self,
        contract_number: str,
        school_id: UUID,
        class_name: str,
        pupil_ref: str,
        parent_ref: str,
    ) -> UUID:
        contract_number = contract_number.strip()
        if not contract_number or len(contract_number) > 32 or not contract_number.isprintable():
            raise InvalidCommandError("a contract number is 1 to 32 printable characters")
        self.school(school_id)

        def attempt() -> UUID:
            if self._find(index_id(contract_key(contract_number)), Index) is not None:
                raise ContractAlreadyExistsError(
                    f"contract {contract_number} already has an account"
                )
            account = Account.open(contract_number, school_id, class_name, pupil_ref, parent_ref)
            self.save(account, ContractIndex(contract_number, account.id))
            return account.id

        return self._retry(attempt)

    def issue_card(self, account_id: UUID, uid: str) -> int:
        uid = normalise_uid(uid)

        def attempt() -> int:
            if self._find(index_id(card_key(uid)), Index) is not None:
                raise CardAlreadyIssuedError(f"card {uid} already belongs to an account")
            account = self.account(account_id)
            account.issue_card(uid)
            return self._position(self.save(account, CardIndex(uid, account.id)))

        return self._retry(attempt)

    def activate_card(
        self,
        uid: str,
        offer_version: str,
        parent_phone_ref: str,
        deposit: int,
        payment_id: str,
        terminal_id: UUID,
    ) -> TopUpResult:
        """The kiosk flow: accept the offer, give a phone, pay at least 100 ₽ in cash."""
        uid = normalise_uid(uid)
        check_amount(deposit, what="first deposit", maximum=MAX_TOP_UP)
        text(payment_id, IDENT, what="a payment id")
        self._check_terminal_kind(terminal_id, TerminalKind.KIOSK)

        def attempt() -> TopUpResult:
            account = self.account(self.card_account_id(uid))
            replay = self._replayed_payment(payment_id, account.id, deposit, Channel.KIOSK_CASH)
            if replay is not None:
                return replay
            account.activate_card(uid, offer_version, parent_phone_ref, deposit)
            return self._credit(account, deposit, Channel.KIOSK_CASH, payment_id, terminal_id)

        return self._retry(attempt)

    def block_card(self, account_id: UUID, uid: str, reason: str) -> int:
        uid = normalise_uid(uid)

        def attempt() -> int:
            account = self.account(account_id)
            account.block_card(uid, reason)
            return self._position(self.save(account))

        return self._retry(attempt)

    def unblock_card(self, account_id: UUID, uid: str, reason: str) -> int:
        uid = normalise_uid(uid)
        return self._on_account(account_id, lambda a: a.unblock_card(uid, reason))

    def order_duplicate(self, account_id: UUID, blocked_uid: str, new_uid: str) -> int:
        blocked_uid, new_uid = normalise_uid(blocked_uid), normalise_uid(new_uid)

        def attempt() -> int:
            if self._find(index_id(card_key(new_uid)), Index) is not None:
                raise CardAlreadyIssuedError(f"card {new_uid} already belongs to an account")
            account = self.account(account_id)
            account.order_duplicate(blocked_uid, new_uid)
            return self._position(self.save(account, CardIndex(new_uid, account.id)))

        return self._retry(attempt)

    # Money in

    def top_up(
        self,
        account_id: UUID,
        amount: int,
        channel: str,
        payment_id: str,
        terminal_id: UUID | None = None,
    ) -> TopUpResult:
        try:
            paid_by = Channel(channel)
        except ValueError:
            raise InvalidCommandError(f"{channel!r} is not a payment channel") from None
        check_amount(amount, what="top-up", maximum=MAX_TOP_UP)
        text(payment_id, IDENT, what="a payment id")
        if paid_by == Channel.KIOSK_CASH:
            if terminal_id is None:
                raise InvalidCommandError("a cash deposit names the kiosk that took it")
            self._check_terminal_kind(terminal_id, TerminalKind.KIOSK)

        def attempt() -> TopUpResult:
            account = self.account(account_id)
            replay = self._replayed_payment(payment_id, account.id, amount, paid_by)
            if replay is not None:
                return replay
            return self._credit(account, amount, paid_by, payment_id, terminal_id)

        return self._retry(attempt)

    def _credit(
        self,
        account: Account,
        amount: int,
        channel: Channel,
        payment_id: str,
        terminal_id: UUID | None,
    ) -> TopUpResult:
        rate = rate_for(self.school(account.school_id), channel, self.commission_rates)
        fee = commission_on(amount, rate)
        account.top_up(amount, channel, fee, rate, payment_id, terminal_id)
        result: dict[str, Any] = {
            "amount": amount,
            "commission": fee,
            "commission_rate": rate,
            "regular_after": account.regular,
        }
        fingerprint = payment_fingerprint(account.id, amount, channel)
        payment = Payment.receive(payment_id, account.id, fingerprint, result)
        position = self._position(self.save(account, payment))
        return TopUpResult(account.id, payment_id, position=position, **result)

    def _replayed_payment(
        self, payment_id: str, account_id: UUID, amount: int, channel: Channel
    ) -> TopUpResult | None:
        payment = self._find(payment_record_id(payment_id), Payment)
        if payment is None:
            return None
        if payment.fingerprint != payment_fingerprint(account_id, amount, channel):
            raise PaymentConflictError(
                f"payment {payment_id} was already received with different details"
            )
        return TopUpResult(
            account_id,
            payment_id,
            position=self.recorder.max_notification_id() or 0,
            replayed=True,
            **payment.result,
        )

    # Settings and subsidies

    def change_tariff(self, account_id: UUID, tariff: str) -> int:
        return self._on_account(account_id, lambda a: a.change_tariff(tariff))

    def change_daily_limit(self, account_id: UUID, limit: int) -> int:
        return self._on_account(account_id, lambda a: a.change_daily_limit(limit))

    def grant_subsidy(self, account_id: UUID, basis: str, daily_allowance: int) -> int:
        return self._on_account(account_id, lambda a: a.grant_subsidy(basis, daily_allowance))

    def revoke_subsidy(self, account_id: UUID, reason: str) -> int:
        return self._on_account(account_id, lambda a: a.revoke_subsidy(reason))

    def credit_subsidy(self, account_id: UUID, amount: int, period: str) -> int:
        return self._on_account(account_id, lambda a: a.credit_subsidy(amount, period))

    def _on_account(self, account_id: UUID, command: Callable[[Account], None]) -> int:
        def attempt() -> int:
            account = self.account(account_id)
            command(account)
            return self._position(self.save(account))

        return self._retry(attempt)

    # Menus

    def publish_menu(
        self, school_id: UUID, menu_date: date, items: Sequence[Mapping[str, Any]]
    ) -> int:
        """Publish (or republish) a school's menu for one school-local date."""
        school = self.school(school_id)
        check_date(menu_date, self.clock().astimezone(school.zone).date(), what="a menu's date")

        def attempt() -> int:
            menu = self._find(menu_id(school_id, menu_date), Menu)
            menu = menu or Menu.start(school_id, menu_date)
            menu.publish(items)
            return self._position(self.save(menu))

        return self._retry(attempt)

    def leave_menu_feedback(
        self, account_id: UUID, menu_date: date, rating: int, comment: str
    ) -> int:
        """A family rates a menu their child's school served; leaving it again replaces it."""
        school = self.school(self.account(account_id).school_id)
        if self._find(menu_id(school.id, menu_date), Menu) is None:
            raise InvalidCommandError(f"no menu was published for {menu_date}")

        def attempt() -> int:
            found = self._find(feedback_id(school.id, menu_date, account_id), MenuFeedback)
            if found is None:
                today = self.clock().astimezone(school.zone).date()
                found = MenuFeedback.leave(school.id, menu_date, account_id, rating, comment, today)
            else:
                found.revise(rating, comment)
            return self._position(self.save(found))

        return self._retry(attempt)

    # Taps

    def handle_tap(self, request: TapRequest) -> TapResult:
        """Decide a tap and save it; a retried tap gets its original decision back."""

        def attempt() -> TapResult:
            pending = self.decide_tap(request)
            if pending.replayed:
                position = self.recorder.max_notification_id() or 0
                return TapResult(pending.decision, position, replayed=True)
            return TapResult(pending.decision, self._position(self.save(*pending.aggregates)))

        return self._retry(attempt)

    def handle_taps(self, requests: Sequence[TapRequest]) -> list[TapResult | DomainError]:
        """Group commit: decide taps in order on shared in-memory state, save them together.

        One transaction for the whole batch instead of one per tap. A tap the domain refuses
        gets its error in place; if the save conflicts with another writer, the batch is
        decided again one tap at a time.
        """
        loaded: dict[UUID, Aggregate] = {}
        token = _batch.set(loaded)
        decided: list[PendingTap | DomainError] = []
        touched: dict[UUID, Aggregate] = {}
        try:
            for request in requests:
                try:
                    pending = self.decide_tap(request)
                except DomainError as error:
                    decided.append(error)
                    continue
                decided.append(pending)
                for aggregate in pending.aggregates:
                    touched[aggregate.id] = loaded[aggregate.id] = aggregate
        finally:
            _batch.reset(token)
        try:
            position = self._position(self.save(*touched.values()))
        except IntegrityError:
            return [self._handle_alone(request) for request in requests]
        if not touched:
            position = self.recorder.max_notification_id() or 0
        return [
            d if isinstance(d, DomainError) else TapResult(d.decision, position, d.replayed)
            for d in decided
        ]

    def _handle_alone(self, request: TapRequest) -> TapResult | DomainError:
        try:
            return self.handle_tap(request)
        except DomainError as error:
            return error

    def decide_tap(self, request: TapRequest) -> PendingTap:
        """Decide on the current state without saving (see `PendingTap`)."""
        recorded = self._find(request.record_id, Tap)
        if recorded is not None:
            if not recorded.matches(request):
                raise TapConflictError(
                    f"tap {request.tap_id} of terminal {request.terminal_id} was already "
                    "decided with a different payload"
                )
            return PendingTap(TapDecision.from_dict(recorded.decision), (), replayed=True)
        check_tapped_at(request.tapped_at, self.clock(), offline=request.offline)

        school = self.school(self.terminal_school_id(request.terminal_id))
        terminal = school.terminal(request.terminal_id)
        kind = TerminalKind(terminal["kind"])
        check_payload(request, kind)
        ctx = TapContext(request, kind.value, request.tapped_at.astimezone(school.zone).date())
        refusal = DeclineReason.TERMINAL_REVOKED if terminal["revoked"] else None

        card = self._find(index_id(card_key(request.card_uid)), Index)
        if card is None:
            decision = ctx.decision(Outcome.DECLINED, reason=DeclineReason.UNKNOWN_CARD.value)
            return PendingTap(decision, (Tap.decide(request, school.id, decision),))
        account = self.account(card.owner_id)
        if account.school_id != school.id:  # refused on the terminal's side only
            reason = refusal or DeclineReason.FOREIGN_SCHOOL
            decision = ctx.decision(Outcome.DECLINED, reason=reason.value)
            tap = Tap.decide(request, school.id, decision, foreign_card_of=account.school_id)
            return PendingTap(decision, (tap,))
        if kind == TerminalKind.TURNSTILE:
            decision = account.take_pass(ctx, refusal)
        elif request.offline:  # the food was eaten while offline: recorded, not refused
            cap = self.offline_cap_of(school)
            decision = account.take_offline_purchase(ctx, school.meal_overdraft, refusal, cap)
        else:
            refusal = refusal or protection.refusal(account, ctx, lambda: self._menu(ctx))
            decision = account.take_purchase(ctx, school.meal_overdraft, refusal)
        return PendingTap(decision, (account, Tap.decide(request, school.id, decision)))

    def _menu(self, ctx: TapContext) -> dict[str, list[str]]:
        """Allergens per item code of the day's published menu at the tap's school."""
        school_id = self.terminal_school_id(ctx.request.terminal_id)
        menu = self._find(menu_id(school_id, ctx.local_date), Menu)
        return protection.menu_allergens(menu.items if menu else [])

    def offline_cap_of(self, school: School) -> int:
        """What one card may spend offline per reader and day: the school's, else the default."""
        return self.offline_cap if school.offline_cap is None else school.offline_cap

    # Lookups

    def school(self, school_id: UUID) -> School:
        return self._get(school_id, School, UnknownSchoolError(f"school {school_id} is unknown"))

    def account(self, account_id: UUID) -> Account:
        error = UnknownContractError(f"account {account_id} is unknown")
        return self._get(account_id, Account, error)

    def account_id_for_contract(self, contract_number: str) -> UUID:
        index = self._find(index_id(contract_key(contract_number.strip())), Index)
        if index is None:
            raise UnknownContractError(f"contract {contract_number} is unknown")
        return index.owner_id

    def card_account_id(self, uid: str) -> UUID:
        index = self._find(index_id(card_key(normalise_uid(uid))), Index)
        if index is None:
            raise UnknownCardError(f"card {uid} is not issued")
        return index.owner_id

    def recorded_tap(self, terminal_id: UUID, tap_id: str) -> TapDecision | None:
        """The decision stored for (terminal, tap_id), if that tap was ever decided."""
        tap = self._find(derived_id("tap", terminal_id, tap_id), Tap)
        return TapDecision.from_dict(tap.decision) if tap else None

    def terminal_school_id(self, terminal_id: UUID) -> UUID:
        index = self._find(index_id(terminal_key(terminal_id)), Index)
        if index is None:
            raise UnknownTerminalError(f"terminal {terminal_id} is not registered")
        return index.owner_id

    def _check_terminal_kind(self, terminal_id: UUID, kind: TerminalKind) -> None:
        terminal = self.school(self.terminal_school_id(terminal_id)).terminal(terminal_id)
        if terminal["kind"] != kind or terminal["revoked"]:
            raise InvalidCommandError(f"terminal {terminal_id} is not an active {kind.value}")

    def _get(self, aggregate_id: UUID, cls: type[A], error: DomainError) -> A:
        found = self._find(aggregate_id, cls)
        if found is None:
            raise error
        return found

    def _find(self, aggregate_id: UUID, cls: type[A]) -> A | None:
        batch = _batch.get()
        aggregate = batch.get(aggregate_id) if batch is not None else None
        aggregate = aggregate or self._indexes.get(aggregate_id)
        if aggregate is None:
            repository = self.repository if cls is Account else self._plain
            try:
                aggregate = repository.get(aggregate_id)
            except AggregateNotFoundError:
                return None
            if batch is not None:
                batch[aggregate_id] = aggregate
            if isinstance(aggregate, Index) and len(self._indexes) < INDEX_MEMORY:
                self._indexes[aggregate_id] = aggregate
        return aggregate if isinstance(aggregate, cls) else None

    def _retry(self, attempt: Callable[[], T]) -> T:
        for _ in range(self.max_attempts):
            try:
                return attempt()
            except IntegrityError:
                continue
        raise ConcurrencyError(f"gave up after {self.max_attempts} conflicting attempts")

    @staticmethod
    def _position(recordings: Sequence[Any]) -> int:
        return int(recordings[-1].notification.id) if recordings else 0


def check_payload(request: TapRequest, kind: TerminalKind) -> None:
    if kind == TerminalKind.TURNSTILE:
        if request.items or request.direction is None:
            raise TapPayloadError("a turnstile tap carries a direction and no items")
    elif kind in PAYING_KINDS:
        if not request.items or request.direction is not None:
            raise TapPayloadError(f"a {kind.value} tap carries the items or the charge")
    else:
        raise TapPayloadError(f"a {kind.value} takes kiosk operations, not taps")
