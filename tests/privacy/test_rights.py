"""A parent's rights under 152-FZ, end to end over the real API, workers and PostgreSQL:
consent recorded at activation and by a representative, withdrawal erasing what accounting
does not need; a subject access export with exactly the family's data; the access log after
an operator's tap; an erasure request filed, approved and reported to the parent."""

import json
from pathlib import Path
from typing import Any
from uuid import uuid4

import psycopg

from domain.consent import TEXTS, digest
from identity.service import Role
from tests.api.stack import Stack
from tests.audit.test_erasure import tables_holding
from tests.builders import meal
from tests.privacy.helpers import (
    CONSENT,
    activate,
    cli,
    needle,
    staff_photo,
    terminal,
    upload_photo,
)

ADD = """mutation($c: String!, $p: String!) {
  addRepresentative(contractNumber: $c, phone: $p) { __typename } }"""
CONTACT = """mutation($c: String!, $e: String) {
  changeContact(input: {contractNumber: $c, email: $e}) { position } }"""
ACCEPT = """mutation($v: String!) { acceptConsent(version: $v) {
  __typename ... on Problem { code } } }"""
WITHDRAW = """mutation { withdrawConsent(reason: "больше не пользуемся") {
  __typename ... on Problem { code message } } }"""
STATUS = """query($c: String!) { privacyRequests(contractNumber: $c) {
  status steps { number status actor reason } consents } }"""
REQUEST = """mutation($c: String!) { requestErasure(contractNumber: $c, note: "прошу удалить") {
  __typename ... on Problem { code } } }"""
APPROVE = """mutation($c: String!) { approveErasure(contractNumber: $c) {
  __typename ... on Problem { code message } } }"""
LOG = """query($c: String!) { accessLog(contractNumber: $c) {
  at actor operation accountId subjectRef } }"""


def family(stack: Stack, n: str) -> tuple[Any, Any, Any, Any]:
    world = stack.school()
    pupil = world.pupil(activate=False)
    parent = activate(stack, world, pupil, f"+71{n}")
    stack.project()  # staff find a contract through the read models
    return world, pupil, parent, stack.ledger.account(pupil.account_id)


def test_consent_at_activation_and_by_a_representative_and_withdrawal_erases_contacts(
    stack: Stack,
) -> None:
    n = needle()
    world, pupil, parent, account = family(stack, n)
    assert parent.data(ADD, c=pupil.contract_number, p=f"+72{n}")["addRepresentative"]
    grandma = stack.client()
    grandma.login(f"+72{n}", stack.password_sent_to(f"+72{n}"))
    assert grandma.data(ACCEPT, v="pd-1999")["acceptConsent"]["code"] == "CONSENT"
    assert grandma.data(ACCEPT, v=CONSENT)["acceptConsent"]["__typename"] == "Done"
    parent.data(CONTACT, c=pupil.contract_number, e=f"mail{n}@example.org")
    admin = stack.staff(Role.SCHOOL_ADMIN, world.school_id)
    photo = upload_photo(stack, admin, pupil.contract_number, b"\xff\xd8\xff" + n.encode() * 9)
    stack.services.people.put(account.pupil_ref, name=f"Петя {n}N")  # enrolment: a name

    consents = admin.data(STATUS, c=pupil.contract_number)["privacyRequests"]["consents"]
    given = [c for c in consents if c["event"] == "Given"]
    assert [c["holder"].split(":")[0] for c in given] == ["parent", "representative"]
    assert all(c["version"] == CONSENT and c["text_sha256"] == digest(CONSENT) for c in given)
    assert all(c["at"] for c in given)
    assert CONSENT in TEXTS

    answer = parent.data(WITHDRAW)["withdrawConsent"]
    assert answer["__typename"] == "Done", answer
    consents = admin.data(STATUS, c=pupil.contract_number)["privacyRequests"]["consents"]
    assert (consents[-1]["event"], consents[-1]["holder"]) == ("Withdrawn", "parent")
    with psycopg.connect(stack.database_url, autocommit=True) as conn:
        kept = tables_holding(conn, n)
    # Contacts, the photo, the representative's login: gone. The pupil's name stays for the
    # accounting of a contract still open (docs/PRIVACY.md), and it alone.
    assert kept == {"personal_data": 1}, kept
    assert stack.services.people.get(account.pupil_ref) == {"name": f"Петя {n}N"}
    assert staff_photo(stack, admin, photo).status_code == 404
    assert "accessToken" not in stack.client().login(f"+72{n}", "whatever-password")
    assert stack.ledger.account(pupil.account_id).regular == 30_000  # the money is untouched
    events: list[Any] = list(stack.ledger.repository.event_store.get(pupil.account_id))
    assert type(events[-1]).__name__ == "PersonalDataErased"
    assert events[-1].basis.startswith("согласие отозвано")


def test_subject_access_export_holds_exactly_the_familys_data(
    stack: Stack, tmp_path: Path, var_dir: Path
) -> None:
    n, other = needle(), needle()
    world, pupil, parent, account = family(stack, n)
    _, strangers, stranger, _ = family(stack, other)
    parent.data(CONTACT, c=pupil.contract_number, e=f"mail{n}@example.org")
    stranger.data(CONTACT, c=strangers.contract_number, e=f"mail{other}@example.org")
    stack.services.people.put(account.pupil_ref, name=f"Оля {n}")
    admin = stack.staff(Role.SCHOOL_ADMIN, world.school_id)
    upload_photo(stack, admin, pupil.contract_number, b"\xff\xd8\xff" + b"photo" + n.encode())

    data = parent.data("{ myPersonalData }")["myPersonalData"]
    text = json.dumps(data, ensure_ascii=False)
    assert other not in text
    assert data["login"]["phone"] == f"+71{n}"
    assert data["login"]["login_names"] == [pupil.contract_number]
    [contract] = data["contracts"]
    assert contract["contract_number"] == pupil.contract_number
    fields = {s["role"]: s["fields"] for s in contract["subjects"]}
    assert fields["pupil"]["name"] == f"Оля {n}"
    assert fields["pupil"]["photo"]["media_type"] == "image/jpeg"
    assert fields["parent"]["phone"] == f"+71{n}"
    assert fields["contact"]["email"] == f"mail{n}@example.org"
    assert [c["holder"] for c in contract["consents"]] == ["parent"]
    # Staff answer the same request from the CLI; the read is logged with their name.
    out = tmp_path / "answer.json"
    cli(stack.database_url, tmp_path / "cli.log", "privacy", "export", pupil.contract_number,
        "--by", "ivanova", "--out", str(out), INFOSHKOLA_VAR=str(var_dir))  # fmt: skip
    answered = json.loads(out.read_text(encoding="utf-8"))
    assert answered["subjects"] == contract["subjects"]
    auditor = stack.staff(Role.AUDITOR, world.school_id)
    actors = {e["actor"] for e in auditor.data(LOG, c=pupil.contract_number)["accessLog"]}
    assert "operator:ivanova" in actors


def test_the_access_log_shows_the_operators_tap_and_the_photo_read(stack: Stack) -> None:
    n = needle()
    world, pupil, _, account = family(stack, n)
    admin = stack.staff(Role.SCHOOL_ADMIN, world.school_id)
    upload_photo(stack, admin, pupil.contract_number, b"\xff\xd8\xff" + b"face" + n.encode())
    stack.services.people.put(account.pupil_ref, name=f"Ваня {n}")
    till = terminal(stack, world, "canteen_pos")
    at = stack.ledger.clock()
    shown = till.post("/terminal/v1/taps", {"tap_id": f"t-{uuid4().hex[:8]}",
                                            "card_uid": pupil.uid, "tapped_at": at.isoformat(),
                                            "items": [meal()]})  # fmt: skip
    assert shown.status_code == 200, shown.text
    assert shown.json()["pupil"]["name"] == f"Ваня {n}"
    assert till.get(shown.json()["pupil"]["photo_url"]).status_code == 200

    auditor = stack.staff(Role.AUDITOR, world.school_id)
    entries = auditor.data(LOG, c=pupil.contract_number)["accessLog"]
    actor = f"terminal:{world.terminals['canteen_pos']}"
    seen = {(e["actor"], e["operation"], e["subjectRef"]) for e in entries}
    assert (actor, "tap.pupil", account.pupil_ref) in seen
    assert (actor, "photo.terminal", account.pupil_ref) in seen
    assert all(n not in json.dumps(e) for e in entries)  # references only, never the data
    assert admin.error_code(LOG, c=pupil.contract_number) == "FORBIDDEN"


def test_a_parents_erasure_request_is_approved_carried_out_and_reported(stack: Stack) -> None:
    n = needle()
    world, pupil, parent, _ = family(stack, n)
    assert parent.data(REQUEST, c=pupil.contract_number)["requestErasure"]["__typename"] == "Done"
    again = parent.data(REQUEST, c=pupil.contract_number)["requestErasure"]
    assert again["code"] == "PRIVACY_STATE"
    support = stack.staff(Role.SUPPORT, world.school_id)
    assert support.data(STATUS, c=pupil.contract_number)["privacyRequests"]["status"] == (
        "requested"
    )
    answer = support.data(APPROVE, c=pupil.contract_number)["approveErasure"]
    assert answer["__typename"] == "Done", answer
    status = support.data(STATUS, c=pupil.contract_number)["privacyRequests"]
    assert [s["status"] for s in status["steps"]] == ["requested", "approved", "completed"]
    told = [t for t in stack.sms_to(f"+71{n}") if "удалены" in t]
    assert told == [f"Инфошкола: персональные данные по договору {pupil.contract_number} "
                    "удалены (заявление №1)."]  # fmt: skip
    with psycopg.connect(stack.database_url, autocommit=True) as conn:
        assert tables_holding(conn, n) == {}  # the message forgot the phone once sent
