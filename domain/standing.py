"""A parent's standing orders from the cabinet: the autopayment rules (at most one monthly
and one threshold rule per account, found by derived ids) and the low-balance alert.

Set up, change (or change the card alone), pause, resume and cancel; each reloads and retries
on a version conflict.
The workers run the rules (`workers/feed.py`, `workers/scheduler.py`)."""

from collections.abc import Callable, Collection
from uuid import UUID

from domain.autopay import Autopayment, AutopayStateError, parent_autopay_id
from domain.errors import InvalidCommandError, NotFoundError
from domain.kinds import AutopayKind, AutopayState
from domain.ledger import Ledger

KINDS = tuple(AutopayKind)


class NoAutopayError(NotFoundError):
    code = "unknown_autopayment"


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise InvalidCommandError(f"{kind!r} is not an autopayment rule")
    return kind


class StandingOrders:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def rules(self, account_id: UUID) -> list[Autopayment]:
        found = (self.ledger._find(parent_autopay_id(account_id, k), Autopayment) for k in KINDS)
        return [a for a in found if a is not None]

    def rule(self, account_id: UUID, kind: str) -> Autopayment:
        error = NoAutopayError(f"no {kind} autopayment is set up for this account")
        return self.ledger._get(parent_autopay_id(account_id, check_kind(kind)), Autopayment, error)

    def set_up(
        self, account_id: UUID, kind: str, amount: int, below: int, day: int, card_id: str
    ) -> tuple[Autopayment, int]:
        """A new rule, or a cancelled one brought back with new terms."""

        def attempt() -> tuple[Autopayment, int]:
            self.ledger.account(account_id).check_open()
            schedule_id = parent_autopay_id(account_id, check_kind(kind))
            found = self.ledger._find(schedule_id, Autopayment)
            if found is None:
                found = Autopayment.schedule(
                    account_id, kind, amount, below, day, card_id, schedule_id
                )
            elif found.state != AutopayState.CANCELLED:
                raise AutopayStateError(f"a {kind} autopayment is already set up: change it")
            else:
                found.change(amount, below, day, card_id)
            return found, self.ledger._position(self.ledger.save(found))

        return self.ledger._retry(attempt)

    def change(
        self,
        account_id: UUID,
        kind: str,
        amount: int | None,
        below: int | None,
        day: int | None,
        card_id: str | None,
    ) -> tuple[Autopayment, int]:
        def command(rule: Autopayment) -> None:
            if rule.state == AutopayState.CANCELLED:
                raise AutopayStateError("a cancelled autopayment is set up again, not changed")
            rule.change(
                rule.amount if amount is None else amount,
                rule.below if below is None else below,
                rule.day if day is None else day,
                rule.card_id if card_id is None else card_id,
            )

        return self._on_rule(account_id, kind, command)

    def change_card(
        self, account_id: UUID, kind: str, card_id: str, saved_cards: Collection[str]
    ) -> tuple[Autopayment, int]:
        """The rule pays by `card_id`, one of `saved_cards` (the account's saved cards)."""
        return self._on_rule(account_id, kind, lambda r: r.change_card(card_id, saved_cards))

    def pause(self, account_id: UUID, kind: str) -> tuple[Autopayment, int]:
        return self._on_rule(account_id, kind, lambda r: r.pause())

    def resume(self, account_id: UUID, kind: str) -> tuple[Autopayment, int]:
        return self._on_rule(account_id, kind, lambda r: r.resume())

    def cancel(self, account_id: UUID, kind: str, reason: str) -> tuple[Autopayment, int]:
        return self._on_rule(account_id, kind, lambda r: r.cancel(reason))

    def _on_rule(
        self, account_id: UUID, kind: str, command: Callable[[Autopayment], None]
    ) -> tuple[Autopayment, int]:
        def attempt() -> tuple[Autopayment, int]:
            rule = self.rule(account_id, kind)
            command(rule)
            saved = self.ledger.save(rule)
            return rule, self.ledger._position(saved) or self.ledger._head()

        return self.ledger._retry(attempt)
