"""The day count of 30 ILCS 500/15-45, checked against dates worked by hand.

Every row of the tables below was worked from a printed calendar, and each weekday named in
a comment was checked with ``datetime.date(...).strftime("%A")``. No test reads the clock.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rules.calendar import (
    CHICAGO,
    CalendarRules,
    DeclaredClosure,
    Holiday,
    default_rules,
    end_of_day,
    explain_deadline,
    holiday_on,
    is_excluded_day,
    load_declared_closures,
    local_date,
    start_of_day,
    statutory_deadline,
    statutory_holidays,
)

CITE = "30 ILCS 500/15-45"
D = date.fromisoformat

STATUTE = default_rules()  # the statute's text: the named days and 2020-11-03, no observed days
OBSERVED = default_rules(observed_days=True)
BARE = CalendarRules()  # the named days only: no declared closures

# (start, days, expected deadline, how it was worked by hand)
STATUTE_TABLE = [
    # Mon 2 Mar 2026 + 14 = Mon 16 Mar: a weekday, no holiday in March.
    ("2026-03-02", 14, "2026-03-16", "plain weekday"),
    # Mon 2 Mar + 12 = Sat 14 Mar -> Sun 15 -> Mon 16.
    ("2026-03-02", 12, "2026-03-16", "Saturday rolls to Monday"),
    # Mon 2 Mar + 13 = Sun 15 Mar -> Mon 16.
    ("2026-03-02", 13, "2026-03-16", "Sunday rolls to Monday"),
    # Mon 2 Mar + 11 = Fri 13 Mar: a weekday, stays.
    ("2026-03-02", 11, "2026-03-13", "Friday stays"),
    # Fri 11 Dec 2026 + 14 = Fri 25 Dec (Christmas) -> Sat 26 -> Sun 27 -> Mon 28.
    ("2026-12-11", 14, "2026-12-28", "Christmas 2026 on a Friday, then the weekend"),
    # Fri 18 Dec 2020 + 7 = Fri 25 Dec 2020 (Christmas) -> Sat 26 -> Sun 27 -> Mon 28.
    ("2020-12-18", 7, "2020-12-28", "Christmas 2020 on a Friday, then the weekend"),
    # Fri 11 Dec 2026 + 13 = Thu 24 Dec 2026: Christmas Eve is no holiday, stays.
    ("2026-12-11", 13, "2026-12-24", "Christmas Eve is not a holiday"),
    # MLK Day 2026: Jan 1 is a Thursday; Mondays 5, 12, 19 -> third Monday is 19 Jan.
    # Sat 3 Jan + 14 = Sat 17 Jan -> Sun 18 -> Mon 19 (MLK) -> Tue 20.
    ("2026-01-03", 14, "2026-01-20", "Saturday, Sunday, MLK Day Monday"),
    # Labor Day 2026: Sep 1 is a Tuesday; first Monday is 7 Sep.
    # Sat 22 Aug + 14 = Sat 5 Sep -> Sun 6 -> Mon 7 (Labor Day) -> Tue 8.
    ("2026-08-22", 14, "2026-09-08", "Saturday, Sunday, Labor Day Monday"),
    # Memorial Day 2026: May 31 is a Sunday; the last Monday is 25 May.
    # Sat 9 May + 14 = Sat 23 May -> Sun 24 -> Mon 25 (Memorial Day) -> Tue 26.
    ("2026-05-09", 14, "2026-05-26", "Saturday, Sunday, Memorial Day Monday"),
    # Thu 5 Feb 2026 + 7 = Thu 12 Feb (Lincoln's Birthday) -> Fri 13.
    ("2026-02-05", 7, "2026-02-13", "Lincoln's Birthday on a weekday"),
    # President's Day 2026: Feb 1 is a Sunday; Mondays 2, 9, 16 -> 16 Feb.
    # Mon 9 Feb + 7 = Mon 16 Feb (President's Day) -> Tue 17.
    ("2026-02-09", 7, "2026-02-17", "President's Day"),
    # 2027: Fri 12 Feb (Lincoln) -> Sat 13 -> Sun 14 -> Mon 15 (President's Day: Feb 1 2027 is a
    # Monday; Mondays 1, 8, 15) -> Tue 16. Fri 29 Jan 2027 + 14 = Fri 12 Feb.
    ("2027-01-29", 14, "2027-02-16", "Lincoln, weekend, President's Day: four days"),
    # Wed 4 Nov 2026 + 7 = Wed 11 Nov (Veterans' Day) -> Thu 12.
    ("2026-11-04", 7, "2026-11-12", "Veterans' Day on a Wednesday"),
    # Thanksgiving 2026: Nov 1 is a Sunday; Thursdays 5, 12, 19, 26 -> 26 Nov.
    # Thu 19 Nov + 7 = Thu 26 Nov (Thanksgiving) -> Fri 27, which 15-45 does not name.
    ("2026-11-19", 7, "2026-11-27", "Thanksgiving rolls to the Friday after"),
    # Fri 20 Nov + 7 = Fri 27 Nov: the day after Thanksgiving is not a 15-45 holiday.
    ("2026-11-20", 7, "2026-11-27", "day after Thanksgiving is not excluded"),
    # Tue 27 Oct 2020 + 7 = Tue 3 Nov 2020 (declared: 2020 General Election Day) -> Wed 4.
    ("2020-10-27", 7, "2020-11-04", "2020 General Election Day, declared"),
    # Tue 29 Oct 2024 + 7 = Tue 5 Nov 2024: an election day nobody declared closed, stays.
    ("2024-10-29", 7, "2024-11-05", "undeclared election day is not excluded"),
    # Fri 26 Jun 2026 + 7 = Fri 3 Jul: Independence Day is Sat 4 Jul, but the statute's text
    # names only the day itself, so the Friday stays.
    ("2026-06-26", 7, "2026-07-03", "Friday before a Saturday Independence Day stays"),
    # Mon 19 Dec 2022 + 7 = Mon 26 Dec: Christmas 2022 was Sunday 25 Dec; the Monday stays.
    ("2022-12-19", 7, "2022-12-26", "Monday after a Sunday Christmas stays"),
    # Thu 24 Dec 2026 + 7 = Thu 31 Dec 2026: a weekday, stays.
    ("2026-12-24", 7, "2026-12-31", "New Year's Eve is not a holiday"),
    # Thu 24 Dec 2026 + 8 = Fri 1 Jan 2027 (New Year's Day) -> Sat 2 -> Sun 3 -> Mon 4.
    ("2026-12-24", 8, "2027-01-04", "New Year's Day crosses the year"),
    # Columbus Day 2026: Oct 1 is a Thursday; Mondays 5, 12 -> 12 Oct. Mon 5 Oct + 7 -> Tue 13.
    ("2026-10-05", 7, "2026-10-13", "Columbus Day"),
    # Juneteenth 2026 is Fri 19 Jun -> Sat 20 -> Sun 21 -> Mon 22. Fri 12 Jun + 7 = Fri 19 Jun.
    ("2026-06-12", 7, "2026-06-22", "Juneteenth on a Friday, then the weekend"),
]

# The same procurement days, with the observed Friday / Monday counted (80 Ill. Adm. Code
# 303.200 via CalendarRules.observed_days=True).
OBSERVED_TABLE = [
    # Independence Day 2026 is Sat 4 Jul, observed Fri 3 Jul.
    # Fri 26 Jun + 7 = Fri 3 Jul (observed) -> Sat 4 (Independence Day) -> Sun 5 -> Mon 6.
    ("2026-06-26", 7, "2026-07-06", "Independence Day observed on Friday"),
    # Christmas 2022 is Sun 25 Dec, observed Mon 26 Dec.
    # Mon 19 Dec + 7 = Mon 26 Dec (observed) -> Tue 27.
    ("2022-12-19", 7, "2022-12-27", "Christmas observed on Monday"),
    # Christmas 2021 is Sat 25 Dec, observed Fri 24 Dec.
    # Fri 17 Dec + 7 = Fri 24 Dec (observed) -> Sat 25 -> Sun 26 -> Mon 27.
    ("2021-12-17", 7, "2021-12-27", "Christmas observed on Friday"),
    # New Year's Day 2022 is Sat 1 Jan, observed Fri 31 Dec 2021 (the year before).
    # Fri 24 Dec 2021 + 7 = Fri 31 Dec (observed) -> Sat 1 Jan -> Sun 2 -> Mon 3 Jan 2022.
    ("2021-12-24", 7, "2022-01-03", "New Year's Day observed in the year before"),
    # Weekday holidays are unchanged by the setting: Veterans' Day 2026 (Wed) -> Thu 12 Nov.
    ("2026-11-04", 7, "2026-11-12", "a weekday holiday is not moved"),
    # And the day after Thanksgiving is still no holiday.
    ("2026-11-20", 7, "2026-11-27", "day after Thanksgiving is not excluded"),
]


@pytest.mark.parametrize(
    ("start", "days", "expected", "why"), STATUTE_TABLE, ids=[r[3] for r in STATUTE_TABLE]
)
def test_statute_table(start: str, days: int, expected: str, why: str) -> None:
    assert statutory_deadline(D(start), days, STATUTE) == D(expected), why


@pytest.mark.parametrize(
    ("start", "days", "expected", "why"), OBSERVED_TABLE, ids=[r[3] for r in OBSERVED_TABLE]
)
def test_observed_table(start: str, days: int, expected: str, why: str) -> None:
    assert statutory_deadline(D(start), days, OBSERVED) == D(expected), why


def test_hand_worked_weekdays() -> None:
    # Guard the comments above: the days they call Friday, Saturday, ... really are.
    assert D("2026-12-25").strftime("%A") == "Friday"
    assert D("2020-12-25").strftime("%A") == "Friday"
    assert D("2026-07-04").strftime("%A") == "Saturday"
    assert D("2022-12-25").strftime("%A") == "Sunday"
    assert D("2026-11-11").strftime("%A") == "Wednesday"
    assert D("2020-11-03").strftime("%A") == "Tuesday"
    assert D("2024-11-05").strftime("%A") == "Tuesday"


def test_declared_closure_only_counts_when_declared() -> None:
    # Without the 2020 closure pinned, Tue 3 Nov 2020 is an ordinary weekday.
    assert statutory_deadline(D("2020-10-27"), 7, BARE) == D("2020-11-03")
    assert statutory_deadline(D("2020-10-27"), 7, STATUTE) == D("2020-11-04")


def test_observed_setting_is_off_by_default() -> None:
    assert default_rules().observed_days is False
    assert CalendarRules().observed_days is False
    assert holiday_on(D("2026-07-03"), STATUTE) is None
    observed = holiday_on(D("2026-07-03"), OBSERVED)
    assert observed is not None
    assert observed.name == "Independence Day (observed)"
    # The named day itself stays a holiday when the observed day is counted too.
    named = holiday_on(D("2026-07-04"), OBSERVED)
    assert named is not None and named.name == "Independence Day"


def test_zero_days_returns_start() -> None:
    # Nothing to count: even a Saturday start (Sat 14 Mar 2026) is returned unchanged.
    assert statutory_deadline(D("2026-03-14"), 0, STATUTE) == D("2026-03-14")
    assert statutory_deadline(D("2026-12-25"), 0, STATUTE) == D("2026-12-25")
    assert explain_deadline(D("2026-12-25"), 0, STATUTE).skipped == ()


def test_negative_days_raise() -> None:
    with pytest.raises(ValueError, match="days"):
        statutory_deadline(D("2026-03-02"), -1, STATUTE)
    with pytest.raises(ValueError, match="days"):
        explain_deadline(D("2026-03-02"), -14, STATUTE)


def test_statutory_holidays_2026() -> None:
    # Worked by hand from the 2026 calendar (see the table above for each floating day).
    expected = [
        ("2026-01-01", "New Year's Day"),  # Thursday
        ("2026-01-19", "Dr. Martin Luther King, Jr.'s Birthday"),  # 3rd Monday
        ("2026-02-12", "Lincoln's Birthday"),  # Thursday
        ("2026-02-16", "President's Day"),  # 3rd Monday
        ("2026-05-25", "Memorial Day"),  # last Monday
        ("2026-06-19", "Juneteenth National Freedom Day"),  # Friday
        ("2026-07-04", "Independence Day"),  # Saturday
        ("2026-09-07", "Labor Day"),  # 1st Monday
        ("2026-10-12", "Columbus Day"),  # 2nd Monday
        ("2026-11-11", "Veterans' Day"),  # Wednesday
        ("2026-11-26", "Thanksgiving Day"),  # 4th Thursday
        ("2026-12-25", "Christmas Day"),  # Friday
    ]
    assert statutory_holidays(2026, default_rules()) == [
        Holiday(D(day), name, CITE) for day, name in expected
    ]


def test_statutory_holidays_2020_include_the_declared_election_day() -> None:
    holidays = statutory_holidays(2020, STATUTE)
    assert len(holidays) == 13
    election = [h for h in holidays if h.day == D("2020-11-03")]
    assert len(election) == 1
    assert election[0].name == "2020 General Election Day"
    assert "P.A. 101-642" in election[0].source and CITE in election[0].source
    assert [h.day for h in holidays] == sorted(h.day for h in holidays)
    # 2020's Thanksgiving: Nov 1 2020 was a Sunday; Thursdays 5, 12, 19, 26.
    assert Holiday(D("2020-11-26"), "Thanksgiving Day", CITE) in holidays
    # The declared closure belongs to 2020 only.
    assert all(h.day != D("2021-11-03") for h in statutory_holidays(2021, STATUTE))


def test_statutory_holidays_with_observed_days() -> None:
    # 2022: New Year's Day is a Saturday (observed Fri 31 Dec 2021, not in 2022); Lincoln's
    # Birthday is a Saturday (observed Fri 11 Feb); Juneteenth is a Sunday (observed Mon 20
    # Jun); Christmas is a Sunday (observed Mon 26 Dec). Everything else falls on a weekday.
    observed = [h for h in statutory_holidays(2022, OBSERVED) if h.name.endswith("(observed)")]
    assert [(h.day, h.name) for h in observed] == [
        (D("2022-02-11"), "Lincoln's Birthday (observed)"),
        (D("2022-06-20"), "Juneteenth National Freedom Day (observed)"),
        (D("2022-12-26"), "Christmas Day (observed)"),
    ]
    in_2021 = [h for h in statutory_holidays(2021, OBSERVED) if h.day == D("2021-12-31")]
    assert [h.name for h in in_2021] == ["New Year's Day (observed)"]
    assert len(statutory_holidays(2022, STATUTE)) == 12


def test_not_holidays_under_15_45() -> None:
    # Days some Illinois calendars list but 30 ILCS 500/15-45 does not.
    for day in ("2026-11-27", "2024-11-05", "2026-12-24", "2026-12-31", "2026-04-03"):
        assert holiday_on(D(day), STATUTE) is None, day
        assert not is_excluded_day(D(day), STATUTE), day


def test_is_excluded_day() -> None:
    assert is_excluded_day(D("2026-03-14"), STATUTE)  # Saturday
    assert is_excluded_day(D("2026-03-15"), STATUTE)  # Sunday
    assert not is_excluded_day(D("2026-03-16"), STATUTE)  # Monday
    assert is_excluded_day(D("2026-02-12"), STATUTE)  # Lincoln's Birthday, Thursday
    assert is_excluded_day(D("2020-11-03"), STATUTE)  # declared
    assert not is_excluded_day(D("2020-11-03"), BARE)


def test_explain_deadline_lists_the_skipped_days() -> None:
    explained = explain_deadline(D("2026-12-11"), 14, STATUTE)
    assert explained.start == D("2026-12-11")
    assert explained.days == 14
    assert explained.nominal == D("2026-12-25")
    assert explained.deadline == D("2026-12-28")
    assert explained.skipped == (
        (D("2026-12-25"), "Christmas Day (30 ILCS 500/15-45)"),
        (D("2026-12-26"), "Saturday"),
        (D("2026-12-27"), "Sunday"),
    )


def test_explain_deadline_weekend_holiday_and_observed() -> None:
    explained = explain_deadline(D("2026-06-26"), 7, OBSERVED)
    assert explained.deadline == D("2026-07-06")
    days = [d for d, _ in explained.skipped]
    assert days == [D("2026-07-03"), D("2026-07-04"), D("2026-07-05")]
    reasons = [r for _, r in explained.skipped]
    assert reasons[0].startswith("Independence Day (observed) (30 ILCS 500/15-45")
    assert reasons[1] == "Saturday; Independence Day (30 ILCS 500/15-45)"
    assert reasons[2] == "Sunday"


def test_explain_deadline_nothing_skipped() -> None:
    explained = explain_deadline(D("2026-03-02"), 14, STATUTE)
    assert explained.nominal == explained.deadline == D("2026-03-16")
    assert explained.skipped == ()


def test_local_date() -> None:
    # 03:30 UTC on 3 Mar 2026 is 21:30 CST (UTC-6) on 2 Mar in Chicago.
    assert local_date(datetime(2026, 3, 3, 3, 30, tzinfo=UTC)) == D("2026-03-02")
    # 06:00 UTC is midnight CST: already 3 Mar.
    assert local_date(datetime(2026, 3, 3, 6, 0, tzinfo=UTC)) == D("2026-03-03")
    # In summer (CDT, UTC-5) 04:59 UTC on 1 Jul is still 30 Jun.
    assert local_date(datetime(2026, 7, 1, 4, 59, tzinfo=UTC)) == D("2026-06-30")
    assert local_date(datetime(2026, 3, 2, 23, 0, tzinfo=timezone(timedelta(hours=1)))) == D(
        "2026-03-02"
    )
    with pytest.raises(ValueError, match="naive"):
        local_date(datetime(2026, 3, 3, 3, 30))


def test_start_and_end_of_day() -> None:
    cst = timezone(timedelta(hours=-6))
    cdt = timezone(timedelta(hours=-5))
    assert end_of_day(D("2026-03-02")) == datetime(2026, 3, 3, 0, 0, tzinfo=cst)
    assert end_of_day(D("2026-03-02")).utcoffset() == timedelta(hours=-6)
    assert start_of_day(D("2026-03-02")) == datetime(2026, 3, 2, 0, 0, tzinfo=cst)
    assert start_of_day(D("2026-03-02")).tzinfo is CHICAGO
    # DST begins at 2 a.m. on Sun 8 Mar 2026: that day is 23 hours long.
    assert end_of_day(D("2026-03-08")) == datetime(2026, 3, 9, 0, 0, tzinfo=cdt)
    # (Subtract in UTC: Python subtracts two times in the same zone by their wall clocks.)
    length = end_of_day(D("2026-03-08")).astimezone(UTC) - start_of_day(D("2026-03-08"))
    assert length == timedelta(hours=23)
    # A moment just before end_of_day is still that day; end_of_day itself is the next.
    assert local_date(end_of_day(D("2026-03-02")) - timedelta(microseconds=1)) == D("2026-03-02")
    assert local_date(end_of_day(D("2026-03-02"))) == D("2026-03-03")


def test_calendar_rules_round_trip_through_json() -> None:
    rules = default_rules(observed_days=True)
    as_json = json.dumps(rules.to_dict())
    assert json.loads(as_json) == {
        "declared_closures": [
            {
                "day": "2020-11-03",
                "name": "2020 General Election Day",
                "declared_by": "General Assembly, P.A. 101-642 (30 ILCS 500/15-45)",
            }
        ],
        "observed_days": True,
    }
    back = CalendarRules.from_dict(json.loads(as_json))
    assert back == rules
    assert hash(back) == hash(rules)
    assert CalendarRules.from_dict({}) == CalendarRules()


def test_calendar_rules_normalise_and_refuse() -> None:
    a = DeclaredClosure(D("2030-01-02"), "A", "Governor")
    b = DeclaredClosure(D("2029-12-24"), "B", "President")
    assert CalendarRules((a, b)) == CalendarRules((b, a))
    assert CalendarRules((a, b)).declared_closures == (b, a)
    with pytest.raises(ValueError, match="unknown"):
        CalendarRules.from_dict({"observed_holidays": True})
    with pytest.raises(ValueError, match="observed_days"):
        CalendarRules.from_dict({"observed_days": "yes"})
    with pytest.raises(ValueError):
        CalendarRules.from_dict({"declared_closures": [{"day": "2030-01-02", "name": "A"}]})


def test_load_declared_closures_default_file() -> None:
    closures = load_declared_closures()
    assert closures == (
        DeclaredClosure(
            D("2020-11-03"),
            "2020 General Election Day",
            "General Assembly, P.A. 101-642 (30 ILCS 500/15-45)",
        ),
    )
    assert default_rules().declared_closures == closures


def test_a_new_closure_is_a_data_change(tmp_path: Path) -> None:
    # A hypothetical Governor's closure on Tue 2 Jan 2035 and a President's on Fri 3 Aug 2035.
    path = tmp_path / "closures.json"
    path.write_text(
        json.dumps(
            {
                "closures": [
                    {"day": "2035-08-03", "name": "Day of Mourning", "declared_by": "President"},
                    {"day": "2035-01-02", "name": "State Closure", "declared_by": "Governor"},
                ]
            }
        )
    )
    rules = default_rules(path=path)
    assert [c.day for c in rules.declared_closures] == [D("2035-01-02"), D("2035-08-03")]
    closure = holiday_on(D("2035-01-02"), rules)
    assert closure == Holiday(D("2035-01-02"), "State Closure", "30 ILCS 500/15-45 (Governor)")
    # Mon 1 Jan 2035 is New Year's Day; Tue 2 Jan is declared closed -> Wed 3 Jan.
    # Mon 25 Dec 2034 + 7 = Mon 1 Jan 2035.
    assert D("2035-01-01").strftime("%A") == "Monday"
    assert D("2035-01-02").strftime("%A") == "Tuesday"
    assert statutory_deadline(D("2034-12-25"), 7, rules) == D("2035-01-03")
    assert statutory_deadline(D("2034-12-25"), 7, STATUTE) == D("2035-01-02")
    # Fri 3 Aug 2035 -> Sat 4 -> Sun 5 -> Mon 6. Fri 27 Jul + 7 = Fri 3 Aug.
    assert D("2035-08-03").strftime("%A") == "Friday"
    assert statutory_deadline(D("2035-07-27"), 7, rules) == D("2035-08-06")
    path.write_text(json.dumps({"closures": {"day": "2035-01-02"}}))
    with pytest.raises(ValueError, match="closures"):
        load_declared_closures(path)


@pytest.mark.parametrize("year", range(2000, 2101))
def test_floating_holidays_fall_in_their_week(year: int) -> None:
    # Each floating holiday is its weekday and lies in the week its ordinal allows.
    by_name = {h.name: h.day for h in statutory_holidays(year, BARE)}
    assert len(by_name) == 12
    monday, thursday = 0, 3
    spans = {
        "Dr. Martin Luther King, Jr.'s Birthday": (1, monday, 15, 21),
        "President's Day": (2, monday, 15, 21),
        "Memorial Day": (5, monday, 25, 31),
        "Labor Day": (9, monday, 1, 7),
        "Columbus Day": (10, monday, 8, 14),
        "Thanksgiving Day": (11, thursday, 22, 28),
    }
    for name, (month, weekday, first, last) in spans.items():
        day = by_name[name]
        assert day.year == year and day.month == month, name
        assert day.weekday() == weekday, name
        assert first <= day.day <= last, name


@given(
    start=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)),
    days=st.integers(min_value=1, max_value=60),
    observed=st.booleans(),
)
def test_deadline_properties(start: date, days: int, observed: bool) -> None:
    rules = OBSERVED if observed else STATUTE
    deadline = statutory_deadline(start, days, rules)
    nominal = start + timedelta(days=days)
    assert deadline >= nominal
    assert deadline.weekday() < 5
    assert holiday_on(deadline, rules) is None
    assert not is_excluded_day(deadline, rules)
    day = nominal
    while day < deadline:
        assert is_excluded_day(day, rules), day
        day += timedelta(days=1)
    explained = explain_deadline(start, days, rules)
    assert explained.deadline == deadline
    assert [d for d, _ in explained.skipped] == [
        nominal + timedelta(days=i) for i in range((deadline - nominal).days)
    ]
