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
    "Mutation.setCommissionRate": lambda o: (
        "mutation($s: UUID!) { setCommissionRate(input: {school: $s, channel: SBP, "
        'rate: "0"}) { rate } }', {"s": o.school}),
}  # fmt: skip

PARENT_EXPECTED: dict[str, str] = {
    "Query.topUpQuote": "PR", "Query.topUp": "PR", "Mutation.startTopUp": "P",
    "Mutation.setCommissionRate": "S",
}  # fmt: skip
