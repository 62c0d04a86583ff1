"""What every aggregate of ours shares: who acted, and deterministic ids for lookups.

The actor (terminal, operator, parent, system) is set once per request, worker message or
terminal post through `acting_as`, and stamped on every event, so audit trails name it
without the aggregates' signatures carrying it.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import fields
from typing import Any, Self
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate
from eventsourcing.domain import Snapshot as BaseSnapshot
from eventsourcing.utils import register_topic

NAMESPACE = uuid5(NAMESPACE_URL, "urn:infoshkola")

current_actor: ContextVar[str] = ContextVar("current_actor", default="system")


@contextmanager
def acting_as(actor: str) -> Iterator[None]:
    """Attribute the events recorded inside the block to `actor` ("terminal:…", "parent:…")."""
    token = current_actor.set(actor)
    try:
        yield
    finally:
        current_actor.reset(token)


def derived_id(kind: str, *parts: object) -> UUID:
    """A name-based id: the same key always gives the same aggregate id."""
    return uuid5(NAMESPACE, "/".join([kind, *(str(p) for p in parts)]))


class Recorded(Aggregate):
    """Base aggregate whose events carry the actor of the current context.

    An aggregate states its TOPIC once ("infoshkola.<name>.<Aggregate>"); its events subclass
    `Recorded.Event` (or `Recorded.Created` for the one that creates it), each with its own
    explicit TOPIC; `_create` and `trigger_event` stamp the actor. Unless it defines them, the
    aggregate gets a `Created` and a `Snapshot` class with the topics "infoshkola.<name>.Created"
    and "infoshkola.<name>.Snapshot" (the eventsourcing library wants an explicit topic on every
    event class of an aggregate that has one; tests/domain/test_stored_topics.py checks them
    all), and its base `Event` from the library.
    """

    class Event(Aggregate.Event):
        actor: str  # who acted: `acting_as`, stamped by `_create` and `trigger_event`

    def __init_subclass__(cls, **kwargs: Any) -> None:
        namespace = cls.__dict__.get("TOPIC", "").rpartition(".")[0]
        if namespace:
            for name, base in (("Created", Recorded.Created), ("Snapshot", BaseSnapshot)):
                if name not in cls.__dict__:
                    attributes = {
                        "TOPIC": f"{namespace}.{name}",
                        "__module__": cls.__module__,
                        "__qualname__": f"{cls.__qualname__}.{name}",
                    }
                    setattr(cls, name, type(name, (base,), attributes))
        super().__init_subclass__(**kwargs)
        # eventsourcing registers explicit topics of events, not of the nested Snapshot: a
        # process that never took a snapshot could not read one back without this.
        snapshot = cls.__dict__.get("Snapshot")
        if snapshot is not None and "TOPIC" in snapshot.__dict__:
            register_topic(snapshot.TOPIC, snapshot)

    @classmethod
    def _create(cls, event_class: Any, **kwargs: Any) -> Self:
        kwargs.setdefault("actor", current_actor.get())
        return super()._create(event_class, **kwargs)

    def trigger_event(self, event_class: Any, **kwargs: Any) -> None:
        kwargs.setdefault("actor", current_actor.get())
        super().trigger_event(event_class, **kwargs)


def register_events(*events: type) -> None:
    """Register the explicit TOPIC of events declared outside their aggregate's class (in the
    module of their concern), as eventsourcing does for the events declared inside it, so a
    log reader resolves them once their module is imported."""
    for event in events:
        register_topic(event.__dict__["TOPIC"], event)  # its own TOPIC, never a base's


# What every event of ours carries besides its own fields: which aggregate, its version, when,
# the aggregate's topic (a creating event) and who acted.
_RECORDED_FIELDS = frozenset(f.name for f in fields(Recorded.Created))


def own_fields(event_class: type) -> tuple[str, ...]:
    """The fields an event class declares itself (and its own bases), in declaration order."""
    return tuple(f.name for f in fields(event_class) if f.name not in _RECORDED_FIELDS)


class AssignsFields:
    """An event whose `apply` only copies: each field it declares becomes the aggregate's
    attribute of the same name, typed on the aggregate (tests/domain/test_assigned_fields.py
    checks that the aggregate declares every such field with the event's type).

    Named before the event's base (`class Revised(AssignsFields, Recorded.Event)`) so its
    `apply` is the one that runs; an event that sets more state calls `super().apply(…)`."""

    def apply(self, aggregate: Any) -> None:
        for name in own_fields(type(self)):
            setattr(aggregate, name, getattr(self, name))
