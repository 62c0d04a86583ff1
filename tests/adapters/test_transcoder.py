"""`OrjsonTranscoder` writes exactly the bytes eventsourcing's `JSONTranscoder` writes: the
stored history of every kind of account event, every character, and the values orjson would
write otherwise (left to the library's encoder)."""

import json
from datetime import UTC, datetime
from decimal import Decimal
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.persistence import JSONTranscoder

from adapters.transcoder import OrjsonTranscoder
from domain.ledger import Ledger

HISTORY = Path(__file__).parent.parent / "domain" / "stored_events.json"


@pytest.fixture(scope="module")
def pair() -> tuple[JSONTranscoder, OrjsonTranscoder]:
    """The library's transcoder and ours, with the ledger's transcodings."""
    ledger = Ledger()
    ours = OrjsonTranscoder()
    ledger.register_transcodings(ours)
    library = ledger.mapper.transcoder
    assert type(library) is JSONTranscoder, "the in-memory ledger keeps the library's"
    return library, ours


def test_every_stored_event_and_snapshot_is_written_again_byte_for_byte(
    pair: tuple[JSONTranscoder, OrjsonTranscoder],
) -> None:
    library, ours = pair
    records = [r for kind in json.loads(HISTORY.read_text()).values() for r in kind]
    assert len(records) > 40
    as_stored = 0
    for record in records:
        stored = record["state"].encode()
        state = library.decode(stored)
        assert ours.encode(state) == library.encode(state), record["topic"]
        as_stored += ours.encode(state) == stored
    assert as_stored >= len(records) - 1  # one snapshot was written by another encoder


class Colour(StrEnum):
    RED = "red"


class Size(IntEnum):
    BIG = 3


@pytest.mark.parametrize(
    "value",
    [
        {"characters": "".join(map(chr, [*range(0xD800), *range(0xE000, 0x10FFFF, 7)]))},
        {"id": uuid4(), "at": datetime(2026, 12, 5, 23, 50, tzinfo=UTC),
         "nested": [{"ids": [uuid4(), uuid4()], "none": None, "yes": True, "zero": 0}]},
        {"float": 1e16, "half": 0.5, "tuple": (1, 2), "enum": Colour.RED, "int enum": Size.BIG},
        {"big": 2**70, "small": -(2**70), "decimal": Decimal("1.10")},
        {"keys": {1: "one", None: "none"}},
        [], {}, "", 0, -(2**63), 2**64 - 1,
    ],
)  # fmt: skip
def test_any_value_is_written_as_the_library_writes_it(
    pair: tuple[JSONTranscoder, OrjsonTranscoder], value: Any
) -> None:
    library, ours = pair
    assert ours.encode(value) == library.encode(value)


def test_a_lone_surrogate_is_refused_by_both(
    pair: tuple[JSONTranscoder, OrjsonTranscoder],
) -> None:
    library, ours = pair
    for transcoder in (library, ours):
        with pytest.raises(UnicodeEncodeError):
            transcoder.encode({"bad": "\ud800"})
