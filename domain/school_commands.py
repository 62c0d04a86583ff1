"""Commands of schools and terminals: register a school, register and revoke a terminal, set
the school's offline cap.
"""

from collections.abc import Callable
from uuid import UUID

from domain.commands import Commands
from domain.errors import InvalidCommandError
from domain.index import Index, TerminalIndex, index_id, terminal_key
from domain.school import School


class SchoolCommands(Commands):
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
        return self._on_school(school_id, lambda s: s.set_offline_cap(cap))

    def revoke_terminal(self, terminal_id: UUID, reason: str) -> int:
        return self._on(
            lambda: self.school(self.terminal_school_id(terminal_id)),
            lambda s: s.revoke_terminal(terminal_id, reason),
        )

    def _on_school(self, school_id: UUID, command: Callable[[School], None]) -> int:
        return self._on(lambda: self.school(school_id), command)
