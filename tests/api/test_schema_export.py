"""schema.graphql at the repository root is the code's schema: regenerate it when this fails
(`.venv/bin/python -m api.graphql.schema > schema.graphql`)."""

from pathlib import Path

from api.graphql.schema import sdl

ROOT = Path(__file__).resolve().parents[2]


def test_schema_graphql_is_the_exported_schema() -> None:
    exported = (ROOT / "schema.graphql").read_text(encoding="utf-8")
    assert exported == sdl(), (
        "schema.graphql is stale: python -m api.graphql.schema > schema.graphql"
    )


def test_money_and_positions_are_strings_not_32_bit_ints() -> None:
    text = sdl()
    assert "scalar Kopecks" in text
    assert "scalar Position" in text
    for line in text.splitlines():
        if any(w in line for w in ("regular", "amount", "Limit", "turnover", "price", "position")):
            assert ": Int" not in line, line
