"""A message to a parent, the local time it names, and the one way an event becomes a message:
a table from event class to `Told` (kind, importance, title, and the body built from the event
and the account's `Said`), which every text module fills and `tell` reads."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from domain.account import Account
from domain.money import rubles


@dataclass(frozen=True)
class Text:
    kind: str
    importance: str
    title: str
    body: str


def local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%d.%m.%Y %H:%M")


@dataclass(frozen=True)
class Said:
    """What a message may name of the account it is about, in the school's time zone."""

    acc: str  # the contract number
    balance: str  # the regular wallet, in rubles
    zone: ZoneInfo

    def at(self, moment: datetime) -> str:
        return local(moment, self.zone)


@dataclass(frozen=True)
class Told:
    """How an event is told: `body` gives the text, or None when this one is not told; `title`
    is a string, or built from the event."""

    kind: str
    importance: str
    title: str | Callable[[Any], str]
    body: Callable[[Any, Said], str | None]


def tell(table: Mapping[Any, Told], event: Any, account: Account, zone: ZoneInfo) -> Text | None:
    """The message `table` has for `event` (or for a class it derives from), None without one."""
    told = next((table[k] for k in type(event).__mro__ if k in table), None)
    if told is None:
        return None
    body = told.body(event, Said(account.contract_number, rubles(account.regular), zone))
    if body is None:
        return None
    title = told.title if isinstance(told.title, str) else told.title(event)
    return Text(told.kind, told.importance, title, body)
