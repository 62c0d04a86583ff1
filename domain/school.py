"""School: where terminals stand, whose clock says what "today" is, and its overdraft policy."""

from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.dispute import DEFAULT_WEEKEND, Calendar
from domain.errors import InvalidCommandError, UnknownTerminalError
from domain.fees import check_pause_months
from domain.fields import NAME, REASON, check_count, check_date, one_of, text, whole_within
from domain.kinds import TerminalKind
from domain.money import MAX_OFFLINE_CAP, MAX_OVERDRAFT
from domain.recorded import AssignsFields, Recorded

MAX_HOLIDAYS = 400


def check_time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidCommandError(f"{name!r} is not an IANA time zone") from None
    return name


def check_overdraft(amount: object) -> int:
    return check_count(amount, what="meal overdraft (kopecks)", least=0, most=MAX_OVERDRAFT)


def check_offline_cap(amount: object) -> int:
    return check_count(amount, what="an offline cap (kopecks)", least=0, most=MAX_OFFLINE_CAP)


def check_calendar_days(
    weekend_days: object, holidays: object, today: date
) -> tuple[list[int], list[str]]:
    """Weekend days (ISO weekdays, sorted, once each) and holidays (ISO dates near `today`)."""
    if not isinstance(weekend_days, list | tuple) or not all(
        whole_within(d, 1, 7) for d in weekend_days
    ):
        raise InvalidCommandError("weekend days are ISO weekdays 1 (Monday) to 7 (Sunday)")
    if not isinstance(holidays, list | tuple) or len(holidays) > MAX_HOLIDAYS:
        raise InvalidCommandError(f"holidays are a list of at most {MAX_HOLIDAYS} ISO dates")
    dates = sorted({check_date(h, today, what="a holiday").isoformat() for h in holidays})
    return sorted(set(weekend_days)), dates


class School(Recorded):
    TOPIC = "infoshkola.school.School"

    class Registered(AssignsFields, Recorded.Created):
        TOPIC = "infoshkola.school.Registered"
        name: str
        city: str
        time_zone: str
        meal_overdraft: int

        def apply(self, school: "School") -> None:
            super().apply(school)
            school.terminals = {}
            school.fee_pause_months = []
            school.weekend_days, school.holidays = list(DEFAULT_WEEKEND), []
            school.terminated = False

    class TerminalRegistered(Recorded.Event):
        TOPIC = "infoshkola.school.TerminalRegistered"
        terminal_id: UUID
        kind: str
        label: str

        def apply(self, school: "School") -> None:
            school.terminals[str(self.terminal_id)] = {"kind": self.kind, "revoked": False}

    class TerminalRevoked(Recorded.Event):
        TOPIC = "infoshkola.school.TerminalRevoked"
        terminal_id: UUID
        reason: str

        def apply(self, school: "School") -> None:
            school.terminals[str(self.terminal_id)]["revoked"] = True

    class FeePauseSet(Recorded.Event):
        """Months (1..12) in which no tariff fee is charged: the summer holidays."""

        TOPIC = "infoshkola.school.FeePauseSet"
        months: list[int]

        def apply(self, school: "School") -> None:
            school.fee_pause_months = self.months

    class CalendarSet(AssignsFields, Recorded.Event):
        """When the school is open: weekend days (ISO 1..7) and holidays (school-local dates)."""

        TOPIC = "infoshkola.school.CalendarSet"
        weekend_days: list[int]
        holidays: list[str]

    class OfflineCapSet(Recorded.Event):
        """What one card may spend per reader and day while the reader is offline: the
        readers' rule, and the server's (a late offline tap over it is a flagged debt)."""

        TOPIC = "infoshkola.school.OfflineCapSet"
        cap: int

        def apply(self, school: "School") -> None:
            school.own_offline_cap = self.cap

    class ContractTerminated(Recorded.Event):
        """The school leaves the operator: every account's refund opens, fee-free."""

        TOPIC = "infoshkola.school.ContractTerminated"
        reason: str

        def apply(self, school: "School") -> None:
            school.terminated = True

    if TYPE_CHECKING:  # state assigned by the events' apply methods
        fee_pause_months: list[int]
        weekend_days: list[int]
        holidays: list[str]
        terminated: bool
        name: str
        city: str
        time_zone: str
        meal_overdraft: int
        terminals: dict[str, dict[str, Any]]
        own_offline_cap: int

    @classmethod
    def register(
        cls, name: str, city: str, time_zone: str, meal_overdraft: int, school_id: UUID | None
    ) -> "School":
        return cls._create(
            cls.Registered,
            id=school_id or uuid4(),
            name=text(name, NAME, what="a school's name"),
            city=text(city, NAME, what="a school's city"),
            time_zone=check_time_zone(time_zone),
            meal_overdraft=check_overdraft(meal_overdraft),
        )

    def register_terminal(self, kind: str, label: str, terminal_id: UUID | None = None) -> UUID:
        kind = one_of(TerminalKind, kind, what="a terminal kind").value
        label = text(label, NAME, what="a terminal's label")
        terminal_id = terminal_id or uuid4()
        self.trigger_event(self.TerminalRegistered, terminal_id=terminal_id, kind=kind, label=label)
        return terminal_id

    def revoke_terminal(self, terminal_id: UUID, reason: str) -> None:
        reason = text(reason, REASON, what="a revocation's reason")
        if self.terminal(terminal_id)["revoked"]:
            return
        self.trigger_event(self.TerminalRevoked, terminal_id=terminal_id, reason=reason)

    def set_offline_cap(self, cap: int) -> None:
        if check_offline_cap(cap) != self.offline_cap:
            self.trigger_event(self.OfflineCapSet, cap=cap)

    @property
    def offline_cap(self) -> int | None:
        """The school's own offline cap; None: the operator's default applies."""
        return getattr(self, "own_offline_cap", None)

    def set_fee_pause(self, months: list[int]) -> None:
        months = check_pause_months(months)
        if months != self.fee_pause_months:
            self.trigger_event(self.FeePauseSet, months=months)

    def set_calendar(self, weekend_days: list[int], holidays: list[str], today: date) -> None:
        days, dates = check_calendar_days(weekend_days, holidays, today)
        self.trigger_event(self.CalendarSet, weekend_days=days, holidays=dates)

    def terminate_contract(self, reason: str) -> None:
        if getattr(self, "terminated", False):
            return
        reason = text(reason, REASON, what="a terminated contract's reason")
        self.trigger_event(self.ContractTerminated, reason=reason)

    @property
    def calendar(self) -> Calendar:
        return Calendar(
            tuple(getattr(self, "weekend_days", DEFAULT_WEEKEND)),
            frozenset(getattr(self, "holidays", ())),
        )

    def terminal(self, terminal_id: UUID) -> dict[str, Any]:
        try:
            return self.terminals[str(terminal_id)]
        except KeyError:
            raise UnknownTerminalError(f"terminal {terminal_id} is not registered") from None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def local_date(self, moment: datetime) -> date:
        """The school-local date of `moment`: the day of its daily limits, menus and reports."""
        return moment.astimezone(self.zone).date()
