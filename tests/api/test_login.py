"""Parents log in with contract number + password sent by SMS; sessions can be revoked."""

import pytest

from identity.service import IdentityError, Role
from tests.api.stack import Stack, new_phone

VIEWER = "{ viewer { role contracts { contractNumber access } } }"
ACCOUNT = """query($c: String!, $atLeast: Position) {
  account(contractNumber: $c, atLeast: $atLeast) {
    contractNumber regular dailyLimit tariff cards { uid state } }
}"""


def test_a_parent_logs_in_with_the_sms_password_and_sees_the_childs_account(stack: Stack) -> None:
    world = stack.school()
    family = stack.family(world, deposit=3_000_000_00 // 100)
    stack.project()
    viewer = family.client.data(VIEWER)["viewer"]
    assert viewer == {
        "role": "PARENT",
        "contracts": [{"contractNumber": family.contract, "access": "MANAGE"}],
    }
    account = family.client.data(ACCOUNT, c=family.contract)["account"]
    assert account["contractNumber"] == family.contract
    assert account["regular"] == "3000000"
    assert account["cards"] == [{"uid": family.pupil.uid, "state": "ACTIVE"}]


ERRORS = "userErrors { field code message }"
REFRESH = f"""mutation($t: String!) {{ refreshToken(input: {{refreshToken: $t}}) {{
  session {{ accessToken refreshToken }} {ERRORS} }} }}"""
LOGOUT = f"""mutation($every: Boolean!) {{ logout(input: {{everySession: $every}}) {{
  endedSessions {ERRORS} }} }}"""
CHANGE = f"""mutation($old: String!, $new: String!) {{
  changePassword(input: {{oldPassword: $old, newPassword: $new}}) {{ {ERRORS} }} }}"""
REQUEST_RESET = f"""mutation($u: String!) {{ requestPasswordReset(input: {{username: $u}}) {{
  {ERRORS} }} }}"""
RESET = f"""mutation($u: String!, $code: String!, $new: String!) {{
  resetPassword(input: {{username: $u, code: $code, newPassword: $new}}) {{ {ERRORS} }} }}"""
ADD_REPRESENTATIVE = f"""mutation($c: String!, $phone: String!) {{
  addRepresentative(input: {{contractNumber: $c, phone: $phone}}) {{
    representative {{ contractNumber phone access }} {ERRORS} position }} }}"""
LIMIT = """mutation($i: ChangeDailyLimitInput!) {
  changeDailyLimit(input: $i) { userErrors { code } position } }"""


def test_logout_ends_the_session_and_its_token_at_once(stack: Stack) -> None:
    family = stack.family(stack.school())
    other = stack.client()
    other.login(family.contract, family.password)
    answer = family.client.data(LOGOUT, every=False)["logout"]
    assert answer == {"endedSessions": 1, "userErrors": []}
    assert family.client.error_code(VIEWER) == "UNAUTHENTICATED"
    assert other.data(VIEWER)["viewer"]["role"] == "PARENT"  # another session lives on


def test_logout_of_every_session_ends_the_logins_other_sessions_and_no_one_elses(
    stack: Stack,
) -> None:
    world = stack.school()
    family, neighbour = stack.family(world), stack.family(world)
    other = stack.client()
    other.login(family.contract, family.password)
    answer = family.client.data(LOGOUT, every=True)["logout"]
    assert answer == {"endedSessions": 2, "userErrors": []}
    assert family.client.error_code(VIEWER) == "UNAUTHENTICATED"
    assert other.error_code(VIEWER) == "UNAUTHENTICATED"
    assert neighbour.client.data(VIEWER)["viewer"]["role"] == "PARENT"


def test_a_refresh_token_gives_a_new_access_token_once(stack: Stack) -> None:
    family = stack.family(stack.school(), login=False)
    session = family.client.login(family.contract, family.password)
    renewed = family.client.data(REFRESH, t=session["refreshToken"])["refreshToken"]
    assert renewed["userErrors"] == []
    assert renewed["session"]["refreshToken"] != session["refreshToken"]
    again = family.client.data(REFRESH, t=session["refreshToken"])["refreshToken"]
    assert again == {
        "session": None,
        "userErrors": [{"field": ["input", "refreshToken"], "code": "invalid_credentials",
                        "message": "invalid refresh token"}],
    }  # fmt: skip
    family.client.token = session["accessToken"]  # the rotated session's token is dead too
    assert family.client.error_code(VIEWER) == "UNAUTHENTICATED"
    family.client.token = renewed["session"]["accessToken"]
    assert family.client.data(VIEWER)["viewer"]["role"] == "PARENT"


def test_a_password_change_revokes_every_session(stack: Stack) -> None:
    family = stack.family(stack.school())
    other = stack.client()
    other.login(family.contract, family.password)
    wrong = family.client.data(CHANGE, old="not-it", new="new-password-1")["changePassword"]
    assert wrong["userErrors"] == [
        {
            "field": ["input", "oldPassword"],
            "code": "invalid_credentials",
            "message": "wrong password",
        }
    ]
    weak = family.client.data(CHANGE, old=family.password, new="short")["changePassword"]
    assert [(e["field"], e["code"]) for e in weak["userErrors"]] == [
        (["input", "newPassword"], "weak_password")
    ]
    assert family.client.data(VIEWER)["viewer"]["role"] == "PARENT"  # refused: nothing ended
    done = family.client.data(CHANGE, old=family.password, new="new-password-1")
    assert done["changePassword"] == {"userErrors": []}
    assert family.client.error_code(VIEWER) == "UNAUTHENTICATED"
    assert other.error_code(VIEWER) == "UNAUTHENTICATED"
    assert stack.client().login(family.contract, family.password)["code"] == "invalid_credentials"
    assert "accessToken" in stack.client().login(family.contract, "new-password-1")


def test_disabling_a_login_revokes_its_sessions_and_refuses_logins(stack: Stack) -> None:
    family = stack.family(stack.school())
    stack.identity.set_disabled(stack.identity.principal_of(family.contract), True)
    assert family.client.error_code(VIEWER) == "UNAUTHENTICATED"
    assert stack.client().login(family.contract, family.password)["code"] == "invalid_credentials"


def test_self_service_reset_by_a_one_time_sms_code(stack: Stack) -> None:
    family = stack.family(stack.school())
    asked = family.client.data(REQUEST_RESET, u=family.contract)["requestPasswordReset"]
    assert asked == {"userErrors": []}
    code = stack.code_sent_to(family.phone)
    wrong = "000000" if code != "000000" else "111111"
    bad = stack.client().data(RESET, u=family.contract, code=wrong, new="brand-new-pass")
    assert [(e["field"], e["code"]) for e in bad["resetPassword"]["userErrors"]] == [
        (["input", "code"], "invalid_reset_code")
    ]
    weak = stack.client().data(RESET, u=family.contract, code=code, new="short")
    assert [(e["field"], e["code"]) for e in weak["resetPassword"]["userErrors"]] == [
        (["input", "newPassword"], "weak_password")
    ]
    ok = stack.client().data(RESET, u=family.contract, code=code, new="brand-new-pass")
    assert ok["resetPassword"] == {"userErrors": []}
    again = stack.client().data(RESET, u=family.contract, code=code, new="another-pass-1")
    assert again["resetPassword"]["userErrors"][0]["code"] == "invalid_reset_code"  # one time
    assert family.client.error_code(VIEWER) == "UNAUTHENTICATED"
    assert stack.client().login(family.contract, family.password)["code"] == "invalid_credentials"
    assert "accessToken" in stack.client().login(family.contract, "brand-new-pass")


def test_a_reset_for_an_unknown_contract_answers_the_same_and_sends_nothing(stack: Stack) -> None:
    before = len(stack.sms.delivered())
    answer = stack.client().data(REQUEST_RESET, u="NO-SUCH-CONTRACT")["requestPasswordReset"]
    assert answer == {"userErrors": []}  # the same as for a known contract
    assert len(stack.sms.delivered()) == before


def test_reset_requests_are_throttled_the_same_for_unknown_and_known_contracts(
    stack: Stack,
) -> None:
    family = stack.family(stack.school(), login=False)
    answers = {
        name: [stack.client().data(REQUEST_RESET, u=name)["requestPasswordReset"]
               for _ in range(4)]
        for name in (family.contract, f"NO-SUCH-{family.contract}")
    }  # fmt: skip
    for found in answers.values():
        assert found[:3] == [{"userErrors": []}] * 3  # three a name, from any address
        assert [(e["field"], e["code"]) for e in found[3]["userErrors"]] == [
            (["input"], "throttled")
        ]
    known, unknown = answers.values()
    assert known == unknown


def test_one_parent_login_holds_several_children(stack: Stack) -> None:
    world = stack.school()
    first = stack.family(world)
    second = world.pupil()
    stack.identity.grant_parent(second.contract_number, second.account_id, first.phone)
    assert any(second.contract_number in t for t in stack.sms_to(first.phone))
    first.client.login(first.contract, first.password)  # fresh token: the grants are read at login
    contracts = first.client.data(VIEWER)["viewer"]["contracts"]
    assert {c["contractNumber"] for c in contracts} == {first.contract, second.contract_number}
    stack.project()
    assert first.client.data(ACCOUNT, c=second.contract_number)["account"]["regular"] == "50000"
    # the same password works with either contract number
    assert "accessToken" in stack.client().login(second.contract_number, first.password)


def test_a_representative_reads_but_never_writes(stack: Stack) -> None:
    family = stack.family(stack.school())
    grandma = "+79130000" + family.phone[-3:]
    added = family.client.data(ADD_REPRESENTATIVE, c=family.contract, phone=grandma)
    assert added["addRepresentative"]["userErrors"] == []
    assert added["addRepresentative"]["representative"] == {
        "contractNumber": family.contract, "phone": grandma, "access": "READ",
    }  # fmt: skip
    assert added["addRepresentative"]["position"] is not None
    password = stack.password_sent_to(grandma)
    client = stack.client()
    assert "accessToken" in client.login(grandma, password)
    stack.project()
    viewer = client.data(VIEWER)["viewer"]
    assert viewer == {
        "role": "REPRESENTATIVE",
        "contracts": [{"contractNumber": family.contract, "access": "READ"}],
    }
    assert client.data(ACCOUNT, c=family.contract)["account"]["contractNumber"] == family.contract
    limit = {"contractNumber": family.contract, "limit": "100"}
    assert client.error_code(LIMIT, i=limit) == "FORBIDDEN"


def test_a_representative_with_a_malformed_phone_or_a_staff_login_name_is_refused(
    stack: Stack,
) -> None:
    world = stack.school()
    family = stack.family(world)
    bad = family.client.data(ADD_REPRESENTATIVE, c=family.contract, phone="8 913 000")
    assert bad["addRepresentative"] == {
        "representative": None,
        "userErrors": [{"field": ["input", "phone"], "code": "invalid_command",
                        "message": "a phone is +<10-15 digits>"}],
        "position": None,
    }  # fmt: skip
    taken = new_phone()
    stack.identity.create_staff(taken, "staff-password-9", Role.SUPPORT, [world.school_id])
    clash = family.client.data(ADD_REPRESENTATIVE, c=family.contract, phone=taken)
    found = clash["addRepresentative"]
    assert (found["representative"], found["position"]) == (None, None)
    assert [(e["field"], e["code"]) for e in found["userErrors"]] == [
        (["input", "phone"], "login_name_taken")
    ]
    assert stack.client().login(taken, "staff-password-9")["viewer"]["role"] == "SUPPORT"


def test_throttling_answers_the_same_for_unknown_and_known_contracts(stack: Stack) -> None:
    family = stack.family(stack.school(), login=False)
    known, unknown = stack.client(), stack.client()
    known_answers = [known.login(family.contract, f"wrong-{i}") for i in range(7)]
    unknown_answers = [unknown.login("NO-SUCH-123", f"wrong-{i}") for i in range(7)]
    codes = [a["code"] for a in known_answers]
    assert codes == ["invalid_credentials"] * 5 + ["throttled"] * 2
    assert all(a["field"] == ["input"] for a in known_answers)  # the login and password together
    assert [a["code"] for a in unknown_answers] == codes
    assert [a["message"] for a in unknown_answers] == [a["message"] for a in known_answers]
    # the right password is refused too while the contract is throttled
    assert stack.client().login(family.contract, family.password)["code"] == "throttled"


def test_one_address_is_throttled_across_contracts(stack: Stack) -> None:
    client = stack.client()
    codes = [client.login(f"GUESS-{i}", "password-x")["code"] for i in range(32)]
    assert codes == ["invalid_credentials"] * 30 + ["throttled"] * 2
    family = stack.family(stack.school(), login=False)  # a real parent from another address
    assert "accessToken" in stack.client().login(family.contract, family.password)


def test_only_failures_count_against_an_address(stack: Stack) -> None:
    """Parents behind one NAT: 35 logins from one address all succeed, and the address still
    has its 30 failures before it is throttled."""
    family = stack.family(stack.school(), login=False)
    client = stack.client()
    logins = [client.login(family.contract, family.password) for _ in range(35)]
    assert all("accessToken" in answer for answer in logins)
    codes = [client.login(f"GUESS-{i}", "password-x")["code"] for i in range(31)]
    assert codes == ["invalid_credentials"] * 30 + ["throttled"]


def test_a_batch_of_logins_counts_every_attempt(stack: Stack) -> None:
    family = stack.family(stack.school(), login=False)
    client = stack.client()
    batch = [
        {"query": LOGIN_Q, "variables": {"u": family.contract, "p": f"wrong-{i}"}}
        for i in range(10)
    ]
    answers = client.post(batch).json()
    codes = [a["data"]["login"]["userErrors"][0]["code"] for a in answers]
    assert codes.count("invalid_credentials") == 5
    assert codes.count("throttled") == 5
    aliased = (
        "mutation {"
        + " ".join(
            f'a{i}: login(input: {{username: "{family.contract}-x", password: "p{i}"}}) '
            "{ userErrors { code } }"
            for i in range(7)
        )
        + "}"
    )
    found = client.gql(aliased)["data"]
    assert (
        sorted(v["userErrors"][0]["code"] for v in found.values())
        == ["invalid_credentials"] * 5 + ["throttled"] * 2
    )
    too_many = client.post([{"query": "{ __typename }"}] * 11)
    assert too_many.status_code == 400


def test_passwords_and_codes_never_appear_in_responses_or_logs(
    stack: Stack, caplog: "pytest.LogCaptureFixture"
) -> None:
    caplog.set_level("DEBUG")
    family = stack.family(stack.school(), login=False)
    response = family.client.post(
        {"query": LOGIN_Q, "variables": {"u": family.contract, "p": family.password}}
    )
    family.client.data(REQUEST_RESET, u=family.contract)
    code = stack.code_sent_to(family.phone)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert family.password not in response.text
    assert family.password not in logged
    assert code not in logged


LOGIN_Q = """mutation($u: String!, $p: String!) { login(input: {username: $u, password: $p}) {
  session { accessToken } userErrors { code message } } }"""


def test_a_contract_number_never_takes_over_a_staff_login_name(stack: Stack) -> None:
    world = stack.school()
    pupil = world.pupil()
    stack.identity.create_staff(
        pupil.contract_number, "staff-password-9", Role.SUPPORT, [world.school_id]
    )
    with pytest.raises(IdentityError):
        stack.identity.grant_parent(pupil.contract_number, pupil.account_id, new_phone())
    client = stack.client()
    assert client.login(pupil.contract_number, "staff-password-9")["viewer"]["role"] == "SUPPORT"
