"""Reading events fast: orjson for the JSON, the ledger's own transcodings for the types.

The stored bytes are what eventsourcing's `JSONTranscoder` wrote (`{"_type_", "_data_"}`
tags for UUIDs, datetimes, decimals); this reader decodes them with the ledger's registered
transcodings, cipher and compressor, so it reads exactly what the ledger reads (the rare event
with a float, NaN or an integer beyond 64 bits, which orjson reads as a float, is read by the
ledger's own transcoder). It passes the
eventsourcing library's own transcoder test case (`tests/projections/test_transcoder.py`).
Decoded events are shared by the projections of one process through a bounded cache, so
six projections reading the same notification decode it once.
"""

import json
import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

import orjson
from eventsourcing.persistence import (
    JSONTranscoder,
    Mapper,
    Notification,
    Transcoder,
    TranscodingNotRegisteredError,
)


class _InexactError(Exception):
    """orjson read a float: it may stand for an integer beyond 64 bits."""


class OrjsonDecoder(Transcoder):
    """A `JSONTranscoder` on orjson, with the same registered transcodings.

    It decodes exactly what `JSONTranscoder` wrote; it also encodes (the library's own
    transcoder test case runs against it), writing a registered type as its tag first, so
    tuples and subclasses of dict, list, str and int keep their type when a transcoding
    for them is registered, and plain JSON types are written as `json` would.
    """

    def __init__(self, base: JSONTranscoder) -> None:
        self.base = base
        self.names = base.names
        self.types = base.types

    def encode(self, obj: Any) -> bytes:
        tagged = self._tag(obj)
        try:
            return orjson.dumps(tagged, option=orjson.OPT_NON_STR_KEYS)
        except orjson.JSONEncodeError:  # an integer beyond 64 bits: `json` writes it
            return json.dumps(tagged, separators=(",", ":"), ensure_ascii=False).encode()

    def decode(self, data: bytes) -> Any:
        try:
            return self._untag(orjson.loads(data))
        except (orjson.JSONDecodeError, _InexactError):
            # NaN or Infinity (which orjson refuses), or a float, which may be an integer
            # beyond 64 bits that orjson read as a float: read as the ledger reads it.
            return self.base.decode(data)

    def _tag(self, o: Any) -> Any:
        kind = type(o)
        if kind is str or kind is int or kind is float or kind is bool or o is None:
            return o
        if kind is dict:
            return {key: self._tag(value) for key, value in o.items()}
        if kind is list:
            return [self._tag(value) for value in o]
        transcoding = self.types.get(kind)
        if transcoding is not None:
            return {"_type_": transcoding.name, "_data_": self._tag(transcoding.encode(o))}
        if isinstance(o, dict):  # as `json` writes what it knows natively
            return {key: self._tag(value) for key, value in o.items()}
        if isinstance(o, list | tuple):
            return [self._tag(value) for value in o]
        if isinstance(o, str | int | float):  # orjson writes these subclasses natively
            return o
        raise TranscodingNotRegisteredError(
            f"Object of type {kind} is not serializable. Please define and register "
            "a custom transcoding for this type."
        )

    def _untag(self, o: Any) -> Any:
        """Replace tagged values in place; plain dicts and lists are kept, not copied."""
        items: Iterable[tuple[Any, Any]]
        if type(o) is dict:
            if "_type_" in o and "_data_" in o and len(o) == 2:
                return self._transcoding(o["_type_"]).decode(self._untag(o["_data_"]))
            items = o.items()
        elif type(o) is list:
            items = enumerate(o)
        elif type(o) is float:
            raise _InexactError
        else:
            return o
        for key, value in items:  # replacing a value keeps the dict's size: safe while iterating
            kind = type(value)
            if kind is dict or kind is list:
                o[key] = self._untag(value)
            elif kind is float:
                raise _InexactError
        return o

    def _transcoding(self, name: Any) -> Any:
        try:
            return self.names[name]
        except (KeyError, TypeError):  # unknown, or not even a name (a list, a dict)
            raise TranscodingNotRegisteredError(
                f"Data serialized with name '{name}' is not deserializable. Please register "
                "a custom transcoding for this type."
            ) from None


class DecodedCache:
    """Notification id → decoded event, the newest `size` of them, shared by threads."""

    def __init__(self, mapper: Mapper[Any], size: int = 100_000) -> None:
        base = mapper.transcoder
        transcoder = OrjsonDecoder(base) if isinstance(base, JSONTranscoder) else base
        self.mapper: Mapper[Any] = Mapper(transcoder, mapper.compressor, mapper.cipher)
        self.size = size
        self.events: OrderedDict[int, Any] = OrderedDict()
        self.lock = threading.Lock()

    def decode(self, n: Notification) -> Any:
        with self.lock:
            found = self.events.get(n.id)
        if found is not None:
            return found
        event = self.mapper.to_domain_event(n)
        with self.lock:
            self.events[n.id] = event
            while len(self.events) > self.size:
                self.events.popitem(last=False)
        return event
