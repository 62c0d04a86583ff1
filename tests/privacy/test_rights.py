"""A parent's rights under 152-FZ, end to end over the real API, workers and PostgreSQL:
consent recorded at activation and by a representative, withdrawal erasing what accounting
does not need; a subject access export with exactly the family's data; the access log after
an operator's tap; an erasure request filed, approved and reported to the parent."""

import json
from pathlib import Path
from typing import Any

import psycopg

from domain.consent import TEXTS, digest
from identity.service import Role
from tests.api.stack import Client, Stack
from tests.audit.test_erasure import tables_holding
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

CONTACT = """mutation($c: String!, $e: String) {
  changeContact(input: {contractNumber: $c, email: $e}) { position } }"""
ACCEPT = """mutation($v: String!) { acceptConsent(input: {version: $v}) {
  consents { contractNumber version } userErrors { field code } position } }"""
WITHDRAW = """mutation($r: String!) { withdrawConsent(input: {reason: $r}) {
  consents { contractNumber version } userErrors { field code message } position } }"""
STATUS = """query($c: String!) { privacyRequests(contractNumber: $c) {
  status steps { number status actor reason } consents } }"""
REQUEST = """mutation($c: String!) {
  requestErasure(input: {contractNumber: $c, note: "прошу удалить"}) {
    privacyStatus { status } userErrors { field code } position } }"""
REFUSE = """mutation($c: String!, $r: String!) {
  refuseErasure(input: {contractNumber: $c, reason: $r}) {
    privacyStatus { status } userErrors { field code } position } }"""
APPROVE = """mutation($c: String!) { approveErasure(input: {contractNumber: $c}) {
  privacyStatus { status steps { status } } userErrors { code message } position } }"""
LOG = """query($c: String!, $first: Int!, $after: String) {
  accessLog(contractNumber: $c, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id at actor operation accountId subjectRef } } } }"""
NODE = """query($id: ID!) { node(id: $id) {
  ... on AccessLogEntry { actor accountId subjectRef } } }"""
REASON = "больше не пользуемся"


def log_entries(client: Client, contract: str) -> list[dict[str, Any]]:
    """The whole access log of `contract`, a page of 50 at a time."""
    return client.nodes(LOG, "accessLog", 50, c=contract)


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
    grandma = add_representative(stack, parent, pupil.contract_number, f"+72{n}")
    unknown = grandma.data(ACCEPT, v="pd-1999")["acceptConsent"]
    assert unknown == {
        "consents": [], "userErrors": [{"field": ["input", "version"], "code": "consent"}],
        "position": None,
    }  # fmt: skip
    accepted = grandma.data(ACCEPT, v=CONSENT)["acceptConsent"]
    assert accepted["userErrors"] == []
    assert accepted["consents"] == [{"contractNumber": pupil.contract_number, "version": CONSENT}]
    assert accepted["position"] is not None
    parent.data(CONTACT, c=pupil.contract_number, e=f"mail{n}@example.org")
    admin = stack.staff(Role.SCHOOL_ADMIN, world.school_id)
    photo = upload_photo(stack, admin, pupil.contract_number, b"\xff\xd8\xff" + n.encode() * 9)
    stack.services.people.put(account.pupil_ref, name=f"Петя {n}N")  # enrolment: a name
    stack.services.people.save_card(  # a card saved at a top-up, its token naming the needle
        account.parent_ref, account.id, f"tok-{n}", "4242", stack.ledger.clock()
    )

    consents = admin.data(STATUS, c=pupil.contract_number)["privacyRequests"]["consents"]
    given = [c for c in consents if c["event"] == "Given"]
    assert [c["holder"].split(":")[0] for c in given] == ["parent", "representative"]
    assert all(c["version"] == CONSENT and c["text_sha256"] == digest(CONSENT) for c in given)
    assert all(c["at"] for c in given)
    assert CONSENT in TEXTS

    blank = parent.data(WITHDRAW, r=" ")["withdrawConsent"]
    assert [(e["field"], e["code"]) for e in blank["userErrors"]] == [
        (["input", "reason"], "invalid_text")
    ]
    assert staff_photo(stack, admin, photo).status_code == 200  # refused: nothing erased yet
    answer = parent.data(WITHDRAW, r=REASON)["withdrawConsent"]
    assert answer["userErrors"] == [], answer
    assert answer["consents"] == [{"contractNumber": pupil.contract_number, "version": None}]
    again = parent.data(WITHDRAW, r=REASON)["withdrawConsent"]
    assert [(e["field"], e["code"]) for e in again["userErrors"]] == [(None, "privacy_state")]
    consents = admin.data(STATUS, c=pupil.contract_number)["privacyRequests"]["consents"]
    assert (consents[-1]["event"], consents[-1]["holder"]) == ("Withdrawn", "parent")
    with psycopg.connect(stack.database_url, autocommit=True) as conn:
        kept = tables_holding(conn, n)
    # Contacts, saved cards, the photo, the representative's login: gone. The pupil's name
    # stays for the accounting of a contract still open (docs/PRIVACY.md), and it alone.
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
    card = stack.services.people.save_card(
        account.parent_ref, account.id, f"tok-{n}", "4242", stack.ledger.clock()
    )
    admin = stack.staff(Role.SCHOOL_ADMIN, world.school_id)
    upload_photo(stack, admin, pupil.contract_number, b"\xff\xd8\xff" + b"photo" + n.encode())

    data = parent.data("{ myPersonalData }")["myPersonalData"]
    text = json.dumps(data, ensure_ascii=False)
    assert other not in text
    assert f"tok-{n}" not in text  # a saved card is shown, never the token that charges it
    assert data["login"]["phone"] == f"+71{n}"
    assert data["login"]["login_names"] == [pupil.contract_number]
    [contract] = data["contracts"]
    assert contract["contract_number"] == pupil.contract_number
    fields = {s["role"]: s["fields"] for s in contract["subjects"]}
    assert fields["pupil"]["name"] == f"Оля {n}"
    assert fields["pupil"]["photo"]["media_type"] == "image/jpeg"
    assert fields["parent"]["phone"] == f"+71{n}"
    assert fields["contact"]["email"] == f"mail{n}@example.org"
    assert fields["parent"]["saved_cards"] == [
        {"id": str(card.id), "last4": "4242", "saved_at": card.saved_at.isoformat()}
    ]
    assert [c["holder"] for c in contract["consents"]] == ["parent"]
    # Staff answer the same request from the CLI; the read is logged with their name.
    out = tmp_path / "answer.json"
    cli(stack.database_url, tmp_path / "cli.log", "privacy", "export", pupil.contract_number,
        "--by", "ivanova", "--out", str(out), INFOSHKOLA_VAR=str(var_dir))  # fmt: skip
    answered = json.loads(out.read_text(encoding="utf-8"))
    assert answered["subjects"] == contract["subjects"]
    auditor = stack.staff(Role.AUDITOR, world.school_id)
    actors = {e["actor"] for e in log_entries(auditor, pupil.contract_number)}
    assert "operator:ivanova" in actors


def test_the_access_log_shows_the_operators_tap_and_the_photo_read(stack: Stack) -> None:
    n = needle()
    world, pupil, _, account = family(stack, n)
    admin = stack.staff(Role.SCHOOL_ADMIN, world.school_id)
    upload_photo(stack, admin, pupil.contract_number, b"\xff\xd8\xff" + b"face" + n.encode())
    stack.services.people.put(account.pupil_ref, name=f"Ваня {n}")
    assert tap_at_till(stack, world, pupil)["name"] == f"Ваня {n}"

    auditor = stack.staff(Role.AUDITOR, world.school_id)
    entries = log_entries(auditor, pupil.contract_number)
    actor = f"terminal:{world.terminals['canteen_pos']}"
    seen = {(e["actor"], e["operation"], e["subjectRef"]) for e in entries}
    assert (actor, "tap.pupil", account.pupil_ref) in seen
    assert (actor, "photo.terminal", account.pupil_ref) in seen
    assert all(n not in json.dumps(e) for e in entries)  # references only, never the data
    assert admin.error_code(LOG, c=pupil.contract_number, first=10) == "FORBIDDEN"


def test_a_parents_erasure_request_is_approved_carried_out_and_reported(stack: Stack) -> None:
    n = needle()
    world, pupil, parent, account = family(stack, n)
    people = stack.services.people
    people.save_card(account.parent_ref, account.id, f"tok-{n}", "4242", stack.ledger.clock())
    requested = parent.data(REQUEST, c=pupil.contract_number)["requestErasure"]
    assert (requested["privacyStatus"], requested["userErrors"]) == ({"status": "requested"}, [])
    assert requested["position"] is not None
    again = parent.data(REQUEST, c=pupil.contract_number)["requestErasure"]
    assert again == {"privacyStatus": None, "position": None,
                     "userErrors": [{"field": None, "code": "privacy_state"}]}  # fmt: skip
    support = stack.staff(Role.SUPPORT, world.school_id)
    assert support.data(STATUS, c=pupil.contract_number)["privacyRequests"]["status"] == (
        "requested"
    )
    blank = support.data(REFUSE, c=pupil.contract_number, r=" ")["refuseErasure"]
    assert blank == {
        "privacyStatus": None, "position": None,
        "userErrors": [{"field": ["input", "reason"], "code": "invalid_text"}],
    }  # fmt: skip
    answer = support.data(APPROVE, c=pupil.contract_number)["approveErasure"]
    assert answer["userErrors"] == [], answer
    assert answer["privacyStatus"] == {
        "status": "completed",
        "steps": [{"status": "requested"}, {"status": "approved"}, {"status": "completed"}],
    }
    status = support.data(STATUS, c=pupil.contract_number)["privacyRequests"]
    assert [s["status"] for s in status["steps"]] == ["requested", "approved", "completed"]
    told = [t for t in stack.sms_to(f"+71{n}") if "удалены" in t]
    assert told == [f"Инфошкола: персональные данные по договору {pupil.contract_number} "
                    "удалены (заявление №1)."]  # fmt: skip
    with psycopg.connect(stack.database_url, autocommit=True) as conn:
        assert tables_holding(conn, n) == {}  # the message forgot the phone once sent
    assert people.saved_cards(account.parent_ref, account.id) == []  # the saved card too


def test_the_access_log_pages_newest_first_and_a_photo_check_is_a_node_of_it(
    stack: Stack,
) -> None:
    n = needle()
    world, pupil, parent, account = family(stack, n)
    admin = stack.staff(Role.SCHOOL_ADMIN, world.school_id)
    photo = upload_photo(
        stack, admin, pupil.contract_number, b"\xff\xd8\xff" + b"page" + n.encode()
    )
    parent.data("{ myPersonalData }")  # reads of the account's records
    for _ in range(2):
        assert staff_photo(stack, admin, photo).status_code == 200  # photo checks: no account
    auditor = stack.staff(Role.AUDITOR, world.school_id)
    c = pupil.contract_number

    whole = log_entries(auditor, c)
    first = auditor.data(LOG, c=c, first=2)["accessLog"]
    assert first["pageInfo"] == {"hasNextPage": True, "endCursor": first["edges"][-1]["cursor"]}
    rest = auditor.data(LOG, c=c, first=200, after=first["pageInfo"]["endCursor"])["accessLog"]
    assert rest["pageInfo"]["hasNextPage"] is False
    paged = [e["node"] for e in first["edges"] + rest["edges"]]
    assert paged == whole  # two pages: nothing twice, nothing lost, in one order
    assert len(whole) >= 4
    assert len({e["id"] for e in whole}) == len(whole)
    assert [e["at"] for e in whole] == sorted((e["at"] for e in whole), reverse=True)
    checks = [e for e in whole if e["operation"] == "photo.staff"]
    assert [(e["accountId"], e["subjectRef"]) for e in checks] == [(None, account.pupil_ref)] * 2
    assert checks == whole[:2]  # the newest
    assert any(e["accountId"] == str(pupil.account_id) for e in whole)

    refetched = auditor.data(NODE, id=checks[0]["id"])["node"]
    assert refetched == {"actor": checks[0]["actor"], "accountId": None,
                         "subjectRef": account.pupil_ref}  # fmt: skip
    assert admin.error_code(NODE, id=checks[0]["id"]) == "FORBIDDEN"  # the access log's rule
    elsewhere = stack.staff(Role.AUDITOR, stack.school().school_id)
    assert elsewhere.error_code(NODE, id=checks[0]["id"]) == "FORBIDDEN"
    assert auditor.error_code(LOG, c=c, first=2, after="bogus!") == "BAD_USER_INPUT"


def test_a_refused_erasure_request_says_why_and_may_be_filed_again(stack: Stack) -> None:
    n = needle()
    world, pupil, parent, _ = family(stack, n)
    c = pupil.contract_number
    admin = stack.staff(Role.SCHOOL_ADMIN, world.school_id)
    assert parent.data(REQUEST, c=c)["requestErasure"]["userErrors"] == []
    refused = admin.data(REFUSE, c=c, r="идёт возврат средств")["refuseErasure"]
    assert (refused["privacyStatus"], refused["userErrors"]) == ({"status": "refused"}, [])
    assert refused["position"] is not None
    nothing = admin.data(APPROVE, c=c)["approveErasure"]
    assert (nothing["privacyStatus"], nothing["position"]) == (None, None)
    assert [e["code"] for e in nothing["userErrors"]] == ["privacy_state"]
    status = admin.data(STATUS, c=c)["privacyRequests"]
    assert [(s["status"], s["reason"]) for s in status["steps"]] == [
        ("requested", None), ("refused", "идёт возврат средств"),
    ]  # fmt: skip
    again = parent.data(REQUEST, c=c)["requestErasure"]
    assert (again["privacyStatus"], again["userErrors"]) == ({"status": "requested"}, [])
