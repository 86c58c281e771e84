"""The failed bid notice of 30 ILCS 500/20-10(g-5), worked from its text: 4 consecutive bids
for the same services to the Department of Transportation, the Capital Development Board or
the Tollway not awarded; the written reasons within the calendar quarter of the 4th."""

from __future__ import annotations

from datetime import date

import pytest

from rules.failed_bid import Outcome, applies, owed, quarter_end, same_services


def _run(pattern: str) -> list[Outcome]:
    """'LLWL': lost, lost, won, lost; references P1, P2, ..."""
    return [Outcome(f"P{i}", awarded=c == "W") for i, c in enumerate(pattern, start=1)]


@pytest.mark.parametrize(
    ("pattern", "explained"),
    [
        ("LLL", None),  # three are not four
        ("LLLL", ["P1", "P2", "P3", "P4"]),
        ("LLWLLL", None),  # an award in between starts the count again
        ("LLWLLLL", ["P4", "P5", "P6", "P7"]),
        ("LLLLL", None),  # the 5th failure opens the next run of four, explained at its 4th
        ("LLLLLLLL", ["P5", "P6", "P7", "P8"]),
        ("LLLW", None),
    ],
)
def test_four_consecutive_failed_bids(pattern: str, explained: list[str] | None) -> None:
    assert owed(_run(pattern)) == explained


@pytest.mark.parametrize(
    ("rejected", "due"),
    [
        (date(2099, 1, 1), date(2099, 3, 31)),
        (date(2099, 3, 31), date(2099, 3, 31)),  # the last day of a quarter: that same day
        (date(2099, 4, 1), date(2099, 6, 30)),
        (date(2099, 9, 30), date(2099, 9, 30)),
        (date(2099, 10, 1), date(2099, 12, 31)),
        (date(2099, 12, 31), date(2099, 12, 31)),
    ],
)
def test_within_the_same_calendar_quarter(rejected: date, due: date) -> None:
    assert quarter_end(rejected) == due


def test_which_agencies_and_methods() -> None:
    assert applies("competitive_sealed_bidding", "CPO-DOT", "Department of Transportation")
    assert applies("reverse_auction", "CPO-CDB", "Capital Development Board")
    assert applies("competitive_sealed_bidding", "CPO-GS", "Illinois State Toll Highway Authority")
    assert not applies("competitive_sealed_bidding", "CPO-GS", "Department of Revenue")
    # 20-10 is bidding: proposals (20-15) are not bids.
    assert not applies("competitive_sealed_proposals", "CPO-DOT", "Department of Transportation")


def test_the_same_services() -> None:
    # A shared NIGP class-item; without codes, the same description.
    assert same_services(("mowing", frozenset({"98845"})), ("roadside", frozenset({"988"})))
    assert not same_services(("mowing", frozenset({"98845"})), ("mowing", frozenset({"98850"})))
    assert same_services(("mowing", frozenset()), ("mowing", frozenset({"98845"})))
    assert not same_services(("mowing", frozenset()), ("snow removal", frozenset()))
