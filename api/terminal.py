"""The authenticated terminal a request acts for, and the shape check of its JSON bodies."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from domain.errors import InvalidCommandError, UnknownFieldError


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


def fields_of(raw: object, model: type[BaseModel]) -> Mapping[str, Any]:
    """`raw` if it is a JSON object with the fields `model` documents and no other: an unknown
    field is refused (a typo, or an attempt), a required one must be there and not null.
    The values themselves are the domain's to check."""
    what = model.__name__.removesuffix("Input").lower()
    if not isinstance(raw, dict):
        raise InvalidCommandError(f"a {what} is a JSON object")
    unknown = sorted(str(name) for name in raw if name not in model.model_fields)
    if unknown:
        raise UnknownFieldError(f"a {what} has no field {', '.join(unknown)}")
    required = (name for name, f in model.model_fields.items() if f.is_required())
    missing = [name for name in required if raw.get(name) is None]
    if missing:
        raise InvalidCommandError(f"missing: {', '.join(missing)}")
    return raw
