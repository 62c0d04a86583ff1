"""Running a school (issue 11): enrolment, the school's settings and its terminal fleet.

Commands go through `domain.registrar`, `domain.roster`, `domain.school_settings` and
`domain.fleet`; lists come from the `roster` projection. Every field has its rule in
`permissions.RULES`.
"""

import json
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Annotated, Any, ClassVar, Protocol
from uuid import UUID

import strawberry
from strawberry import relay
from strawberry.types import Info

from adapters.terminal_auth import TerminalAuthError, enrol_terminal
from api.graphql import permissions as perm
from api.graphql.account_mutations import AccountPayload, CardInput, account_command
from api.graphql.arguments import After, AtLeast, First, SchoolId
from api.graphql.connections import PAGING, decode_key, school_node
from api.graphql.context import Context
from api.graphql.enums import Channel, TerminalKind
from api.graphql.mutations import misshapen
from api.graphql.payloads import (
    AccountInput,
    Outcome,
    Reason,
    UserError,
    applied,
    attempt,
    input_mutation,
    kept_personal,
    ledger_head,
    position_of,
    refused,
    user_error,
)
from api.graphql.queries import list_page
from api.graphql.scalars import Kopecks
from api.graphql.school_commands import SchoolInput, recorded_on, scheduled_on, school_mutation
from api.graphql.types import from_row
from domain import registrar, roster, school_settings
from domain.errors import DomainError
from domain.fields import NAME, text
from domain.fleet import rename_terminal
from domain.ledger import Ledger
from projections.roster import fleet_page, fleet_terminal, roster_entry, roster_page

MAX_ROSTER_TEXT = 512 * 1024


@strawberry.type(description="A pupil of the school's roster.")
class RosterEntry(relay.Node):
    contract_number: str = strawberry.field(description="The contract.")
    class_name: str = strawberry.field(description="The class.")
    status: str = strawberry.field(
        description="`enrolled`, `left` or `closed`."
    )  # enrolled, left, closed
    cards: int = strawberry.field(description="Cards in use.")
    opened_at: datetime = strawberry.field(description="When the contract was opened.")
    left_at: datetime | None = strawberry.field(description="When the pupil left.")
    left_reason: str | None = strawberry.field(description="Why the pupil left.")
    refund_status: str | None = strawberry.field(description="Where the balance's refund stands.")

    @classmethod
    def of(cls, r: dict[str, Any]) -> "RosterEntry":
        return from_row(cls, r, cards=int(r["cards"]))

    resolve_id, resolve_nodes = school_node(roster_entry, "Query.roster", "contract_number")


@strawberry.type(description="What became of one roster line.")
class RosterLineReport:
    line: int = strawberry.field(description="The line's number.")
    contract_number: str = strawberry.field(description="The contract it names.")
    status: str = strawberry.field(
        description="`ok` (dry run), `imported` or `refused`."
    )  # ok (dry run), imported, refused
    code: str | None = strawberry.field(description="Why refused, for programs.")
    reason: str | None = strawberry.field(description="Why refused, for people.")


@strawberry.type(description="The outcome of a roster import (or its dry run).")
class RosterImport:
    dry_run: bool = strawberry.field(description="Only checked; nothing imported.")
    accepted: int = strawberry.field(description="Lines that are (or would be) imported.")
    refused: int = strawberry.field(description="Lines refused.")
    lines: list[RosterLineReport] = strawberry.field(description="Per line.")


@strawberry.type(description="What a roster import did: its report, or why not.")
class RosterImportPayload(Outcome):
    roster_import: RosterImport | None = strawberry.field(
        description="The per-line report (each line's refusal is there); null when the roster"
        " was refused as a whole."
    )


@strawberry.type(description="The outcome of promoting a school to the next year.")
class Promotion:
    year: int = strawberry.field(description="The school year's first calendar year.")
    moved: int = strawberry.field(description="Pupils moved up a grade.")
    graduated: int = strawberry.field(description="Contracts ended after the final grade.")
    skipped: int = strawberry.field(description="Pupils whose class has no grade.")
    already_done: bool = strawberry.field(
        description="The year was already promoted; nothing changed."
    )


@strawberry.type(description="What a promotion did: its outcome, or why not.")
class PromotionPayload(Outcome):
    promotion: Promotion | None = strawberry.field(description="The outcome; null when refused.")


@strawberry.type(description="The commission on one top-up channel.")
class CommissionRate:
    channel: Channel = strawberry.field(description="The channel.")
    rate: str = strawberry.field(description="The share of the amount, as a decimal string.")


@strawberry.type(description="One change of a school setting.")
class SettingChange:
    setting: str = strawberry.field(description="Which setting.")
    value_json: str = strawberry.field(description="The new value, as JSON.")
    effective_from: date = strawberry.field(
        description="The school-local day from which it applies."
    )
    actor: str = strawberry.field(description="Who changed it.")
    at: datetime = strawberry.field(description="When.")


@strawberry.type(description="The settings in effect on a day, and every change.")
class SchoolSettings:
    school_id: UUID = strawberry.field(description="The school.")
    on: date = strawberry.field(description="The school-local date.")
    meal_overdraft: Kopecks = strawberry.field(description="How far below zero a meal may go.")
    offline_cap: Kopecks = strawberry.field(description="What a card may spend offline per day.")
    low_balance_default: Kopecks = strawberry.field(description="The default low-balance alert.")
    fee_pause_months: list[int] = strawberry.field(description="Months without the tariff fee.")
    weekend_days: list[int] = strawberry.field(description="ISO weekdays without school.")
    holidays: list[date] = strawberry.field(description="The school's holidays.")
    commission_rates: list[CommissionRate] = strawberry.field(
        description="The commission per top-up channel."
    )
    changes: list[SettingChange] = strawberry.field(
        description="Every change, scheduled ones included."
    )


@strawberry.type(description="A terminal of the school, with its traffic.")
class FleetTerminal(relay.Node):
    terminal_id: UUID = strawberry.field(description="The terminal's id.")
    kind: TerminalKind = strawberry.field(description="What it is for.")
    name: str = strawberry.field(description="Where it stands.")
    revoked: bool = strawberry.field(description="Refused from now on.")
    registered_at: datetime = strawberry.field(description="When it was registered.")
    last_post_at: datetime | None = strawberry.field(description="Its last request.")
    taps: int = strawberry.field(description="Taps it sent.")
    offline_taps: int = strawberry.field(description="Of them, made offline.")
    last_offline_at: datetime | None = strawberry.field(
        description="When its last offline tap was made."
    )
    last_offline_lag_seconds: int | None = strawberry.field(
        description="How late that tap arrived, in seconds."
    )

    @classmethod
    def of(cls, r: dict[str, Any]) -> "FleetTerminal":
        return from_row(cls, r, kind=TerminalKind(r["kind"]), name=r["label"],
                        taps=int(r["taps"]), offline_taps=int(r["offline_taps"]))  # fmt: skip

    resolve_id, resolve_nodes = school_node(fleet_terminal, "Query.terminals", "terminal_id")


@strawberry.type(description="What a command on a terminal did: the terminal, or why not.")
class TerminalPayload(Outcome):
    school_id: strawberry.Private[UUID]
    terminal_id: UUID | None = strawberry.field(description="The terminal's id; null when refused.")
    secret: str | None = strawberry.field(
        default=None,
        description="The terminal's new secret, shown this once (`registerTerminal`,"
        " `rotateTerminalSecret`); null otherwise.",
    )

    @strawberry.field(
        description="The terminal once the read model has applied the command (waits a few"
        " seconds at most); null when refused."
    )
    async def terminal(self, info: Info[Context, None]) -> FleetTerminal | None:
        if self.terminal_id is None or not await applied(info, self.position, "roster"):
            return None
        found = await info.context.services.read(fleet_terminal, str(self.terminal_id))
        return FleetTerminal.of(found) if found is not None else None


@strawberry.input(description="A command on one terminal.")
class TerminalInput:
    terminal_id: UUID = strawberry.field(description="The terminal's id.")


@strawberry.input(description="Where a terminal stands.")
class RenameTerminalInput(TerminalInput):
    does: ClassVar[str] = "School admins: where a terminal stands, as reports name it."
    name: str = strawberry.field(description="The new name.")

    def record(self, ledger: Ledger, terminal: UUID) -> int:
        return rename_terminal(ledger, terminal, self.name[:200])


@strawberry.input(description="A terminal to refuse from now on.")
class RevokeTerminalInput(TerminalInput, Reason):
    does: ClassVar[str] = "School admins: revoke a terminal; it is refused at once."

    def record(self, ledger: Ledger, terminal: UUID) -> int:
        return ledger.revoke_terminal(terminal, self.reason[:200])


@strawberry.input(description="A terminal whose secret is replaced.")
class RotateTerminalSecretInput(TerminalInput):
    pass


@strawberry.input(description="A new terminal of the school.")
class RegisterTerminalInput(SchoolInput):
    kind: TerminalKind = strawberry.field(description="What the terminal is for.")
    label: str = strawberry.field(description="Where it stands, as reports name it.")


def terminal_mutation(
    name: str,
    input_type: type,
    description: str,
    handle: Callable[[Info[Context, None], UUID, Any], Awaitable[TerminalPayload]],
) -> Any:
    """The mutation `name(input: input_type): TerminalPayload`: `handle(info, school, input)`
    once the viewer may act on the input's terminal (of `school`) at the field's rule."""

    async def authorized(info: Info[Context, None], coordinate: str, given: Any) -> Any:
        return await handle(info, await perm.terminal(info, coordinate, given.terminal_id), given)

    return input_mutation(name, input_type, TerminalPayload, description, authorized)


class TerminalCommand(Protocol):
    """An input that is a ledger command on the terminal it names: `does`, what its mutation
    does (the mutation's description), and `record`, the command."""

    does: ClassVar[str]
    terminal_id: UUID

    def record(self, ledger: Ledger, terminal: UUID) -> int:
        """Record the command on `terminal` in `ledger`: the ledger position after it."""
        ...


def terminal_command(name: str, input_type: type[TerminalCommand]) -> Any:
    """The mutation `name(input: input_type): TerminalPayload` recording the input's command
    once the viewer may act on the terminal it names."""

    async def handle(
        info: Info[Context, None], school: UUID, given: TerminalCommand
    ) -> TerminalPayload:
        ledger = info.context.services.ledger
        at, errors = await attempt(info, given.record, ledger, given.terminal_id)
        return TerminalPayload(school_id=school, terminal_id=given.terminal_id,
                               user_errors=errors, position=position_of(at))  # fmt: skip

    return terminal_mutation(name, input_type, input_type.does, handle)


async def settings_on(info: Info[Context, None], school: UUID, on: date | None) -> SchoolSettings:
    """The settings of `school` in effect on `on` (today, school-local, when None)."""
    services = info.context.services
    ledger = services.ledger

    def read() -> tuple[school_settings.Current, list[school_settings.Change], date]:
        found = ledger.school(school)
        day = on or found.local_date(services.now())
        rates = dict(ledger.commission_rates)
        now = school_settings.current(found, day, ledger.offline_cap, rates)
        return now, school_settings.history(ledger, school), day

    now, changes, day = await services.run(read)
    return SchoolSettings(
        school_id=school,
        on=day,
        meal_overdraft=Kopecks(now.meal_overdraft),
        offline_cap=Kopecks(now.offline_cap),
        low_balance_default=Kopecks(now.low_balance_default),
        fee_pause_months=now.fee_pause_months,
        weekend_days=now.weekend_days,
        holidays=[date.fromisoformat(h) for h in now.holidays],
        commission_rates=[
            CommissionRate(channel=Channel(c), rate=r)
            for c, r in sorted(now.commission_rates.items())
        ],
        changes=[
            SettingChange(
                setting=c.setting,
                value_json=json.dumps(c.value, ensure_ascii=False, sort_keys=True),
                effective_from=date.fromisoformat(c.effective_from),
                actor=c.actor,
                at=c.at,
            )
            for c in changes
        ],
    )


@strawberry.type(description="What a change of a school setting did: the settings, or why not.")
class SchoolSettingsPayload(Outcome):
    school_id: strawberry.Private[UUID]
    on: strawberry.Private[date | None]

    @strawberry.field(
        description="The school's settings from the day the change applies; null when refused."
    )
    async def settings(self, info: Info[Context, None]) -> SchoolSettings | None:
        if self.position is None:
            return None
        return await settings_on(info, self.school_id, self.on)


@strawberry.input(description="A change of a school setting from a school-local day.")
class SchoolSettingInput(SchoolInput):
    effective_from: date = strawberry.field(
        description="The school-local day from which it applies (today or later)."
    )


@strawberry.input(description="The meal-only overdraft.")
class SetMealOverdraftInput(SchoolSettingInput):
    does: ClassVar[str] = "School admins: the meal-only overdraft."
    amount: Kopecks = strawberry.field(
        description="How far below zero a meal may take the balance."
    )

    def change(self) -> tuple[str, object]:
        return school_settings.OVERDRAFT, int(self.amount)


@strawberry.input(description="The school's calendar.")
class SetSchoolCalendarInput(SchoolSettingInput):
    does: ClassVar[str] = "School admins: weekend days (ISO 1-7) and holidays."
    weekend_days: list[int] = strawberry.field(
        description="ISO weekdays (1 Monday … 7 Sunday) without school."
    )
    holidays: list[date] = strawberry.field(description="The school's holidays.")

    def change(self) -> tuple[str, object]:
        holidays = [h.isoformat() for h in self.holidays]
        return school_settings.CALENDAR, {"weekend_days": self.weekend_days, "holidays": holidays}


@strawberry.input(description="Months without a tariff fee.")
class SetFeePauseInput(SchoolSettingInput):
    does: ClassVar[str] = "School admins: months without a tariff fee (summer)."
    months: list[int] = strawberry.field(description="Months (1-12) without the tariff fee.")

    def change(self) -> tuple[str, object]:
        return school_settings.FEE_PAUSE, self.months


@strawberry.input(description="The commission on one top-up channel.")
class SetCommissionRateInput(SchoolSettingInput):
    does: ClassVar[str] = "Support: the commission on one top-up channel, e.g. 0.05."
    channel: Channel = strawberry.field(description="The top-up channel the rate is for.")
    rate: str = strawberry.field(
        description="The share of the amount, a decimal string such as `0.025`."
    )

    def change(self) -> tuple[str, object]:
        return school_settings.commission_setting(self.channel.value), self.rate[:20]


@strawberry.input(description="What a card may spend offline per day.")
class SetOfflineCapInput(SchoolSettingInput):
    does: ClassVar[str] = "School admins: what a card may spend offline per day."
    cap: Kopecks = strawberry.field(description="The most a card may spend offline per day.")

    def change(self) -> tuple[str, object]:
        return school_settings.OFFLINE_CAP, int(self.cap)


@strawberry.input(description="The default low-balance alert.")
class SetLowBalanceDefaultInput(SchoolSettingInput):
    does: ClassVar[str] = (
        "School admins: the low-balance alert for parents who set none themselves."
    )
    threshold: Kopecks = strawberry.field(description="Alert below this balance.")

    def change(self) -> tuple[str, object]:
        return school_settings.LOW_BALANCE, int(self.threshold)


@strawberry.input(description="The e-mail told of every new dispute.")
class SetCaseworkContactInput(SchoolInput):
    email: str = strawberry.field(description="The e-mail address (kept as personal data).")


@strawberry.input(description="A new pupil's contract.")
class OpenContractInput(SchoolInput):
    new_contract_number: str = strawberry.field(description="The contract number to open.")
    class_name: str = strawberry.field(description="The pupil's class, e.g. `5А`.")
    pupil_name: str = strawberry.field(description="The pupil's full name (personal data).")
    parent_name: str = strawberry.field(description="The parent's full name (personal data).")
    parent_phone: str = strawberry.field(
        description="The parent's phone, +<10-15 digits> (personal data)."
    )
    card_uids: list[str] | None = strawberry.field(
        default=None, description="UIDs of cards to issue at once (none when absent)."
    )


@strawberry.input(description="A class roster to check or import.")
class ImportRosterInput(SchoolInput):
    csv: str = strawberry.field(description="The roster: a header line, then one pupil per line.")
    dry_run: bool = strawberry.field(
        default=True, description="Only check every line; import nothing (the default)."
    )


@strawberry.input(description="The year's promotion of a school.")
class PromoteSchoolInput(SchoolInput):
    year: int = strawberry.field(description="The calendar year the school year starts in.")
    final_grade: int = strawberry.field(
        default=11, description="The school's last grade: its contracts end."
    )


@strawberry.input(description="A first or second card.")
class IssueCardInput(CardInput):
    does: ClassVar[str] = "School admins and support: a first or second card."

    def record(self, ledger: Ledger, account: UUID) -> int:
        return ledger.issue_card(account, self.uid)


@strawberry.input(description="A pupil's move to another class.")
class MoveClassInput(AccountInput):
    does: ClassVar[str] = "School admins: move a pupil to another class."
    class_name: str = strawberry.field(description="The new class, e.g. `6Б`.")
    reason: str = strawberry.field(default="transfer", description="Why (a transfer by default).")

    def record(self, ledger: Ledger, account: UUID) -> int:
        return registrar.move_class(ledger, account, self.class_name, self.reason[:500])


@strawberry.input(description="A pupil leaving the school.")
class EndContractInput(AccountInput, Reason):
    does: ClassVar[str] = (
        "School admins: the pupil leaves; cards stop and the balance's refund is requested"
        " fee-free (approve and pay it in the refund queue)."
    )

    def record(self, ledger: Ledger, account: UUID) -> int:
        return registrar.end_contract(ledger, account, self.reason[:500])


def contract_people(
    input: OpenContractInput,
) -> tuple[dict[str, dict[str, str]], list[UserError]]:
    """The pupil's and the parent's personal data, or why not (printable bounded names, a
    phone +<10-15 digits>, at most two cards)."""
    given: dict[str, str] = {}
    for name, value in (
        ("pupilName", input.pupil_name),
        ("parentName", input.parent_name),
        ("parentPhone", input.parent_phone),
    ):
        try:
            given[name] = text(value, NAME, what=name)
        except DomainError as error:
            return {}, [user_error(error, ["input", name])]
    pupil = {"name": given["pupilName"]}
    parent = {"name": given["parentName"], "phone": given["parentPhone"]}
    if (wrong := misshapen("phone", parent["phone"], "input", "parentPhone")) is not None:
        return {}, [wrong]
    if len(input.card_uids or []) > 2:
        message = "a contract starts with at most two cards"
        return {}, [refused("invalid_command", message, "input", "cardUids")]
    return {"pupil": pupil, "parent": parent}, []


class SettingCommand(Protocol):
    """An input that changes a setting of the school it names from its `effective_from`:
    `does`, what its mutation does (the mutation's description), and `change`, the setting
    and its new value."""

    does: ClassVar[str]
    effective_from: date

    def change(self) -> tuple[str, object]:
        """The setting (`domain.school_settings`) and its new value."""
        ...


def setting_command(name: str, input_type: type[SettingCommand]) -> Any:
    """The mutation `name(input: input_type): SchoolSettingsPayload` changing the input's
    setting of the school it names, once the viewer is authorized for that school."""

    async def handle(
        info: Info[Context, None], school: UUID, given: SettingCommand
    ) -> SchoolSettingsPayload:
        return await scheduled(info, school, *given.change(), given.effective_from)

    return school_mutation(name, input_type, SchoolSettingsPayload, input_type.does, handle)


@strawberry.type
class SchoolAdminQuery:
    @strawberry.field(
        description=f"Staff: the school's pupils by class and contract, with who has left, {PAGING}"
    )
    async def roster(
        self,
        info: Info[Context, None],
        school: SchoolId,
        class_name: Annotated[
            str | None, strawberry.argument(description="Only this class (all when absent).")
        ] = None,
        status: Annotated[
            str | None,
            strawberry.argument(
                description="Only pupils in this status (`enrolled`, `left` or `closed`; all"
                " when absent)."
            ),
        ] = None,
        first: First = 50,
        after: After = None,
        at_least: AtLeast = None,
    ) -> relay.Connection[RosterEntry]:
        await perm.school(info, "Query.roster", school)
        return await list_page(
            info, ["roster", "cards"], at_least, first,
            roster_page, school, class_name, status, decode_key(after, 2),
            key=lambda r: (r["class_name"], r["contract_number"]),
            node=RosterEntry.of,
        )  # fmt: skip

    @strawberry.field(description="Staff: the settings in effect on a day, and every change.")
    async def school_settings(
        self,
        info: Info[Context, None],
        school: SchoolId,
        on: Annotated[
            date | None,
            strawberry.argument(description="The school-local date (today when absent)."),
        ] = None,
    ) -> SchoolSettings:
        await perm.school(info, "Query.schoolSettings", school)
        return await settings_on(info, school, on)

    @strawberry.field(
        description="Staff: the school's terminals by name, their last post and offline taps,"
        f" {PAGING}"
    )
    async def terminals(
        self,
        info: Info[Context, None],
        school: SchoolId,
        first: First = 50,
        after: After = None,
        at_least: AtLeast = None,
    ) -> relay.Connection[FleetTerminal]:
        await perm.school(info, "Query.terminals", school)
        return await list_page(
            info, ["roster"], at_least, first,
            fleet_page, school, decode_key(after, 2),
            key=lambda r: (r["label"], str(r["terminal_id"])),
            node=FleetTerminal.of,
        )  # fmt: skip


async def enrol_pupil(
    info: Info[Context, None], school: UUID, given: OpenContractInput
) -> AccountPayload:
    services = info.context.services
    people, errors = contract_people(given)
    if errors:
        return AccountPayload.refusing(errors, contract_number=given.new_contract_number)
    refs = {role: await kept_personal(info, **fields) for role, fields in people.items()}
    _, errors, at = await recorded_on(info, school, registrar.open_contract,
                                      given.new_contract_number, given.class_name,
                                      refs["pupil"], refs["parent"],
                                      list(given.card_uids or []))  # fmt: skip
    if errors:
        await services.run(lambda: [services.people.erase(r) for r in refs.values()])
    return AccountPayload(
        contract_number=given.new_contract_number, user_errors=errors, position=at
    )


async def import_csv(
    info: Info[Context, None], school: UUID, given: ImportRosterInput
) -> RosterImportPayload:
    if len(given.csv) > MAX_ROSTER_TEXT:
        error = refused("invalid_command", "the roster is too large", "input", "csv")
        return RosterImportPayload.refusing([error], roster_import=None)
    people = info.context.services.people
    report, errors, at = await recorded_on(info, school, roster.import_roster, given.csv,
                                           people.put, people.erase, given.dry_run)  # fmt: skip
    if report is None:
        return RosterImportPayload.refusing(errors, roster_import=None)
    lines = [
        RosterLineReport(
            line=r.line,
            contract_number=r.contract_number,
            status=r.status,
            code=r.code,
            reason=r.reason,
        )
        for r in report.lines
    ]
    done = RosterImport(
        dry_run=report.dry_run, accepted=report.accepted, refused=report.refused, lines=lines
    )
    return RosterImportPayload.done(at, roster_import=done)


async def promote(
    info: Info[Context, None], school: UUID, given: PromoteSchoolInput
) -> PromotionPayload:
    done, errors, at = await recorded_on(
        info, school, registrar.promote_school, given.year, given.final_grade
    )
    if done is None:
        return PromotionPayload.refusing(errors, promotion=None)
    promotion = Promotion(
        year=done.year,
        moved=len(done.moved),
        graduated=len(done.graduated),
        skipped=len(done.skipped),
        already_done=done.already_done,
    )
    return PromotionPayload.done(at, promotion=promotion)


async def casework_contact(
    info: Info[Context, None], school: UUID, given: SetCaseworkContactInput
) -> SchoolSettingsPayload:
    if (wrong := misshapen("email", given.email[:300], "input", "email")) is not None:
        return SchoolSettingsPayload.refusing([wrong], school_id=school, on=None)
    subject = await kept_personal(info, email=given.email)
    return await scheduled(info, school, school_settings.CASEWORK_CONTACT, subject, None)


async def register(
    info: Info[Context, None], school: UUID, given: RegisterTerminalInput
) -> TerminalPayload:
    secrets = info.context.services.terminal_secrets

    def enrol(ledger: Ledger, school: UUID, kind: str, label: str) -> tuple[UUID, str]:
        return enrol_terminal(ledger, secrets, school, kind, label)

    done, errors, at = await recorded_on(info, school, enrol, given.kind.value, given.label[:100])
    terminal_id, secret = done or (None, None)
    return TerminalPayload(school_id=school, terminal_id=terminal_id, secret=secret,
                           user_errors=errors, position=at)  # fmt: skip


async def rotate_secret(
    info: Info[Context, None], school: UUID, given: RotateTerminalSecretInput
) -> TerminalPayload:
    services = info.context.services
    try:
        secret = await services.run(services.terminal_secrets.rotate, given.terminal_id)
    except TerminalAuthError as error:
        problem = refused("not_found", str(error), "input", "terminalId")
        return TerminalPayload(school_id=school, terminal_id=None, user_errors=[problem])
    return TerminalPayload(school_id=school, terminal_id=given.terminal_id, secret=secret,
                           position=position_of(await ledger_head(info)))  # fmt: skip


@strawberry.type
class SchoolAdminMutation:
    open_contract = school_mutation(
        "openContract",
        OpenContractInput,
        AccountPayload,
        "School admins: a pupil's contract, with the pupil's and parent's names and the parent's"
        " phone kept as personal data beside the ledger, and optionally the cards.",
        enrol_pupil,
    )
    import_roster = school_mutation(
        "importRoster",
        ImportRosterInput,
        RosterImportPayload,
        "School admins: a class roster as CSV; `dryRun` (the default) checks every line and"
        " imports nothing. Each line is imported wholly or not at all.",
        import_csv,
    )
    issue_card = account_command("issueCard", IssueCardInput)
    move_class = account_command("moveClass", MoveClassInput)
    end_contract = account_command("endContract", EndContractInput)

    promote_school = school_mutation(
        "promoteSchool",
        PromoteSchoolInput,
        PromotionPayload,
        "School admins: every class moves up a grade for the school year starting `year`; the"
        " final grade's contracts end. Once per year.",
        promote,
    )

    # Settings: each effective from a school-local date, today or later

    set_meal_overdraft = setting_command("setMealOverdraft", SetMealOverdraftInput)
    set_school_calendar = setting_command("setSchoolCalendar", SetSchoolCalendarInput)
    set_fee_pause = setting_command("setFeePause", SetFeePauseInput)
    set_commission_rate = setting_command("setCommissionRate", SetCommissionRateInput)
    set_offline_cap = setting_command("setOfflineCap", SetOfflineCapInput)
    set_low_balance_default = setting_command("setLowBalanceDefault", SetLowBalanceDefaultInput)

    set_casework_contact = school_mutation(
        "setCaseworkContact",
        SetCaseworkContactInput,
        SchoolSettingsPayload,
        "School admins: the e-mail told of every new dispute (kept as personal data).",
        casework_contact,
    )

    # The fleet

    register_terminal = school_mutation(
        "registerTerminal",
        RegisterTerminalInput,
        TerminalPayload,
        "School admins: a new terminal; its secret is shown once.",
        register,
    )
    rename_terminal = terminal_command("renameTerminal", RenameTerminalInput)
    revoke_terminal = terminal_command("revokeTerminal", RevokeTerminalInput)

    rotate_terminal_secret = terminal_mutation(
        "rotateTerminalSecret",
        RotateTerminalSecretInput,
        "School admins: a new secret for a terminal (shown once); the old one stops.",
        rotate_secret,
    )


async def scheduled(
    info: Info[Context, None],
    school: UUID,
    setting: str,
    value: object,
    effective_from: date | None,
) -> "SchoolSettingsPayload":
    """Record the change of `setting` of `school` to `value` from `effective_from` (today
    when None) as the viewer: the payload with the settings from that day, or why not."""
    at, errors = await scheduled_on(info, school, setting, value, effective_from)
    return SchoolSettingsPayload(
        school_id=school, on=effective_from, user_errors=errors, position=at
    )
