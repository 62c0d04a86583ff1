"""Enrolment's events and rules: class moves, the year's promotion, a contract's end.

New events of the `Account` and `School` aggregates live here (explicit topics, registered
below) so `domain/account.py` does not grow; `domain/ledger.py` imports this module so every
log reader knows them. The commands are in `domain/registrar.py`.
"""

import re

from domain.account import Account
from domain.errors import InvalidCommandError
from domain.fields import CODE, text
from domain.recorded import register_events
from domain.school import School

FINAL_GRADE = 11  # the last class of a Russian school: its pupils leave at the promotion
MAX_CONTRACT = 32
GRADE = re.compile(r"(\d{1,2})(.*)", re.DOTALL)


class ClassMoved(Account.Event):
    """The pupil moved to another class (a transfer, or the year's promotion)."""

    TOPIC = "infoshkola.enrolment.ClassMoved"
    class_name: str
    previous: str
    reason: str

    def apply(self, a: Account) -> None:
        a.class_name = self.class_name


class ContractEnded(Account.Event):
    """The child left the school (or graduated): cards stop, the balance is to be refunded."""

    TOPIC = "infoshkola.enrolment.ContractEnded"
    reason: str

    def apply(self, a: Account) -> None:
        a.contract_ended = True  # type: ignore[attr-defined]  # state of this module's event


class YearPromoted(School.Event):
    """Every class of the school moved up one grade for the school year starting `year`."""

    TOPIC = "infoshkola.enrolment.YearPromoted"
    year: int
    final_grade: int

    def apply(self, school: School) -> None:
        years = [*getattr(school, "promoted_years", []), self.year]
        school.promoted_years = years  # type: ignore[attr-defined]


register_events(ClassMoved, ContractEnded, YearPromoted)


def check_contract_number(contract_number: object) -> str:
    if not isinstance(contract_number, str):
        raise InvalidCommandError("a contract number is text")
    found = contract_number.strip()
    if not found or len(found) > MAX_CONTRACT or not found.isprintable():
        raise InvalidCommandError(f"a contract number is 1 to {MAX_CONTRACT} printable characters")
    return found


def check_class(class_name: object) -> str:
    return text(class_name, CODE, what="a class")


def next_class(class_name: str, final_grade: int = FINAL_GRADE) -> str | None:
    """ "5А" → "6А"; None when the grade is the last one (the pupil graduates). A class without
    a leading grade is refused: the school moves it by hand."""
    found = GRADE.fullmatch(class_name.strip())
    if found is None:
        raise InvalidCommandError(f"class {class_name!r} has no grade to promote")
    grade = int(found.group(1))
    if grade >= final_grade:
        return None
    return f"{grade + 1}{found.group(2)}"


def contract_ended(account: Account) -> bool:
    return bool(getattr(account, "contract_ended", False))
