"""The reciprocity table as data (30 ILCS 500/45-10(a); 44 Ill. Adm. Code 1.4510(c)): its file
format, with the source and the date each state's percent was read."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from rules import reciprocity
from rules.evaluation import load_reciprocal_preferences

D = Decimal


def test_the_shipped_table_loads_and_says_it_is_illustrative() -> None:
    table = reciprocity.load()
    assert table.entries and table.effective_from == date(2026, 1, 1)
    for entry in table.entries:
        assert len(entry.state) == 2 and entry.state.isupper() and entry.percent >= 0
        assert "verify before production use" in entry.source
    raw = json.loads(reciprocity.DEFAULT_PATH.read_text(encoding="utf-8"))
    assert raw["citation"] == reciprocity.CITATION
    assert load_reciprocal_preferences() == table.percents()


def test_a_table_with_its_sources(tmp_path: Path) -> None:
    path = tmp_path / "recip.json"
    path.write_text(
        json.dumps(
            {
                "effective_from": "2099-07-01",
                "source": "State procurement offices' published preference laws",
                "read_on": "2099-06-15",
                "states": {
                    "wy": "5",
                    "WV": 2.5,
                    "IA": 0,
                    "IN": {"percent": "1", "law": "Ind. Code 5-22-15-20", "read_on": "2099-06-01"},
                },
            }
        )
    )
    table = reciprocity.load(path)
    assert table.effective_from == date(2099, 7, 1)
    assert table.percents() == {"IA": D("0"), "IN": D("1"), "WV": D("2.5"), "WY": D("5")}
    indiana = next(e for e in table.entries if e.state == "IN")
    assert indiana.law == "Ind. Code 5-22-15-20" and indiana.read_on == date(2099, 6, 1)
    assert indiana.source == "State procurement offices' published preference laws"
    assert next(e for e in table.entries if e.state == "WY").read_on == date(2099, 6, 15)


@pytest.mark.parametrize(
    ("states", "fault"),
    [
        ({"WY": "-1"}, "0 to under 100"),
        ({"WY": "100"}, "0 to under 100"),
        ({"WY": "five"}, "a percent"),
        ({"Wyoming": "5"}, "two-letter"),
        ({"WY": "5", "wy": "6"}, "twice"),
    ],
)
def test_a_bad_table_is_refused_naming_the_entry(states: dict[str, str], fault: str) -> None:
    data = {
        "effective_from": "2099-07-01",
        "source": "s",
        "read_on": "2099-06-15",
        "states": states,
    }
    with pytest.raises(ValueError, match=fault):
        reciprocity.parse(data)


def test_a_table_says_where_it_was_read() -> None:
    with pytest.raises(ValueError, match="source"):
        reciprocity.parse({"effective_from": "2099-07-01", "read_on": "2099-06-15", "states": {}})
    with pytest.raises(ValueError, match="states"):
        reciprocity.parse({"state": {}})
