"""An event that `AssignsFields` copies its fields onto the aggregate by name: mypy does not see
those assignments, so this checks what it would have, that the aggregate declares every such
field (in its `if TYPE_CHECKING:` block of state) with the type the event stores, or a union
that holds it."""

import ast
import importlib
import inspect
import pkgutil
import sys
import typing
from typing import Any

import pytest
from eventsourcing.domain import Aggregate

import domain
from domain.recorded import AssignsFields, own_fields


def assigning_events() -> list[tuple[type, type]]:
    """(aggregate, event) for every event of `domain/` that assigns its fields."""
    found = []
    for module in pkgutil.walk_packages(domain.__path__, "domain."):
        for _, cls in inspect.getmembers(importlib.import_module(module.name), inspect.isclass):
            if cls.__module__ != module.name or not issubclass(cls, Aggregate):
                continue
            for name, member in vars(cls).items():
                nested = getattr(member, "__qualname__", "") == f"{cls.__qualname__}.{name}"
                if nested and isinstance(member, type) and issubclass(member, AssignsFields):
                    found.append((cls, member))
    return found


def declared_state(aggregate: type) -> dict[str, Any]:
    """The state an aggregate (and its parts) declares under `if TYPE_CHECKING:`, evaluated."""
    state: dict[str, Any] = {}
    for cls in reversed(aggregate.__mro__):
        if not cls.__module__.startswith("domain."):
            continue
        namespace = vars(sys.modules[cls.__module__])
        body = ast.parse(inspect.getsource(cls)).body[0]
        assert isinstance(body, ast.ClassDef)
        for node in body.body:
            if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
                for line in node.body:
                    if isinstance(line, ast.AnnAssign) and isinstance(line.target, ast.Name):
                        annotation = ast.unparse(line.annotation)  # our own source, as typed
                        state[line.target.id] = eval(annotation, namespace)  # noqa: S307
    return state


EVENTS = assigning_events()


def test_some_events_assign_their_fields() -> None:
    assert len(EVENTS) >= 10


@pytest.mark.parametrize(("aggregate", "event"), EVENTS, ids=[e.__qualname__ for _, e in EVENTS])
def test_the_aggregate_declares_every_assigned_field_with_its_type(
    aggregate: type, event: type
) -> None:
    hints = typing.get_type_hints(event)
    state = declared_state(aggregate)
    for name in own_fields(event):
        assert name in state, f"{aggregate.__name__} does not declare {name}"
        declared = state[name]
        assert hints[name] in (declared, *typing.get_args(declared)), f"{name}: {declared}"
