"""Web Push for the cabinet: a parent registers a browser's subscription through GraphQL
(validated: an https endpoint, base64url keys of the right sizes), and the real workers push
every message the parent's settings let through to a loopback push service over https,
signed with the installation's VAPID key and encrypted to the browser's keys, which the test
decrypts as the browser would. Switched-off kinds and quiet hours hold push back; a browser
its push service calls gone is forgotten; unregistering stops it."""

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests import clock
from tests.api.stack import Family, Stack
from tests.builders import SchoolWorld
from tests.fakes.web_push import TEST_VAPID, FakeBrowser
from tests.parents.test_notification_settings import change, top_up_buy_and_pass

WORLDS: dict[str, SchoolWorld] = {}
WEB_PUSH = "publicKey browsers { endpoint }"
READ = f"query($c: String!) {{ webPush(contractNumber: $c) {{ {WEB_PUSH} }} }}"
REGISTER = f"""mutation($i: RegisterPushSubscriptionInput!) {{
  registerPushSubscription(input: $i) {{ webPush {{ {WEB_PUSH} }}
    userErrors {{ field code message }} }} }}"""
UNREGISTER = f"""mutation($i: UnregisterPushSubscriptionInput!) {{
  unregisterPushSubscription(input: $i) {{ webPush {{ {WEB_PUSH} }} userErrors {{ code }} }} }}"""


def register(family: Family, browser: FakeBrowser, **wrong: str) -> dict[str, Any]:
    given = {"contractNumber": family.contract, "endpoint": browser.endpoint,
             "p256dh": browser.p256dh, "auth": browser.auth_secret, **wrong}  # fmt: skip
    result: dict[str, Any] = family.client.data(REGISTER, i=given)["registerPushSubscription"]
    return result


def endpoints(family: Family) -> list[str]:
    found = family.client.data(READ, c=family.contract)["webPush"]["browsers"]
    return [b["endpoint"] for b in found]


def a_parent_on_mobile(stack: Stack, name: str) -> Family:
    family = stack.family(WORLDS.setdefault(name, stack.school()), deposit=30_000)
    family.client.recorded("changeTariff", contractNumber=family.contract, tariff="MOBILE")
    return family


def test_a_registered_browser_gets_what_the_settings_let_through_encrypted_and_signed(
    travelled: datetime, stack: Stack
) -> None:
    service = stack.workers.web_push
    earlier = len(service.received)  # the module's push service outlives a test
    loud, quiet = a_parent_on_mobile(stack, "loud"), a_parent_on_mobile(stack, "quiet")
    phone, laptop, quiet_phone = service.browser(), service.browser(), service.browser()

    offered = loud.client.data(READ, c=loud.contract)["webPush"]
    assert offered == {"publicKey": TEST_VAPID.public_key, "browsers": []}
    # Refused, each naming its field: not https, a key of the wrong size, a short secret.
    refusals = {
        "endpoint": register(loud, phone, endpoint="http://127.0.0.1/push/x"),
        "p256dh": register(loud, phone, p256dh=phone.p256dh[:40]),
        "auth": register(loud, phone, auth="c2hvcnQ"),
    }
    for field, answer in refusals.items():
        assert answer["webPush"] is None
        assert [(e["field"], e["code"]) for e in answer["userErrors"]] == [
            (["input", field], "invalid_push_subscription")
        ]
    # A well-formed endpoint that is not at a browser's push service (an inner network).
    inner = register(loud, phone, endpoint="https://10.0.0.7/push/x")
    assert [(e["field"], e["code"]) for e in inner["userErrors"]] == [
        (["input", "endpoint"], "push_service_not_allowed")
    ]
    assert endpoints(loud) == []
    assert register(loud, laptop)["userErrors"] == []
    answer = register(loud, phone)
    assert answer["userErrors"] == []
    assert [b["endpoint"] for b in answer["webPush"]["browsers"]] == [phone.endpoint,
                                                                     laptop.endpoint]  # fmt: skip
    assert register(quiet, quiet_phone)["userErrors"] == []
    service.gone(laptop)  # the laptop's browser dropped its subscription

    # The loud parent switches passes off on push; the quiet one's quiet hours hold now.
    switched = change(loud, switches=[{"kind": "PASSES", "channel": "PUSH", "enabled": False}])
    assert switched["userErrors"] == []
    now = clock.now(UTC).astimezone(ZoneInfo("Asia/Novosibirsk"))
    hours = {"start": (now - timedelta(hours=2)).strftime("%H:%M"),
             "end": (now + timedelta(hours=2)).strftime("%H:%M")}  # fmt: skip
    assert change(quiet, quietHours=hours)["userErrors"] == []

    top_up_buy_and_pass(stack, WORLDS, loud=loud, quiet=quiet)

    assert service.refused == []  # every request had a valid VAPID token, aes128gcm and a TTL
    got = service.messages(phone)
    assert sorted(m["body"].split()[0] for m in got) == ["Покупка", "Счёт"]  # no pass
    purchase = next(m for m in got if m["body"].startswith("Покупка"))
    assert "на 90,00 ₽" in purchase["body"]
    assert purchase["title"]
    for pushed in service.received[earlier:]:
        assert pushed.vapid_key == TEST_VAPID.public_key
        assert pushed.claims["aud"] == service.url
        assert pushed.claims["sub"] == "mailto:ops@infoshkola.test"
        assert 0 < pushed.claims["exp"] - stack.ledger.clock().timestamp() <= 24 * 3600
    # The laptop's push service answered 410 Gone: the subscription is forgotten.
    assert service.messages(laptop) == []
    assert endpoints(loud) == [phone.endpoint]
    # The quiet parent heard nothing by push in quiet hours.
    assert service.messages(quiet_phone) == []
    assert not [p for p in service.received if p.path.endswith(quiet_phone.endpoint[-32:])]

    # Unregistered, the browser is forgotten; another parent cannot see or drop it.
    gone = {"contractNumber": loud.contract, "endpoint": phone.endpoint}
    assert loud.client.data(UNREGISTER, i=gone)["unregisterPushSubscription"]["webPush"][
        "browsers"
    ] == []  # fmt: skip
    assert endpoints(quiet) == [quiet_phone.endpoint]
    other = {"contractNumber": loud.contract, "endpoint": quiet_phone.endpoint}
    assert quiet.client.error_code(UNREGISTER, i=other) == "FORBIDDEN"
