"""Parents log in with contract number + password sent by SMS; sessions can be revoked."""

from tests.api.stack import Stack

VIEWER = "{ viewer { role contracts { contractNumber access } } }"
ACCOUNT = """query($c: String!, $after: Position) {
  account(contractNumber: $c, after: $after) { contractNumber regular dailyLimit tariff cards { uid state } }
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
