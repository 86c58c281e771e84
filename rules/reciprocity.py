"""The other states' resident preferences an Illinois resident is matched against
(30 ILCS 500/45-10(a); 44 Ill. Adm. Code 1.4510(c)), as a table of data with its sources.

A table is a version: the day it takes effect and, per state, the percent preference that
state gives or requires for its own residents, the law that gives it and where and when it was
read. The chief procurement officer loads a new version as the states' laws change
(``procure reciprocity load``); a procurement evaluates with the version in force on the day
it was first advertised (45-10(b) fixes residency on that day too), so a table loaded later
never changes a running procurement.

The file format (JSON): ``{"effective_from": "YYYY-MM-DD", "source": "...", "read_on":
"YYYY-MM-DD", "states": {"WY": "5", "IN": {"percent": "1", "law": "...", "source": "...",
"read_on": "YYYY-MM-DD"}}}``; a state given as a bare percent takes the table's source and
date. 0 or absent: the state gives no preference.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

CITATION = "30 ILCS 500/45-10(a); 44 Ill. Adm. Code 1.4510(c)"


@dataclass(frozen=True)
class Entry:
    state: str
    percent: Decimal
    law: str | None
    source: str
    read_on: date


@dataclass(frozen=True)
class Table:
    effective_from: date
    entries: tuple[Entry, ...]

    def percents(self) -> dict[str, Decimal]:
        return {e.state: e.percent for e in self.entries}


def _date(value: Any, where: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"{where}: a date YYYY-MM-DD, not {value!r}") from None


def _percent(value: Any, where: str) -> Decimal:
    try:
        percent = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f'{where}: a percent such as "5" or "2.5", not {value!r}') from None
    if not percent.is_finite() or percent < 0 or percent >= 100:
        raise ValueError(f"{where}: a percent from 0 to under 100, not {value!r}")
    return percent


def parse(data: Any, where: str = "table") -> Table:
    """A table from its JSON form; every fault named with where it is."""
    if not isinstance(data, dict) or not isinstance(data.get("states"), dict):
        raise ValueError(f"{where}: expected an object with a 'states' object")
    source = data.get("source") or data.get("note")
    if not isinstance(source, str) or not source.strip():
        raise ValueError(f"{where}: 'source' says where the percentages were read")
    read_on = _date(data.get("read_on") or data.get("as_of"), f"{where}: read_on")
    effective = _date(data.get("effective_from") or data.get("as_of"), f"{where}: effective_from")
    entries: list[Entry] = []
    for key, value in data["states"].items():
        at = f"{where}: states.{key}"
        if not isinstance(key, str) or not re.fullmatch(r"[A-Za-z]{2}", key):
            raise ValueError(f"{at}: a two-letter state code")
        if isinstance(value, dict):
            entry = Entry(
                key.upper(),
                _percent(value.get("percent"), f"{at}.percent"),
                value.get("law"),
                str(value.get("source") or source),
                _date(value["read_on"], f"{at}.read_on") if value.get("read_on") else read_on,
            )
        else:
            entry = Entry(key.upper(), _percent(value, at), None, source, read_on)
        if any(e.state == entry.state for e in entries):
            raise ValueError(f"{at}: state {entry.state} is listed twice")
        entries.append(entry)
    return Table(effective, tuple(sorted(entries, key=lambda e: e.state)))


def load(path: Path) -> Table:
    return parse(json.loads(path.read_text(encoding="utf-8")), str(path))
