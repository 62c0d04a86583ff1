"""Reading events fast: orjson for the JSON, the ledger's own transcodings for the types.

The stored bytes are what eventsourcing's `JSONTranscoder` wrote (`{"_type_", "_data_"}`
tags for UUIDs, datetimes, decimals); this reader only decodes them, with the ledger's
registered transcodings, cipher and compressor, so it reads exactly what the ledger reads.
Decoded events are shared by the projections of one process through a bounded cache, so
six projections reading the same notification decode it once.
"""

import threading
from collections import OrderedDict
from typing import Any

import orjson
from eventsourcing.persistence import JSONTranscoder, Mapper, Notification, Transcoder


class OrjsonDecoder(Transcoder):
    def __init__(self, base: JSONTranscoder) -> None:
        self.names = base.names

    def encode(self, obj: Any) -> bytes:
        raise NotImplementedError("the projections only read")

    def decode(self, data: bytes) -> Any:
        state = orjson.loads(data)
        for key, value in state.items():
            if type(value) is dict or type(value) is list:
                state[key] = self._untag(value)
        return state

    def _untag(self, o: Any) -> Any:
        if type(o) is dict:
            if len(o) == 2 and "_type_" in o and "_data_" in o:
                return self.names[o["_type_"]].decode(self._untag(o["_data_"]))
            return {k: self._untag(v) for k, v in o.items()}
        if type(o) is list:
            return [self._untag(v) for v in o]
        return o


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
