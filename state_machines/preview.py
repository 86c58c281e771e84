"""Every statutory date of a planned procurement, without launching it (``POST /v1/schedule``).

Pure: the same rules as a running procurement, applied to a planned publication date. Where a
date depends on something not yet known (when the award is decided, when bidders are
notified), the preview assumes the earliest the law allows and says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from rules import citations, small_purchase
from rules.award import EXPLANATION_FILING_DAYS
from rules.calendar import CalendarRules, explain_deadline
from rules.periods import (
    AWARD_AFTER_AUCTION_DAYS,
    DOCUMENT_ANSWER_DAYS,
    EMERGENCY_DISCLOSURE_DAYS,
    EMERGENCY_MAX_DAYS,
    PUBLICATION_DAYS,
    RENEWAL_NOTICE_DAYS,
    RESPONSE_DAYS,
    REVIEW_WINDOW_DAYS,
    ProtestRules,
    noticed_opening,
    review_window_exemption,
)
from state_machines.models import METHOD_NAMES


@dataclass
class Preview:
    method: str
    dates: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(
        self, name: str, start: date, days: int, citation: str, what: str, rules: CalendarRules
    ) -> date:
        explained = explain_deadline(start, days, rules)
        self.dates.append(
            {
                "name": name,
                "date": explained.deadline.isoformat(),
                "counted_from": start.isoformat(),
                "days": days,
                "citation": citation,
                "description": what,
                "skipped": [{"day": d.isoformat(), "reason": r} for d, r in explained.skipped],
            }
        )
        return explained.deadline

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "method_name": METHOD_NAMES[self.method],
            "dates": sorted(self.dates, key=lambda d: (d["date"], d["name"])),
            "notes": self.notes,
        }


def preview(
    *,
    method: str,
    publication_date: date,
    rules: CalendarRules,
    protest_rules: ProtestRules,
    value: Decimal | None = None,
    category: str = "supplies",
    renewable: bool = True,
    term_months: int | None = None,
    award_date: date | None = None,
    small_purchase_limit: Decimal | None = None,
    with_written_explanation: bool = False,
) -> Preview:
    out = Preview(method)
    exemption = review_window_exemption(method, category, renewable, term_months, value)
    if method == "small_purchase":
        out.notes.append(
            "No Bulletin notice, no competition and no Board review window "
            f"({citations.SMALL_PURCHASE}; {citations.REVIEW_EXEMPTIONS})."
        )
        if small_purchase_limit is not None:
            out.notes.append(
                f"Allowed only at or under the limit in force, {small_purchase_limit:,.2f} "
                f"({citations.SMALL_PURCHASE})."
            )
        if value is not None and value > small_purchase.CERTIFICATION_THRESHOLD:
            out.notes.append(
                "Over $50,000.00: the Standard Illinois Certifications are required "
                f"({citations.SMALL_PURCHASE_CERTIFICATION})."
            )
        return out
    if method == "emergency":
        awarded = award_date or publication_date
        out.add(
            "emergency_disclosure_due",
            awarded,
            EMERGENCY_DISCLOSURE_DAYS,
            citations.EMERGENCY_DISCLOSURE,
            "Publish the emergency purchase in the Bulletin (7 days after an extension).",
            rules,
        )
        out.dates.append(
            {
                "name": "emergency_term_ends_latest",
                "date": (awarded + timedelta(days=EMERGENCY_MAX_DAYS - 1)).isoformat(),
                "counted_from": awarded.isoformat(),
                "days": EMERGENCY_MAX_DAYS,
                "citation": citations.EMERGENCY,
                "description": "An emergency contract runs at most 90 days unless extended.",
                "skipped": [],
            }
        )
        out.notes.append(f"No Board review window ({citations.REVIEW_EXEMPTIONS}).")
        return out

    if method == "contract_renewal":
        # The publication date stands for the day of the determination to renew.
        out.add(
            "renewal_notice_due",
            publication_date,
            RENEWAL_NOTICE_DAYS,
            citations.CONTRACT_RENEWAL,
            "Post the renewal's notice in the Bulletin, counted from the determination to renew.",
            rules,
        )
        out.notes.append(
            f"A renewal is noticed, not let: no Board review window, no protest period "
            f"({citations.CONTRACT_RENEWAL})."
        )
        return out
    if method == "contract_change":
        out.add(
            "review_window_ends",
            award_date or publication_date,
            REVIEW_WINDOW_DAYS,
            citations.REVIEW_WINDOW,
            "The change order's notice of award starts the Board and Commission's 14 days; "
            "it is executed after them.",
            rules,
        )
        return out
    noticed = noticed_opening(method)
    opening = out.add(
        f"earliest_{noticed.noun}",
        publication_date,
        PUBLICATION_DAYS,
        noticed.period_citation,
        "The hearing is at least 14 days after the notice of intent appears."
        if method == "sole_source"
        else "The opening is at least 14 days after the notice appears in the Bulletin.",
        rules,
    )
    if method != "sole_source":
        out.add(
            "solicitation_protest_closes",
            publication_date,
            protest_rules.solicitation_days,
            protest_rules.citation,
            f"Protests of the solicitation are received by {protest_rules.close_of_business}, "
            "and before the opening.",
            rules,
        )
    if method == "multi_step_sealed_bidding":
        opening = out.add(
            "earliest_priced_opening",
            opening,
            PUBLICATION_DAYS,
            citations.MULTI_STEP,
            "The bids of the second step open at least 14 days after its invitation, issued "
            "to the qualified bidders once every technical offer is qualified (if the "
            "technical offers open on the earliest day and the invitation follows at once).",
            rules,
        )
    if method == "reverse_auction":
        out.add(
            "award_due_after_auction",
            opening,
            AWARD_AFTER_AUCTION_DAYS,
            citations.REVERSE_AUCTION,
            "The award is due within 60 calendar days after the auction (if the auction ends "
            "on the earliest opening day).",
            rules,
        )
    awarded = award_date or opening
    if award_date is None:
        out.notes.append(
            f"Dates after the award assume it is decided and noticed on {awarded.isoformat()}, "
            "the earliest day possible, with bidders notified the same day."
        )
    if exemption is None:
        out.add(
            "review_window_ends",
            awarded,
            REVIEW_WINDOW_DAYS,
            citations.REVIEW_WINDOW,
            "The Board and the Commission may request documents until then; the contract is "
            "entered into the day after, unless both waive.",
            rules,
        )
        out.add(
            "documents_due_if_requested_on_award_day",
            awarded,
            DOCUMENT_ANSWER_DAYS,
            citations.REVIEW_WINDOW,
            "The agency answers a document request within 7 days of receipt.",
            rules,
        )
        out.add(
            "board_recommendation_response_if_made_on_award_day",
            awarded,
            RESPONSE_DAYS,
            citations.BOARD_RECOMMENDATION,
            "A vendor has 15 calendar days to answer a Board recommendation.",
            rules,
        )
    else:
        out.notes.append(exemption)
    out.add(
        "award_protest_closes",
        awarded,
        protest_rules.award_days,
        protest_rules.citation,
        f"Protests of the award are received by {protest_rules.close_of_business}; a late or "
        f"missing notice to bidders extends this by up to 7 days ({citations.BIDDER_NOTICE}).",
        rules,
    )
    if with_written_explanation or method in (
        "competitive_sealed_bidding",
        "multi_step_sealed_bidding",
    ):
        out.add(
            "written_explanation_filing_if_not_lowest",
            awarded,
            EXPLANATION_FILING_DAYS,
            citations.AWARD,
            "When the award is not to the lowest bid, the written explanation is filed with "
            "the LAC, the CEI and the PPB.",
            rules,
        )
    return out
