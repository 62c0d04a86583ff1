"""Group commit: many taps decided in order on shared in-memory state, saved in one
transaction instead of one each.

Before deciding, one query reads the stored version of every aggregate the batch needs
(its accounts, schools and tap records); hot accounts and schools are taken from memory
when their version is the stored one (`HotAggregates`), the rest are loaded together in one
more query, as are the index records (cards, terminals) the process does not know yet. A tap the
domain refuses gets its error in place and never fails its neighbours. When the save
conflicts with another writer, only the taps whose aggregates changed underneath (and those
sharing an account with them) are decided again, one at a time; the others are decided and
saved again together.

A group holds top-ups and card payments' verdicts beside taps (`domain/top_up_request.py`):
decided in arrival order with them (a tap after a top-up of its account sees the credit),
their `Payment` records (idempotency by payment id), card payments and accounts read with the
taps' in the same queries; a repeated payment id in the group or across groups credits once,
and a payment conflict fails that request only.

A tap may come with a claim (opaque here: an authenticated request's counter,
`adapters/claims.py`), accepted by the store in the transaction that saves the tap, whatever
the tap's decision, and in no other: every save below passes the claims of the taps it saves.
A claimed tap of a revoked terminal is refused (`TerminalRevokedError`), decided on the
school the batch's version query found, which began after every tap of the batch arrived.
A claim the store refuses fails that transaction (nothing of it is stored) with the store's
error, raised to the caller, which answers those taps and hands the others in again.
"""

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from domain.account import Account
from domain.errors import DomainError
from domain.hot_accounts import HotAggregates, VersionReader
from domain.index import Index, card_key, index_id, terminal_key
from domain.lookups import deciding_on
from domain.payment import Payment
from domain.pending import Pending
from domain.recorded import acting_as, current_actor
from domain.school import School
from domain.tap import Tap, TapDecision, TapRequest, normalise_uid
from domain.top_up_request import (
    ActivateRequest,
    MoneyRequest,
    MoneyResult,
    PendingTopUp,
    SettleRequest,
    TopUpRequest,
)
from domain.topup import CardPayment

if TYPE_CHECKING:
    from domain.ledger import Collected, Ledger

MAX_SPLITS = 3  # a batch that keeps conflicting falls back to one save per tap


@dataclass(frozen=True)
class TapResult:
    decision: TapDecision
    position: int
    replayed: bool = False


PendingTap = Pending[TapDecision]  # a decided tap not yet saved
Request = TapRequest | MoneyRequest  # what a group holds: taps, top-ups, verdicts
Decided = PendingTap | PendingTopUp  # a request of the group decided, not yet saved
Outcome = TapResult | MoneyResult | DomainError


@dataclass(frozen=True)
class Batch:
    """A batch decided and its events collected, not yet saved (`GroupCommit.decide`)."""

    requests: list[Request]
    actors: list[str]
    decided: list[Decided | DomainError]
    loaded: dict[UUID, Aggregate | None]  # what it decided on (None: known not to exist)
    touched: dict[UUID, Aggregate]  # what it changed
    before: dict[UUID, int]  # their stored versions before it
    splits: int
    collected: "Collected"
    claims: list[object | None]  # each tap's claim, saved with it (None: none)


class GroupCommit:
    def __init__(self, ledger: "Ledger", hot: HotAggregates | None = None) -> None:
        self.ledger = ledger
        self.hot = hot or HotAggregates()
        # The persistence module may offer the one-query version check (PostgreSQL does).
        offer = getattr(ledger.factory, "version_reader", None)
        self.versions: VersionReader | None = offer(ledger.recorder) if offer else None

    def handle(
        self,
        requests: Sequence[Request],
        actors: Sequence[str] | None = None,
        claims: Sequence[object | None] | None = None,
    ) -> list[Outcome]:
        """Each tap's result or the domain's refusal, in the order of `requests`."""
        acting = list(actors) if actors is not None else [current_actor.get()] * len(requests)
        return self._commit(list(requests), acting, 0, _claims_of(requests, claims))

    def decide(
        self,
        requests: list[Request],
        actors: list[str],
        in_flight: Mapping[UUID, Aggregate] | None = None,
        splits: int = 0,
        claims: Sequence[object | None] | None = None,
    ) -> Batch:
        """Decide a batch in order and collect its events, saving nothing (`save`).

        `in_flight`: what the previous batch decided on and is saving now; this batch decides
        on it as that batch left it, so it must be saved only after that one committed, and
        decided again if that one did not (`api/tap_batcher.py`)."""
        loaded, before = self._prefetch(requests, in_flight or {})
        decided: list[Decided | DomainError] = []
        touched: dict[UUID, Aggregate] = {}
        claimed = _claims_of(requests, claims)
        with deciding_on(loaded):
            for request, actor, claim in zip(requests, actors, claimed, strict=True):
                try:
                    with acting_as(actor):
                        pending = self._decide_one(request, claim)
                except DomainError as error:
                    decided.append(error)
                    continue
                decided.append(pending)
                for aggregate in pending.aggregates:
                    touched[aggregate.id] = loaded[aggregate.id] = aggregate
        collected = self.ledger.collect(*touched.values())
        return Batch(requests, actors, decided, loaded, touched, before, splits, collected, claimed)

    def _decide_one(self, request: Request, claim: object | None) -> Decided:
        if not isinstance(request, TapRequest):
            return self.ledger.decide_top_up(request)
        if claim is not None:  # on the school as the version query found it
            self.ledger.check_not_revoked(request.terminal_id)
        return self.ledger.decide_tap(request)

    def save(self, batch: Batch) -> list[Outcome]:
        """Store a decided batch in one transaction: each tap's result or refusal, in order.
        Raises `IntegrityError` when another writer saved one of its aggregates first
        (`after_conflict`); keeps nothing in memory (`keep`)."""
        recordings = self.ledger.record(batch.collected, [c for c in batch.claims if c])
        position = self.ledger._position(recordings) if recordings else self.ledger._head()
        return [_outcome(d, position) for d in batch.decided]

    def keep(self, batch: Batch, but: Collection[UUID] = ()) -> None:
        """After the batch saved: its accounts and schools are as stored (`HotAggregates`),
        except those in `but` (a later batch decides on them)."""
        self.hot.keep(
            a for i, a in batch.loaded.items() if isinstance(a, Account | School) and i not in but
        )

    def forget(self, batch: Batch) -> None:
        """The batch did not save: nothing it decided on is trusted again."""
        self.hot.drop([*batch.loaded, *batch.touched])

    def after_conflict(self, batch: Batch) -> list[Outcome]:
        """Another writer saved first: the affected taps decided again, the others saved."""
        self.forget(batch)
        return self._after_conflict(batch)

    def _commit(
        self,
        requests: list[Request],
        actors: list[str],
        splits: int,
        claims: list[object | None],
    ) -> list[Outcome]:
        batch = self.decide(requests, actors, splits=splits, claims=claims)
        try:
            results = self.save(batch)
        except IntegrityError:
            return self.after_conflict(batch)
        self.keep(batch)
        return results

    def _prefetch(
        self, requests: list[Request], in_flight: Mapping[UUID, Aggregate]
    ) -> tuple[dict[UUID, Aggregate | None], dict[UUID, int]]:
        """What the batch decides on, and the versions it had, with one query of each kind:
        the index records this process does not know yet (its terminals and cards) with the
        card payments the verdicts settle, the stored versions (what `HotAggregates` holds is
        trusted through them), the accounts, schools, tap and payment records not held in
        memory (`Lookups.find_many`), then the same for the schools of the accounts topped up
        that no tap brought. What is `in_flight` is taken as it is (its save will tell a
        conflict)."""
        loaded: dict[UUID, Aggregate | None] = {}
        before: dict[UUID, int] = {}
        if self.versions is None:
            return loaded, before
        taps = [r for r in requests if isinstance(r, TapRequest)]
        top_ups = [r for r in requests if isinstance(r, TopUpRequest)]
        activations = [r for r in requests if isinstance(r, ActivateRequest)]
        cards = {r.card_payment_id for r in requests if isinstance(r, SettleRequest)}
        indexes = {index_id(terminal_key(r.terminal_id)) for r in taps}
        indexes |= {index_id(card_key(r.card_uid)) for r in taps}
        indexes |= {index_id(terminal_key(r.terminal_id)) for r in top_ups if r.terminal_id}
        indexes |= {index_id(terminal_key(r.terminal_id)) for r in activations}
        indexes |= {index_id(card_key(uid)) for r in activations if (uid := _uid(r.uid))}
        loaded.update((i, in_flight[i]) for i in cards if i in in_flight)
        first: dict[UUID, type[Aggregate]] = dict.fromkeys(indexes, Index)
        first.update(dict.fromkeys(cards - in_flight.keys(), CardPayment))
        loaded.update(self.ledger.find_many(first))
        before.update((i, (a.version if (a := loaded[i]) else 0)) for i in cards)
        schools: set[UUID] = set()
        accounts = {r.account_id for r in top_ups}
        with deciding_on(loaded):  # the index records just read, no query each
            for request in taps:
                try:
                    schools.add(self.ledger.terminal_school_id(request.terminal_id))
                    accounts.add(self.ledger.card_account_id(request.card_uid))
                except DomainError:
                    continue  # decided (and refused) in order below
            money: list[TopUpRequest | ActivateRequest] = [*top_ups, *activations]
            for top_up in money:
                try:
                    if top_up.terminal_id is not None:
                        schools.add(self.ledger.terminal_school_id(top_up.terminal_id))
                    if isinstance(top_up, ActivateRequest):
                        accounts.add(self.ledger.card_account_id(top_up.uid))
                except DomainError:
                    continue
        accounts |= {p.account_id for i in cards if isinstance(p := loaded[i], CardPayment)}
        kinds: dict[UUID, type[Aggregate]] = {
            **{r.record_id: Tap for r in taps},
            **{r.record_id: Payment for r in requests if not isinstance(r, TapRequest)},
            **dict.fromkeys(schools, School), **dict.fromkeys(accounts, Account),
        }  # fmt: skip
        self._current(kinds, in_flight, loaded, before)
        late = {a.school_id for i in accounts if isinstance(a := loaded.get(i), Account)}
        self._current(dict.fromkeys(late - loaded.keys(), School), in_flight, loaded, before)
        return loaded, before

    def _current(
        self,
        kinds: dict[UUID, type[Aggregate]],
        in_flight: Mapping[UUID, Aggregate],
        loaded: dict[UUID, Aggregate | None],
        before: dict[UUID, int],
    ) -> None:
        """Into `loaded` and `before`: these aggregates as the store holds them (a record
        not stored known not to exist), with one version query and one read of those not
        in memory."""
        if not kinds or self.versions is None:
            return
        flying = {i: in_flight[i] for i in kinds if i in in_flight}
        versions = self.versions(kinds.keys() - flying.keys())
        for i, cls in kinds.items():
            if cls in (Tap, Payment) and i not in versions and i not in flying:
                loaded[i] = None  # not decided before: no query needed to know it
        loaded.update(flying)
        hot = [i for i, cls in kinds.items() if cls in (Account, School) and i in versions]
        loaded.update(self.hot.take({i: versions[i] for i in hot}))
        cold = {i: cls for i, cls in kinds.items() if i not in loaded and i in versions}
        loaded.update(self.ledger.find_many(cold))
        before.update((i, versions.get(i, 0)) for i in kinds)
        before.update((i, a.version) for i, a in flying.items())

    def _after_conflict(self, batch: Batch) -> list[Outcome]:
        requests, actors, claims = batch.requests, batch.actors, batch.claims
        decided = batch.decided
        everyone = list(range(len(requests)))
        if self.versions is None or batch.splits >= MAX_SPLITS:
            return self._alone(requests, actors, claims, everyone)
        now = self.versions(batch.touched.keys())
        changed = {i for i in batch.touched if now.get(i, 0) != batch.before.get(i, 0)}
        affected = set(changed)
        grew = True
        while grew:  # a tap sharing an aggregate with an affected tap is affected too
            grew = False
            for d in decided:
                ids = set() if isinstance(d, DomainError) else {a.id for a in d.aggregates}
                if ids & affected and not ids <= affected:
                    affected |= ids
                    grew = True
        redo = [
            n for n, d in enumerate(decided)
            if not isinstance(d, DomainError) and {a.id for a in d.aggregates} & affected
        ]  # fmt: skip
        if not redo:
            return self._alone(requests, actors, claims, everyone)
        rest = [n for n in everyone if n not in set(redo)]
        results: list[Outcome | None] = [None] * len(requests)
        if rest:
            again = self._commit(
                [requests[n] for n in rest],
                [actors[n] for n in rest],
                batch.splits + 1,
                [claims[n] for n in rest],
            )
            for n, result in zip(rest, again, strict=True):
                results[n] = result
        for n, result in zip(redo, self._alone(requests, actors, claims, redo), strict=True):
            results[n] = result
        return [r for r in results if r is not None]

    def _alone(
        self,
        requests: list[Request],
        actors: list[str],
        claims: list[object | None],
        which: list[int],
    ) -> list[Outcome]:
        results: list[Outcome] = []
        for n in which:
            try:
                with acting_as(actors[n]):
                    request = requests[n]
                    if isinstance(request, TapRequest):
                        results.append(self.ledger.handle_tap(request, claims[n]))
                    else:
                        results.append(self.ledger.handle_top_up(request))
            except DomainError as error:
                if claims[n] is not None:  # refused, yet its request was answered
                    self.ledger.record(self.ledger.collect(), [claims[n]])
                results.append(error)
        return results


def _outcome(decided: Decided | DomainError, position: int) -> Outcome:
    if isinstance(decided, DomainError):
        return decided
    if isinstance(decided.answer, TapDecision):
        return TapResult(decided.answer, position, decided.replayed)
    return replace(decided.answer, position=position)


def _uid(uid: str) -> str | None:
    """A card's uid as its index record names it; None when it is not one (refused later)."""
    try:
        return normalise_uid(uid)
    except DomainError:
        return None


def _claims_of(
    requests: Sequence[Request], claims: Sequence[object | None] | None
) -> list[object | None]:
    return list(claims) if claims is not None else [None] * len(requests)
