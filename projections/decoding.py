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
        return self._untag(orjson.loads(data))

    def _untag(self, o: Any) -> Any:
        """Replace tagged values in place; plain dicts and lists are kept, not copied."""
        if type(o) is dict:
            if "_type_" in o and "_data_" in o and len(o) == 2:
                return self.names[o["_type_"]].decode(self._untag(o["_data_"]))
            for key, value in o.items():
                if type(value) is dict or type(value) is list:
                    o[key] = self._untag(value)
        elif type(o) is list:
            for i, value in enumerate(o):
                if type(value) is dict or type(value) is list:
                    o[i] = self._untag(value)
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
