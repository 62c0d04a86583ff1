"""The terminal fleet: a terminal's name (where it stands) changes as the school moves it.

Registering and revoking are `School` events already (`domain/school.py`); renaming is here,
registered below and imported by `domain/ledger.py` for every log reader.
"""

from typing import TYPE_CHECKING
from uuid import UUID

from domain.fields import NAME, text
from domain.recorded import register_events
from domain.school import School

if TYPE_CHECKING:
    from domain.ledger import Ledger


class TerminalRenamed(School.Event):
    TOPIC = "infoshkola.fleet.TerminalRenamed"
    terminal_id: UUID
    label: str

    def apply(self, school: School) -> None:
        school.terminals[str(self.terminal_id)] = {
            **school.terminals[str(self.terminal_id)],
            "label": self.label,
        }


register_events(TerminalRenamed)


def rename_terminal(ledger: "Ledger", terminal_id: UUID, label: str) -> int:
    label = text(label, NAME, what="a terminal's name")

    def attempt() -> int:
        school = ledger.school(ledger.terminal_school_id(terminal_id))
        if school.terminal(terminal_id).get("label") == label:
            return 0
        school.trigger_event(TerminalRenamed, terminal_id=terminal_id, label=label)
        return ledger._position(ledger.save(school))

    return ledger._retry(attempt)
