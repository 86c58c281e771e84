"""Who may receive the award of a sealed bid and what a non-lowest award must explain.

30 ILCS 500/20-10(g): the award goes to the lowest responsible and responsive bidder, unless
a State purchasing officer determines otherwise by a written explanation that includes
(1) the agency's needs, (2) that the anticipated cost is fair and reasonable, (3) all
responsible and responsive bidders, and (4) the bidder selected, the total contract price
and the reasons. The explanation is filed within 14 days of the decision.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rules import citations

EXPLANATION_FILING_DAYS = 14  # 20-10(g): filed within 14 calendar days after the decision


@dataclass(frozen=True)
class RankedBid:
    """A bid as the opening ranked it: ``rank`` 1 is the lowest evaluated price; equal
    prices share a rank. ``eligible`` is False once found not responsive or responsible."""

    bid_id: str
    vendor: str
    rank: int
    eligible: bool = True


def lowest_eligible(bids: Sequence[RankedBid]) -> list[RankedBid]:
    """The lowest responsive and responsible bids (more than one only on a tie)."""
    eligible = [b for b in bids if b.eligible]
    if not eligible:
        return []
    best = min(b.rank for b in eligible)
    return [b for b in eligible if b.rank == best]


@dataclass(frozen=True)
class ExplanationProblem:
    field: str
    part: str

    def message(self) -> str:
        if self.field == "explanation":
            return "none was given (field 'explanation')"
        return f"the written explanation lacks {self.part} (field '{self.field}')"


def explanation_problems(
    explanation: object | None,
    awardee_vendor: str,
    eligible_vendors: Iterable[str],
) -> list[ExplanationProblem]:
    """What a 20-10(g) written explanation is missing; empty when it is complete.

    ``explanation`` is any object with the attributes ``agency_needs``,
    ``fair_and_reasonable``, ``responsive_bidders``, ``selected_bidder``,
    ``total_contract_price`` and ``reasons``.
    """
    if explanation is None:
        return [ExplanationProblem("explanation", "a written explanation")]
    problems: list[ExplanationProblem] = []

    def text(name: str) -> str:
        value = getattr(explanation, name, None)
        return value.strip() if isinstance(value, str) else ""

    if not text("agency_needs"):
        problems.append(ExplanationProblem("explanation.agency_needs", "(1) the agency's needs"))
    if not text("fair_and_reasonable"):
        problems.append(
            ExplanationProblem(
                "explanation.fair_and_reasonable",
                "(2) a determination that the anticipated cost will be fair and reasonable",
            )
        )
    listed = {v.strip().casefold() for v in getattr(explanation, "responsive_bidders", None) or []}
    unlisted = sorted(v for v in set(eligible_vendors) if v.casefold() not in listed)
    if unlisted:
        problems.append(
            ExplanationProblem(
                "explanation.responsive_bidders",
                "(3) a listing of all responsible and responsive bidders (missing: "
                + ", ".join(unlisted)
                + ")",
            )
        )
    if text("selected_bidder").casefold() != awardee_vendor.strip().casefold():
        problems.append(
            ExplanationProblem(
                "explanation.selected_bidder",
                f"(4) the name of the bidder selected, which must be '{awardee_vendor}'",
            )
        )
    if getattr(explanation, "total_contract_price", None) is None:
        problems.append(
            ExplanationProblem("explanation.total_contract_price", "(4) the total contract price")
        )
    if not text("reasons"):
        problems.append(
            ExplanationProblem("explanation.reasons", "(4) the reasons for selecting that bidder")
        )
    return problems


def describe_problems(problems: list[ExplanationProblem]) -> str:
    listed = "; ".join(p.message() for p in problems)
    return (
        "An award to a bidder other than the lowest responsible and responsive bidder needs "
        f"a written explanation with all four parts: {listed} ({citations.AWARD})."
    )
