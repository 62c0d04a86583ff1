"""A parent contests a charge; support reverses it or rejects the dispute (rules in
domain/dispute.py, the case file in domain/casework.py)."""

from typing import Any
from uuid import UUID

from domain.account.state import AccountState, ReturnsToWallets
from domain.dispute import Charge
from domain.errors import DisputeError
from domain.fields import CLAIM, NOTE, text
from domain.kinds import DisputeStatus


class Disputes(AccountState):
    class ChargeDisputed(AccountState.Event):
        """A parent contests a charge; `flags` are what the history says against it."""

        TOPIC = "infoshkola.account.ChargeDisputed"
        charge: str
        tap_id: str
        terminal_id: UUID
        amount: int
        from_regular: int
        from_subsidised: int
        local_date: str
        claim: str
        flags: list[str]

        def apply(self, a: AccountState) -> None:
            a.disputes = {
                **getattr(a, "disputes", {}),
                self.charge: {
                    "status": DisputeStatus.OPEN.value,
                    "from_regular": self.from_regular,
                    "from_subsidised": self.from_subsidised,
                    "local_date": self.local_date,
                },
            }

    class ChargeReversed(ReturnsToWallets):
        """The disputed charge is given back to the wallets it was taken from."""

        TOPIC = "infoshkola.account.ChargeReversed"
        charge: str
        tap_id: str
        terminal_id: UUID
        amount: int
        local_date: str
        note: str

        def apply(self, a: AccountState) -> None:
            super().apply(a)
            if self.local_date in a.spent:
                a.spent = {**a.spent, self.local_date: a.spent[self.local_date] - self.to_regular}
            settled(a, self.charge, DisputeStatus.REVERSED)

    class DisputeRejected(AccountState.Event):
        TOPIC = "infoshkola.account.DisputeRejected"
        charge: str
        reason: str

        def apply(self, a: AccountState) -> None:
            settled(a, self.charge, DisputeStatus.REJECTED)

    def dispute_charge(self, charge: Charge, claim: str, flags: list[str]) -> None:
        disputes = getattr(self, "disputes", {})
        if charge.key in disputes:
            raise DisputeError(f"charge {charge.key} is already disputed")
        if charge.amount <= 0:
            raise DisputeError("only a charge that took money can be disputed")
        claim = text(claim, CLAIM, what="what is wrong with the charge")
        self.trigger_event(
            self.ChargeDisputed,
            charge=charge.key,
            tap_id=charge.tap_id,
            terminal_id=charge.terminal_id,
            amount=charge.amount,
            from_regular=charge.from_regular,
            from_subsidised=charge.from_subsidised,
            local_date=charge.local_date,
            claim=claim,
            flags=list(flags),
        )

    def reverse_charge(self, key: str, note: str) -> None:
        dispute = self._open_dispute(key)
        note = text(note, NOTE, what="a reversal's note")
        terminal_id, _, tap_id = key.partition("/")
        self.trigger_event(
            self.ChargeReversed,
            charge=key,
            tap_id=tap_id,
            terminal_id=UUID(terminal_id),
            amount=dispute["from_regular"] + dispute["from_subsidised"],
            to_regular=dispute["from_regular"],
            to_subsidised=dispute["from_subsidised"],
            local_date=dispute["local_date"],
            note=note,
        )

    def reject_dispute(self, key: str, reason: str) -> None:
        self._open_dispute(key)
        reason = text(reason, CLAIM, what="why the dispute is rejected")
        self.trigger_event(self.DisputeRejected, charge=key, reason=reason)

    def _open_dispute(self, key: str) -> dict[str, Any]:
        dispute = getattr(self, "disputes", {}).get(key)
        if dispute is None:
            raise DisputeError(f"charge {key} is not disputed")
        if dispute["status"] != DisputeStatus.OPEN:
            raise DisputeError(f"the dispute of charge {key} is already {dispute['status']}")
        return dict(dispute)


def settled(a: AccountState, charge: str, status: DisputeStatus) -> None:
    a.disputes = {**a.disputes, charge: {**a.disputes[charge], "status": status.value}}
