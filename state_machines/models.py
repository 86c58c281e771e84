"""The facts a procurement carries and the commands that change them (pure pydantic models).

The same command models validate API bodies and travel to the workflow, so a field's rule is
written once. Bid amounts and documents never appear here: they stay in PostgreSQL.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from rules.small_purchase import COMMODITY_CODE_PATTERN, Pricing

State = Literal[
    "draft", "published", "evaluation", "review_window", "awarded", "closed", "cancelled"
]
# The states a procurement may be cancelled from: until its contract is entered into.
CANCELLABLE_STATES: tuple[State, ...] = ("draft", "published", "evaluation", "review_window")
Method = Literal[
    "competitive_sealed_bidding",
    "multi_step_sealed_bidding",
    "competitive_sealed_proposals",
    "reverse_auction",
    "small_purchase",
    "sole_source",
    "emergency",
    "contract_renewal",
    "contract_change",
]
METHOD_NAMES: dict[str, str] = {
    "competitive_sealed_bidding": "Competitive sealed bidding (30 ILCS 500/20-10)",
    "multi_step_sealed_bidding": "Multi-step sealed bidding (30 ILCS 500/20-10(h))",
    "competitive_sealed_proposals": "Competitive sealed proposals (30 ILCS 500/20-15)",
    "reverse_auction": "Reverse auction (30 ILCS 500/20-10(j))",
    "small_purchase": "Small purchase (30 ILCS 500/20-20)",
    "sole_source": "Sole source (30 ILCS 500/20-25)",
    "emergency": "Emergency purchase (30 ILCS 500/20-30)",
    "contract_renewal": "Renewal of a contract (30 ILCS 500/15-25(c-10))",
    "contract_change": "Change order or renegotiated contract (30 ILCS 500/15-25(a),(b),(b-5))",
}
# Methods that change a contract another procurement awarded, rather than select a source.
CONTRACT_CHANGE_METHODS = ("contract_renewal", "contract_change")
Category = Literal[
    "supplies", "services", "professional_artistic", "construction", "telecommunications"
]
Money = Annotated[Decimal, Field(ge=0, max_digits=15, decimal_places=2)]

_PLAIN_MONEY = r"^(0|[1-9][0-9]{0,12})(\.[0-9]{1,2})?$"


def _plain_money(value: Any) -> Decimal:
    # A bid's price is what the vendor wrote, exactly: digits with at most two decimals, so
    # "-0", "1E+2", "NaN" or a binary float never become a price.
    if isinstance(value, str) and re.fullmatch(_PLAIN_MONEY, value):
        return Decimal(value)
    raise PydanticCustomError(
        "plain_money",
        'a decimal string in plain notation with at most two decimals, such as "98000.50" '
        "(no sign, exponent, NaN or number)",
    )


# Money in a sealed bid: a string such as "98000.50".
BidMoney = Annotated[
    Decimal,
    BeforeValidator(_plain_money),
    WithJsonSchema({"type": "string", "pattern": _PLAIN_MONEY, "examples": ["98000.50"]}),
]
Office = Literal["CPO-GS", "CPO-HE", "CPO-CDB", "CPO-DOT"]
ReviewBody = Literal["PPB", "CEI"]
REVIEW_BODY_NAMES: dict[str, str] = {
    "PPB": "Procurement Policy Board",
    "CEI": "Commission on Equity and Inclusion",
}

REFERENCE_PATTERN = r"^[A-Z0-9][A-Z0-9._-]{2,63}$"

Text = Field(min_length=1, max_length=4000)


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class NoticeFields(Model):
    """What the agency writes into the invitation for bids (15-25(a)); all may be filled in
    while the procurement is a draft, and publication is refused until they are."""

    title: str = Field(min_length=1, max_length=200, description="Short name of the purchase.")
    description: str | None = Field(
        default=None, max_length=4000, description="Brief purchase description (15-25(a))."
    )
    agency: str = Field(
        min_length=1, max_length=200, description="The purchasing State agency (15-25(a))."
    )
    state_purchasing_officer: str | None = Field(
        default=None, max_length=200, description="The responsible State purchasing officer."
    )
    submission_location: str | None = Field(
        default=None, max_length=1000, description="Where offers are to be submitted."
    )
    documents_info: str | None = Field(
        default=None,
        max_length=2000,
        description="How to obtain the full purchase description and the forms.",
    )
    opening_at: AwareDatetime | None = Field(
        default=None,
        description="When bids or proposals are due and opened (20-10(c),(d); 20-15(c),(d)); "
        "for a reverse auction, when the auction ends.",
    )
    intended_contractor: str | None = Field(
        default=None,
        max_length=200,
        description="Sole source: the intended contractor (15-25(c-15)). Small purchase: the "
        "vendor, when known at launch; the divided-need check counts its other small purchases "
        "(20-20(a)) and the award goes to it.",
    )
    hearing_at: AwareDatetime | None = Field(
        default=None, description="Sole source: the hearing (20-25), 14 days after the notice."
    )


class NoticeAmendment(Model):
    """A change to the notice: any field while a draft; only a later opening once published."""

    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=4000)
    agency: str | None = Field(default=None, min_length=1, max_length=200)
    state_purchasing_officer: str | None = Field(default=None, max_length=200)
    submission_location: str | None = Field(default=None, max_length=1000)
    documents_info: str | None = Field(default=None, max_length=2000)
    opening_at: AwareDatetime | None = None
    intended_contractor: str | None = Field(default=None, min_length=1, max_length=200)
    hearing_at: AwareDatetime | None = None


CommodityCode = Annotated[
    str,
    Field(
        pattern=COMMODITY_CODE_PATTERN,
        description="An NIGP commodity code: class, class-item, group or detail (204, 204-45).",
    ),
]


class SmallPurchaseOverrun(Model):
    """A signed small purchase whose actual cost exceeds the limit, completed by a sole source
    or emergency procurement (44 Ill. Adm. Code 1.2020(b)(3))."""

    small_purchase: str = Field(
        pattern=REFERENCE_PATTERN, description="The reference of the signed small purchase."
    )
    actual_cost: Money = Field(
        description="The actual cost of completing that contract, over the small purchase limit."
    )
    determination: str = Field(
        min_length=1,
        max_length=4000,
        description="The SPO's determination that a supplemental procurement is not "
        "economically feasible or practicable, and why (1.2020(b)(3)).",
    )


class ContractChangeSpec(Model):
    """What a renewal, change order or renegotiation changes (15-25(a),(b),(b-5),(c-10))."""

    original: str = Field(
        pattern=REFERENCE_PATTERN,
        description="The procurement that awarded the contract being renewed or changed.",
    )
    kind: Literal["renewal", "change_order", "renegotiation"] = Field(
        description="'renewal' with method contract_renewal; 'change_order' or "
        "'renegotiation' with method contract_change."
    )
    determined_on: date = Field(
        description="The day of the determination to execute the renewal or the change; a "
        "renewal's notice is due within 14 calendar days of it (15-25(c-10))."
    )


class MultiStepSpec(Model):
    """What the first solicitation of multi-step sealed bidding states (20-10(h))."""

    impracticable: str = Field(
        min_length=1,
        max_length=4000,
        description="Why it is impracticable to prepare, at first, a purchase description "
        "that supports an award based on price (20-10(h)).",
    )
    criteria: str = Field(
        min_length=1,
        max_length=8000,
        description="The criteria the unpriced technical offers are qualified under; only the "
        "bidders whose offers meet them are invited to bid a price (20-10(h)).",
    )


class LotSpec(Model):
    """Which lot of which solicitation this procurement is: one invitation let in several
    lots, each lot bid, evaluated, awarded, reviewed and protested on its own."""

    solicitation: str = Field(
        pattern=REFERENCE_PATTERN,
        description="The solicitation's number, shared by all its lots (not a procurement "
        "reference of its own).",
    )
    number: int = Field(ge=1, le=999, description="The lot's number within the solicitation.")


# The methods whose solicitation may be let in lots: those that invite competing offers.
LOT_METHODS = (
    "competitive_sealed_bidding",
    "multi_step_sealed_bidding",
    "competitive_sealed_proposals",
    "reverse_auction",
)


class LaunchSpec(NoticeFields):
    """Everything a procurement is launched with; its digest identifies a repeated launch."""

    reference: str = Field(
        pattern=REFERENCE_PATTERN,
        description="The procurement reference: 3-64 of A-Z, 0-9, '.', '_' or '-'.",
    )
    method: Method = "competitive_sealed_bidding"
    chief_procurement_office: Office = "CPO-GS"
    bidder_notice: Literal["automatic", "manual"] = Field(
        default="automatic",
        description=(
            "'automatic': the service notifies every bidder electronically the moment the award "
            "notice is published (15-25(b)); 'manual': the agency records when it did."
        ),
    )
    category: Category = Field(
        default="supplies",
        description="What is bought; decides 20-10(j) and 5-30(c) (professional and artistic "
        "services, construction, telecommunications).",
    )
    estimated_value: Money | None = Field(
        default=None, description="Value in good faith, with options (44 Ill. Adm. Code 1.2020(b))."
    )
    pricing: Pricing = Field(
        default="fixed",
        description="'monthly', 'weekly', 'quarterly', 'semiannual': a periodic price, whose "
        "value counts 12 months of it; 'unit_price': only a unit price or rate is known "
        "(44 Ill. Adm. Code 1.2020(b)(1),(2)).",
    )
    options_value: Money | None = Field(
        default=None,
        description="The optional supplies and services, determined in good faith, added to "
        "the value a small purchase is judged by (44 Ill. Adm. Code 1.2020(b)(1)).",
    )
    renewable: bool = Field(default=True, description="Whether the contract may be renewed.")
    term_months: int | None = Field(default=None, ge=1, le=600, description="Contract term.")
    preferences: dict[str, Any] = Field(
        default_factory=dict,
        description="Article 45 preferences the solicitation enables: "
        '{"enabled": [...], "percentages": {...}, "federal_funds_conflict": false}.',
    )
    auction_determination: str | None = Field(
        default=None,
        max_length=4000,
        description="Reverse auction: the chief procurement officer's determination that an "
        "electronic auction is in the best interest of the State, published with the notice "
        "(20-10(j)); required for that method.",
    )
    commodity_codes: list[CommodityCode] = Field(
        default_factory=list,
        max_length=50,
        description="NIGP commodity codes of what is bought; small purchases sharing one are "
        "counted together by the divided-need check (20-20(a); 1.2020(d)).",
    )
    contract: ContractChangeSpec | None = Field(
        default=None,
        description="contract_renewal and contract_change: the contract renewed or changed.",
    )
    lot: LotSpec | None = Field(
        default=None,
        description="A lot of a solicitation let in several lots: its solicitation number and "
        "lot number. Every lot of one solicitation has the same agency, office, method and "
        "opening; each has its own bids, tabulation, tie rules, award, review window and "
        "protests.",
    )
    multi_step: MultiStepSpec | None = Field(
        default=None,
        description="multi_step_sealed_bidding only, and required for it: why a price-based "
        "description is impracticable at first, and the criteria technical offers are "
        "qualified under (20-10(h)).",
    )
    completes_small_purchase: SmallPurchaseOverrun | None = Field(
        default=None,
        description="Sole source or emergency only: the signed small purchase whose cost "
        "overran the limit and which this procurement completes (1.2020(b)(3)).",
    )
    scoring: dict[str, Any] | None = Field(
        default=None,
        description='Sealed proposals: {"price_points": "30", "other_points": "50"}; diversity '
        "points are 20% of the other points (20-15(e-5)(1)); a plan may state them as "
        '"diversity_points", which must then be that 20%. Other keys are refused.',
    )


# ---- commands -----------------------------------------------------------------------------


class RankEntry(Model):
    """A bid's place after opening: rank 1 is the lowest evaluated price; ties share a rank."""

    bid_id: str
    vendor: str
    rank: int
    # What ties are broken by (44 Ill. Adm. Code 1.2037; 30 ILCS 500/45-20): claims, not prices.
    resident: bool = False
    recycled: bool = False
    # The price bid, public once opened (20-10(d)): an award's contract value (5-30(c)).
    price: Decimal | None = None


class Empty(Model):
    pass


class RegisterBid(Model):
    bid_id: str = Field(min_length=1, max_length=64)
    vendor: str = Field(min_length=1, max_length=200)
    digest: str = Field(pattern=r"^[0-9a-f]{64}$")
    replaces: str | None = Field(default=None, max_length=64)


class WithdrawBid(Model):
    bid_id: str = Field(min_length=1, max_length=64)
    determination: str | None = Field(
        default=None,
        max_length=4000,
        description="After the opening: the SPO's written determination of a bona fide error "
        "shown by clear evidence (20-10(f); 44 Ill. Adm. Code 1.2038).",
    )


class ProceedDespiteProtest(Model):
    determination: str = Field(
        min_length=1,
        max_length=4000,
        description="The chief procurement officer's written determination that the award or "
        "contract must proceed without delay to protect the State's interests.",
    )


class OpeningRequest(Model):
    """What a caller sends to open the bids."""

    witnesses: list[str] = Field(
        min_length=1, max_length=20, description="Who witnessed the opening (20-10(d))."
    )


class OpenBids(OpeningRequest):
    """The opening as the workflow fires it: the caller's witnesses plus the ranking the
    tabulation produced from the sealed bids in PostgreSQL."""

    ranking: list[RankEntry] = Field(default_factory=list)
    # The SHA-256 of the commitments published before unsealing: the opening's audit entry
    # carries it, so the hash chain anchors the list.
    commitments_digest: str | None = None


class DetermineBid(Model):
    bid_id: str = Field(min_length=1, max_length=64)
    responsive: bool
    responsible: bool
    reason: str | None = Field(default=None, max_length=4000)


class QualifyOffer(Model):
    """Whether an unpriced technical offer meets the first solicitation's criteria."""

    bid_id: str = Field(min_length=1, max_length=64)
    qualified: bool
    reason: str | None = Field(
        default=None,
        max_length=4000,
        description="Required when not qualified: which of the solicitation's criteria the "
        "offer does not meet (20-10(h)).",
    )


class InviteBids(Model):
    """The second step's invitation for bids, limited to the qualified bidders."""

    opening_at: AwareDatetime = Field(
        description="When the priced bids are due and opened: at least 14 calendar days after "
        "the invitation appears in the Bulletin (20-10(c), 15-45)."
    )


class WrittenExplanation(Model):
    """The four parts 20-10(g) requires when the award is not to the lowest bid."""

    agency_needs: str = Field(default="", max_length=4000)
    fair_and_reasonable: str = Field(default="", max_length=4000)
    responsive_bidders: list[str] = Field(default_factory=list, max_length=500)
    selected_bidder: str = Field(default="", max_length=200)
    total_contract_price: Decimal | None = Field(
        default=None, ge=0, max_digits=15, decimal_places=2
    )
    reasons: str = Field(default="", max_length=4000)


class TieDecision(Model):
    """The SPO's alternative to a lot among tied bids (44 Ill. Adm. Code 1.2037(b)(2))."""

    kind: Literal["best_interest", "split_award"]
    reasons: str = Text
    agreed_by: list[str] = Field(
        default_factory=list, max_length=50, description="Split award: vendors who agreed."
    )


class AwardCommand(Model):
    """An award. Sealed bids and proposals name a bid; small, sole source and emergency
    purchases name the contractor and price, which are public once awarded."""

    bid_id: str | None = Field(default=None, min_length=1, max_length=64)
    explanation: WrittenExplanation | None = None
    tie_decision: TieDecision | None = None
    basis: str | None = Field(
        default=None, max_length=4000, description="Proposals: the written basis (20-15(g))."
    )
    vendor: str | None = Field(default=None, min_length=1, max_length=200)
    price: Money | None = None
    standard_certifications: bool = Field(
        default=False, description="Small purchase: Standard Illinois Certifications received."
    )
    reasons: str | None = Field(
        default=None, max_length=4000, description="Emergency: the description and reasons."
    )
    term_days: int | None = Field(
        default=None,
        ge=1,
        le=100_000,
        description="Emergency: the term, at most 90 days (20-30; a longer one is refused "
        "with emergency_term_too_long).",
    )
    awarded_on: date | None = Field(
        default=None,
        description="Emergency: the day the contract was awarded, when it is recorded after the "
        "fact; the 5 days of 15-25(c) count from it. Today if omitted.",
    )


class ScoreEntry(Model):
    bid_id: str = Field(min_length=1, max_length=64)
    diversity: Decimal = Field(ge=0, max_digits=7, decimal_places=2)
    other: Decimal = Field(ge=0, max_digits=7, decimal_places=2)


class ScoreProposals(Model):
    scores: list[ScoreEntry] = Field(min_length=1, max_length=500)
    ranking: list[RankEntry] = Field(default_factory=list)  # filled by the workflow


class RequestBestAndFinal(Model):
    competitive_range: list[str] = Field(
        min_length=1, max_length=500, description="Bid ids found reasonably susceptible of award."
    )
    due_at: AwareDatetime


class ExtendAwardDate(Model):
    new_due_on: date
    spo_consent: str = Field(min_length=1, max_length=200)
    bidder_consent: str = Field(min_length=1, max_length=200)


class HoldHearing(Model):
    summary: str = Text


class EmergencyDisclosure(Model):
    description: str = Text
    total_cost: Money
    cost_is_estimate: bool = False


class ExtendEmergency(Model):
    additional_days: int = Field(ge=1, le=90)
    justification: str = Text
    approved_by: str = Field(
        min_length=1, max_length=200, description="The chief procurement officer."
    )


class RecordFiling(Model):
    bodies: list[Literal["LAC", "CEI", "PPB"]] = Field(min_length=1, max_length=3)


class SplitDetermination(Model):
    """The SPO's determination on a launch flagged as a possibly divided need (20-20(a))."""

    decision: Literal["not_divided", "divided"]
    reasons: str = Text


class BoardRecommendation(Model):
    """A recommendation to void a contract or reject a bid or proposal: the Procurement Policy
    Board's (5-5(h)) or the Commission on Equity and Inclusion's (5-7(e))."""

    action: Literal["void_contract", "reject_bid"]
    votes_for: int = Field(ge=0, le=15)
    members_serving: int = Field(default=5, ge=1, le=15)
    grounds: str = Text
    # None only in histories recorded before a recommendation named its body.
    body: ReviewBody | None = Field(
        default=None, description="'PPB' (5-5(h)) or 'CEI' (5-7(e)); required."
    )
    violation_determined_on: date | None = Field(
        default=None,
        description="The Commission: the day it determined the Code violation, when its "
        "7 days count from that and not from the opening (5-7(e)).",
    )


class ReciprocityPinned(Model):
    """The reciprocity table in force on the day of the first advertisement, as the workflow
    read it then (30 ILCS 500/45-10(a),(b)); what the opening evaluates with."""

    effective_from: date | None
    states: dict[str, str] = Field(default_factory=dict)
    pinned_on: date


class Publish(Model):
    """Publication. The caller sends nothing; the workflow fills in the reciprocity table in
    force that day, the first advertisement (45-10(b))."""

    reciprocity: ReciprocityPinned | None = None


class FailedBidNotice(Model):
    """A bidder's 4 consecutive bids not awarded, to be explained in writing (20-10(g-5))."""

    vendor: str
    references: list[str]
    due_on: date | None = None  # filled when recorded: the end of the calendar quarter


class FailedBidsOwed(Model):
    """The workflow's record, at an award, of the failed bid notices it makes owing."""

    notices: list[FailedBidNotice] = Field(max_length=500)


class DeliverFailedBidNotice(Model):
    """The agency's record that it gave a bidder the reasons for its 4 failed bids."""

    vendor: str = Field(min_length=1, max_length=200)
    means: Literal["certified_copy", "disclosed_electronically"] = Field(
        description="'certified_copy': the written reasons sent by certified copy; "
        "'disclosed_electronically': the information was already disclosed by e-mail or on "
        "the agency's procurement bulletin under its written policy (20-10(g-5))."
    )
    reasons: str = Field(
        min_length=1, max_length=8000, description="Why each of the 4 bids was not awarded."
    )


class ReviewHearing(Model):
    """The hearing held on the vendor's request (5-5(h); 5-7(e))."""

    summary: str = Text


class FinalRecommendation(Model):
    """The Commission's recommendation within 7 days after the hearing (5-7(e))."""

    maintained: bool = Field(
        description="true: it still recommends voiding the contract or rejecting the bid; "
        "false: it withdraws the recommendation."
    )
    reasons: str = Text


class DecideRecommendation(Model):
    decision: Literal["follow", "decline"]
    reasons: str = Text


class VendorResponse(Model):
    summary: str = Text


class RequestDocuments(Model):
    body: ReviewBody
    description: str = Text


class AnswerDocuments(Model):
    request_id: str = Field(min_length=1, max_length=64)
    summary: str = Text


class GrantWaiver(Model):
    body: ReviewBody


class FileProtest(Model):
    kind: Literal["solicitation", "award"]
    protester: str = Field(min_length=1, max_length=200)
    grounds: str = Text


class DecideProtest(Model):
    protest_id: str = Field(min_length=1, max_length=64)
    decision: Literal["denied", "upheld"]
    remedy: Literal["none", "reevaluate", "cancel"] = "none"
    reasons: str = Text


class Cancel(Model):
    reason: str = Field(min_length=1, max_length=4000, description="Why it is cancelled.")


Role = Literal["agency_buyer", "spo", "cpo", "vendor", "ppb", "cei", "member"]
ROLE_NAMES: dict[str, str] = {
    "agency_buyer": "agency buyer",
    "spo": "State purchasing officer",
    "cpo": "chief procurement officer",
    "vendor": "vendor",
    "ppb": "Procurement Policy Board member",
    "cei": "Commission on Equity and Inclusion member",
    # A purchasing official of a unit of local government, acting for the unit it names.
    "member": "member unit's purchasing official",
}


class Principal(Model):
    """Who acts: an identity, its role, and the agency or vendor it acts for."""

    id: str = Field(min_length=1, max_length=200)
    name: str = Field(min_length=1, max_length=200)
    role: Role
    agency: str | None = None
    vendor: str | None = None


class Command(Model):
    """The envelope every command reaches the workflow in."""

    trigger: str
    actor: str = Field(min_length=1, max_length=200)
    payload: dict[str, Any] = Field(default_factory=dict)
    # Absent only in histories recorded before identities existed.
    principal: Principal | None = None
    request_id: str | None = Field(default=None, max_length=200)


# ---- facts --------------------------------------------------------------------------------


class TransitionRecord(Model):
    seq: int
    trigger: str
    from_state: State
    to_state: State
    actor: str
    at: datetime
    citation: str
    summary: str
    role: str | None = None
    request_id: str | None = None


class BidRecord(Model):
    bid_id: str
    vendor: str
    received_at: datetime
    digest: str


class BidDetermination(Model):
    bid_id: str
    responsive: bool
    responsible: bool
    reason: str | None
    actor: str
    at: datetime


class OfferQualification(Model):
    bid_id: str
    qualified: bool
    reason: str | None
    actor: str
    at: datetime


class TechnicalStep(Model):
    """The first step of multi-step sealed bidding, as it stood when the invitation for
    priced bids was issued (20-10(h))."""

    opened_at: datetime
    witnesses: list[str]
    offers: list[RankEntry]
    qualified: list[str]  # the vendors invited to bid a price
    invited_at: datetime
    invited_on: date


class AwardRecord(Model):
    bid_id: str | None
    vendor: str
    # The contract's price: as named (small, sole source, emergency) or as bid (public once
    # opened); None for awards recorded before the ranking carried prices.
    price: Decimal | None = None
    tie: dict[str, Any] | None = None
    basis: str | None = None
    lowest: bool
    decided_at: datetime
    notice_on: date
    explanation: WrittenExplanation | None = None


class DocumentRequestRecord(Model):
    request_id: str
    body: ReviewBody
    description: str
    received_at: datetime
    due_on: date
    answered_at: datetime | None = None
    answer: str | None = None


class WaiverRecord(Model):
    body: ReviewBody
    actor: str
    granted_at: datetime


class ProtestRecord(Model):
    protest_id: str
    kind: Literal["solicitation", "award"]
    protester: str
    grounds: str
    filed_at: datetime
    status: Literal["pending", "denied", "upheld"] = "pending"
    decided_at: datetime | None = None
    decided_by: str | None = None
    remedy: str | None = None
    reasons: str | None = None


class CancellationRecord(Model):
    reason: str
    actor: str
    at: datetime


class Facts(Model):
    """All a procurement knows, as the workflow holds it and the read model stores it."""

    reference: str
    method: Method
    office: Office
    spec: LaunchSpec
    notice: NoticeFields
    launch_digest: str
    rules_version: str
    calendar: dict[str, Any]
    protest_rules: dict[str, Any]
    created_at: datetime
    state: State = "draft"
    published_at: datetime | None = None
    published_on: date | None = None
    bids: list[BidRecord] = Field(default_factory=list)
    opened_at: datetime | None = None
    witnesses: list[str] = Field(default_factory=list)
    ranking: list[RankEntry] = Field(default_factory=list)
    determinations: list[BidDetermination] = Field(default_factory=list)
    # Multi-step sealed bidding (20-10(h)): the technical offers' qualifications, and the
    # first step once the invitation for priced bids is issued.
    qualifications: list[OfferQualification] = Field(default_factory=list)
    technical: TechnicalStep | None = None
    award: AwardRecord | None = None
    bidders_notified_at: datetime | None = None
    document_requests: list[DocumentRequestRecord] = Field(default_factory=list)
    waivers: list[WaiverRecord] = Field(default_factory=list)
    protests: list[ProtestRecord] = Field(default_factory=list)
    executed_at: datetime | None = None
    closed_at: datetime | None = None
    cancellation: CancellationRecord | None = None
    # Methods other than sealed bidding:
    small_purchase_limit: str | None = None  # pinned at launch, with its citation
    small_purchase_limit_citation: str | None = None
    split_flag: str | None = None  # why the launch may divide one need (20-20(a))
    split_determination: dict[str, Any] | None = None
    scores: list[dict[str, Any]] = Field(default_factory=list)
    scored_at: datetime | None = None
    bafo: dict[str, Any] | None = None
    award_due_on: date | None = None  # reverse auction, 20-10(j)
    award_due_extensions: list[dict[str, Any]] = Field(default_factory=list)
    hearing_held_at: datetime | None = None
    hearing_summary: str | None = None
    emergency_term_ends_on: date | None = None
    disclosures: list[dict[str, Any]] = Field(default_factory=list)
    emergency_extensions: list[dict[str, Any]] = Field(default_factory=list)
    explanation_filed_with: list[str] = Field(default_factory=list)
    # A renewal or change: the original's reference, contractor and award notice (its seq).
    contract_of: dict[str, Any] | None = None
    reciprocity: ReciprocityPinned | None = None  # pinned at the first advertisement
    failed_bid_notices: list[dict[str, Any]] = Field(default_factory=list)  # 20-10(g-5)
    recommendation: dict[str, Any] | None = None
    protest_override: dict[str, Any] | None = None
    withdrawn_bids: list[str] = Field(default_factory=list)
    reminders_sent: list[str] = Field(default_factory=list)
    # Business days before each duty's day that its reminders go out (0: on the day); an
    # overdue notice follows. Pinned at launch.
    reminder_offsets: list[int] = Field(default_factory=lambda: [3, 1, 0])
    # Periods that bind no one to act but whose end matters to the agency (the Board review
    # window, the award protest period): reminded at the same offsets, with no overdue
    # notice. Pinned at launch, so procurements launched before keep the reminders they had.
    reminded_periods: list[str] = Field(default_factory=list)
    history: list[TransitionRecord] = Field(default_factory=list)
    seq: int = 0
    # The pinned calendar as rules, made once from ``calendar`` (schedule.calendar_rules):
    # every guard and date reads it, and it is never part of the facts' data.
    _calendar_rules: tuple[dict[str, Any], Any] | None = PrivateAttr(default=None)

    @property
    def in_technical_step(self) -> bool:
        """Multi-step sealed bidding before its invitation for priced bids (20-10(h))."""
        return self.method == "multi_step_sealed_bidding" and self.technical is None

    @classmethod
    def launch(
        cls,
        spec: LaunchSpec,
        *,
        digest: str,
        rules_version: str,
        calendar: dict[str, Any],
        protest_rules: dict[str, Any],
        created_at: datetime,
    ) -> Facts:
        """A new procurement's facts: a draft whose notice is what the agency launched with."""
        notice = NoticeFields.model_validate(
            spec.model_dump(include=set(NoticeFields.model_fields))
        )
        return cls(
            reference=spec.reference,
            method=spec.method,
            office=spec.chief_procurement_office,
            spec=spec,
            notice=notice,
            launch_digest=digest,
            rules_version=rules_version,
            calendar=calendar,
            protest_rules=protest_rules,
            created_at=created_at,
        )
