"""The field rules: one shape for every value that enters an event from outside."""

from datetime import UTC, date, datetime, timedelta, timezone
from uuid import uuid4

import pytest

from domain.errors import (
    DomainError,
    InvalidAmountError,
    InvalidCommandError,
    InvalidTextError,
    InvalidTimeError,
    TapInFutureError,
    TapTooOldError,
    UnknownFieldError,
)
from domain.fields import CODE, IDENT, NAME, NOTE, check_date, scrub, text, utc_instant
from domain.menu import parse_menu_items
from domain.tap import OFFLINE_MAX_AGE, ONLINE_MAX_AGE, TapRequest, check_tapped_at
from tests.builders import meal

NOW = datetime(2026, 3, 2, 5, 30, tzinfo=UTC)
UID = "04A1B2C3D4E5F6"


@pytest.mark.parametrize(
    "hostile",
    ["Борщ\u0000", "\u0007bell", "tab\there", "line\nbreak", "\ud800lone", "rtl\u202eoverride",
     "zero\u200bwidth", "private\ue000use", "", "   ", "x" * 201, 42, None, b"bytes"],
)  # fmt: skip
def test_text_that_no_projection_could_apply_for_ever_is_refused(hostile: object) -> None:
    with pytest.raises(InvalidTextError):
        text(hostile, NAME, what="a name")


def test_text_is_stripped_and_nfc_normalised_and_keeps_any_script_and_spaces() -> None:
    assert text("  Cafe\u0301 \u00abЁлка\u00bb №\u00a01 ", NAME, what="a name") == (
        "Café «Ёлка» №\u00a01"
    )
    assert text("e\u0301", NAME, what="a name") == "\u00e9"
    assert text("x" * 200, NAME, what="a name") == "x" * 200


def test_only_notes_span_lines_and_may_be_empty() -> None:
    assert text("первая строка\nвторая", NOTE, what="a note") == "первая строка\nвторая"
    assert text("", NOTE, what="a note") == ""
    with pytest.raises(InvalidTextError):
        text("a\r\nb", NOTE, what="a note")
    with pytest.raises(InvalidTextError):
        text("a\nb", CODE, what="a code")


def test_a_key_is_refused_not_altered_when_it_is_not_in_normal_form() -> None:
    assert text("bank-42", IDENT, what="a payment id") == "bank-42"
    for altered in (" bank-42", "bank-42 ", "e\u0301"):
        with pytest.raises(InvalidTextError):
            text(altered, IDENT, what="a payment id")


def test_scrubbed_text_from_a_bank_is_made_safe_not_refused() -> None:
    assert scrub("Отказ\u0000 банка\ud800\n  код 51", NAME) == "Отказ банка? код 51"
    assert len(scrub("x" * 1_000, NAME)) == NAME.max_length


def test_times_are_converted_to_utc_and_impossible_offsets_are_typed_errors() -> None:
    novosibirsk = datetime(2026, 3, 2, 12, 30, tzinfo=timezone(timedelta(hours=7)))
    assert utc_instant(novosibirsk, what="t") == NOW
    assert utc_instant("2026-03-02T12:30:00+07:00", what="t") == NOW
    assert utc_instant("2026-03-02T12:30:00+07:00", what="t").utcoffset() == timedelta(0)
    for impossible in ("2026-03-02T12:30:00-16:00", "0001-01-01T00:00:00+14:00",
                       "9999-12-31T23:59:59-12:00", "2026-03-02T12:30:00+14:01"):  # fmt: skip
        with pytest.raises(InvalidTimeError):
            utc_instant(impossible, what="t")
    malformed: object
    for malformed in ("2026-03-02T12:30:00", "yesterday", "", 1_700_000_000, [], {}, "9" * 10_000):
        with pytest.raises(InvalidCommandError):
            utc_instant(malformed, what="t")


def test_an_online_tap_is_minutes_old_at_most_and_an_offline_one_within_the_offline_period() -> (
    None
):
    assert check_tapped_at(NOW - ONLINE_MAX_AGE, NOW) == NOW - ONLINE_MAX_AGE
    assert check_tapped_at(NOW - OFFLINE_MAX_AGE, NOW, offline=True) == NOW - OFFLINE_MAX_AGE
    with pytest.raises(TapTooOldError):
        check_tapped_at(datetime(1970, 1, 1, tzinfo=UTC), NOW)
    with pytest.raises(TapTooOldError):
        check_tapped_at(NOW - ONLINE_MAX_AGE - timedelta(seconds=1), NOW)
    with pytest.raises(TapTooOldError):
        check_tapped_at(NOW - OFFLINE_MAX_AGE - timedelta(seconds=1), NOW, offline=True)
    with pytest.raises(TapInFutureError):
        check_tapped_at(NOW + timedelta(minutes=6), NOW, offline=True)


@pytest.mark.parametrize("direction", [[], {}, ["in"], {"in": 1}, 1, "sideways"])
def test_a_direction_that_is_not_in_or_out_is_a_typed_error(direction: object) -> None:
    with pytest.raises(InvalidCommandError):
        TapRequest.parse(uuid4(), "t1", UID, NOW, direction=direction)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("item", "error"),
    [({**meal(), "pay_from": "subsidised"}, UnknownFieldError),
     ({**meal(), "name": "обед\u0000"}, InvalidTextError),
     ({**meal(), "code": 7}, InvalidTextError),
     ({**meal(), "meal": "yes"}, InvalidCommandError),
     ({**meal(), "quantity": 101}, InvalidAmountError),
     ({**meal(), "quantity": True}, InvalidAmountError),
     ("LUNCH", InvalidCommandError)],
)  # fmt: skip
def test_an_item_line_has_its_five_fields_each_of_its_shape(
    item: object, error: type[Exception]
) -> None:
    with pytest.raises(error):
        TapRequest.parse(uuid4(), "t1", UID, NOW, items=[item])  # type: ignore[list-item]


def test_a_purchase_is_bounded_in_lines_and_in_total() -> None:
    line = meal(1_000_000, quantity=100)  # each line at its own maximum
    with pytest.raises(InvalidAmountError):
        TapRequest.parse(uuid4(), "t1", UID, NOW, items=[line] * 50, offline=True)
    with pytest.raises(InvalidCommandError):
        TapRequest.parse(uuid4(), "t1", UID, NOW, items=[meal()] * 51)
    assert TapRequest.parse(uuid4(), "t1", UID, NOW, items=[meal(1_000_000, quantity=5)])


def test_the_same_instant_with_another_offset_is_the_same_tap() -> None:
    terminal = uuid4()
    utc = TapRequest.parse(terminal, "t1", UID, "2026-03-02T05:30:00+00:00", items=[meal()])
    local = TapRequest.parse(terminal, "t1", UID, "2026-03-02T12:30:00+07:00", items=[meal()])
    later = TapRequest.parse(terminal, "t1", UID, "2026-03-02T12:30:01+07:00", items=[meal()])
    assert local.tapped_at == NOW
    assert local.tapped_at.utcoffset() == timedelta(0)
    assert utc.fingerprint == local.fingerprint != later.fingerprint


@pytest.mark.parametrize(
    "line",
    [{"code": "SOUP", "name": "Борщ\u0000", "price": 6500},
     {"code": "SOUP", "name": "Борщ", "price": 6500, "allergens": ["сельдерей\u0000"]},
     {"code": "SOUP", "name": "Борщ", "price": 6500, "allergens": ["x"] * 21},
     {"code": "SOUP", "name": "Борщ", "price": 6500, "nutrition": {"kcal": float("nan")}},
     {"code": "SOUP", "name": "Борщ", "price": 6500, "nutrition": {"kcal": float("inf")}},
     {"code": "SOUP", "name": "Борщ", "price": 6500, "nutrition": [["kcal", 1]]}],
)  # fmt: skip
def test_a_menu_line_that_a_projection_could_not_hold_is_refused(line: dict[str, object]) -> None:
    with pytest.raises(DomainError):
        parse_menu_items([line])


def test_dates_stay_within_five_years_of_today() -> None:
    today = date(2026, 3, 2)
    assert check_date("2027-09-01", today, what="d") == date(2027, 9, 1)
    for far in ("0001-01-01", "9999-12-31", date(2040, 1, 1)):
        with pytest.raises(InvalidTimeError):
            check_date(far, today, what="d")
    with pytest.raises(InvalidTimeError):
        check_date("1 March", today, what="d")
