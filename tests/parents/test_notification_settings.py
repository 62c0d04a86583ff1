"""Point 3: the settings a parent reads and changes are what the workers send by."""

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from domain.kinds import Channel
from tests import clock
from tests.api.stack import Family, Stack
from tests.builders import SchoolWorld, meal
from tests.workers.harness import wait_for

WORLDS: dict[str, SchoolWorld] = {}
SETTINGS = """kinds { kind channels { channel allowed enabled } } quietHours { start end }
  contact { phone email } tariff"""
READ = f"query($c: String!) {{ notificationSettings(contractNumber: $c) {{ {SETTINGS} }} }}"
CHANGE = f"""mutation($i: ChangeNotificationSettingsInput!) {{
  changeNotificationSettings(input: $i) {{ settings {{ {SETTINGS} }}
    userErrors {{ field code message }} position }} }}"""
SETUP = """mutation($c: String!, $p: String!, $e: String!) {
  t: changeTariff(input: {contractNumber: $c, tariff: SMS_PLUS}) { position }
  k: changeContact(input: {contractNumber: $c, phone: $p, email: $e}) { position } }"""


def a_parent_on_sms_plus(stack: Stack, name: str) -> tuple[Family, str, str]:
    family = stack.family(WORLDS.setdefault(name, stack.school()), deposit=30_000)
    phone, email = (
        f"+7999{abs(hash(family.contract)) % 10**7:07d}",
        (
            f"{name}-{family.contract.lower()}@parents.test"  # its own: the mailbox outlives a test
        ),
    )
    family.client.data(SETUP, c=family.contract, p=phone, e=email)
    account = stack.ledger.account(family.pupil.account_id)
    stack.services.people.put(account.parent_ref, push_token=f"push-{family.contract}")
    return family, phone, email


def change(family: Family, **fields: Any) -> dict[str, Any]:
    result: dict[str, Any] = family.client.data(
        CHANGE, i={"contractNumber": family.contract, **fields}
    )["changeNotificationSettings"]
    return result


def enabled(settings: dict[str, Any], kind: str) -> dict[str, bool]:
    found = next(k for k in settings["kinds"] if k["kind"] == kind)
    return {c["channel"]: c["enabled"] for c in found["channels"]}


def top_up_buy_and_pass(stack: Stack, worlds: dict[str, SchoolWorld], **families: Family) -> None:
    """Each family (named after its world) tops up, buys a meal and passes the turnstile;
    returns once the workers have sent every message."""
    stack.deliver()
    at = clock.now(UTC)
    for name, family in families.items():
        payment = f"bank-{family.contract}"
        stack.ledger.top_up(family.pupil.account_id, 1_000, Channel.BANK_CARD, payment)
        worlds[name].tap("canteen_pos", family.pupil.uid, items=[meal(9_000)], at=at)
        worlds[name].tap("turnstile", family.pupil.uid, direction="in", at=at)
    wait_for(lambda: stack.workers.fed_up_to_now() and stack.workers.outbox_settled(), 60, "sent")


def test_switched_off_kinds_and_quiet_hours_are_what_the_workers_send_by(
    travelled: datetime, stack: Stack
) -> None:
    loud, loud_phone, loud_email = a_parent_on_sms_plus(stack, "loud")
    quiet, quiet_phone, quiet_email = a_parent_on_sms_plus(stack, "quiet")

    before = loud.client.data(READ, c=loud.contract)["notificationSettings"]
    assert before["tariff"] == "SMS_PLUS"
    assert enabled(before, "PURCHASES") == {"EMAIL": True, "PUSH": True, "SMS": True}
    assert before["contact"] == {"phone": loud_phone, "email": loud_email}
    switched = change(loud, switches=[
        {"kind": "PURCHASES", "channel": "SMS", "enabled": False},
        {"kind": "PASSES", "channel": "PUSH", "enabled": False},
        {"kind": "PASSES", "channel": "SMS", "enabled": False},
    ])  # fmt: skip
    assert switched["userErrors"] == []
    assert enabled(switched["settings"], "PURCHASES") == {"EMAIL": True, "PUSH": True,
                                                          "SMS": False}  # fmt: skip
    # the quiet parent's quiet hours hold the present moment, whatever the day and hour
    zone = ZoneInfo("Asia/Novosibirsk")
    now = clock.now(UTC).astimezone(zone)
    start, end = (now - timedelta(hours=2)).strftime("%H:%M"), (now + timedelta(hours=2))
    hours = {"start": start, "end": end.strftime("%H:%M")}
    assert change(quiet, quietHours=hours)["settings"]["quietHours"] == hours
    alert = {"contractNumber": quiet.contract, "threshold": "25000"}
    quiet.client.data("mutation($i: SetLowBalanceThresholdInput!) { setLowBalanceThreshold("
                      "input: $i) { threshold } }", i=alert)  # fmt: skip
    # a channel the tariff does not have cannot be switched on
    loud.client.recorded("changeTariff", contractNumber=loud.contract, tariff="MOBILE")
    refused = change(loud, switches=[{"kind": "FEES", "channel": "SMS", "enabled": True}])
    assert [e["code"] for e in refused["userErrors"]] == ["channel_not_in_tariff"]
    loud.client.recorded("changeTariff", contractNumber=loud.contract, tariff="SMS_PLUS")

    top_up_buy_and_pass(stack, WORLDS, loud=loud, quiet=quiet)

    sms, push, mail = stack.workers.sms.to, stack.workers.push.to, stack.workers.smtp.to
    # loud: purchases by push only, no passes at all, top-ups on both
    assert sorted(t.split()[0] for t in push(f"push-{loud.contract}")) == ["Покупка", "Счёт"]
    assert [t.split()[0] for t in sms(loud_phone)] == ["Счёт"]
    # quiet: nothing by push or SMS in quiet hours; the low-balance alert still by e-mail
    assert push(f"push-{quiet.contract}") == []
    assert sms(quiet_phone) == []
    assert [m.subject for m in mail(quiet_email)] == ["Низкий баланс"]
