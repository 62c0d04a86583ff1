"""Complete erasure (152-FZ): sentinel values planted through every interface that accepts
personal data are found nowhere after `infoshkola audit erase`: no table of the database,
no file the system wrote; balances, the hash chain and every read model still verify."""

from pathlib import Path
from typing import Any
from uuid import uuid4

import psycopg

from adapters.gateways import MessageFile
from adapters.sms import SmsFile
from audit import chain
from audit.replay import verify_aggregates, verify_read_models
from domain import casework
from identity.service import Role
from tests.api.stack import Stack
from tests.audit.test_erasure import files_holding, tables_holding
from tests.builders import meal
from tests.fakes.web_push import FakeBrowser
from tests.privacy.helpers import (
    CONSENT,
    activate,
    add_representative,
    cli,
    needle,
    staff_photo,
    tap_at_till,
    upload_photo,
)

CONTACT = """mutation($c: String!, $p: String, $e: String) {
  changeContact(input: {contractNumber: $c, phone: $p, email: $e}) {
    userErrors { code } } }"""
REFUND = """mutation($c: String!, $b: String!) {
  requestRefund(input: {contractNumber: $c, destination: BANK_DETAILS, bankDetails: $b}) {
    userErrors { code message } } }"""
ACCEPT = """mutation($v: String!) { acceptConsent(input: {version: $v}) { userErrors { code } } }"""
PUSH = """mutation($i: RegisterPushSubscriptionInput!) {
  registerPushSubscription(input: $i) { userErrors { code } } }"""


def test_sentinels_from_every_interface_are_gone_after_erasure_and_everything_verifies(
    stack: Stack, var_dir: Path, tmp_path: Path
) -> None:
    n = needle()
    phone = {k: f"+7{k}{n}" for k in range(1, 6)}  # activation, grant, representative, contact
    text = f"SENT{n}"
    world = stack.school()
    pupil = world.pupil(activate=False)
    bystander = world.pupil(deposit=40_000)
    account = stack.ledger.account(pupil.account_id)
    stack.services.people.put(account.pupil_ref, name=f"Маша {text}")  # the school's enrolment

    # Kiosk activation (the parent's phone, consent), then the parent's login by SMS.
    parent = activate(stack, world, pupil, phone[1])
    # A grant by support from the CLI to another phone (the parent changed numbers).
    log = tmp_path / "cli.log"
    cli(stack.database_url, log, "users", "grant-parent", "--contract", pupil.contract_number,
        "--phone", phone[2])  # fmt: skip
    parent = stack.client()
    parent.login(pupil.contract_number, stack.password_sent_to(phone[2]))
    # A representative, who consents from their own login; a wrong password leaves a key.
    grandma = add_representative(stack, parent, pupil.contract_number, phone[3])
    assert grandma.data(ACCEPT, v=CONSENT)["acceptConsent"] == {"userErrors": []}
    stack.client().login(phone[3], "not-the-password")
    # Contacts, twice (the earlier one must go too), and bank details for a refund.
    for p, e in ((phone[4], f"{text}@example.org"), (phone[5], f"second.{text}@example.org")):
        answer = parent.data(CONTACT, c=pupil.contract_number, p=p, e=e)
        assert answer["changeContact"]["userErrors"] == [], answer
    # A browser subscribed to push messages in the cabinet (Web Push).
    browser = FakeBrowser(f"https://push.example.org/wpush/{text}")
    subscribed = parent.data(PUSH, i={"contractNumber": pupil.contract_number,
                                      "endpoint": browser.endpoint, "p256dh": browser.p256dh,
                                      "auth": browser.auth_secret})  # fmt: skip
    assert subscribed["registerPushSubscription"]["userErrors"] == []
    # A photo uploaded by the school admin, read by staff and shown at the till.
    admin = stack.staff(Role.SCHOOL_ADMIN, world.school_id)
    photo = upload_photo(stack, admin, pupil.contract_number, b"\xff\xd8\xff" + text.encode() * 9)
    assert staff_photo(stack, admin, photo).status_code == 200
    for child in (pupil, bystander):
        world.tap("turnstile", child.uid, direction="in")
    tap_at_till(stack, world, pupil)
    world.tap("canteen_pos", bystander.uid, items=[meal()])
    refund = parent.data(REFUND, c=pupil.contract_number, b=f"40817810{n} {text}")
    assert refund["requestRefund"]["userErrors"] == [], refund
    casework.approve_refund(stack.ledger, pupil.account_id)
    casework.pay_refund(stack.ledger, pupil.account_id, f"payout-{uuid4().hex[:8]}", close=True)
    for p in phone.values():
        stack.sms_to(p)  # every message to these phones is sent (or had none)
    # The demo's transport wrote its files as the workers would have.
    demo = var_dir / "outbox" / "sms.jsonl"
    SmsFile(MessageFile(demo)).send(f"m-{uuid4()}", phone[1], "Инфошкола: пароль …")
    SmsFile(MessageFile(demo)).send(f"other-{uuid4()}", "+79990000000", "someone else")
    stack.project()
    cli(stack.database_url, log, "audit", "chain")

    with psycopg.connect(stack.database_url, autocommit=True) as conn:
        planted = tables_holding(conn, n)
    assert {"personal_data", "identity_principals", "identity_names",
            "identity_attempts"} <= set(planted), planted  # fmt: skip
    assert files_holding(var_dir, n)  # the photo and the message file
    before = {p.account_id: stack.ledger.account(p.account_id).regular for p in (pupil, bystander)}

    env = {"INFOSHKOLA_VAR": str(var_dir), "SMS_GATEWAY_URL": f"file:{demo}"}
    cli(stack.database_url, log, "audit", "erase", pupil.contract_number,
        "--basis", "заявление №17", **env)  # fmt: skip
    stack.project()
    cli(stack.database_url, log, "audit", "verify")

    with psycopg.connect(stack.database_url, autocommit=True) as conn:
        assert tables_holding(conn, n) == {}
        assert tables_holding(conn, text) == {}
        table = str(stack.ledger.recorder.events_table_name)  # type: ignore[attr-defined]
        assert chain.verify(conn, table).ok
    assert files_holding(var_dir, n) == []
    assert files_holding(tmp_path, n) == []  # the CLI's own output names no one
    assert "someone else" in demo.read_text(encoding="utf-8")  # other lines are kept
    after = {p.account_id: stack.ledger.account(p.account_id).regular for p in (pupil, bystander)}
    assert after == before
    assert verify_aggregates(stack.ledger).mismatched == []
    assert all(r.differences == 0 for r in verify_read_models(stack.ledger, stack.database_url))
    last: Any = list(stack.ledger.repository.event_store.get(pupil.account_id))[-1]
    assert type(last).__name__ == "PersonalDataErased"
    assert "accessToken" not in stack.client().login(phone[3], "x")  # no such login any more
    assert staff_photo(stack, admin, photo).status_code == 404
