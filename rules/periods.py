"""Statutory periods of a procurement, each computed under 30 ILCS 500/15-45.

Every function here is pure: it takes dates and the pinned calendar rules and returns dates.
A period "ending on day D" is open through the whole of D in America/Chicago unless a rule
(such as a protest office's close of business) says otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from rules import citations
from rules.calendar import CHICAGO, CalendarRules, end_of_day, statutory_deadline

PUBLICATION_DAYS = 14  # 20-10(c), 20-15(c): notice at least 14 calendar days before opening
REVIEW_WINDOW_DAYS = 14  # 5-30(a): Board/Commission may request documents within 14 days
DOCUMENT_ANSWER_DAYS = 7  # 5-30(a): the agency answers within 7 calendar days of receipt
MAX_TOLLING_DAYS = 7  # 15-25(b): a late or missing notice to bidders tolls at most 7 days
AWARD_AFTER_AUCTION_DAYS = 60  # 20-10(j): the award within 60 days after the auction
EMERGENCY_DISCLOSURE_DAYS = 5  # 15-25(c): an emergency award noticed within 5 days
EMERGENCY_EXTENSION_DISCLOSURE_DAYS = 7  # 15-25(c): an extension within 7 days
RENEWAL_NOTICE_DAYS = 14  # 15-25(c-10): a renewal noticed within 14 days of its determination
EMERGENCY_DOCUMENT_DAYS = 10  # 5-30(c): an emergency contract's documents within 10 days
RESPONSE_DAYS = 15  # 5-5(h), 5-7(e): the vendor's written response to a recommendation
HEARING_DAYS = 15  # 5-5(h), 5-7(e): the hearing no later than 15 calendar days after the request
# 5-7(e): the Commission's recommendation within 7 calendar days after the proposal due date,
# bid opening date or determination of a Code violation, and again within 7 after a hearing.
CEI_RECOMMENDATION_DAYS = 7


@dataclass(frozen=True)
class NoticedOpening:
    """What a method's notice sets 14 days ahead, and the sections that govern it."""

    noun: str  # "opening" or "hearing": the deadline is named earliest_<noun>
    period_citation: str  # the 14 calendar days between the notice and it
    opening: str  # the name of the opening's (or hearing's) own deadline
    opening_citation: str


_IFB = NoticedOpening("opening", citations.PUBLIC_NOTICE_IFB, "bid_opening", citations.BID_OPENING)
# Each method that publishes a notice before receiving offers (20-10(c), 20-15(c), 15-25(c-15)).
NOTICED_OPENINGS: dict[str, NoticedOpening] = {
    "competitive_sealed_bidding": _IFB,
    "multi_step_sealed_bidding": _IFB,
    "competitive_sealed_proposals": NoticedOpening(
        "opening", citations.PUBLIC_NOTICE_RFP, "proposal_opening", citations.PROPOSAL_OPENING
    ),
    "reverse_auction": NoticedOpening(
        "opening", citations.PUBLIC_NOTICE_IFB, "auction_ends", citations.REVERSE_AUCTION
    ),
    "sole_source": NoticedOpening(
        "hearing", citations.SOLE_SOURCE_NOTICE, "hearing", citations.SOLE_SOURCE
    ),
}


def noticed_opening(method: str) -> NoticedOpening:
    """The method's noticed opening; an invitation for bids's for a method that publishes
    none before its award (its dates are its own)."""
    return NOTICED_OPENINGS.get(method, _IFB)


def earliest_opening(published_on: date, rules: CalendarRules) -> date:
    """The first date bids may be opened after a notice published on ``published_on``.

    30 ILCS 500/20-10(c): "at least 14 calendar days before the date set ... for the
    opening of bids", counted under 15-45.
    """
    return statutory_deadline(published_on, PUBLICATION_DAYS, rules)


def review_window_ends_on(notice_on: date, rules: CalendarRules) -> date:
    """Last day of the Board review window after the award notice appeared (5-30(a))."""
    return statutory_deadline(notice_on, REVIEW_WINDOW_DAYS, rules)


def document_answer_due(
    received_on: date, rules: CalendarRules, *, emergency: bool = False
) -> date:
    """When the agency's documents are due after a Board or Commission request: 7 calendar
    days (5-30(a)); for an emergency contract, its copy and documents within 10 (5-30(c))."""
    days = EMERGENCY_DOCUMENT_DAYS if emergency else DOCUMENT_ANSWER_DAYS
    return statutory_deadline(received_on, days, rules)


def renewal_notice_due(determined_on: date, rules: CalendarRules) -> date:
    """The last day to post a renewal's notice in the Bulletin (15-25(c-10))."""
    return statutory_deadline(determined_on, RENEWAL_NOTICE_DAYS, rules)


def response_due(delivered_on: date, rules: CalendarRules) -> date:
    """The vendor's written response to a Board or Commission recommendation (5-5(h); 5-7(e))."""
    return statutory_deadline(delivered_on, RESPONSE_DAYS, rules)


def hearing_due(requested_on: date, rules: CalendarRules) -> date:
    """The latest day of the hearing the vendor requested (5-5(h); 5-7(e))."""
    return statutory_deadline(requested_on, HEARING_DAYS, rules)


def cei_recommendation_due(start: date, rules: CalendarRules) -> date:
    """The Commission's recommendation is delivered within 7 calendar days after the proposal
    due date, bid opening date or determination of a Code violation, or after its hearing
    (5-7(e))."""
    return statutory_deadline(start, CEI_RECOMMENDATION_DAYS, rules)


@dataclass(frozen=True)
class ProtestRules:
    """One chief procurement office's protest periods: data, because each office has its own.

    Defaults are those of the Chief Procurement Officer for General Services
    (44 Ill. Adm. Code 1.5550): 14 days, received by close of business. ``provisional``: the
    office's own rule (``own_rule``) is not loaded, and these periods stand in for it; the
    API and the README say so rather than present them as the office's.
    """

    office: str = "CPO-GS"
    citation: str = citations.PROTESTS
    solicitation_days: int = 14
    award_days: int = 14
    close_of_business: str = "17:00"
    provisional: bool = False
    own_rule: str | None = None

    def closing_time(self) -> time:
        hours, minutes = self.close_of_business.split(":")
        return time(int(hours), int(minutes))

    def closes_at(self, last_day: date) -> datetime:
        """The instant a protest period whose last day is ``last_day`` closes."""
        return datetime.combine(last_day, self.closing_time(), tzinfo=CHICAGO)

    def to_dict(self) -> dict[str, Any]:
        return {
            "office": self.office,
            "citation": self.citation,
            "solicitation_days": self.solicitation_days,
            "award_days": self.award_days,
            "close_of_business": self.close_of_business,
            "provisional": self.provisional,
            "own_rule": self.own_rule,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProtestRules:
        return cls(**{k: data[k] for k in cls().to_dict() if k in data})


# The four chief procurement officers (30 ILCS 500/10-20) each adopt protest rules. Only the
# general services rule (1.5550) is among the texts this service was built from; the other
# offices' are not loaded, so the general services periods stand in for them, said as such.


def _provisional(office: str, own_rule: str) -> ProtestRules:
    return ProtestRules(
        office=office,
        citation=f"{citations.PROTESTS}, applied for {office} until its own rule ({own_rule}) "
        "is loaded",
        provisional=True,
        own_rule=own_rule,
    )


PROTEST_RULES_BY_OFFICE: dict[str, ProtestRules] = {
    "CPO-GS": ProtestRules(own_rule=citations.PROTESTS),
    "CPO-HE": _provisional("CPO-HE", "44 Ill. Adm. Code 4.5550"),
    "CPO-CDB": _provisional("CPO-CDB", "44 Ill. Adm. Code 8.5550"),
    "CPO-DOT": _provisional("CPO-DOT", "44 Ill. Adm. Code 6.5550"),
}


@dataclass(frozen=True)
class AwardProtestPeriod:
    """The award protest period with 15-25(b) tolling applied.

    ``final`` is False while the notice to bidders is neither sent nor more than 7 days
    late: the end can still move, and only its earliest possible value is known.
    """

    award_notice_on: date
    bidders_notified_on: date | None
    tolled_days: int
    starts_on: date
    ends_on: date
    closes_at: datetime
    final: bool


def award_protest_period(
    award_notice_on: date,
    bidders_notified_on: date | None,
    today: date,
    rules: CalendarRules,
    protest_rules: ProtestRules,
) -> AwardProtestPeriod:
    """The period to protest an award, tolled when the notice to bidders was late.

    15-25(b): notice of the contract goes to every bidder electronically, immediately;
    failure to give it "shall result in tolling the time for filing a bid protest up to 7
    calendar days". The period therefore runs ``award_days`` from the day bidders were
    notified, but never starts more than 7 days after the award notice appeared.
    """
    if bidders_notified_on is not None:
        delay = max((bidders_notified_on - award_notice_on).days, 0)
        final = True
    else:
        delay = max((today - award_notice_on).days, 0)
        final = delay >= MAX_TOLLING_DAYS
    tolled = min(delay, MAX_TOLLING_DAYS)
    starts_on = award_notice_on + timedelta(days=tolled)
    ends_on = statutory_deadline(starts_on, protest_rules.award_days, rules)
    return AwardProtestPeriod(
        award_notice_on=award_notice_on,
        bidders_notified_on=bidders_notified_on,
        tolled_days=tolled,
        starts_on=starts_on,
        ends_on=ends_on,
        closes_at=protest_rules.closes_at(ends_on),
        final=final,
    )


def tolling_expires_at(award_notice_on: date) -> datetime:
    """When a never-sent notice to bidders stops tolling: 7 days after the award notice."""
    return end_of_day(award_notice_on + timedelta(days=MAX_TOLLING_DAYS - 1))


def solicitation_protest_closes_at(
    published_on: date, opening_at: datetime, rules: CalendarRules, protest_rules: ProtestRules
) -> datetime:
    """A protest of the notice or solicitation: within the office's period after posting and
    before the opening, whichever comes first (44 Ill. Adm. Code 1.5550)."""
    last_day = statutory_deadline(published_on, protest_rules.solicitation_days, rules)
    return min(protest_rules.closes_at(last_day), opening_at)


# 20-30: an emergency contract's term, at most 90 days (extensions are separate).
EMERGENCY_MAX_DAYS = 90

# 5-30(c): the review window does not apply to these.
PROFESSIONAL_ARTISTIC_EXEMPT_UNDER = Decimal("20000")


def review_window_exemption(
    method: str,
    category: str,
    renewable: bool,
    term_months: int | None,
    value: Decimal | None,
) -> str | None:
    """Why the Board review window of 5-30 does not apply, or None when it does.

    30 ILCS 500/5-30(c): small and emergency procurements; professional and artistic services
    contracts that are nonrenewable, one year or less, and under $20,000.
    """
    if method == "small_purchase":
        return f"Small purchases are exempt from the review window ({citations.REVIEW_EXEMPTIONS})."
    if method == "emergency":
        return f"Emergency purchases are exempt from the review window ({citations.REVIEW_EXEMPTIONS})."
    if (
        category == "professional_artistic"
        and not renewable
        and term_months is not None
        and term_months <= 12
        and value is not None
        and value < PROFESSIONAL_ARTISTIC_EXEMPT_UNDER
    ):
        return (
            "Nonrenewable professional and artistic services of one year or less under "
            f"$20,000 are exempt from the review window ({citations.REVIEW_EXEMPTIONS})."
        )
    return None
