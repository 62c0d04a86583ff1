"""The operations of the role × operation matrix (tests/api/test_authorization.py), built the
same way for every field on one object, and issue 12's fields in it: one operation each, and
the policy written out independently of permissions.RULES."""

from collections.abc import Callable
from typing import Any, Protocol


class Objects(Protocol):
    contract: str
    uid: str
    terminal: str

    @property
    def school(self) -> str: ...


Operation = Callable[[Any], tuple[str, dict[str, Any]]]


# The object an operation names: its variable, the variable's type, the argument, its value.
OBJECTS: dict[str, tuple[str, str, Callable[[Any], str]]] = {
    "c": ("String!", "contractNumber", lambda o: o.contract),
    "s": ("UUID!", "school", lambda o: o.school),
    "t": ("UUID!", "terminalId", lambda o: o.terminal),
}


def operation(kind: str, field: str, on: str, arguments: str, selection: str) -> Operation:
    """`kind` ("query" or "mutation") of `field` on the object `on` names (a key of OBJECTS)."""
    type_, argument, value = OBJECTS[on]
    return lambda o: (
        f"{kind}(${on}: {type_}) {{ {field}({argument}: ${on}{arguments}) {{ {selection} }} }}",
        {on: value(o)},
    )


def on_account(field: str, selection: str, arguments: str = "") -> Operation:
    """A query of one account: `field(contractNumber: $c…arguments) { selection }`."""
    return operation("query", field, "c", arguments, selection)


def on_school(field: str, selection: str, arguments: str = "") -> Operation:
    return operation("query", field, "s", arguments, selection)


def on_input(name: str, fields: str = "", on: str = "c") -> Operation:
    """A mutation taking `input: {contractNumber (or school), …fields}` answering userErrors."""
    type_, argument, value = OBJECTS[on]
    return lambda o: (
        f"mutation(${on}: {type_}) {{ {name}(input: {{{argument}: ${on}{fields}}}) "
        "{ userErrors { code } } }",
        {on: value(o)},
    )


def on_rule(name: str) -> Operation:
    return on_input(name, ", kind: MONTHLY")


PARENT_OPERATIONS: dict[str, Operation] = {
    "Query.topUpQuote": on_account("topUpQuote", "total", ', amount: "1000"'),
    "Query.topUp": on_account("topUp", "status", ', paymentId: "topup:x"'),
    "Mutation.startTopUp": on_input("startTopUp", ', amount: "0"'),
    "Query.autopayments": on_account("autopayments", "lowBalanceThreshold"),
    **{f"Mutation.{name}": on_rule(name)
       for name in ("pauseAutopay", "resumeAutopay", "cancelAutopay", "changeAutopay")},
    "Mutation.setUpAutopay": on_input(
        "setUpAutopay", ', kind: MONTHLY, amount: "0", savedCardId: "t"'),
    "Mutation.changeAutopayCard": on_input(
        "changeAutopayCard", ', kind: MONTHLY, savedCardId: "t"'),
    "Query.savedCards": on_account("savedCards", "last4"),
    "Mutation.forgetSavedCard": on_input("forgetSavedCard", ', savedCardId: "t"'),
    "Mutation.setLowBalanceThreshold": on_input("setLowBalanceThreshold", ', threshold: "0"'),
    "Query.notificationSettings": on_account("notificationSettings", "tariff"),
    "Query.protection": on_account("protection", "frozen"),
    **{f"Mutation.{name}": on_input(name)
       for name in ("changeNotificationSettings", "changeProtection", "freezeCards",
                    "unfreezeCards")},
    "Query.preOrders": on_account("preOrders", "edges { node { status } }"),
    "Query.preOrderPortions": on_school("preOrderPortions", "portions", ', mealDate: "2030-01-10"'),
    "Query.preOrderCutoff": lambda o: (
        'query($s: UUID!) { preOrderCutoff(school: $s, mealDate: "2030-01-10") }',
        {"s": o.school}),
    "Mutation.placePreOrder": on_input(
        "placePreOrder", ', mealDate: "2030-01-10", items: [{code: "NONE"}]'),
    "Mutation.cancelPreOrder": on_input("cancelPreOrder", ', preOrderId: "x"'),
    "Mutation.cancelSchoolMeals": on_input(
        "cancelSchoolMeals", ', mealDate: "2020-01-10", reason: "test"', on="s"),
    "Mutation.setPreOrderCutoff": on_input("setPreOrderCutoff", ', cutoff: "99:99"', on="s"),
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
    "Query.tariffHistory": lambda o: (
        "query($c: String!) { tariffHistory(contractNumber: $c) { kind } }", {"c": o.contract}),
    "Mutation.setKioskPin": on_input("setKioskPin", ', pin: "x"'),  # refused: nothing changes
}  # fmt: skip

PARENT_EXPECTED: dict[str, str] = {
    "Query.topUpQuote": "PR", "Query.topUp": "PR", "Mutation.startTopUp": "P",
    "Query.autopayments": "PR",
    "Mutation.setUpAutopay": "P", "Mutation.changeAutopay": "P", "Mutation.pauseAutopay": "P",
    "Mutation.resumeAutopay": "P", "Mutation.cancelAutopay": "P", "Mutation.changeAutopayCard": "P",
    "Mutation.setLowBalanceThreshold": "P", "Query.notificationSettings": "PR",
    "Query.savedCards": "PR", "Mutation.forgetSavedCard": "P",
    "Mutation.changeNotificationSettings": "P", "Query.protection": "PRAS",
    "Mutation.changeProtection": "P", "Mutation.freezeCards": "P", "Mutation.unfreezeCards": "P",
    "Query.preOrders": "PRAS", "Query.preOrderPortions": "CAS", "Query.preOrderCutoff": "PRCAS",
    "Mutation.placePreOrder": "P", "Mutation.cancelPreOrder": "P",
    "Mutation.cancelSchoolMeals": "A", "Mutation.setPreOrderCutoff": "A",
    "Mutation.transferBetweenSiblings": "P",
    "Query.webPush": "P", "Mutation.registerPushSubscription": "P",
    "Mutation.unregisterPushSubscription": "P", "Query.myCasework": "PR",
    "Query.tariffHistory": "PRASU", "Mutation.setKioskPin": "P",
}  # fmt: skip
