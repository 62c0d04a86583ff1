"""What a group commit's batch decides on, read before it decides (`GroupReads`).

One query reads the stored version of every aggregate the batch needs (its accounts, schools
and tap records); hot accounts and schools are taken from memory when their version is the
stored one (`HotAggregates`), the rest are loaded together in one more query, as are the index
records (cards, terminals) the process does not know yet. A top-up's or a verdict's `Payment`
record, card payment and account are read with the taps' in the same queries.
"""

from collections.abc import Mapping
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.account import Account
from domain.errors import DomainError
from domain.group_batch import Request
from domain.hot_accounts import HotAggregates, VersionReader
from domain.index import Index, card_key, index_id, terminal_key
from domain.lookups import deciding_on
from domain.payment import Payment
from domain.school import School
from domain.tap import Tap, TapRequest, normalise_uid
from domain.top_up_request import ActivateRequest, SettleRequest, TopUpRequest
from domain.topup import CardPayment

if TYPE_CHECKING:
    from domain.ledger import Ledger


class GroupReads:
    """The reads of `GroupCommit` (`domain/group_commit.py`)."""

    ledger: "Ledger"
    hot: HotAggregates
    versions: VersionReader | None  # None: no one-query version check, nothing read ahead

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


def _uid(uid: str) -> str | None:
    """A card's uid as its index record names it; None when it is not one (refused later)."""
    try:
        return normalise_uid(uid)
    except DomainError:
        return None
