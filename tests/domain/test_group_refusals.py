"""A request the domain refuses inside a group commit changes nothing for the rest of the group.

The group decides its taps and top-ups one after the other on shared in-memory aggregates
(`domain/group_commit.py`). A decision that changed an aggregate and then refused would leave
that change for the requests after it, and in the group's save. The account's and the
payments' methods check before they change; this property holds the whole path to it: the
same random requests are decided as a group in one school, and again without the refused ones
in a twin school; everything the two groups accepted must be decided alike, to the kopeck.
"""

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import DomainError
from domain.group_commit import Outcome, Request, TapResult
from domain.kinds import Channel
from domain.ledger import Ledger
from domain.money import MAX_DAILY_LIMIT
from domain.tap import TapRequest
from domain.top_up_request import TopUpRequest, TopUpResult
from tests.builders import Pupil, SchoolWorld, meal, new_school

AT = datetime(2025, 9, 1, 4, 30, tzinfo=UTC)  # 11:30 in Novosibirsk, a school day
PUPILS = 3
STEPS = 12

pupil = st.integers(0, PUPILS - 1)
step = st.one_of(
    st.tuples(st.just("lunch"), pupil, st.sampled_from([4_500, 9_000, 30_000])),
    st.tuples(st.just("pass"), pupil),
    st.tuples(st.just("cash"), pupil, st.sampled_from([10_000, 50_000])),
    st.tuples(st.just("stale"), pupil),  # a month old: TapTooOldError
    st.tuples(st.just("stray"), pupil),  # a terminal nobody registered: UnknownTerminalError
    st.tuples(st.just("tap_again"), st.integers(0, STEPS - 1)),  # step n's tap id, other items
    st.tuples(st.just("cash_again"), st.integers(0, STEPS - 1)),  # step n's payment, other sum
)


def twin_schools() -> tuple[Ledger, list[tuple[SchoolWorld, list[Pupil]]]]:
    ledger = Ledger({"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=lambda: AT)
    twins = []
    for _ in range(2):
        world = new_school(ledger)
        pupils = [world.pupil(deposit=20_000 * (n + 1)) for n in range(PUPILS)]
        ledger.change_daily_limit(pupils[0].account_id, MAX_DAILY_LIMIT)
        twins.append((world, pupils))
    return ledger, twins


def requests(
    world: SchoolWorld, pupils: list[Pupil], steps: list[tuple[Any, ...]]
) -> dict[int, Request]:
    """Each step's request in `world`, by the step's number (payment ids are the world's own:
    they are unique across the ledger, tap ids only per terminal)."""
    made: dict[int, Request] = {}
    paid = f"{world.school_id}-p"
    canteen, kiosk = world.terminals["canteen_pos"], world.terminals["kiosk"]
    for n, (kind, arg, *more) in enumerate(steps):
        if kind in ("lunch", "stale", "stray"):
            terminal = canteen if kind != "stray" else UUID(int=n + 1)  # never registered
            at = AT - timedelta(days=30) if kind == "stale" else AT
            price = more[0] if more else 9_000
            made[n] = TapRequest.parse(terminal, f"s{n}", pupils[arg].uid, at, items=[meal(price)])
        elif kind == "pass":
            turnstile = world.terminals["turnstile"]
            made[n] = TapRequest.parse(turnstile, f"s{n}", pupils[arg].uid, AT, direction="in")
        elif kind == "cash":
            account = pupils[arg].account_id
            made[n] = TopUpRequest(account, more[0], Channel.KIOSK_CASH.value, f"{paid}{n}", kiosk)
        else:  # step `first`'s tap id or payment id again, with other content
            first = arg % len(steps)
            first_kind, whom = steps[first][:2]
            owner = whom if first_kind not in ("tap_again", "cash_again") else 0  # whom: a pupil
            if kind == "tap_again":
                made[n] = TapRequest.parse(
                    canteen, f"s{first}", pupils[owner].uid, AT, items=[meal(1_000)]
                )
            else:
                made[n] = TopUpRequest(
                    pupils[owner].account_id,
                    7_000,
                    Channel.KIOSK_CASH.value,
                    f"{paid}{first}",
                    kiosk,
                )
    return made


def seen(result: Outcome) -> tuple[Any, ...]:
    """What a request's result says, without the ids that differ between the twin schools."""
    if isinstance(result, TapResult):
        d = result.decision
        money = (d.amount, d.from_regular, d.from_subsidised, d.regular_after, d.spent_today)
        return ("tap", d.tap_id, d.outcome, d.reason, *money, result.replayed)
    if isinstance(result, TopUpResult):
        return ("top-up", result.amount, result.regular_after, result.replayed)
    return (type(result).__name__,)


@settings(max_examples=60, deadline=None)
@given(st.lists(step, min_size=2, max_size=STEPS), st.integers(1, STEPS))
def test_a_refused_request_changes_nothing_for_the_rest_of_its_group(
    steps: list[tuple[Any, ...]], split: int
) -> None:
    ledger, [(world, pupils), (twin, twins)] = twin_schools()
    made = requests(world, pupils, steps)
    order = list(made)
    results: dict[int, Outcome] = {}
    for group in (order[:split], order[split:]):  # two groups: the second on the first's state
        results.update(
            zip(group, ledger.group_commit.handle([made[n] for n in group]), strict=True)
        )
    refused = {n for n, r in results.items() if isinstance(r, DomainError)}

    kept = [n for n in order if n not in refused]
    again = requests(twin, twins, steps)
    alone: dict[int, Outcome] = {}
    for group in ([n for n in kept if n < split], [n for n in kept if n >= split]):
        alone.update(zip(group, ledger.group_commit.handle([again[n] for n in group]), strict=True))

    assert [seen(results[n]) for n in kept] == [seen(alone[n]) for n in kept]
    for mine, other in zip(pupils, twins, strict=True):
        one, two = ledger.account(mine.account_id), ledger.account(other.account_id)
        assert (one.regular, one.subsidised, one.version) == (
            two.regular,
            two.subsidised,
            two.version,
        )
