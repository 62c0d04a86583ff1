"""A card activated at the kiosk gives the parent a login; the password and the kiosk PIN
arrive by SMS."""

from uuid import uuid4

from adapters.identity.activations import ActivationLogins
from tests.api.stack import Stack, new_phone
from tests.terminals.rig import SignedTerminal

ACTIVATIONS = "/terminal/v1/kiosk/activations"


def test_a_kiosk_activation_gives_the_parent_a_login_and_a_kiosk_pin_by_sms_once(
    stack: Stack,
) -> None:
    world = stack.school()
    pupil = world.pupil(activate=False)
    kiosk_id = world.terminals["kiosk"]
    kiosk = SignedTerminal(
        stack.http, kiosk_id, stack.services.terminal_secrets.issue(kiosk_id, world.school_id)
    )
    logins = ActivationLogins(
        stack.ledger, stack.services.people, stack.identity, stack.database_url
    )
    logins.step(limit=10_000)  # the activations of earlier tests
    phone = new_phone()
    answer = kiosk.post(
        ACTIVATIONS,
        {"card_uid": pupil.uid, "offer_version": "offer-2026", "consent_version": "pd-2026-01",
         "parent_phone": phone,
         "deposit": 10_000, "receipt_id": f"R-{uuid4().hex[:8]}"},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert phone not in answer.text
    assert logins.step() == 1
    password = stack.password_sent_to(phone)
    client = stack.client()
    assert "accessToken" in client.login(pupil.contract_number, password)
    pins = [t for t in stack.sms.to(phone) if "ПИН" in t]
    assert len(pins) == 1
    pin = pins[0].rsplit(" ", 1)[1]
    assert pin not in answer.text
    assert logins.pins.check(pupil.account_id, pin)
    assert not logins.pins.check(pupil.account_id, "0000" if pin != "0000" else "1111")
    sent = len(stack.sms.to(phone))
    assert logins.step() == 0
    assert len(stack.sms.to(phone)) == sent


def test_an_activation_waits_for_its_phone(stack: Stack) -> None:
    world = stack.school()
    pupil = world.pupil(activate=False)
    logins = ActivationLogins(
        stack.ledger, stack.services.people, stack.identity, stack.database_url
    )
    logins.step(limit=10_000)
    ref = f"subject:{uuid4()}"
    stack.ledger.activate_card(
        pupil.uid, "offer-2026", ref, 10_000, f"R-{uuid4().hex[:8]}", world.terminals["kiosk"]
    )
    assert logins.step() == 0  # no phone yet: pending
    phone = new_phone()
    stack.services.people.put(ref, phone=phone)
    assert logins.step() == 1
    assert "accessToken" in stack.client().login(
        pupil.contract_number, stack.password_sent_to(phone)
    )
