"""The real PC/SC stack: pcscd, the vpcd virtual reader, our virtual card, the reader command,
the API server and PostgreSQL. A card put on the reader is a tap posted, and money moves."""

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.terminal_auth import TerminalSecrets
from domain.kinds import TerminalKind
from tests.builders import SchoolWorld
from tests.reader.conftest import secret_file
from tests.reader.fake_card import FakeCard
from tests.reader.rig import ROOT, ApiServer, JsonLines, Pcscd, stop


@pytest.fixture
def reader_process(
    world: SchoolWorld, secrets_store: TerminalSecrets, api_server: ApiServer, pcsc: Pcscd,
    tmp_path: Path,
) -> Iterator[JsonLines]:  # fmt: skip
    terminal = world.terminals[TerminalKind.CANTEEN_POS]
    secret = secrets_store.issue(terminal, world.school_id)
    process = subprocess.Popen(
        [sys.executable, "-m", "adapters.cli.main", "reader",
         "--terminal", str(terminal), "--secret-file", str(secret_file(tmp_path, secret)),
         "--server", api_server.url, "--kind", "canteen_pos",
         "--item", "LUNCH:Комплексный обед:9000:meal",
         "--journal-dir", str(tmp_path / "journal"), "--live-wait", "10",
         "--dedupe-window", "0"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=(tmp_path / "reader.log").open("wb"),
    )  # fmt: skip
    assert process.stdout is not None
    yield JsonLines(process.stdout)
    stop(process)


def test_a_card_on_the_reader_is_a_tap_posted_and_the_balance_changes(
    world: SchoolWorld, pcsc: Pcscd, reader_process: JsonLines
) -> None:
    pupil = world.pupil(deposit=50_000)
    card = FakeCard(pupil.uid, pcsc.port)

    card.insert()
    shown = reader_process.next()
    card.remove()

    assert shown["card_uid"] == pupil.uid
    assert shown["decision"]["outcome"] == "approved"
    assert shown["decision"].get("offline") is not True
    assert shown["decision"]["regular_after"] == 41_000
    assert world.ledger.account(pupil.account_id).regular == 41_000
    assert bytes.fromhex("FFCA000000") in card.apdus


def test_the_reader_keeps_working_after_pcscd_restarts(
    world: SchoolWorld, pcsc: Pcscd, reader_process: JsonLines
) -> None:
    pupil = world.pupil(deposit=50_000)
    card = FakeCard(pupil.uid, pcsc.port)
    card.insert()
    assert reader_process.next()["decision"]["outcome"] == "approved"
    card.remove()

    pcsc.restart()  # the readers vanish and come back; the reader's context is broken
    card.insert()
    again = reader_process.next()
    card.remove()

    assert again["decision"]["outcome"] == "approved"
    assert again["decision"]["tap_id"] != ""
    assert world.ledger.account(pupil.account_id).regular == 50_000 - 2 * 9000


def test_a_card_held_on_the_reader_is_one_tap(
    world: SchoolWorld, pcsc: Pcscd, reader_process: JsonLines
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
