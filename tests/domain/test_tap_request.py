from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from domain.errors import (
    InvalidAmountError,
    InvalidCommandError,
    MalformedUidError,
    TapInFutureError,
    TapPayloadError,
)
from domain.money import commission, rubles
from domain.purchase import Item
from domain.tap import TapDecision, TapRequest, check_tapped_at, normalise_uid
from tests.builders import meal

NOW = datetime(2025, 9, 1, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "uid"),
    [("04:a1:b2:c3:d4:e5:f6", "04A1B2C3D4E5F6"), ("deadbeef", "DEADBEEF"),
     ("04 A1 B2 C3 D4 E5 F6 00 11 22", "04A1B2C3D4E5F6001122")],
)  # fmt: skip
def test_card_uids_are_normalised_to_upper_hex(raw: str, uid: str) -> None:
    assert normalise_uid(raw) == uid


@pytest.mark.parametrize("raw", ["", "XYZ", "04A1B2", "04A1B2C3D4E5F6A", "04A1B2C3D4E5G6", 42])
def test_malformed_uids_are_refused(raw: str) -> None:
    with pytest.raises(MalformedUidError):
        normalise_uid(raw)


def test_a_tap_dated_far_in_the_future_is_refused() -> None:
    with pytest.raises(TapInFutureError):
        check_tapped_at(NOW + timedelta(hours=1), NOW)
    assert check_tapped_at(NOW + timedelta(minutes=4), NOW)


def test_a_tap_without_a_utc_offset_is_refused() -> None:
    with pytest.raises(InvalidCommandError):
        check_tapped_at(datetime(2025, 9, 1, 5), NOW)  # noqa: DTZ001 - the point of the test


@pytest.mark.parametrize(
    ("item", "error"),
    [({"code": "A", "name": "B", "price": 0}, InvalidAmountError),
     ({"code": "A", "name": "B", "price": 10.5}, InvalidAmountError),
     ({"code": "A", "name": "B", "price": 10**9}, InvalidAmountError),
     ({"code": "A", "name": "B", "price": 100, "quantity": 0}, InvalidAmountError),
     ({"code": "", "name": "B", "price": 100}, TapPayloadError)],
)  # fmt: skip
def test_bad_items_are_typed_errors(item: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        TapRequest.parse(uuid4(), "t1", "04A1B2C3D4E5F6", NOW, items=[item])


def test_the_fingerprint_tells_a_retry_from_a_different_payload() -> None:
    terminal = uuid4()
    first = TapRequest.parse(terminal, "t1", "04A1B2C3D4E5F6", NOW, items=[meal()])
    retry = TapRequest.parse(terminal, "t1", "04:a1:b2:c3:d4:e5:f6", NOW, items=[meal()])
    other = TapRequest.parse(terminal, "t1", "04A1B2C3D4E5F6", NOW, items=[meal(9_100)])
    assert first.record_id == retry.record_id == other.record_id
    assert first.fingerprint == retry.fingerprint != other.fingerprint


def test_commission_is_rounded_half_up_once() -> None:
    assert commission(10_000, "0.05") == 500
    assert commission(1_010, "0.05") == 51  # 50.5 -> 51
    assert commission(10_000, "0") == 0
    with pytest.raises(InvalidAmountError):
        commission(100, "1.5")


def test_rubles_are_formatted_for_people() -> None:
    assert rubles(13_912) == "139,12 ₽"
    assert rubles(-5_000) == "−50,00 ₽"


def test_a_decision_is_stored_as_dataclasses_asdict_gave_it_and_shares_no_list() -> None:
    """`TapDecision.as_dict` builds the stored dict directly: the same keys in the same order
    (the event's stored bytes follow it) and its own copy of the items."""
    decision = TapDecision(
        terminal_id=str(uuid4()), tap_id="t-1", card_uid="04A1B2C3", kind="canteen_pos",
        outcome="approved", local_date="2025-09-01", account_id=str(uuid4()), amount=9000,
        from_subsidised=9000, items=[dict(meal(9000)), {"code": "tea", "name": "Tea",
        "price": 500, "quantity": 2, "meal": False}], paying_wallet="subsidised",
    )  # fmt: skip
    stored = decision.as_dict()
    assert list(stored.items()) == list(asdict(decision).items())
    item = Item("tea", "Tea", 500, 2, False)
    assert list(item.as_dict().items()) == list(asdict(item).items())
    stored["items"][0]["price"] = 1
    assert decision.items[0]["price"] == 9000
