"""A class roster from CSV: every line checked, a report per line, good lines imported.

Columns (a header line first, `;` or `,` separated): `contract_number`, `class`,
`pupil_name`, `parent_name`, `parent_phone`, and optionally `card_uid` and `second_card_uid`.
Names and phones are personal data: they go to the personal-data store (`put`) and only
their references into the ledger. A dry run checks every line against the file itself (a
contract or card twice) and against the ledger (taken already) and imports nothing. An
import opens each good line's account with its cards in one transaction, so a line is either
wholly in or wholly out; a refused line says why, and never stops the others.
"""

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID, uuid4

from domain.enrolment import check_class, check_contract_number
from domain.errors import (
    CardAlreadyIssuedError,
    ContractAlreadyExistsError,
    DomainError,
    InvalidCommandError,
)
from domain.fields import CODE, NAME, scrub, text
from domain.ledger import Ledger
from domain.registrar import check_unclaimed, open_contract
from domain.tap import normalise_uid

MAX_LINES = 2000
MAX_BYTES = 512 * 1024
REQUIRED = ("contract_number", "class", "pupil_name", "parent_name", "parent_phone")
OPTIONAL = ("card_uid", "second_card_uid")
PHONE = re.compile(r"\+\d{10,15}")

PutPersonalData = Callable[..., None]  # put(subject_ref, **fields)


@dataclass(frozen=True)
class RosterLine:
    line: int
    contract_number: str
    class_name: str
    pupil_name: str
    parent_name: str
    parent_phone: str
    card_uids: tuple[str, ...]


@dataclass(frozen=True)
class LineReport:
    line: int
    contract_number: str
    status: str  # "ok" (dry run), "imported", "refused"
    code: str | None = None
    reason: str | None = None
    account_id: UUID | None = None


@dataclass(frozen=True)
class RosterReport:
    dry_run: bool
    lines: list[LineReport]

    @property
    def accepted(self) -> int:
        return sum(1 for r in self.lines if r.status != "refused")

    @property
    def refused(self) -> int:
        return sum(1 for r in self.lines if r.status == "refused")


def parse(content: str) -> tuple[list[RosterLine], list[LineReport]]:
    """Lines that are well formed, and reports for those that are not."""
    if len(content.encode()) > MAX_BYTES:
        raise InvalidCommandError(f"a roster is at most {MAX_BYTES // 1024} KiB")
    rows = content.lstrip("\ufeff").splitlines()
    if not rows:
        raise InvalidCommandError("the roster is empty")
    delimiter = ";" if rows[0].count(";") > rows[0].count(",") else ","
    reader = csv.reader(io.StringIO("\n".join(rows)), delimiter=delimiter)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except csv.Error as error:
        raise InvalidCommandError(f"the roster is not CSV: {error}") from None
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c not in REQUIRED + OPTIONAL]
    if missing or unknown:
        raise InvalidCommandError(
            f"the header needs {', '.join(REQUIRED)} (optional: {', '.join(OPTIONAL)}); "
            f"missing {missing or 'none'}, unknown {unknown or 'none'}"
        )
    good: list[RosterLine] = []
    bad: list[LineReport] = []
    try:
        rows_read = list(reader)
    except csv.Error as error:
        raise InvalidCommandError(f"the roster is not CSV: {error}") from None
    for number, row in enumerate(rows_read, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if number > MAX_LINES + 1:
            raise InvalidCommandError(f"a roster has at most {MAX_LINES} lines")
        fields = dict(zip(header, row, strict=False))
        contract = fields.get("contract_number", "").strip()
        if len(row) != len(header):
            bad.append(refused(number, contract, "columns", f"{len(row)} cells, expected "
                               f"{len(header)}"))  # fmt: skip
            continue
        try:
            good.append(check_line(number, fields))
        except DomainError as error:
            bad.append(refused(number, contract, error.code, str(error)))
    return good, bad


def check_line(number: int, fields: dict[str, str]) -> RosterLine:
    phone = fields["parent_phone"].strip().replace(" ", "").replace("-", "")
    if not PHONE.fullmatch(phone):
        raise InvalidCommandError(f"parent_phone {fields['parent_phone']!r} is not +<10-15 digits>")
    uids = tuple(
        normalise_uid(fields[c]) for c in OPTIONAL if fields.get(c, "").strip()
    )  # fmt: skip
    return RosterLine(
        line=number,
        contract_number=check_contract_number(fields["contract_number"]),
        class_name=check_class(fields["class"].strip()),
        pupil_name=text(fields["pupil_name"].strip(), NAME, what="the pupil's name"),
        parent_name=text(fields["parent_name"].strip(), NAME, what="the parent's name"),
        parent_phone=phone,
        card_uids=uids,
    )


def refused(number: int, contract: str, code: str, reason: str) -> LineReport:
    return LineReport(number, scrub(contract, CODE)[:32], "refused", code, reason)


def taken(
    ledger: Ledger, line: RosterLine, contracts: dict[str, int], cards: dict[str, int]
) -> LineReport | None:
    """Why the line cannot be imported beside the others and the ledger, if it cannot."""
    first = contracts.setdefault(line.contract_number, line.line)
    if first != line.line:
        return refused(line.line, line.contract_number, "duplicate_contract",
                       f"contract {line.contract_number} is also on line {first}")  # fmt: skip
    for uid in line.card_uids:
        owner = cards.setdefault(uid, line.line)
        if owner != line.line:
            return refused(line.line, line.contract_number, "duplicate_card",
                           f"card {uid} is also on line {owner}")  # fmt: skip
    try:
        check_unclaimed(ledger, line.contract_number, line.card_uids)
    except (ContractAlreadyExistsError, CardAlreadyIssuedError) as error:
        return refused(line.line, line.contract_number, error.code, str(error))
    return None


def import_roster(
    ledger: Ledger,
    school_id: UUID,
    content: str,
    put: PutPersonalData,
    erase: Callable[[str], object],
    dry_run: bool = True,
) -> RosterReport:
    ledger.school(school_id)  # an unknown school is refused before anything is read
    good, reports = parse(content)
    contracts: dict[str, int] = {}
    cards: dict[str, int] = {}
    for line in good:
        problem = taken(ledger, line, contracts, cards)
        if problem is not None:
            reports.append(problem)
            continue
        if dry_run:
            reports.append(LineReport(line.line, line.contract_number, "ok"))
            continue
        pupil_ref, parent_ref = f"subject:{uuid4()}", f"subject:{uuid4()}"
        put(pupil_ref, name=line.pupil_name)
        put(parent_ref, name=line.parent_name, phone=line.parent_phone)
        try:
            account_id = open_contract(ledger, school_id, line.contract_number, line.class_name,
                                       pupil_ref, parent_ref, line.card_uids)  # fmt: skip
        except DomainError as error:  # taken meanwhile: the line is out, its data too
            erase(pupil_ref)
            erase(parent_ref)
            reports.append(refused(line.line, line.contract_number, error.code, str(error)))
            continue
        reports.append(
            LineReport(line.line, line.contract_number, "imported", account_id=account_id)
        )
    return RosterReport(dry_run, sorted(reports, key=lambda r: r.line))
