"""Many events fast: domain commands on loaded accounts, saved hundreds per `ledger.save`.

Used by the crash test and the benchmark. Each event still comes from the Account's own
command methods (top-ups, purchases decided against the wallets and the daily limit,
turnstile passes), only the saving is batched.
"""

import random
from datetime import timedelta
from uuid import uuid4

from domain.account import Account
from domain.kinds import Channel, TerminalKind
from domain.ledger import Ledger
from domain.tap import TapContext, TapRequest
from tests.builders import Pupil, SchoolWorld, meal, snack

KINDS = ("canteen_pos", "vending", "turnstile")


def append_events(
    ledger: Ledger,
    world: SchoolWorld,
    pupils: list[Pupil],
    count: int,
    per_save: int = 500,
    rng: random.Random | None = None,
) -> int:
    """Record `count` account events; returns the last notification id."""
    rng = rng or random.Random()
    school = ledger.school(world.school_id)
    accounts: list[Account] = [ledger.account(p.account_id) for p in pupils]
    cards = {a.id: p.uid for a, p in zip(accounts, pupils, strict=True)}
    last = 0
    for n in range(1, count + 1):
        account = rng.choice(accounts)
        roll = rng.random()
        if roll < 0.25:
            amount = rng.randint(1_000, 50_000)
            account.top_up(amount, Channel.BANK_CARD, amount // 20, "0.05", f"bulk-{uuid4()}")
        else:
            kind = KINDS[0] if roll < 0.6 else KINDS[1] if roll < 0.75 else KINDS[2]
            at = ledger.clock() - timedelta(minutes=rng.randint(0, 3000))
            request = TapRequest.parse(
                world.terminals[kind],
                f"bulk-{uuid4().hex[:20]}",
                cards[account.id],
                at,
                items=None
                if kind == TerminalKind.TURNSTILE
                else [meal(), snack()][: rng.randint(1, 2)],
                direction=rng.choice(["in", "out"]) if kind == TerminalKind.TURNSTILE else None,
            )
            ctx = TapContext(request, kind, at.astimezone(school.zone).date())
            if kind == TerminalKind.TURNSTILE:
                account.take_pass(ctx)
            else:
                account.take_purchase(ctx, school.meal_overdraft)
        if n % per_save == 0 or n == count:
            recordings = ledger.save(*accounts)
            last = max([last, *(r.notification.id for r in recordings)])
    return last
