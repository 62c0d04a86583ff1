"""The deny list: blocked card UIDs of the terminal's own school, versioned, with the cap."""

from api.deny_list import DenyList
from tests.terminals.rig import TerminalWorld


def test_deny_list_names_own_schools_blocked_cards_and_moves_its_version(
    school: TerminalWorld, other_school: TerminalWorld
) -> None:
    lost, kept, second = (school.world.pupil() for _ in range(3))
    stranger = other_school.world.pupil()
    school.ledger.block_card(lost.account_id, lost.uid, "lost")
    other_school.ledger.block_card(stranger.account_id, stranger.uid, "lost")
    turnstile = school["turnstile"]

    first = turnstile.get("/terminal/v1/deny-list?since=0").json()
    unchanged = turnstile.get(f"/terminal/v1/deny-list?since={first['version']}").json()
    school.ledger.block_card(second.account_id, second.uid, "stolen")
    later = turnstile.get(f"/terminal/v1/deny-list?since={first['version']}").json()

    assert first["uids"] == [lost.uid]
    assert first["version"] > 0
    assert first["offline_cap"] == 25_000
    assert (unchanged["version"], unchanged["changed"]) == (first["version"], False)
    assert later["changed"] is True
    assert later["version"] > first["version"]
    assert sorted(later["uids"]) == sorted([lost.uid, second.uid])
    assert kept.uid not in later["uids"]


def test_a_school_without_blocked_cards_has_an_empty_list_at_version_zero(
    school: TerminalWorld,
) -> None:
    answer = school["canteen_pos"].get("/terminal/v1/deny-list")
    assert answer.json() == {"version": 0, "changed": False, "uids": [], "offline_cap": 25_000}


def test_a_card_unblocked_by_support_leaves_the_list_and_moves_its_version(
    school: TerminalWorld,
) -> None:
    found = school.world.pupil()
    school.ledger.block_card(found.account_id, found.uid, "lost")
    turnstile = school["turnstile"]
    blocked = turnstile.get("/terminal/v1/deny-list?since=0").json()
    school.ledger.unblock_card(found.account_id, found.uid, "нашлась")
    after = turnstile.get(f"/terminal/v1/deny-list?since={blocked['version']}").json()
    assert blocked["uids"] == [found.uid]
    assert after["uids"] == []
    assert after["changed"] is True
    assert after["version"] > blocked["version"]


def test_a_tail_of_small_pages_reaches_the_head_and_keeps_every_block_in_order(
    school: TerminalWorld, other_school: TerminalWorld
) -> None:
    lost = [school.world.pupil() for _ in range(5)]
    foreign = other_school.world.pupil()
    tail = DenyList(school.ledger, page_size=2)
    tail.for_school(school.world.school_id)  # stands at the head: later calls read only news
    for pupil in lost:
        school.ledger.block_card(pupil.account_id, pupil.uid, "lost")
    other_school.ledger.block_card(foreign.account_id, foreign.uid, "lost")
    school.ledger.unblock_card(lost[0].account_id, lost[0].uid, "нашлась")
    fresh = DenyList(school.ledger, page_size=1000)

    version, uids = tail.for_school(school.world.school_id)

    assert uids == sorted(p.uid for p in lost[1:])
    assert (version, uids) == fresh.for_school(school.world.school_id)
    assert tail.for_school(other_school.world.school_id)[1] == [foreign.uid]
