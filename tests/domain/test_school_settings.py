"""School settings on a timeline (domain/school_settings.py): the value in effect on a day."""

from datetime import date

import pytest

from domain import school_settings as ss
from domain.errors import DomainError
from domain.recorded import acting_as
from domain.school import School

TODAY = date(2026, 5, 20)  # a fixed story date: the rules take `today` as an argument


def school() -> School:
    return School.register("Школа", "Город", "Europe/Berlin", 15_000, None)


def test_a_change_takes_effect_from_its_date_and_records_who() -> None:
    found = school()
    with acting_as("school_admin:1"):
        ss.schedule(found, ss.OVERDRAFT, 0, "2026-06-01", TODAY)
        ss.schedule(found, ss.FEE_PAUSE, [7, 8], TODAY, TODAY)
        ss.schedule(found, ss.commission_setting("bank_card"), "0.03", "2026-06-01", TODAY)
        ss.schedule(found, ss.CALENDAR, {"weekend_days": [7], "holidays": ["2026-06-12"]},
                    "2026-06-01", TODAY)  # fmt: skip
    assert ss.overdraft_on(found, date(2026, 5, 31)) == 15_000
    assert ss.overdraft_on(found, date(2026, 6, 1)) == 0
    assert ss.fee_paused(found, date(2026, 7, 1))
    assert not ss.fee_paused(found, date(2026, 6, 1))
    assert ss.commission_rate_on(found, "bank_card", date(2026, 5, 31), "0.05") == "0.05"
    assert ss.commission_rate_on(found, "bank_card", date(2026, 6, 2), "0.05") == "0.03"
    assert ss.calendar_on(found, date(2026, 5, 30)).is_open(date(2026, 5, 30)) is False
    assert ss.calendar_on(found, date(2026, 6, 6)).is_open(date(2026, 6, 6)) is True  # a Saturday
    assert ss.calendar_on(found, date(2026, 6, 12)).is_open(date(2026, 6, 12)) is False
    events = [e for e in found.collect_events() if isinstance(e, ss.SettingScheduled)]
    assert {e.actor for e in events} == {"school_admin:1"}


@pytest.mark.parametrize(
    ("setting", "value", "since"),
    [
        (ss.OVERDRAFT, 1, "2026-05-19"),  # the past
        (ss.OVERDRAFT, -1, "2026-05-20"),
        (ss.OFFLINE_CAP, "100", "2026-05-20"),
        (ss.FEE_PAUSE, [13], "2026-05-20"),
        (ss.CALENDAR, {"weekend_days": [8], "holidays": []}, "2026-05-20"),
        (ss.CALENDAR, {"weekend_days": [6]}, "2026-05-20"),
        ("commission:cash", "0.01", "2026-05-20"),
        (ss.commission_setting("sbp"), "0.5", "2026-05-20"),
        (ss.LOW_BALANCE, True, "2026-05-20"),
        (ss.CASEWORK_CONTACT, "office@school.test", "2026-05-20"),
        ("colour", "blue", "2026-05-20"),
    ],
)
def test_a_bad_change_is_refused(setting: str, value: object, since: str) -> None:
    with pytest.raises(DomainError):
        ss.schedule(school(), setting, value, since, TODAY)
