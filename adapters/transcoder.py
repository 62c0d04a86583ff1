"""The events' JSON written by orjson, byte for byte what eventsourcing's transcoder writes.

eventsourcing's `JSONTranscoder` writes with the standard library's encoder, calling back into
Python for every UUID and datetime (its `{"_type_": …, "_data_": …}` form): a tenth of the
group commit's thread. `OrjsonTranscoder` first turns the state into plain JSON values in one
pass (the same `_type_`/`_data_` form through the same registered transcodings), then lets
orjson write it. Anything whose writing could differ between the two encoders (a float, a
tuple, a subclass of str, int, dict or list, a key that is not a string, an integer beyond
64 bits) is written by the library's encoder instead, so the stored bytes never change
(`tests/adapters/test_transcoder.py`). Reading is the library's.
"""

from typing import Any

import orjson
from eventsourcing.persistence import JSONTranscoder

# Types the standard library's encoder writes itself, never through a transcoding.
NATIVE = (str, int, float, list, tuple, dict)


class _UnusualValueError(Exception):
    """A value orjson might write otherwise than the standard library."""


class OrjsonTranscoder(JSONTranscoder):
    def encode(self, obj: Any) -> bytes:
        try:
            return orjson.dumps(self._plain(obj))
        except (_UnusualValueError, orjson.JSONEncodeError):
            return super().encode(obj)

    def _plain(self, value: Any) -> Any:
        kind = type(value)
        if kind is str or kind is int or kind is bool or value is None:
            return value
        if kind is dict:
            if not all(type(key) is str for key in value):
                raise _UnusualValueError
            return {key: self._plain(item) for key, item in value.items()}
        if kind is list:
            return [self._plain(item) for item in value]
        transcoding = self.types.get(kind)
        if transcoding is None or isinstance(value, NATIVE):
            raise _UnusualValueError
        return {"_type_": transcoding.name, "_data_": self._plain(transcoding.encode(value))}
