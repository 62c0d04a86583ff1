"""Roster CSV lines checked one by one (domain/roster.py), and class promotion's arithmetic."""

import pytest

from domain.enrolment import next_class
from domain.errors import InvalidCommandError
from domain.roster import parse

HEADER = "contract_number;class;pupil_name;parent_name;parent_phone;card_uid"


def test_each_bad_line_is_reported_with_its_reason_and_good_lines_are_kept() -> None:
    good, bad = parse("\n".join([
        HEADER,
        "C-1;5А;Аня;Ольга;+7 913 111-00-01;04A1B2C3D4E5F6",
        "C-2;5А;Боря;Пётр;+79131110002;",
        "C\x00-3;5А;Вера;Нина;+79131110003;",
        "C-4;5А;Гоша;Ира;+79131110004;not-a-uid",
        "C-5;5А;Дима",
        "",
        ";5А;Женя;Лена;+79131110006;",
    ]))  # fmt: skip
    assert [(g.line, g.contract_number, g.parent_phone, g.card_uids) for g in good] == [
        (2, "C-1", "+79131110001", ("04A1B2C3D4E5F6",)),
        (3, "C-2", "+79131110002", ()),
    ]
    assert [(b.line, b.code) for b in bad] == [
        (4, "invalid_command"), (5, "malformed_uid"), (6, "columns"), (8, "invalid_command"),
    ]  # fmt: skip
    assert "\x00" not in bad[0].contract_number


@pytest.mark.parametrize(
    "content",
    ["", "contract;class\nC-1;5А", HEADER + ";extra\n", "\ufeff" + HEADER.replace("class", "")],
)
def test_a_roster_without_its_header_is_refused_whole(content: str) -> None:
    with pytest.raises(InvalidCommandError):
        parse(content)


def test_promotion_moves_a_grade_up_and_the_last_grade_leaves() -> None:
    assert next_class("5А") == "6А"
    assert next_class("9 Б") == "10 Б"
    assert next_class("11В") is None
    assert next_class("4А", final_grade=4) is None
    with pytest.raises(InvalidCommandError):
        next_class("Подготовительный")
