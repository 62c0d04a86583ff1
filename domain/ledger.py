"""The command side: one method per command, each deciding on current state, then saving.

Every command reloads what it decides on and saves all touched aggregates in one
transaction; a version conflict (`IntegrityError`) means someone else saved first, so the
command is decided again on the new state, a bounded number of times.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar
from uuid import UUID

from domain import (  # noqa: F401 - their topics
    enrolment,
    fleet,
    preferences,
    preorder,
    preorder_book,
    school_settings,
    subsidy,
    topup,
    transfer,
)
from domain.account import Account
from domain.autopay import Autopayment  # noqa: F401 - registers its topics for log readers
from domain.clock import Clock, event_clock
from domain.consent import Consent  # noqa: F401 - registers its topics for log readers
from domain.errors import (
    CardAlreadyIssuedError,
    ContractAlreadyExistsError,
    InvalidCommandError,
    PaymentConflictError,
)
from domain.feedback import MenuFeedback, feedback_id
from domain.fields import IDENT, check_amount, check_date, text
from domain.group_commit import GroupCommit, PendingTap, TapResult
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
from domain.kinds import Channel, TerminalKind
from domain.menu import Menu, menu_id
from domain.money import DEFAULT_OFFLINE_CAP, MAX_TOP_UP, parse_rate
from domain.money import commission as commission_on
from domain.payment import Payment, payment_fingerprint, payment_record_id
from domain.privacy_request import PrivacyRequests  # noqa: F401 - registers its topics
from domain.retries import retry
from domain.school import School, check_offline_cap
from domain.tap import (
    normalise_uid,
)
from domain.tap_commands import TapCommands, check_payload

T = TypeVar("T")
__all__ = ["Ledger", "PendingTap", "TapResult", "TopUpResult", "check_payload"]

DEFAULT_COMMISSION_RATES: Mapping[str, str] = {
    Channel.KIOSK_CASH: "0",
    Channel.BANK_CARD: "0.05",
    Channel.AUTOPAY: "0.05",
    Channel.SBP: "0",
}


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


class Ledger(TapCommands):
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
        self.group_commit = GroupCommit(self)

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
        return self._with_new_card(account_id, uid, lambda a: a.issue_card(uid))

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
        return self._on_account(account_id, lambda a: a.block_card(uid, reason))

    def unblock_card(self, account_id: UUID, uid: str, reason: str) -> int:
        uid = normalise_uid(uid)
        return self._on_account(account_id, lambda a: a.unblock_card(uid, reason))

    def order_duplicate(self, account_id: UUID, blocked_uid: str, new_uid: str) -> int:
        blocked_uid, new_uid = normalise_uid(blocked_uid), normalise_uid(new_uid)
        return self._with_new_card(
            account_id, new_uid, lambda a: a.order_duplicate(blocked_uid, new_uid)
        )

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
        school = self.school(account.school_id)
        day = self.clock().astimezone(school.zone).date()
        rate = school_settings.commission_rate_on(
            school, channel, day, self.commission_rates[channel]
        )
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

    def _with_new_card(self, account_id: UUID, uid: str, command: Callable[[Account], None]) -> int:
        """`command` puts card `uid` on the account, saved with the index that claims the card."""

        def attempt() -> int:
            if self._find(index_id(card_key(uid)), Index) is not None:
                raise CardAlreadyIssuedError(f"card {uid} already belongs to an account")
            account = self.account(account_id)
            command(account)
            return self._position(self.save(account, CardIndex(uid, account.id)))

        return self._retry(attempt)

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

    def _retry(self, attempt: Callable[[], T]) -> T:
        return retry(attempt, self.max_attempts)

    @staticmethod
    def _position(recordings: Sequence[Any]) -> int:
        return int(recordings[-1].notification.id) if recordings else 0
