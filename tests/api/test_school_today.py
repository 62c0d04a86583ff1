""" "Today" is the school's local date, and the API says which date that is: a parent's phone in
another time zone, or support in Moscow looking at a school in Vladivostok, asks the school's
day instead of reading its own clock (the web pages do)."""

from datetime import datetime
from uuid import uuid4
from zoneinfo import ZoneInfo

from identity.service import Role
from tests import clock
from tests.api.stack import Stack
from tests.builders import new_school

TODAY = "query($s: UUID!) { schoolToday(school: $s) { date timeZone } }"
ACCOUNT = "query($c: String!) { account(contractNumber: $c) { today spentToday } }"


def test_every_reader_is_told_the_schools_own_date_and_zone(
    travelled: datetime, stack: Stack
) -> None:
    novosibirsk = stack.school()
    vladivostok = new_school(stack.ledger, time_zone="Asia/Vladivostok")
    family = stack.family(novosibirsk)
    support = stack.staff(Role.SUPPORT, all_schools=True)
    stack.project()
    for world, zone in ((novosibirsk, "Asia/Novosibirsk"), (vladivostok, "Asia/Vladivostok")):
        expected = {"date": clock.now(ZoneInfo(zone)).date().isoformat(), "timeZone": zone}
        assert support.data(TODAY, s=str(world.school_id))["schoolToday"] == expected
    own = {"date": clock.today().isoformat(), "timeZone": "Asia/Novosibirsk"}
    assert family.client.data(TODAY, s=str(novosibirsk.school_id))["schoolToday"] == own
    account = family.client.data(ACCOUNT, c=family.contract)["account"]
    assert account == {"today": clock.today().isoformat(), "spentToday": "0"}


def test_a_school_not_yet_projected_is_told_from_the_ledger_and_an_unknown_one_is_refused(
    travelled: datetime, stack: Stack
) -> None:
    support = stack.staff(Role.SUPPORT, all_schools=True)
    fresh = new_school(stack.ledger, time_zone="Europe/Kaliningrad")  # not projected
    expected = {"date": clock.now(ZoneInfo("Europe/Kaliningrad")).date().isoformat(),
                "timeZone": "Europe/Kaliningrad"}  # fmt: skip
    assert support.data(TODAY, s=str(fresh.school_id))["schoolToday"] == expected
    unknown = support.gql(TODAY, s=str(uuid4()))
    assert unknown["data"] is None
    (error,) = unknown["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "unknown" in error["message"]
