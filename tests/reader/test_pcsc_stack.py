"""The real PC/SC stack: pcscd, the vpcd virtual reader, our virtual card, the reader command,
the API server and PostgreSQL. A card put on the reader is a tap posted, and money moves."""

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.terminal_auth import TerminalSecrets
from app.processes import dies_with_parent
from domain.kinds import TerminalKind
from reader.journal import Journal
from tests.builders import SchoolWorld
from tests.reader.conftest import secret_file
from tests.reader.fake_card import FakeCard
from tests.reader.harness import account_story
from tests.reader.rig import ROOT, ApiServer, JsonLines, Pcscd, stop, wait_for


class ReaderCli:
    """The `infoshkola reader` command as a child process, its decisions read from stdout."""

    def __init__(self, args: list[str], log: Path) -> None:
        self.args, self.log = args, log
        self.process: subprocess.Popen[bytes] | None = None
        self.lines: JsonLines | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "reader", *self.args],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=self.log.open("ab"),
            preexec_fn=dies_with_parent(),
        )  # fmt: skip
        assert self.process.stdout is not None
        self.lines = JsonLines(self.process.stdout)

    def next(self) -> dict[str, Any]:
        assert self.lines is not None
        return self.lines.next()

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.process = None


def put_on_and_taken_off(card: FakeCard, reader: ReaderCli) -> dict[str, Any]:
    """What the reader shows for a card put on it (read once, then taken off)."""
    card.insert()
    shown = reader.next()
    card.remove()
    return shown


@pytest.fixture
def reader_process(
    world: SchoolWorld, secrets_store: TerminalSecrets, api_server: ApiServer, pcsc: Pcscd,
    tmp_path: Path,
) -> Iterator[ReaderCli]:  # fmt: skip
    terminal = world.terminals[TerminalKind.CANTEEN_POS]
    secret = secrets_store.issue(terminal, world.school_id)
    cli = ReaderCli(
        ["--terminal", str(terminal), "--secret-file", str(secret_file(tmp_path, secret)),
         "--server", api_server.url, "--kind", "canteen_pos",
         "--item", "LUNCH:Комплексный обед:9000:meal",
         "--journal-dir", str(tmp_path / "journal"), "--live-wait", "10",
         "--dedupe-window", "0"],
        tmp_path / "reader.log",
    )  # fmt: skip
    cli.start()
    yield cli
    cli.stop()


def test_a_card_on_the_reader_is_a_tap_posted_and_the_balance_changes(
    world: SchoolWorld, pcsc: Pcscd, reader_process: ReaderCli
) -> None:
    pupil = world.pupil(deposit=50_000)
    card = FakeCard(pupil.uid, pcsc.port)
    shown = put_on_and_taken_off(card, reader_process)

    assert shown["card_uid"] == pupil.uid
    assert shown["decision"]["outcome"] == "approved"
    assert shown["decision"].get("offline") is not True
    assert shown["decision"]["regular_after"] == 41_000
    assert world.ledger.account(pupil.account_id).regular == 41_000
    assert bytes.fromhex("FFCA000000") in card.apdus


def test_the_reader_keeps_working_after_pcscd_restarts(
    world: SchoolWorld, pcsc: Pcscd, reader_process: ReaderCli
) -> None:
    pupil = world.pupil(deposit=50_000)
    card = FakeCard(pupil.uid, pcsc.port)
    assert put_on_and_taken_off(card, reader_process)["decision"]["outcome"] == "approved"

    pcsc.restart()  # the readers vanish and come back; the reader's context is broken
    again = put_on_and_taken_off(card, reader_process)

    assert again["decision"]["outcome"] == "approved"
    assert again["decision"]["tap_id"] != ""
    assert world.ledger.account(pupil.account_id).regular == 50_000 - 2 * 9000


def test_a_card_held_on_the_reader_is_one_tap(
    world: SchoolWorld, pcsc: Pcscd, reader_process: ReaderCli
) -> None:
    held, other = world.pupil(deposit=50_000), world.pupil(deposit=50_000)
    held_card = FakeCard(held.uid, pcsc.port)
    held_card.insert()
    assert reader_process.next()["card_uid"] == held.uid

    other_card = FakeCard(other.uid, pcsc.port + 1)  # the second slot of the virtual reader
    other_card.insert()
    shown = reader_process.next()  # the held card has not been read again meanwhile
    other_card.remove()
    held_card.remove()

    assert shown["card_uid"] == other.uid
    assert world.ledger.account(held.account_id).regular == 41_000
    assert world.ledger.account(other.account_id).regular == 41_000


def offline_cap_known(journal_dir: Path) -> bool:
    """The reader process has fetched its first deny list (read beside it, WAL allows it)."""
    if not (journal_dir / "state.sqlite").exists():
        return False
    with sqlite3.connect(journal_dir / "state.sqlite") as db:
        try:
            row = db.execute("SELECT value FROM meta WHERE key = 'offline_cap'").fetchone()
        except sqlite3.OperationalError:  # the reader is still creating its tables
            return False
    return row is not None and int(row[0]) > 0


def test_taps_made_while_the_server_is_down_survive_a_reader_restart_and_post_once(
    world: SchoolWorld, pcsc: Pcscd, api_server: ApiServer, reader_process: ReaderCli,
    tmp_path: Path,
) -> None:  # fmt: skip
    pupils = [world.pupil(deposit=50_000) for _ in range(2)]
    wait_for("the first deny list", lambda: offline_cap_known(tmp_path / "journal"))
    api_server.stop()

    for pupil in pupils:
        shown = put_on_and_taken_off(FakeCard(pupil.uid, pcsc.port), reader_process)
        assert (shown["decision"]["outcome"], shown["decision"]["offline"]) == ("approved", True)
    reader_process.stop()  # the reader goes down too, its journal full

    journal = Journal(tmp_path / "journal")
    assert [(p.tap["card_uid"], p.offline) for p in journal.pending()] == [
        (p.uid, True) for p in pupils
    ]
    journal.close()
    assert [world.ledger.account(p.account_id).regular for p in pupils] == [50_000, 50_000]

    api_server.start()
    reader_process.start()  # a new process on the same journal uploads the backlog
    wait_for(
        "the backlog to be posted",
        lambda: all(world.ledger.account(p.account_id).regular == 41_000 for p in pupils),
    )
    for pupil in pupils:
        assert sum(account_story(world.ledger, pupil.account_id)["charged"].values()) == 1
