"""When the server is away the reader keeps deciding; when it is back every tap lands once."""

import random
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from adapters.terminal_auth import TerminalSecrets
from domain.kinds import TerminalKind
from reader.journal import DenyList
from tests.builders import Pupil, SchoolWorld
from tests.clock import now
from tests.reader.harness import BUN, LUNCH, SimReader, account_story, sim_reader
from tests.reader.rig import ApiServer, wait_for


@dataclass
class Canteen:
    """A school's canteen reader terminal with its secret, the API server it talks to, and the
    folder its journal lives in."""

    world: SchoolWorld
    api_server: ApiServer
    terminal: UUID
    secret: str
    journal_dir: Path

    def reader(
        self,
        items: list[dict[str, Any]],
        *,
        url: str | None = None,
        secret: str | None = None,
        live_wait: float = 2.0,
    ) -> SimReader:
        """A reader selling `items` (to this API server, with this secret, unless told)."""
        return sim_reader(
            self.journal_dir,
            self.api_server.url if url is None else url,
            self.terminal,
            self.secret if secret is None else secret,
            {"items": items},
            live_wait=live_wait,
        )


@pytest.fixture
def canteen(
    travelled: datetime,
    world: SchoolWorld,
    secrets_store: TerminalSecrets,
    api_server: ApiServer,
    tmp_path: Path,
) -> Canteen:
    """On the travelled clock; first among a test's arguments, so the clock travels before
    the school it asks for is made."""
    terminal = world.terminals[TerminalKind.CANTEEN_POS]
    secret = secrets_store.issue(terminal, world.school_id)
    return Canteen(world, api_server, terminal, secret, tmp_path / "j")


def test_taps_made_while_the_server_is_down_are_uploaded_once_when_it_is_back(
    canteen: Canteen, world: SchoolWorld, api_server: ApiServer
) -> None:
    pupil = world.pupil(deposit=50_000)
    reader = canteen.reader([LUNCH])
    reader.service.refresh_deny_list(force=True)  # online: the last deny list and offline cap
    assert reader.journal.deny_list().offline_cap > 3 * 9000
    reader.service.start()

    api_server.stop()
    decisions = [reader.service.tap(f"reader-{n}", pupil.uid) for n in range(3)]

    assert [d and (d["outcome"], d["offline"]) for d in decisions] == [("approved", True)] * 3
    assert len(reader.journal.pending()) == 3
    assert world.ledger.account(pupil.account_id).regular == 50_000  # nothing reached it

    api_server.start()
    wait_for("the backlog to upload", lambda: not reader.journal.pending())
    reader.service.stop()

    tap_ids = [d["tap_id"] for d in decisions if d]
    story = account_story(world.ledger, pupil.account_id)
    assert story["regular"] == 50_000 - 3 * 9000
    assert story["charged"] == dict.fromkeys(tap_ids, 1)
    for tap_id in tap_ids:
        settled = reader.journal.settled_result(tap_id)
        assert settled is not None
        assert settled["outcome"] == "approved"

    # A crash after posting but before the answers were saved: the batch goes again.
    with sqlite3.connect(canteen.journal_dir / "state.sqlite") as db:
        db.execute("DELETE FROM settled")
        db.execute("DELETE FROM meta WHERE key = 'scan_from'")
    assert len(reader.journal.pending()) == 3
    reader.service.upload_once()
    assert not reader.journal.pending()
    assert all(reader.journal.settled_result(t)["replayed"] for t in tap_ids)  # type: ignore[index]
    assert account_story(world.ledger, pupil.account_id) == story
    reader.close()


def with_a_blocked_pupil(
    canteen: Canteen, items: list[dict[str, Any]]
) -> tuple[Pupil, Pupil, SimReader]:
    """A pupil, a pupil whose card is blocked, and a canteen reader that knows the deny list."""
    world = canteen.world
    pupil, blocked = world.pupil(deposit=50_000), world.pupil(deposit=50_000)
    world.ledger.block_card(blocked.account_id, blocked.uid, "lost")
    reader = canteen.reader(items)
    reader.service.refresh_deny_list(force=True)
    return pupil, blocked, reader


def test_a_card_on_the_deny_list_or_over_the_offline_cap_is_declined_and_never_sent(
    canteen: Canteen, world: SchoolWorld, api_server: ApiServer
) -> None:
    pupil, blocked, reader = with_a_blocked_pupil(canteen, [LUNCH, BUN])
    deny = reader.journal.deny_list()
    assert blocked.uid in deny.uids
    reader.service.start()
    api_server.stop()

    allowed = deny.offline_cap // (9000 + 4500)
    decisions = [reader.service.tap(f"r{n}", pupil.uid) for n in range(allowed + 1)]
    refused = reader.service.tap("r-blocked", blocked.uid)

    assert [d and d["outcome"] for d in decisions] == ["approved"] * allowed + ["declined"]
    assert decisions[-1]
    assert decisions[-1]["reason"] == "offline_cap"
    assert refused
    assert (refused["outcome"], refused["reason"]) == ("declined", "card_blocked")
    assert len(reader.journal.pending()) == allowed  # the declined ones stay local

    api_server.start()
    wait_for("the backlog to upload", lambda: not reader.journal.pending())
    reader.service.stop()
    assert world.ledger.account(pupil.account_id).regular == 50_000 - allowed * 13_500
    assert account_story(world.ledger, blocked.account_id)["charged"] == {}
    reader.close()


def test_damaged_journal_records_are_never_posted_and_whole_ones_are(
    canteen: Canteen, world: SchoolWorld
) -> None:
    pupils = [world.pupil(deposit=50_000) for _ in range(8)]
    offline_url = "http://127.0.0.1:9"  # nothing listens: the reader is offline
    reader = canteen.reader([LUNCH], url=offline_url, live_wait=0)
    log = canteen.journal_dir / "taps.log"
    spans = []
    for n, pupil in enumerate(pupils):
        start = log.stat().st_size
        tapped_at = now().isoformat()
        tap = {"tap_id": f"t{n}", "card_uid": pupil.uid, "tapped_at": tapped_at, "items": [LUNCH]}
        reader.journal.record_tap(tap)
        spans.append((start, log.stat().st_size))
    reader.close()

    rng = random.Random(5)
    data = bytearray(log.read_bytes())
    hit = {rng.randrange(*spans[n]) for n in (1, 4)}  # inside records 1 and 4
    for at in hit:
        data[at] ^= 0x5A
    cut = rng.randrange(spans[7][0] + 1, spans[7][1])  # record 7 cut off mid-write
    log.write_bytes(bytes(data[:cut]))

    online = canteen.reader([LUNCH])
    while online.service.upload_once():
        pass
    assert not online.journal.pending()
    online.close()

    charged = [account_story(world.ledger, p.account_id)["charged"] for p in pupils]
    assert [sum(c.values()) for c in charged] == [1, 0, 1, 1, 0, 1, 1, 0]
    for n in (0, 2, 3, 5, 6):
        assert world.ledger.account(pupils[n].account_id).regular == 41_000


def test_a_reader_with_nothing_to_upload_notices_the_server_is_back(
    canteen: Canteen, api_server: ApiServer
) -> None:
    pupil, blocked, reader = with_a_blocked_pupil(canteen, [LUNCH])
    reader.service.start()
    api_server.stop()
    refused = reader.service.tap("r1", blocked.uid)  # decided offline, nothing left to upload
    assert refused is not None
    assert (refused["offline"], refused["outcome"]) == (True, "declined")
    assert not reader.journal.pending()

    api_server.start()
    wait_for("the reader to be online", lambda: reader.service.online)
    decision = reader.service.tap("r1", pupil.uid)
    reader.service.stop()

    assert decision is not None
    assert decision["outcome"] == "approved"
    assert decision.get("offline") is not True
    assert decision["regular_after"] == 41_000
    reader.close()


def test_a_refused_signature_never_drops_a_tap(canteen: Canteen, world: SchoolWorld) -> None:
    pupil = world.pupil(deposit=50_000)
    wrong = canteen.reader([LUNCH], secret="0" * 64, live_wait=0.5)
    wrong.journal.save_deny_list(DenyList(None, frozenset(), 30_000))
    wrong.service.start()
    decision = wrong.service.tap("r1", pupil.uid)
    wrong.service.stop()
    assert decision is not None
    assert (decision["outcome"], decision["offline"]) == ("approved", True)
    assert len(wrong.journal.pending()) == 1  # refused (401), kept
    wrong.close()

    fixed = canteen.reader([LUNCH])
    assert fixed.service.upload_once() is False
    assert not fixed.journal.pending()
    assert world.ledger.account(pupil.account_id).regular == 41_000
    fixed.close()
