"""Whether a procurement may be launched under the method it names: pure checks of the spec.

Run by the API before a workflow starts, so a launch the Code does not allow is refused with
the rule cited and never becomes a procurement.
"""

from __future__ import annotations

from decimal import Decimal

from rules import citations, small_purchase
from rules.evaluation import PREFERENCES, PreferenceSettings
from rules.proposals import ScoringPlan
from state_machines.context import Refusal
from state_machines.models import CONTRACT_CHANGE_METHODS, LOT_METHODS, LaunchSpec

# 20-10(j): a reverse auction is not for these.
NO_REVERSE_AUCTION = {
    "professional_artistic": "professional and artistic services",
    "telecommunications": "telecommunications, communication and information services",
    "construction": "construction projects, including design professional services",
}


# The methods that may complete a small purchase whose cost overran the limit (1.2020(b)(3)).
OVERRUN_METHODS = ("sole_source", "emergency")


def launch_refusal(spec: LaunchSpec, small_purchase_limit: Decimal | None) -> Refusal | None:
    """The first reason the Code refuses this launch, or None."""
    if spec.method == "reverse_auction" and not (spec.auction_determination or "").strip():
        return Refusal(
            "auction_determination_missing",
            citations.REVERSE_AUCTION,
            "A reverse auction is used only after the chief procurement officer determines that "
            "it will be in the best interest of the State; give that determination (field "
            f"'auction_determination'), which the Bulletin publishes ({citations.REVERSE_AUCTION}).",
            "auction_determination",
        )
    if spec.method == "reverse_auction" and spec.category in NO_REVERSE_AUCTION:
        return Refusal(
            "method_not_allowed",
            citations.REVERSE_AUCTION,
            f"A reverse auction does not apply to {NO_REVERSE_AUCTION[spec.category]} "
            f"({citations.REVERSE_AUCTION}).",
            "method",
        )
    if spec.method == "competitive_sealed_proposals":
        if not spec.scoring:
            return Refusal(
                "scoring_plan_missing",
                citations.PROPOSAL_SCORING,
                "A request for proposals states the points for price and for all other items; "
                "diversity points are 20% of the latter (field 'scoring') "
                f"({citations.PROPOSAL_SCORING}).",
                "scoring",
            )
        try:
            problems = ScoringPlan.from_dict(spec.scoring).problems()
        except ValueError as exc:
            problems = [str(exc)]
        if problems:
            return Refusal(
                "scoring_plan_invalid", citations.PROPOSAL_SCORING, "; ".join(problems), "scoring"
            )
    if spec.preferences:
        try:
            settings = PreferenceSettings.from_dict(spec.preferences)
            problems = settings.problems()
        except (ValueError, TypeError) as exc:
            problems = [str(exc)]
        if problems:
            return Refusal(
                "preferences_invalid",
                "30 ILCS 500/Art. 45",
                "; ".join(problems),
                "preferences",
            )
        outside = settings.scope_problems(spec.category, spec.chief_procurement_office)
        if outside:
            cited = sorted(
                PREFERENCES[n].citation
                for n in settings.enabled
                if settings.scope_problem(n, spec.category, spec.chief_procurement_office)
            )
            return Refusal(
                "preference_out_of_scope",
                "; ".join(cited) or "30 ILCS 500/Art. 45",
                "; ".join(outside),
                "preferences",
            )
    if spec.completes_small_purchase is not None and spec.method not in OVERRUN_METHODS:
        return Refusal(
            "overrun_method",
            citations.SMALL_PURCHASE_OVERRUN,
            "A small purchase whose actual cost exceeds the limit after signing is completed by "
            "the procedures for sole source or emergency procurement, whichever applies "
            f"(method 'sole_source' or 'emergency') ({citations.SMALL_PURCHASE_OVERRUN}).",
            "method",
        )
    if spec.lot is not None and spec.method not in LOT_METHODS:
        return Refusal(
            "lot_method",
            citations.SOURCE_SELECTION,
            f"Only a solicitation inviting competing offers is let in lots ({', '.join(LOT_METHODS)}); "
            f"{spec.method} is not ({citations.SOURCE_SELECTION}).",
            "lot",
        )
    contract_refusal = _contract_refusal(spec) or _multi_step_refusal(spec)
    if contract_refusal is not None:
        return contract_refusal
    if spec.method == "small_purchase":
        return _small_purchase_refusal(spec, small_purchase_limit)
    if spec.method == "sole_source" and not spec.intended_contractor:
        return Refusal(
            "intended_contractor_missing",
            citations.SOLE_SOURCE_NOTICE,
            "A sole source procurement names its intended contractor (field "
            f"'intended_contractor') ({citations.SOLE_SOURCE_NOTICE}).",
            "intended_contractor",
        )
    return None


# A renewal is noticed under 15-25(c-10); a change order or renegotiation under (a),(b),(b-5).
CHANGE_KINDS = {
    "contract_renewal": ("renewal",),
    "contract_change": ("change_order", "renegotiation"),
}


def _contract_refusal(spec: LaunchSpec) -> Refusal | None:
    if spec.method in CONTRACT_CHANGE_METHODS:
        if spec.contract is None:
            return Refusal(
                "contract_missing",
                citations.CONTRACT_CHANGE,
                "A renewal, change order or renegotiation names the contract it changes "
                f"(field 'contract': original, kind, determined_on) ({citations.CONTRACT_CHANGE}).",
                "contract",
            )
        kinds = CHANGE_KINDS[spec.method]
        if spec.contract.kind not in kinds:
            method = next(m for m, ks in CHANGE_KINDS.items() if spec.contract.kind in ks)
            return Refusal(
                "contract_kind_mismatch",
                citations.CONTRACT_CHANGE,
                f"Method {spec.method} is for {' or '.join(kinds)}; a {spec.contract.kind} is "
                f"launched with method {method} ({citations.CONTRACT_CHANGE}).",
                "contract.kind",
            )
    elif spec.contract is not None:
        return Refusal(
            "contract_not_applicable",
            citations.CONTRACT_CHANGE,
            "Only a renewal (method contract_renewal) or a change order or renegotiation "
            f"(method contract_change) names a contract to change ({citations.CONTRACT_CHANGE}).",
            "contract",
        )
    return None


def _multi_step_refusal(spec: LaunchSpec) -> Refusal | None:
    multi_step = spec.method == "multi_step_sealed_bidding"
    if multi_step and spec.multi_step is None:
        return Refusal(
            "multi_step_terms_missing",
            citations.MULTI_STEP,
            "Multi-step sealed bidding is used when it is impracticable to prepare at first a "
            "purchase description to support an award based on price; the first solicitation "
            "says why and sets the criteria the unpriced offers are qualified under (field "
            f"'multi_step': impracticable, criteria) ({citations.MULTI_STEP}).",
            "multi_step",
        )
    if not multi_step and spec.multi_step is not None:
        return Refusal(
            "multi_step_not_applicable",
            citations.MULTI_STEP,
            "Only multi-step sealed bidding (method multi_step_sealed_bidding) asks for unpriced "
            f"technical offers first ({citations.MULTI_STEP}).",
            "multi_step",
        )
    return None


# What every lot of one solicitation shares: one invitation (15-25(a)), one opening (20-10(d)).
LOT_SHARED = ("agency", "chief_procurement_office", "method", "opening_at", "submission_location")


def lot_refusal(spec: LaunchSpec, sibling: LaunchSpec, sibling_reference: str) -> Refusal | None:
    """Why this lot does not belong with a lot already launched in its solicitation."""
    assert spec.lot is not None and sibling.lot is not None
    if spec.agency != sibling.agency:
        # Another agency's solicitation: its lots, drafts perhaps, are not named to this one.
        return Refusal(
            "lot_mismatch",
            citations.BULLETIN_NOTICE,
            f"Solicitation {spec.lot.solicitation} is another agency's; the lots of one "
            f"solicitation are one agency's invitation ({citations.BULLETIN_NOTICE}).",
            "agency",
        )
    if spec.lot.number == sibling.lot.number:
        return Refusal(
            "lot_number_taken",
            "service rule: a lot number names one lot of its solicitation",
            f"Lot {spec.lot.number} of {spec.lot.solicitation} is {sibling_reference}.",
            "lot.number",
        )
    differ = [f for f in LOT_SHARED if getattr(spec, f) != getattr(sibling, f)]
    if differ:
        return Refusal(
            "lot_mismatch",
            citations.BULLETIN_NOTICE,
            f"The lots of one solicitation are one invitation with one opening; {spec.reference} "
            f"differs from lot {sibling.lot.number} ({sibling_reference}) in "
            f"{', '.join(differ)} ({citations.BULLETIN_NOTICE}; {citations.BID_OPENING}).",
            differ[0],
        )
    return None


def small_purchase_value(spec: LaunchSpec) -> Decimal | None:
    """The value counted against the limit (44 Ill. Adm. Code 1.2020(b)): options included in
    good faith, a month-to-month price over 12 months; unknown for unit-price contracts."""
    if spec.pricing == "unit_price" or spec.estimated_value is None:
        return None
    return small_purchase.counted_value(spec.pricing, spec.estimated_value, spec.options_value)


def _small_purchase_refusal(spec: LaunchSpec, limit: Decimal | None) -> Refusal | None:
    if spec.pricing != "unit_price" and spec.estimated_value is None:
        return Refusal(
            "value_missing",
            citations.SMALL_PURCHASE_VALUE,
            "A small purchase states its value in good faith, with any options (field "
            f"'estimated_value') ({citations.SMALL_PURCHASE_VALUE}).",
            "estimated_value",
        )
    value = small_purchase_value(spec)
    if limit is not None and value is not None and value > limit:
        counted = small_purchase.how_counted(spec.pricing, spec.options_value)
        return Refusal(
            "over_small_purchase_limit",
            citations.SMALL_PURCHASE,
            f"The value {value:,.2f}{counted} exceeds the small purchase limit of {limit:,.2f}; "
            f"use a competitive method ({citations.SMALL_PURCHASE}; "
            f"{citations.SMALL_PURCHASE_VALUE}).",
            "estimated_value",
        )
    return None
