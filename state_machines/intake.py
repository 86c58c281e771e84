"""What the bid intake may take now: the register_bid route's own guards, judged at a bid's
receipt time against the procurement's facts as the workflow last wrote them (pure).

Bids, replacements and withdrawals before the opening are received in PostgreSQL, one
transaction each, not as workflow commands: a deadline brings hundreds of them in minutes, and
a workflow takes at most a handful of updates at once and 2,000 in one execution. The
workflow learns of the bids only at the opening, when its tabulation takes the round's bids.
Each round of intake has a name and a cutoff: the opening (20-10(d), 20-15(d)) and each
best-and-final round of a request for proposals (20-15(f)).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from rules import citations
from rules.evaluation import PREFERENCES, PreferenceSettings
from state_machines.context import Ctx, Refusal, fmt
from state_machines.guards import withdrawal_before_opening
from state_machines.models import Facts, RegisterBid, WithdrawBid
from state_machines.procurement import ProcurementMachine

OPENING_ROUND = "opening"
# Multi-step sealed bidding's first round: unpriced technical offers (20-10(h)).
TECHNICAL_ROUND = "technical"
# Triggers the intake takes in place of the workflow (a withdrawal only before the opening).
INTAKE_TRIGGERS = ("register_bid", "withdraw_bid")


def current_round(facts: Facts) -> tuple[str, datetime] | None:
    """The intake round open in these facts, with its cutoff, if any."""
    if facts.state == "published" and facts.opened_at is None and facts.notice.opening_at:
        name = TECHNICAL_ROUND if facts.in_technical_step else OPENING_ROUND
        return name, facts.notice.opening_at
    return best_and_final_round(facts)


def best_and_final_round(facts: Facts) -> tuple[str, datetime] | None:
    bafo = facts.bafo
    if facts.state != "evaluation" or bafo is None or bafo.get("closed"):
        return None
    return f"best_and_final:{bafo['requested_at']}", datetime.fromisoformat(bafo["due_at"])


def takes(trigger: str, facts: Facts) -> bool:
    """Whether this trigger belongs to the intake now rather than to the workflow."""
    if trigger == "register_bid":
        return True
    return trigger == "withdraw_bid" and facts.opened_at is None


def bid_refusal(facts: Facts, bid: RegisterBid, now: datetime) -> Refusal | None:
    """Why this bid (new or replacing) may not be received at ``now``."""
    return ProcurementMachine(facts).check("register_bid", bid, bid.vendor, now)


def contents_refusal(facts: Facts, contents: Mapping[str, Any]) -> Refusal | None:
    """What the bid states that this contract cannot take: a preference its statute does not
    extend to it (refused now, so the vendor does not learn at the opening that the claim
    could not count), or freight stated or missing against 30 ILCS 555/1."""
    step = _step_refusal(facts, contents)
    if step is not None or facts.in_technical_step:
        return step  # an unpriced offer claims nothing: its claims come with the priced bid
    try:
        settings = PreferenceSettings.from_dict(facts.spec.preferences or {})
    except ValueError:
        return None  # refused at launch; a procurement launched with it counts nothing
    coal = PREFERENCES["illinois_coal"]
    if "coal" in settings.purchases and contents.get("freight") is None:
        return Refusal(
            "freight_required",
            coal.citation,
            "This contract buys coal for fuel, whose cost is compared including the cost of "
            f"transportation: state it as 'freight' (0.00 if delivered) ({coal.citation}).",
            "freight",
        )
    if "coal" not in settings.purchases and contents.get("freight") is not None:
        return Refusal(
            "freight_not_applicable",
            coal.citation,
            "Freight is stated apart only where the contract buys coal for fuel "
            f"({coal.citation}); include it in the amount.",
            "freight",
        )
    claims = contents.get("claims") or {}
    for name, claimed in sorted(claims.items()):
        if claimed is not True or name not in PREFERENCES:
            continue
        outside = settings.scope_problem(
            name, facts.spec.category, facts.spec.chief_procurement_office
        )
        if outside is not None:
            return Refusal(
                "preference_out_of_scope",
                PREFERENCES[name].citation,
                f"The bid claims {outside}.",
                f"claims.{name}",
            )
    return None


def _step_refusal(facts: Facts, contents: Mapping[str, Any]) -> Refusal | None:
    """20-10(h): the first step takes unpriced technical offers, every other round a price."""
    priced = contents.get("amount") is not None
    if facts.in_technical_step and priced:
        return Refusal(
            "technical_offer_required",
            citations.MULTI_STEP,
            "The first step of multi-step sealed bidding takes unpriced technical offers "
            f"(POST /v1/procurements/{facts.reference}/technical-offers); prices are bid only "
            f"after the invitation for bids to the qualified bidders ({citations.MULTI_STEP}).",
            "amount",
        )
    if not facts.in_technical_step and not priced:
        return Refusal(
            "priced_bid_required",
            receipt_citation(facts),
            "Only the first step of multi-step sealed bidding takes unpriced offers; this round "
            f"takes bids with their price (POST /v1/procurements/{facts.reference}/bids) "
            f"({citations.MULTI_STEP}).",
            "amount",
        )
    return None


def withdrawal_refusal(facts: Facts, withdrawal: WithdrawBid, now: datetime) -> Refusal | None:
    """Before the opening a bid is withdrawn by the vendor's notice, received before the
    opening time (44 Ill. Adm. Code 1.2038); after the opening only by determination."""
    refusal = ProcurementMachine(facts).check("withdraw_bid", withdrawal, "vendor", now)
    if refusal is not None:
        return refusal
    guard = withdrawal_before_opening
    reason = guard.test(Ctx(facts, now, "vendor", withdrawal))
    return None if reason is None else Refusal(guard.code, guard.citation, reason, guard.field)


def round_closed(closed_at: datetime, facts: Facts) -> Refusal:
    """The round was closed by the opening (or the scoring of best and final offers), which
    may be ahead of what the facts show yet."""
    citation = receipt_citation(facts)
    return Refusal(
        "opening_passed",
        citation,
        f"The offers were opened at {fmt(closed_at)}; nothing is received after the opening "
        f"({citation}).",
    )


def receipt_citation(facts: Facts) -> str:
    """The rule a receipt is given under: the bid opening, the opening of proposals, or a
    best-and-final round."""
    if facts.state == "evaluation":
        return citations.BEST_AND_FINAL
    if facts.method == "competitive_sealed_proposals":
        return citations.PROPOSAL_OPENING
    if facts.in_technical_step:
        return citations.MULTI_STEP
    return citations.BID_OPENING
