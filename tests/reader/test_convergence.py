"""50 readers work offline, then upload in random orders, in partial batches, with duplicates.

The same day is played in two schools: the readers' offline decisions are the same, the
uploads are shuffled differently. Both schools end with the same balances and attendance,
and those are what the offline decisions say: every approved purchase charged once, every
approved pass recorded once, nothing declined offline ever sent.
"""

import random
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters.terminal_auth import TerminalSecrets, enrol_terminal
from domain.ledger import Ledger
from reader.journal import DenyList
from tests.builders import Pupil, new_school
from tests.clock import now
from tests.reader.harness import BUN, LUNCH, SimReader, account_story, sim_reader
from tests.reader.rig import ApiServer

READERS = 50
CANTEENS = 30
TAPS_PER_READER = 4
PUPILS = 12
DEPOSIT = 30_000
OFFLINE_CAP = 20_000
BLOCKED = 0  # this pupil's card is on the deny list


@dataclass(frozen=True)
class PlannedTap:
    reader: int
    pupil: int
    tapped_at: datetime


def plan(seed: int, now: datetime) -> list[PlannedTap]:
    rng = random.Random(seed)
    taps = [
        PlannedTap(r, rng.randrange(PUPILS), now - timedelta(minutes=rng.randint(1, 240)))
        for r in range(READERS)
        for _ in range(TAPS_PER_READER)
    ]
    rng.shuffle(taps)
    return taps


def payload(reader: int) -> dict[str, Any]:
    if reader < CANTEENS:
        return {"items": [LUNCH] if reader % 3 else [LUNCH, BUN]}
    return {"direction": "in" if reader % 2 else "out"}


@dataclass
class Day:
    """One school's run: its pupils, readers and what each reader decided offline."""

    pupils: list[Pupil]
    readers: list[SimReader]
    decisions: list[tuple[PlannedTap, dict[str, Any]]] = field(default_factory=list)


def play_offline(
    ledger: Ledger,
    store: TerminalSecrets,
    server: ApiServer,
    workdir: Path,
    taps: list[PlannedTap],
    http: httpx.Client,
) -> Day:
    world = new_school(ledger)
    pupils = [world.pupil(deposit=DEPOSIT) for _ in range(PUPILS)]
    ledger.block_card(pupils[BLOCKED].account_id, pupils[BLOCKED].uid, "lost")
    deny = DenyList(1, frozenset({pupils[BLOCKED].uid}), OFFLINE_CAP)
    readers = []
    for r in range(READERS):
        kind = "canteen_pos" if r < CANTEENS else "turnstile"
        terminal_id, secret = enrol_terminal(ledger, store, world.school_id, kind, f"r{r}")
        reader = sim_reader(workdir / f"r{r}", server.url, terminal_id, secret, payload(r),
                            live_wait=0, http=http)  # fmt: skip
        reader.journal.save_deny_list(deny)
        reader.service.online = False
        readers.append(reader)
    day = Day(pupils, readers)
    for tap in taps:
        service = readers[tap.reader].service
        service.clock = lambda at=tap.tapped_at: at  # type: ignore[misc]
        decision = service.tap("slot", pupils[tap.pupil].uid)
        assert decision is not None
        assert decision["offline"] is True
        day.decisions.append((tap, decision))
    return day


def upload_shuffled(day: Day, seed: int, workers: int = 6) -> None:
    """Readers upload concurrently, in a random order, in random partial batches; some lose
    the server's answers (a crash before saving them) and post again; some re-post a tap."""
    rng = random.Random(seed)
    lock = threading.Lock()
    busy: set[int] = set()

    def pick() -> int | None:
        with lock:
            waiting = [r for r, rd in enumerate(day.readers)
                       if r not in busy and rd.journal.pending(1)]  # fmt: skip
            if not waiting:
                return None if not busy else -1
            chosen = rng.choice(waiting)
            busy.add(chosen)
            return chosen

    def work() -> None:
        while (r := pick()) is not None:
            if r == -1:
                threading.Event().wait(0.005)
                continue
            try:
                upload_step(day.readers[r], random.Random(rng.random()))
            finally:
                with lock:
                    busy.discard(r)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(t.is_alive() for t in threads)


def upload_step(reader: SimReader, rng: random.Random) -> None:
    service, journal = reader.service, reader.journal
    batch = journal.pending(rng.randint(1, 6))
    service.batch_size = len(batch)
    service.upload_once()
    if rng.random() < 0.25:  # crashed before the answers were saved: all of it goes again
        with sqlite3.connect(journal.directory / "state.sqlite") as db:
            db.executemany("DELETE FROM settled WHERE tap_id = ?", [(p.tap_id,) for p in batch])
            db.execute("DELETE FROM meta WHERE key = 'scan_from'")
    if rng.random() < 0.25:  # a plain duplicate: the same tap posted once more
        again = rng.choice(batch)
        answer = reader.client.post_tap(again.body())
        assert answer["replayed"] is True
        first = journal.settled_result(again.tap_id)
        if first is not None:
            assert (answer["outcome"], answer["amount"]) == (first["outcome"], first["amount"])


def expected(day: Day) -> list[dict[str, Any]]:
    """What the offline decisions say each pupil's story must be."""
    stories: list[dict[str, Any]] = [
        {"regular": DEPOSIT, "charged": Counter(), "passes": Counter()} for _ in range(PUPILS)
    ]
    for tap, decision in day.decisions:
        if decision["outcome"] != "approved":
            continue
        story = stories[tap.pupil]
        if tap.reader < CANTEENS:
            story["regular"] -= decision["amount"]
            story["charged"][decision["tap_id"]] += 1
        else:
            story["passes"][(decision["tap_id"], payload(tap.reader)["direction"])] += 1
    return stories


def shape(story: dict[str, Any]) -> tuple[int, int, Counter[str], int]:
    """A story without its tap ids, to compare two schools."""
    directions = Counter(direction for _, direction in story["passes"].elements())
    return story["regular"], sum(story["charged"].values()), directions, len(story["passes"])


@pytest.fixture
def days(
    travelled: datetime,
    ledger: Ledger,
    secrets_store: TerminalSecrets,
    api_server: ApiServer,
    tmp_path: Path,
) -> Iterator[tuple[Day, Day]]:
    taps = plan(seed=2026, now=now())
    with httpx.Client(limits=httpx.Limits(max_connections=8)) as http:
        first = play_offline(ledger, secrets_store, api_server, tmp_path / "a", taps, http)
        second = play_offline(ledger, secrets_store, api_server, tmp_path / "b", taps, http)
        yield first, second
        for reader in first.readers + second.readers:
            reader.close()


def test_fifty_offline_readers_converge_to_the_same_balances_and_attendance(
    travelled: datetime, ledger: Ledger, days: tuple[Day, Day]
) -> None:
    first, second = days
    declined = [d for _, d in first.decisions if d["outcome"] == "declined"]
    assert {d["reason"] for d in declined} == {"card_blocked", "offline_cap"}  # both happen

    upload_shuffled(first, seed=1)
    upload_shuffled(second, seed=2)

    for day in (first, second):
        assert not any(r.journal.pending() for r in day.readers)
        stories = [account_story(ledger, p.account_id) for p in day.pupils]
        assert stories == expected(day)
    assert [shape(account_story(ledger, p.account_id)) for p in first.pupils] == [
        shape(account_story(ledger, p.account_id)) for p in second.pupils
    ]
    assert any(s["regular"] < 0 for s in expected(first))  # offline meals ran into debt
