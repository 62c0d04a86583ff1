""" "Today" is the school's local date, and the API says which date that is: a parent's phone in
another time zone, or support in Moscow looking at a school in Vladivostok, asks the school's
day instead of reading its own clock (the web pages do)."""

from datetime import datetime
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
