"""The journal keeps taps across restarts and never hands out a damaged record."""

import random
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from reader.framing import Damage, Frame, frame, scan
from reader.journal import DenyList, Journal


def a_tap(n: int) -> dict[str, Any]:
    return {
        "tap_id": str(uuid4()),
        "card_uid": f"04A1B2C3D4E5{n % 256:02X}",
        "tapped_at": f"2026-11-25T08:{n % 60:02d}:00+07:00",
        "items": [{"code": "LUNCH", "name": "Комплексный обед", "price": 9000, "quantity": 1,
                   "meal": True}] * (1 + n % 3),
    }  # fmt: skip


def test_taps_survive_a_restart_in_order_until_settled(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    taps = [a_tap(n) for n in range(5)]
    for tap in taps:
        journal.record_tap(tap)
    journal.record_offline(taps[1]["tap_id"], {"outcome": "approved"})
    journal.close()

    reopened = Journal(tmp_path)
    pending = reopened.pending()
    assert [p.tap for p in pending] == taps
    assert [p.offline for p in pending] == [False, True, False, False, False]
    assert pending[1].body()["offline"] is True

    reopened.mark_settled({taps[0]["tap_id"]: {"outcome": "approved"}})
    reopened.mark_settled({taps[2]["tap_id"]: {"outcome": "declined"}})
    assert [p.tap for p in reopened.pending()] == [taps[1], taps[3], taps[4]]
    assert reopened.settled_result(taps[2]["tap_id"]) == {"outcome": "declined"}
    reopened.close()


def test_a_journal_has_one_owner_at_a_time(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    with pytest.raises(RuntimeError, match="another reader process"):
        Journal(tmp_path)
    journal.close()
    Journal(tmp_path).close()


def test_the_request_counter_only_goes_up_across_restarts(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    first = [journal.next_counter() for _ in range(3)]
    journal.close()
    reopened = Journal(tmp_path)
    later = reopened.next_counter()
    reopened.close()
    assert first == sorted(set(first))
    assert later > first[-1]


def test_the_deny_list_and_offline_spending_are_kept(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    journal.save_deny_list(DenyList(7, frozenset({"04AABBCCDDEEFF"}), 30_000))
    journal.add_offline_spend("04A1B2C3D4E5F6", "2026-11-25", 9000)
    journal.add_offline_spend("04A1B2C3D4E5F6", "2026-11-25", 4500)
    journal.close()
    reopened = Journal(tmp_path)
    assert reopened.deny_list() == DenyList(7, frozenset({"04AABBCCDDEEFF"}), 30_000)
    assert reopened.offline_spent("04A1B2C3D4E5F6", "2026-11-25") == 13_500
    assert reopened.offline_spent("04A1B2C3D4E5F6", "2026-11-26") == 0
    reopened.close()


def damage(data: bytes, rng: random.Random) -> tuple[bytes, set[int], int]:
    """Flip some bytes and maybe cut the tail: (new bytes, damaged offsets, new length)."""
    hits = {rng.randrange(len(data)) for _ in range(rng.randint(1, 6))}
    damaged = bytearray(data)
    for at in hits:
        damaged[at] ^= rng.randint(1, 255)
    cut = rng.randrange(len(data)) if rng.random() < 0.5 else len(data)
    return bytes(damaged[:cut]), hits, cut


def damage_remains(hits: set[int], cut: int, spans: list[tuple[int, int]]) -> bool:
    """Damage is left in the file unless the cut fell on a frame boundary before every hit."""
    return any(at < cut for at in hits) or cut not in {0, *(end for _, end in spans)}


@pytest.mark.parametrize("seed", range(300))
def test_scanning_returns_exactly_the_intact_frames_after_random_damage(seed: int) -> None:
    rng = random.Random(seed)
    payloads = [f'{{"n":{n},"name":"Булочка"}}'.encode() * rng.randint(1, 4) for n in range(20)]
    data, spans = b"", []
    for payload in payloads:
        framed = frame(payload)
        spans.append((len(data), len(data) + len(framed)))
        data += framed
    damaged, hits, cut = damage(data, rng)

    intact = [
        payload
        for payload, (start, end) in zip(payloads, spans, strict=True)
        if end <= cut and not any(start <= at < end for at in hits)
    ]
    items = list(scan(damaged))
    assert [i.payload for i in items if isinstance(i, Frame)] == intact
    covered = sum(i.end - i.offset for i in items)
    assert covered == len(damaged)  # every byte is either a whole frame or reported damage
    assert any(isinstance(i, Damage) for i in items) == damage_remains(hits, cut, spans)


@pytest.mark.parametrize("seed", range(40))
def test_a_damaged_journal_offers_only_whole_taps_and_keeps_working(
    tmp_path: Path, seed: int
) -> None:
    rng = random.Random(seed)
    journal = Journal(tmp_path)
    taps = [a_tap(n) for n in range(12)]
    spans = []
    log = tmp_path / "taps.log"
    for tap in taps:
        start = log.stat().st_size
        journal.record_tap(tap)
        spans.append((start, log.stat().st_size))
    journal.close()

    damaged, hits, cut = damage(log.read_bytes(), rng)
    log.write_bytes(damaged)
    intact = [
        tap
        for tap, (start, end) in zip(taps, spans, strict=True)
        if end <= cut and not any(start <= at < end for at in hits)
    ]

    reopened = Journal(tmp_path)
    assert [p.tap for p in reopened.pending()] == intact
    assert bool(reopened.damaged) == damage_remains(hits, cut, spans)  # the operator sees it
    later = a_tap(99)
    reopened.record_tap(later)  # appending after damage still works
    assert [p.tap for p in reopened.pending()] == [*intact, later]
    reopened.close()
