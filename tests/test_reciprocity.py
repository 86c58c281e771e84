"""The reciprocity table as data (30 ILCS 500/45-10(a); 44 Ill. Adm. Code 1.4510(c)): its file
format, with the source and the date each state's percent was read, and its versions in
PostgreSQL as the operator loads and lists them."""

from __future__ import annotations

import argparse
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import asyncpg
import pytest

from db import reciprocity as stored
from procure import cli
from rules import reciprocity

D = Decimal


async def test_the_shipped_table_is_in_force_and_says_it_is_illustrative(
    pool: asyncpg.Pool,
) -> None:
    effective_from, states = await stored.in_force(pool, date(2099, 3, 2))
    assert effective_from == date(2026, 1, 1)
    assert states["WY"] == "5" and states["WV"] == "2.5" and states["IA"] == "0"
    assert await stored.in_force(pool, date(2025, 12, 31)) == (None, {})
    shipped = [r for r in await stored.versions(pool) if r["effective_from"] == date(2026, 1, 1)]
    assert shipped and all("verify before production use" in r["source"] for r in shipped)


async def test_the_operator_loads_a_version_and_lists_every_one(
    pool: asyncpg.Pool, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``procure reciprocity load FILE`` records a version (replacing one of the same day) and
    lists every version; a file that does not say where it was read is refused, naming why."""
    path = tmp_path / "recip.json"
    version = {
        "effective_from": "2199-07-01",
        "source": "Wyoming procurement office, preference statute",
        "read_on": "2199-06-15",
        "states": {"WY": {"percent": "5", "law": "Wyo. Stat. 16-6-102"}, "IN": "1"},
    }
    try:
        path.write_text(json.dumps(version))
        args = argparse.Namespace(reciprocity_command="load", file=path)
        assert await cli._reciprocity(args, database_url) == 0
        shown = capsys.readouterr().out
        assert "loaded 2 states in force from 2199-07-01" in shown
        assert "2199-07-01  WY    5.00%  Wyo. Stat. 16-6-102  (read 2199-06-15: Wyoming" in shown
        path.write_text(json.dumps(version | {"states": {"WY": "4"}}))
        assert await cli._reciprocity(args, database_url) == 0
        capsys.readouterr()
        assert await stored.in_force(pool, date(2199, 7, 1)) == (date(2199, 7, 1), {"WY": "4"})
        path.write_text(json.dumps({k: v for k, v in version.items() if k != "source"}))
        with pytest.raises(SystemExit, match="'source' says where the percentages were read"):
            await cli._reciprocity(args, database_url)
    finally:
        await pool.execute("DELETE FROM reciprocal_preferences WHERE effective_from = '2199-07-01'")


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
