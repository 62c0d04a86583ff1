"""The projections' orjson transcoder against the eventsourcing library's own transcoder test
case, every test of it (none skipped), and against the ledger's `JSONTranscoder` on data
orjson alone would misread."""

from typing import Any

import pytest
from eventsourcing.persistence import (
    JSONTranscoder,
    Transcoder,
    Transcoding,
    TranscodingNotRegisteredError,
    UUIDAsHex,
)
from eventsourcing.tests import persistence as library

from projections.decoding import OrjsonDecoder


def kept_as(kind: type, plain: type, tag: str) -> Transcoding:
    """A transcoding that writes `kind` as its plain JSON base type and reads it back."""

    class Kept(Transcoding):
        type = kind
        name = tag

        def encode(self, obj: Any) -> Any:
            return plain(obj)

        def decode(self, data: Any) -> Any:
            return kind(data)

    return Kept()


def registered(*extra: Transcoding) -> JSONTranscoder:
    base = JSONTranscoder()
    for transcoding in (
        UUIDAsHex(),
        library.CustomType1AsDict(),
        library.CustomType2AsDict(),
        *extra,
    ):
        base.register(transcoding)
    return base


class TestOrjsonDecoderPassesTheLibrarysTranscoderTestCase(library.TranscoderTestCase):
    def construct_transcoder(self) -> Transcoder:
        # The library's own JSONTranscoder skips the tuple and subclass tests; ours keeps
        # those types when a transcoding for them is registered, so it runs them all.
        return OrjsonDecoder(
            registered(
                kept_as(tuple, list, "tuple_as_list"),
                kept_as(library.Mydict, dict, "mydict"),
                kept_as(library.MyList, list, "mylist"),
                kept_as(library.MyStr, str, "mystr"),
                kept_as(library.MyInt, int, "myint"),
            )
        )


@pytest.mark.parametrize(
    "data",
    [
        b'{"a":123456789012345678901234567890}',
        b'{"a":-9223372036854775809,"b":[18446744073709551616]}',
        b'{"a":NaN,"b":Infinity,"c":-Infinity}',
        b'{"a":{"_type_":"uuid_hex","_data_":"b2723fe2c01a40d2875ea3aac6a09ff5"},"n":1}',
    ],
)
def test_what_orjson_alone_misreads_decodes_as_the_ledgers_transcoder_decodes_it(
    data: bytes,
) -> None:
    base = registered()
    decoded = OrjsonDecoder(base).decode(data)
    expected = base.decode(data)
    assert repr(decoded) == repr(expected)  # repr: NaN is not equal to itself
    assert [type(v) for v in decoded.values()] == [type(v) for v in expected.values()]


def test_an_integer_beyond_64_bits_is_encoded_as_the_ledgers_transcoder_encodes_it() -> None:
    base = registered()
    value = {"a": 2**70, "b": [-(2**64)]}
    assert OrjsonDecoder(base).encode(value) == base.encode(value)
    assert OrjsonDecoder(base).decode(base.encode(value)) == value


def test_an_unknown_tag_or_a_tag_that_is_not_a_name_is_a_transcoding_error() -> None:
    decoder = OrjsonDecoder(registered())
    for data in (b'{"_type_":"nope","_data_":1}', b'{"_type_":["x"],"_data_":1}'):
        with pytest.raises(TranscodingNotRegisteredError):
            decoder.decode(data)
