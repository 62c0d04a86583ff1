"""The authenticated terminal a request acts for."""

from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True)
class Terminal:
    """An authenticated terminal and the raw body it signed."""

    terminal_id: UUID
    school_id: UUID
    kind: str
    body: bytes

    @property
    def actor(self) -> str:
        return f"terminal:{self.terminal_id}"
