"""Issue 12's fields in the role × operation matrix (tests/api/test_authorization.py): one
operation each, and the policy written out independently of permissions.RULES."""

from collections.abc import Callable
from typing import Any, Protocol


class Objects(Protocol):
    contract: str
    uid: str
    terminal: str

    @property
    def school(self) -> str: ...


Operation = Callable[[Any], tuple[str, dict[str, Any]]]


def on_input(name: str, fields: str = "") -> Operation:
    """A mutation taking `input: {contractNumber, …fields}` and answering userErrors."""
    return lambda o: (
        f"mutation($c: String!) {{ {name}(input: {{contractNumber: $c{fields}}}) "
        "{ userErrors { code } } }",
        {"c": o.contract},
    )


def on_rule(name: str) -> Operation:
    return on_input(name, ", kind: MONTHLY")


PARENT_OPERATIONS: dict[str, Operation] = {
    "Query.topUpQuote": lambda o: (
        'query($c: String!) { topUpQuote(contractNumber: $c, amount: "1000") { total } }',
        {"c": o.contract}),
    "Query.topUp": lambda o: (
        'query($c: String!) { topUp(contractNumber: $c, paymentId: "topup:x") { status } }',
        {"c": o.contract}),
    "Mutation.startTopUp": lambda o: (
        'mutation($c: String!) { startTopUp(input: {contractNumber: $c, amount: "0"}) '
        "{ userErrors { code } } }", {"c": o.contract}),
    "Query.autopayments": lambda o: (
        "query($c: String!) { autopayments(contractNumber: $c) { lowBalanceThreshold } }",
        {"c": o.contract}),
    **{f"Mutation.{name}": on_rule(name)
       for name in ("pauseAutopay", "resumeAutopay", "cancelAutopay")},
    "Mutation.setUpAutopay": lambda o: (
        "mutation($c: String!) { setUpAutopay(input: {contractNumber: $c, kind: MONTHLY, "
        'amount: "0", cardToken: "t"}) { userErrors { code } } }', {"c": o.contract}),
    "Mutation.changeAutopay": lambda o: (
        "mutation($c: String!) { changeAutopay(input: {contractNumber: $c, kind: MONTHLY}) "
        "{ userErrors { code } } }", {"c": o.contract}),
    "Mutation.setLowBalanceThreshold": lambda o: (
        "mutation($c: String!) { setLowBalanceThreshold(input: {contractNumber: $c, "
        'threshold: "0"}) { userErrors { code } } }', {"c": o.contract}),
    "Query.notificationSettings": lambda o: (
        "query($c: String!) { notificationSettings(contractNumber: $c) { tariff } }",
        {"c": o.contract}),
    "Mutation.changeNotificationSettings": lambda o: (
        "mutation($c: String!) { changeNotificationSettings(input: {contractNumber: $c}) "
        "{ userErrors { code } } }", {"c": o.contract}),
    "Query.protection": lambda o: (
        "query($c: String!) { protection(contractNumber: $c) { frozen } }", {"c": o.contract}),
    **{f"Mutation.{name}": on_input(name)
       for name in ("changeProtection", "freezeCards", "unfreezeCards")},
    "Query.preOrders": lambda o: (
        "query($c: String!) { preOrders(contractNumber: $c) { status } }", {"c": o.contract}),
    "Query.preOrderPortions": lambda o: (
        'query($s: UUID!) { preOrderPortions(school: $s, mealDate: "2030-01-10") { portions } }',
        {"s": o.school}),
    "Query.preOrderCutoff": lambda o: (
        'query($s: UUID!) { preOrderCutoff(school: $s, mealDate: "2030-01-10") }',
        {"s": o.school}),
    "Mutation.placePreOrder": lambda o: (
        'mutation($c: String!) { placePreOrder(input: {contractNumber: $c, mealDate: '
        '"2030-01-10", items: [{code: "NONE"}]}) { userErrors { code } } }', {"c": o.contract}),
    "Mutation.cancelPreOrder": lambda o: (
        'mutation($c: String!) { cancelPreOrder(input: {contractNumber: $c, preOrderId: "x"}) '
        "{ userErrors { code } } }", {"c": o.contract}),
    "Mutation.cancelSchoolMeals": lambda o: (
        'mutation($s: UUID!) { cancelSchoolMeals(input: {school: $s, mealDate: "2020-01-10", '
        'reason: "test"}) { userErrors { code } } }', {"s": o.school}),
    "Mutation.setPreOrderCutoff": lambda o: (
        'mutation($s: UUID!) { setPreOrderCutoff(input: {school: $s, cutoff: "99:99"}) '
        "{ userErrors { code } } }", {"s": o.school}),
    "Mutation.transferBetweenSiblings": lambda o: (
        "mutation($c: String!) { transferBetweenSiblings(input: {fromContractNumber: $c, "
        'toContractNumber: $c, amount: "100"}) { userErrors { code } } }', {"c": o.contract}),
    "Query.webPush": lambda o: (
        "query($c: String!) { webPush(contractNumber: $c) { publicKey } }", {"c": o.contract}),
    "Mutation.registerPushSubscription": on_input(
        "registerPushSubscription", ', endpoint: "http://x", p256dh: "x", auth: "x"'),
    "Mutation.unregisterPushSubscription": on_input(
        "unregisterPushSubscription", ', endpoint: "https://push.example.org/none"'),
    "Query.myCasework": lambda o: (
        "query($c: String!) { myCasework(contractNumber: $c) { disputes { status } } }",
        {"c": o.contract}),
}  # fmt: skip

PARENT_EXPECTED: dict[str, str] = {
    "Query.topUpQuote": "PR", "Query.topUp": "PR", "Mutation.startTopUp": "P",
    "Query.autopayments": "PR",
    "Mutation.setUpAutopay": "P", "Mutation.changeAutopay": "P", "Mutation.pauseAutopay": "P",
    "Mutation.resumeAutopay": "P", "Mutation.cancelAutopay": "P",
    "Mutation.setLowBalanceThreshold": "P", "Query.notificationSettings": "PR",
    "Mutation.changeNotificationSettings": "P", "Query.protection": "PRAS",
    "Mutation.changeProtection": "P", "Mutation.freezeCards": "P", "Mutation.unfreezeCards": "P",
    "Query.preOrders": "PRAS", "Query.preOrderPortions": "CAS", "Query.preOrderCutoff": "PRCAS",
    "Mutation.placePreOrder": "P", "Mutation.cancelPreOrder": "P",
    "Mutation.cancelSchoolMeals": "A", "Mutation.setPreOrderCutoff": "A",
    "Mutation.transferBetweenSiblings": "P",
    "Query.webPush": "P", "Mutation.registerPushSubscription": "P",
    "Mutation.unregisterPushSubscription": "P", "Query.myCasework": "PR",
}  # fmt: skip
