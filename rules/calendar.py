"""Counts the days of a statutory period under 30 ILCS 500/15-45, in America/Chicago.

30 ILCS 500/15-45: "The time within which any act provided in this Code is to be done shall
be computed by excluding the first day and including the last, unless the last day is
Saturday or Sunday or is a holiday, and then it shall also be excluded. If the day succeeding
a Saturday, Sunday, or holiday is also a holiday, a Saturday, or a Sunday, then that
succeeding day shall also be excluded."

The section names twelve holidays and adds "any other day from time to time declared by the
President of the United States or the Governor of Illinois" a day State agencies are closed,
and November 3, 2020 (2020 General Election Day). The named days are computed here; declared
days are data (``rules/data/declared_closures.json``) pinned into :class:`CalendarRules`, so a
procurement's calendar cannot change under it while it runs.

Everything here is pure except :func:`load_declared_closures` (and :func:`default_rules`,
which calls it), which read the data file once at start-up.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import MO, TH, relativedelta

CHICAGO = ZoneInfo("America/Chicago")

CITATION = "30 ILCS 500/15-45"
# State offices observe a Saturday holiday on the Friday before and a Sunday holiday on the
# Monday after. Whether 15-45 counts that observed day is a setting (CalendarRules.observed_days).
OBSERVED_CITATION = "80 Ill. Adm. Code 303.200"

DEFAULT_CLOSURES_PATH = Path(__file__).parent / "data" / "declared_closures.json"

_SATURDAY = 5
_SUNDAY = 6


@dataclass(frozen=True)
class Holiday:
    """One day that 30 ILCS 500/15-45 excludes when it is (or follows) the last day."""

    day: date
    name: str
    source: str

    @property
    def reason(self) -> str:
        """How this holiday is shown when a deadline passes over it."""
        return f"{self.name} ({self.source})"


@dataclass(frozen=True)
class DeclaredClosure:
    """A day declared closed for State business: a holiday under 30 ILCS 500/15-45."""

    day: date
    name: str
    declared_by: str

    def to_dict(self) -> dict[str, str]:
        return {"day": self.day.isoformat(), "name": self.name, "declared_by": self.declared_by}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DeclaredClosure:
        if not isinstance(data, Mapping):
            raise ValueError(f"a declared closure must be an object, not {data!r}")
        unknown = set(data) - {"day", "name", "declared_by"}
        if unknown:
            raise ValueError(f"unknown keys in declared closure: {sorted(unknown)}")
        try:
            day, name, declared_by = data["day"], data["name"], data["declared_by"]
        except KeyError as missing:
            raise ValueError(f"declared closure is missing {missing}") from None
        if not all(isinstance(v, str) and v for v in (day, name, declared_by)):
            raise ValueError(f"declared closure fields must be non-empty strings: {dict(data)!r}")
        return cls(day=date.fromisoformat(day), name=name, declared_by=declared_by)

    def as_holiday(self) -> Holiday:
        if CITATION in self.declared_by:
            source = self.declared_by
        else:
            source = f"{CITATION} ({self.declared_by})"
        return Holiday(self.day, self.name, source)


@dataclass(frozen=True)
class CalendarRules:
    """What pins a procurement's calendar: declared closures and the observed-day setting.

    Frozen and hashable so a workflow can carry it in its input; it round-trips through JSON
    with :meth:`to_dict` / :meth:`from_dict` (ISO date strings). Closures are kept sorted, so
    two rules with the same closures are equal whatever order they were given in.

    ``observed_days``: when True, the Friday before a Saturday holiday and the Monday after a
    Sunday holiday (80 Ill. Adm. Code 303.200) are holidays too. Off by default: the text of
    30 ILCS 500/15-45 names only the day itself.
    """

    declared_closures: tuple[DeclaredClosure, ...] = ()
    observed_days: bool = False

    def __post_init__(self) -> None:
        closures = tuple(self.declared_closures)
        for closure in closures:
            if not isinstance(closure, DeclaredClosure):
                raise TypeError(f"declared_closures must hold DeclaredClosure, not {closure!r}")
        if not isinstance(self.observed_days, bool):
            raise TypeError(f"observed_days must be a bool, not {self.observed_days!r}")
        ordered = tuple(sorted(closures, key=lambda c: (c.day, c.name, c.declared_by)))
        object.__setattr__(self, "declared_closures", ordered)

    def to_dict(self) -> dict[str, Any]:
        return {
            "declared_closures": [c.to_dict() for c in self.declared_closures],
            "observed_days": self.observed_days,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CalendarRules:
        if not isinstance(data, Mapping):
            raise ValueError(f"calendar rules must be an object, not {data!r}")
        # A misspelt key would silently change every deadline: refuse it.
        unknown = set(data) - {"declared_closures", "observed_days"}
        if unknown:
            raise ValueError(f"unknown keys in calendar rules: {sorted(unknown)}")
        raw = data.get("declared_closures", ())
        if isinstance(raw, str | bytes | Mapping):
            raise ValueError("declared_closures must be a list of closures")
        observed = data.get("observed_days", False)
        if not isinstance(observed, bool):
            raise ValueError(f"observed_days must be true or false, not {observed!r}")
        return cls(
            declared_closures=tuple(DeclaredClosure.from_dict(c) for c in raw),
            observed_days=observed,
        )


@dataclass(frozen=True)
class DeadlineExplanation:
    """Why a deadline fell where it did: the nominal last day and every day passed over."""

    start: date
    days: int
    nominal: date
    deadline: date
    skipped: tuple[tuple[date, str], ...]


# The twelve holidays named in 30 ILCS 500/15-45, in the statute's order. The floating ones
# use dateutil's weekday offsets: day=1 + MO(+3) is the third Monday on or after the 1st;
# day=31 + MO(-1) is the last Monday on or before the month's last day.
_NAMED: tuple[tuple[str, Callable[[int], date]], ...] = (
    ("New Year's Day", lambda y: date(y, 1, 1)),
    (
        "Dr. Martin Luther King, Jr.'s Birthday",
        lambda y: date(y, 1, 1) + relativedelta(day=1, weekday=MO(+3)),
    ),
    ("Lincoln's Birthday", lambda y: date(y, 2, 12)),
    ("President's Day", lambda y: date(y, 2, 1) + relativedelta(day=1, weekday=MO(+3))),
    ("Memorial Day", lambda y: date(y, 5, 1) + relativedelta(day=31, weekday=MO(-1))),
    ("Juneteenth National Freedom Day", lambda y: date(y, 6, 19)),
    ("Independence Day", lambda y: date(y, 7, 4)),
    ("Labor Day", lambda y: date(y, 9, 1) + relativedelta(day=1, weekday=MO(+1))),
    ("Columbus Day", lambda y: date(y, 10, 1) + relativedelta(day=1, weekday=MO(+2))),
    ("Veterans' Day", lambda y: date(y, 11, 11)),
    ("Thanksgiving Day", lambda y: date(y, 11, 1) + relativedelta(day=1, weekday=TH(+4))),
    ("Christmas Day", lambda y: date(y, 12, 25)),
)


def _named_holidays(year: int) -> list[Holiday]:
    return [Holiday(rule(year), name, CITATION) for name, rule in _NAMED]


def _observed(holiday: Holiday) -> Holiday | None:
    """The weekday a weekend holiday is observed on (80 Ill. Adm. Code 303.200), if any."""
    weekday = holiday.day.weekday()
    if weekday == _SATURDAY:
        moved = holiday.day - timedelta(days=1)
    elif weekday == _SUNDAY:
        moved = holiday.day + timedelta(days=1)
    else:
        return None
    return Holiday(
        moved, f"{holiday.name} (observed)", f"{CITATION}; observed under {OBSERVED_CITATION}"
    )


@functools.lru_cache(maxsize=1024)
def _holidays_of_year(year: int, rules: CalendarRules) -> tuple[Holiday, ...]:
    named = _named_holidays(year)
    declared = [c.as_holiday() for c in rules.declared_closures if c.day.year == year]
    observed: list[Holiday] = []
    if rules.observed_days:
        # An observed day can cross a year: New Year's Day on a Saturday is observed on the
        # Friday, December 31, of the year before.
        for neighbour in (year - 1, year, year + 1):
            for holiday in _named_holidays(neighbour):
                moved = _observed(holiday)
                if moved is not None and moved.day.year == year:
                    observed.append(moved)
    # Sorted by day; on a day with more than one entry the named holiday comes first, then a
    # declared closure, then an observed day, so holiday_on() reports the strongest reason.
    ranked = [(h, 0) for h in named] + [(h, 1) for h in declared] + [(h, 2) for h in observed]
    ranked.sort(key=lambda pair: (pair[0].day, pair[1]))
    return tuple(h for h, _ in ranked)


@functools.lru_cache(maxsize=1024)
def _index_of_year(year: int, rules: CalendarRules) -> Mapping[date, Holiday]:
    index: dict[date, Holiday] = {}
    for holiday in _holidays_of_year(year, rules):
        index.setdefault(holiday.day, holiday)
    return MappingProxyType(index)


def statutory_holidays(year: int, rules: CalendarRules) -> list[Holiday]:
    """Every holiday of ``year`` under 30 ILCS 500/15-45, sorted by day.

    The twelve named days, the declared closures falling in ``year`` and, when
    ``rules.observed_days``, the observed Friday or Monday of a weekend holiday.
    """
    return list(_holidays_of_year(year, rules))


def holiday_on(day: date, rules: CalendarRules) -> Holiday | None:
    """The 30 ILCS 500/15-45 holiday falling on ``day``, or None."""
    return _index_of_year(day.year, rules).get(day)


def is_excluded_day(day: date, rules: CalendarRules) -> bool:
    """Whether 30 ILCS 500/15-45 excludes ``day`` as a last day: Saturday, Sunday or holiday."""
    return day.weekday() in (_SATURDAY, _SUNDAY) or holiday_on(day, rules) is not None


def _exclusion_reason(day: date, rules: CalendarRules) -> str | None:
    reasons: list[str] = []
    if day.weekday() in (_SATURDAY, _SUNDAY):
        reasons.append(day.strftime("%A"))
    holiday = holiday_on(day, rules)
    if holiday is not None:
        reasons.append(holiday.reason)
    return "; ".join(reasons) if reasons else None


def explain_deadline(start: date, days: int, rules: CalendarRules) -> DeadlineExplanation:
    """The last day of a period of ``days`` days after ``start``, and why (30 ILCS 500/15-45).

    The first day is excluded and the last included: the nominal last day is ``start + days``.
    If it is a Saturday, Sunday or holiday it is excluded, and so is each such day that
    succeeds it; the deadline is the first day that is none of these. A period of 0 days has
    nothing to count and ends on ``start`` itself.
    """
    if isinstance(days, bool) or not isinstance(days, int):
        raise TypeError(f"days must be an int, not {days!r}")
    if days < 0:
        raise ValueError(f"days must be >= 0, got days={days}")
    nominal = start + timedelta(days=days)
    if days == 0:
        return DeadlineExplanation(start, days, nominal, nominal, ())
    skipped: list[tuple[date, str]] = []
    candidate = nominal
    while (reason := _exclusion_reason(candidate, rules)) is not None:
        skipped.append((candidate, reason))
        candidate += timedelta(days=1)
    return DeadlineExplanation(start, days, nominal, candidate, tuple(skipped))


def statutory_deadline(start: date, days: int, rules: CalendarRules) -> date:
    """The last day of a period of ``days`` days after ``start`` under 30 ILCS 500/15-45.

    Excludes ``start``, includes the last day, and moves a last day that is a Saturday,
    Sunday or holiday forward past every such day. ``days == 0`` returns ``start``.
    Raises ValueError if ``days`` is negative.
    """
    return explain_deadline(start, days, rules).deadline


def load_declared_closures(path: Path | None = None) -> tuple[DeclaredClosure, ...]:
    """Declared closures (30 ILCS 500/15-45 "any other day ... declared") from a JSON file.

    The file is ``{"closures": [{"day": "YYYY-MM-DD", "name": ..., "declared_by": ...}]}``;
    by default ``rules/data/declared_closures.json`` next to this module.
    """
    source = DEFAULT_CLOSURES_PATH if path is None else Path(path)
    # Read once per version of the file: a launch pins the closures, an edit is seen by the
    # next launch.
    return _closures(source, source.stat().st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _closures(source: Path, _version: int) -> tuple[DeclaredClosure, ...]:
    data = json.loads(source.read_text(encoding="utf-8"))
    if not isinstance(data, Mapping) or not isinstance(data.get("closures"), list):
        raise ValueError(f"{source}: expected an object with a 'closures' list")
    closures = tuple(DeclaredClosure.from_dict(c) for c in data["closures"])
    return tuple(sorted(closures, key=lambda c: (c.day, c.name, c.declared_by)))


def default_rules(observed_days: bool = False, path: Path | None = None) -> CalendarRules:
    """Calendar rules with the declared closures on file and the given observed-day setting."""
    return CalendarRules(
        declared_closures=load_declared_closures(path), observed_days=observed_days
    )


def local_date(moment: datetime) -> date:
    """The America/Chicago calendar date of an aware ``moment``; naive datetimes are refused."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"local_date needs an aware datetime, got naive {moment.isoformat()}")
    return moment.astimezone(CHICAGO).date()


def start_of_day(day: date) -> datetime:
    """Midnight in America/Chicago at the start of ``day`` (aware)."""
    return datetime.combine(day, time.min, tzinfo=CHICAGO)


def end_of_day(day: date) -> datetime:
    """The first instant of the day after ``day`` in America/Chicago (aware).

    A period "ending on day D" under 30 ILCS 500/15-45 runs through the whole of D, so it has
    expired at this instant. (Midnight always exists in Chicago: DST changes at 2 a.m.)
    """
    return start_of_day(day + timedelta(days=1))
