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
    "Query.tariffHistory": lambda o: (
        "query($c: String!) { tariffHistory(contractNumber: $c) { kind } }", {"c": o.contract}),
    "Mutation.setKioskPin": on_input("setKioskPin", ', pin: "x"'),  # refused: nothing changes
}  # fmt: skip

PARENT_EXPECTED: dict[str, str] = {
    "Query.topUpQuote": "PR", "Query.topUp": "PR", "Mutation.startTopUp": "P",
    "Query.autopayments": "PR",
    "Mutation.setUpAutopay": "P", "Mutation.changeAutopay": "P", "Mutation.pauseAutopay": "P",
    "Mutation.resumeAutopay": "P", "Mutation.cancelAutopay": "P",
    "Mutation.setLowBalanceThreshold": "P", "Query.notificationSettings": "PR",
    "Mutation.changeNotificationSettings": "P", "Query.protection": "PRAS",
    "Mutation.changeProtection": "P", "Mutation.freezeCards": "P", "Mutation.unfreezeCards": "P",
    "Query.tariffHistory": "PRASU", "Mutation.setKioskPin": "P",
}  # fmt: skip
