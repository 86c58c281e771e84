"""The failed bid notice of 30 ILCS 500/20-10(g-5), in one place.

"If a bidder has failed to be awarded a contract after 4 consecutive bids to provide the same
services to the Department of Transportation, the Capital Development Board, or the Illinois
State Toll Highway Authority, the applicable agency shall, in writing, detail why each of the 4
bids was not awarded", by certified copy "within the same calendar quarter in which the
fourth bid was rejected"; not where the information "was previously disclosed to a bidder by
electronic means" under the agency's written policy.

Pure: which procurements it applies to, when a run of failed bids owes a notice, and the day
the notice is due. "The same services" are read as for a divided need: a shared NIGP
class-item, or the same description where no codes are given (rules.small_purchase).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from rules.small_purchase import shared_type

CONSECUTIVE_BIDS = 4
# The chief procurement offices of the Department of Transportation and the Capital
# Development Board; the Tollway buys under its own name.
OFFICES = frozenset({"CPO-DOT", "CPO-CDB"})
TOLLWAY = "illinois state toll highway authority"
# 20-10 is competitive sealed bidding; a reverse auction is bidding under 20-10(j).
METHODS = frozenset({"competitive_sealed_bidding", "multi_step_sealed_bidding", "reverse_auction"})


def applies(method: str, office: str, agency: str) -> bool:
    return method in METHODS and (office in OFFICES or agency.strip().casefold() == TOLLWAY)


@dataclass(frozen=True)
class Outcome:
    """One bid of a vendor to the agency, decided: awarded to it or not."""

    reference: str
    awarded: bool


def owed(outcomes: Sequence[Outcome]) -> list[str] | None:
    """The references of the 4 bids a notice must explain, when the latest outcome is the 4th
    (or 8th, ...) failed bid in a row since the vendor's last award; else None. Each run of 4
    is explained once: the 5th failure starts the next run."""
    run: list[str] = []
    for outcome in outcomes:
        run = [] if outcome.awarded else [*run, outcome.reference]
    if run and len(run) % CONSECUTIVE_BIDS == 0:
        return run[-CONSECUTIVE_BIDS:]
    return None


def same_services(ours: tuple[str, frozenset[str]], theirs: tuple[str, frozenset[str]]) -> bool:
    """Two procurements buy the same services: a shared commodity type, or, where either
    gives no codes, the same description."""
    key, types = ours
    their_key, their_types = theirs
    if types and their_types:
        return shared_type(types, their_types) is not None
    return key == their_key


def quarter_end(day: date) -> date:
    """The last day of the calendar quarter ``day`` falls in."""
    quarter = (day.month - 1) // 3  # 0 for January to March, ..., 3 for October to December
    if quarter == 3:
        return date(day.year, 12, 31)
    return date(day.year, quarter * 3 + 4, 1) - timedelta(days=1)
