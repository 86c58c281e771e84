"""Every trigger, and each source-selection method's path through the states.

A trigger says what it does (payload, effect, citation); a method's route says from which
states it may fire, to which state it leads and which of the method's own rules guard it. The
machine of a procurement is built from its method's routes alone, so a trigger a method does
not have (a hearing in a sealed bid, an auction extension in a small purchase) is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from rules import citations
from state_machines import effects as fx
from state_machines import guards as g
from state_machines.context import Ctx, Effects, Guard
from state_machines.models import (
    CANCELLABLE_STATES,
    AnswerDocuments,
    AwardCommand,
    BoardRecommendation,
    Cancel,
    DecideProtest,
    DecideRecommendation,
    DeliverFailedBidNotice,
    DetermineBid,
    EmergencyDisclosure,
    Empty,
    ExtendAwardDate,
    ExtendEmergency,
    FailedBidsOwed,
    FileProtest,
    FinalRecommendation,
    GrantWaiver,
    HoldHearing,
    InviteBids,
    Model,
    NoticeAmendment,
    OpenBids,
    ProceedDespiteProtest,
    Publish,
    QualifyOffer,
    RecordFiling,
    RegisterBid,
    RequestBestAndFinal,
    RequestDocuments,
    ReviewHearing,
    ScoreProposals,
    SplitDetermination,
    State,
    VendorResponse,
    WithdrawBid,
)

STATES: tuple[State, ...] = (
    "draft",
    "published",
    "evaluation",
    "review_window",
    "awarded",
    "closed",
    "cancelled",
)
TERMINAL: frozenset[str] = frozenset({"closed", "cancelled"})


@dataclass(frozen=True)
class Trigger:
    """What a trigger does, whatever the method."""

    name: str
    payload: type[Model]
    citation: str
    # "caller": a command; "clock": fired by the workflow when its guards pass with time;
    # "decision": fired only as the follow-up of another trigger (a decision on a protest or
    # a Board recommendation).
    fired_by: Literal["caller", "clock", "decision"] = "caller"


@dataclass(frozen=True)
class Route:
    """Where a trigger may fire in one method, where it leads, and the rules it must meet."""

    sources: tuple[State, ...]
    dest: State | None
    guards: tuple[Guard, ...]
    apply: Callable[[Ctx], Effects]
    citation: str | None = None  # when the method's own section governs the step


TRIGGERS: dict[str, Trigger] = {
    t.name: t
    for t in (
        Trigger("amend", NoticeAmendment, citations.BULLETIN_NOTICE),
        Trigger("publish", Publish, citations.BULLETIN_NOTICE),
        Trigger("register_bid", RegisterBid, citations.BID_OPENING),
        Trigger("withdraw_bid", WithdrawBid, citations.BID_WITHDRAWAL),
        Trigger("proceed_despite_protest", ProceedDespiteProtest, citations.PROTESTS),
        Trigger("open_bids", OpenBids, citations.BID_OPENING),
        Trigger("determine_bid", DetermineBid, citations.BID_ACCEPTANCE),
        Trigger("qualify_offer", QualifyOffer, citations.MULTI_STEP),
        Trigger("invite_bids", InviteBids, citations.MULTI_STEP),
        Trigger("score_proposals", ScoreProposals, citations.PROPOSAL_SCORING),
        Trigger("request_best_and_final", RequestBestAndFinal, citations.BEST_AND_FINAL),
        Trigger("extend_award_date", ExtendAwardDate, citations.REVERSE_AUCTION),
        Trigger("hold_hearing", HoldHearing, citations.SOLE_SOURCE),
        Trigger("determine_split", SplitDetermination, citations.SMALL_PURCHASE),
        Trigger("award", AwardCommand, citations.AWARD),
        Trigger("record_bidder_notice", Empty, citations.BIDDER_NOTICE),
        Trigger("request_documents", RequestDocuments, citations.REVIEW_WINDOW),
        Trigger("answer_documents", AnswerDocuments, citations.REVIEW_WINDOW),
        Trigger("grant_waiver", GrantWaiver, citations.REVIEW_WAIVER),
        Trigger("board_recommendation", BoardRecommendation, citations.BOARD_RECOMMENDATION),
        Trigger("vendor_response", VendorResponse, citations.BOARD_RECOMMENDATION),
        Trigger("request_review_hearing", Empty, citations.RECOMMENDATION_HEARING),
        Trigger("hold_review_hearing", ReviewHearing, citations.RECOMMENDATION_HEARING),
        Trigger("final_recommendation", FinalRecommendation, citations.CEI_RECOMMENDATION),
        Trigger("decide_recommendation", DecideRecommendation, citations.BOARD_RECOMMENDATION),
        Trigger("record_explanation_filing", RecordFiling, citations.AWARD),
        Trigger(
            "record_failed_bids", FailedBidsOwed, citations.FAILED_BID_NOTICE, fired_by="decision"
        ),
        Trigger("deliver_failed_bid_notice", DeliverFailedBidNotice, citations.FAILED_BID_NOTICE),
        Trigger("execute", Empty, citations.REVIEW_WAIVER),
        Trigger("publish_disclosure", EmergencyDisclosure, citations.EMERGENCY_DISCLOSURE),
        Trigger("extend_emergency", ExtendEmergency, citations.EMERGENCY),
        Trigger("file_protest", FileProtest, citations.PROTESTS),
        Trigger("decide_protest", DecideProtest, citations.PROTESTS),
        Trigger("rescind_award", Empty, citations.PROTESTS, fired_by="decision"),
        Trigger("void_contract", Empty, citations.BOARD_RECOMMENDATION, fired_by="decision"),
        Trigger("close", Empty, citations.PROTESTS, fired_by="clock"),
        Trigger("cancel", Cancel, citations.SOURCE_SELECTION),
    )
}

# Commands a caller may send; the rest are fired by the workflow on its own.
COMMANDS: tuple[str, ...] = tuple(n for n, t in TRIGGERS.items() if t.fired_by == "caller")


# ---- steps every competitive method shares after the award -----------------------------------

_AFTER_AWARD: dict[str, Route] = {
    "record_bidder_notice": Route(
        ("review_window", "awarded"),
        None,
        (g.manual_bidder_notice, g.bidders_not_yet_notified),
        fx.apply_bidder_notice,
    ),
    "request_documents": Route(
        ("review_window", "awarded"), None, (g.within_review_window,), fx.apply_request_documents
    ),
    "answer_documents": Route(
        ("review_window", "awarded"), None, (g.open_request,), fx.apply_answer_documents
    ),
    "grant_waiver": Route(
        ("review_window",), None, (g.within_review_window, g.not_yet_waived), fx.apply_waiver
    ),
    "board_recommendation": Route(
        ("evaluation", "review_window", "awarded"),
        None,
        (g.no_open_recommendation, g.review_body_named, g.three_fifths_vote, g.cei_in_time),
        fx.apply_board_recommendation,
    ),
    "vendor_response": Route(
        ("evaluation", "review_window", "awarded"),
        None,
        (g.vendor_may_respond,),
        fx.apply_vendor_response,
    ),
    "request_review_hearing": Route(
        ("evaluation", "review_window", "awarded"),
        None,
        (g.hearing_may_be_requested,),
        fx.apply_request_review_hearing,
    ),
    "hold_review_hearing": Route(
        ("evaluation", "review_window", "awarded"),
        None,
        (g.hearing_requested,),
        fx.apply_hold_review_hearing,
    ),
    "final_recommendation": Route(
        ("evaluation", "review_window", "awarded"),
        None,
        (g.final_recommendation_owed,),
        fx.apply_final_recommendation,
    ),
    "decide_recommendation": Route(
        ("evaluation", "review_window", "awarded"),
        None,
        (g.recommendation_open, g.vendor_heard_or_time_passed, g.hearing_done),
        fx.apply_decide_recommendation,
    ),
    "record_explanation_filing": Route(
        ("review_window", "awarded"), None, (g.explanation_filing_due,), fx.apply_record_filing
    ),
    "record_failed_bids": Route(("review_window", "awarded"), None, (), fx.apply_failed_bids),
    "deliver_failed_bid_notice": Route(
        ("review_window", "awarded"),
        None,
        (g.failed_bid_notices_outstanding, g.failed_bid_notice_owed),
        fx.apply_deliver_failed_bid_notice,
    ),
    "execute": Route(
        ("review_window",),
        "awarded",
        (g.window_over_or_waived, g.no_pending_protest_execution, g.no_open_recommendation),
        fx.apply_execute,
    ),
    "file_protest": Route(
        ("published", "review_window", "awarded"), None, (g.protest_in_time,), fx.apply_protest
    ),
    "decide_protest": Route(
        ("published", "evaluation", "review_window", "awarded"),
        None,
        (g.pending_protest, g.remedy_fits_state),
        fx.apply_decide_protest,
    ),
    "proceed_despite_protest": Route(
        ("published", "evaluation", "review_window", "awarded"),
        None,
        (g.protest_is_pending,),
        fx.apply_proceed_despite_protest,
    ),
    "rescind_award": Route(("review_window",), "evaluation", (), fx.apply_rescind),
    "void_contract": Route(("awarded",), "cancelled", (), fx.apply_void),
    "close": Route(
        ("awarded",),
        "closed",
        (
            g.protest_period_over,
            g.no_pending_protest_close,
            g.explanation_filed,
            g.no_open_recommendation,
            g.failed_bid_notices_given,
        ),
        fx.apply_close,
    ),
    "cancel": Route(CANCELLABLE_STATES, "cancelled", (), fx.apply_cancel),
}


def _sealed(period: Guard, amended_period: Guard, publish_citation: str) -> dict[str, Route]:
    return {
        "amend": Route(
            ("draft", "published"),
            None,
            (g.amendment_not_empty, g.INVITATION_AMENDMENT_COMPLETE, amended_period),
            fx.apply_amend,
        ),
        "publish": Route(
            ("draft",),
            "published",
            (g.INVITATION_COMPLETE, period),
            fx.apply_publish,
            publish_citation,
        ),
        "register_bid": Route(
            ("published",),
            None,
            (g.BIDS_BEFORE_OPENING,),
            fx.apply_register_bid,
        ),
        "withdraw_bid": Route(
            ("published", "evaluation"),
            None,
            (g.withdrawable, g.withdrawal_determination),
            fx.apply_withdraw,
        ),
        "open_bids": Route(
            ("published",),
            "evaluation",
            (g.at_or_after_opening, g.no_pending_protest_opening, g.has_witness),
            fx.apply_open,
        ),
        "determine_bid": Route(
            ("evaluation",),
            None,
            (g.bid_was_opened, g.reason_for_rejection),
            fx.apply_determine,
        ),
        "award": Route(
            ("evaluation",),
            "review_window",
            (
                g.no_pending_protest_award,
                g.bid_was_opened,
                g.awardee_eligible,
                g.lowest_or_explained,
                g.tie_winner_or_spo_decision,
            ),
            fx.apply_award,
        ),
        **_AFTER_AWARD,
    }


SEALED_BIDDING = _sealed(g.IFB_PERIOD, g.IFB_AMENDED_PERIOD, citations.PUBLIC_NOTICE_IFB)

REVERSE_AUCTION = _sealed(g.IFB_PERIOD, g.IFB_AMENDED_PERIOD, citations.REVERSE_AUCTION) | {
    "open_bids": Route(
        ("published",),
        "evaluation",
        (g.at_or_after_opening, g.no_pending_protest_opening, g.has_witness),
        fx.apply_open,
        citations.REVERSE_AUCTION,
    ),
    "award": Route(
        ("evaluation",),
        "review_window",
        (
            g.award_within_sixty_days,
            g.no_pending_protest_award,
            g.bid_was_opened,
            g.awardee_eligible,
            g.lowest_only,
            g.lowest_or_explained,  # decides only for procurements pinned before 2026.2
            g.tie_winner_or_spo_decision,
        ),
        fx.apply_award,
        citations.REVERSE_AUCTION,
    ),
    "extend_award_date": Route(
        ("evaluation",), None, (g.extension_is_later,), fx.apply_extend_award_date
    ),
}

# 20-10(h): unpriced technical offers are opened and qualified; an invitation for bids limited
# to the qualified takes the procurement back to published, and the second step runs as
# competitive sealed bidding does.
MULTI_STEP = _sealed(g.IFB_PERIOD, g.IFB_AMENDED_PERIOD, citations.MULTI_STEP) | {
    "register_bid": Route(
        ("published",),
        None,
        (g.BIDS_BEFORE_OPENING, g.qualified_bidder),
        fx.apply_register_bid,
    ),
    "qualify_offer": Route(
        ("evaluation",),
        None,
        (g.in_technical_step, g.offer_was_opened, g.reason_for_disqualification),
        fx.apply_qualify,
    ),
    "invite_bids": Route(
        ("evaluation",),
        "published",
        (
            g.in_technical_step,
            g.no_pending_protest_opening,
            g.every_offer_qualified_or_not,
            g.some_offer_qualified,
            g.priced_opening_period,
        ),
        fx.apply_invite_bids,
    ),
    "determine_bid": Route(
        ("evaluation",),
        None,
        (g.in_priced_step, g.bid_was_opened, g.reason_for_rejection),
        fx.apply_determine,
    ),
    "award": Route(
        ("evaluation",),
        "review_window",
        (g.in_priced_step, *SEALED_BIDDING["award"].guards),
        fx.apply_award,
    ),
}

SEALED_PROPOSALS = _sealed(g.RFP_PERIOD, g.RFP_AMENDED_PERIOD, citations.PUBLIC_NOTICE_RFP) | {
    "register_bid": Route(
        ("published", "evaluation"),
        None,
        (
            g.PROPOSALS_BEFORE_OPENING,
            g.best_and_final_accepting,
            g.offeror_in_range,
        ),
        fx.apply_register_bid,
        citations.PROPOSAL_OPENING,
    ),
    "open_bids": Route(
        ("published",),
        "evaluation",
        (g.at_or_after_opening, g.no_pending_protest_opening, g.has_witness),
        fx.apply_open,
        citations.PROPOSAL_OPENING,
    ),
    "score_proposals": Route(
        ("evaluation",),
        None,
        (g.bafo_not_running, g.scores_cover_every_proposal),
        fx.apply_score,
    ),
    "request_best_and_final": Route(
        ("evaluation",),
        None,
        (g.proposals_scored, g.competitive_range_valid),
        fx.apply_request_bafo,
    ),
    "award": Route(
        ("evaluation",),
        "review_window",
        (
            g.no_pending_protest_award,
            g.proposals_scored,
            g.bid_was_opened,
            g.awardee_eligible,
            g.most_advantageous_with_basis,
            g.tie_winner_or_spo_decision,
        ),
        fx.apply_award,
        citations.PROPOSAL_AWARD,
    ),
}

SOLE_SOURCE = {
    "amend": Route(
        ("draft", "published"),
        None,
        (g.amendment_not_empty, g.SOLE_SOURCE_AMENDMENT_COMPLETE, g.HEARING_AMENDED_PERIOD),
        fx.apply_amend,
        citations.SOLE_SOURCE_NOTICE,
    ),
    "publish": Route(
        ("draft",),
        "published",
        (g.SOLE_SOURCE_NOTICE_COMPLETE, g.HEARING_PERIOD),
        fx.apply_publish,
        citations.SOLE_SOURCE_NOTICE,
    ),
    "hold_hearing": Route(
        ("published",), "evaluation", (g.at_or_after_hearing,), fx.apply_hold_hearing
    ),
    "award": Route(
        ("evaluation",),
        "review_window",
        (g.no_pending_protest_award, g.to_intended_contractor),
        fx.apply_award_sole_source,
        citations.SOLE_SOURCE,
    ),
    **{k: v for k, v in _AFTER_AWARD.items() if k != "file_protest"},
    "file_protest": Route(
        ("review_window", "awarded"), None, (g.protest_in_time,), fx.apply_protest
    ),
}

SMALL_PURCHASE = {
    "amend": Route(("draft",), None, (g.amendment_not_empty,), fx.apply_amend),
    "determine_split": Route(("draft",), None, (g.split_flagged,), fx.apply_split_determination),
    "award": Route(
        ("draft",),
        "awarded",
        (
            g.split_resolved,
            g.to_launched_vendor,
            g.within_small_purchase_limit,
            g.certifications_over_threshold,
        ),
        fx.apply_award_small_purchase,
        citations.SMALL_PURCHASE,
    ),
    # Nothing follows a small purchase: no notice, no window (5-30(c)), no protest period.
    "close": Route(("awarded",), "closed", (), fx.apply_close, citations.SMALL_PURCHASE),
    "cancel": Route(("draft",), "cancelled", (), fx.apply_cancel),
}

EMERGENCY = {
    "amend": Route(("draft",), None, (g.amendment_not_empty,), fx.apply_amend),
    "award": Route(
        ("draft",),
        "awarded",
        (g.emergency_terms_given, g.emergency_term_within_limit),
        fx.apply_award_emergency,
        citations.EMERGENCY,
    ),
    "publish_disclosure": Route(("awarded",), None, (g.disclosure_pending,), fx.apply_disclosure),
    # 5-30(c): no review window, but the Board or the Commission may still ask for the
    # contract and its documents, due within 10 calendar days.
    "request_documents": Route(
        ("awarded",), None, (), fx.apply_request_documents, citations.REVIEW_EXEMPTIONS
    ),
    "answer_documents": Route(
        ("awarded",),
        None,
        (g.open_request,),
        fx.apply_answer_documents,
        citations.REVIEW_EXEMPTIONS,
    ),
    "extend_emergency": Route(("awarded",), None, (), fx.apply_extend_emergency),
    "close": Route(
        ("awarded",),
        "closed",
        (g.emergency_over, g.documents_transmitted),
        fx.apply_close,
        citations.EMERGENCY,
    ),
    "cancel": Route(("draft",), "cancelled", (), fx.apply_cancel),
}

CONTRACT_RENEWAL = {
    "amend": Route(("draft",), None, (g.amendment_not_empty,), fx.apply_amend),
    "award": Route(
        ("draft",),
        "awarded",
        (g.to_original_contractor,),
        fx.apply_award_renewal,
        citations.CONTRACT_RENEWAL,
    ),
    # A renewal is noticed, not let: no review window of 5-30(a), no protest period.
    "close": Route(("awarded",), "closed", (), fx.apply_close, citations.CONTRACT_RENEWAL),
    "cancel": Route(("draft",), "cancelled", (), fx.apply_cancel),
}

CONTRACT_CHANGE = {
    "amend": Route(("draft",), None, (g.amendment_not_empty,), fx.apply_amend),
    "award": Route(
        ("draft",),
        "review_window",
        (g.to_original_contractor,),
        fx.apply_award_change,
        citations.CONTRACT_CHANGE,
    ),
    # Noticed under 15-25(b) like any contract let: the Board and the Commission's window.
    **{
        k: _AFTER_AWARD[k]
        for k in (
            "request_documents",
            "answer_documents",
            "grant_waiver",
            "board_recommendation",
            "vendor_response",
            "request_review_hearing",
            "hold_review_hearing",
            "final_recommendation",
            "decide_recommendation",
            "execute",
            "rescind_award",
            "void_contract",
            "cancel",
        )
    },
    "close": Route(
        ("awarded",),
        "closed",
        (g.no_open_recommendation,),
        fx.apply_close,
        citations.CONTRACT_CHANGE,
    ),
}

ROUTES: dict[str, dict[str, Route]] = {
    "competitive_sealed_bidding": SEALED_BIDDING,
    "multi_step_sealed_bidding": MULTI_STEP,
    "competitive_sealed_proposals": SEALED_PROPOSALS,
    "reverse_auction": REVERSE_AUCTION,
    "small_purchase": SMALL_PURCHASE,
    "sole_source": SOLE_SOURCE,
    "emergency": EMERGENCY,
    "contract_renewal": CONTRACT_RENEWAL,
    "contract_change": CONTRACT_CHANGE,
}

# The steps a method cannot skip on its way to ``awarded``: checked by the property test.
REQUIRED_BEFORE_AWARD: dict[str, tuple[str, ...]] = {
    "competitive_sealed_bidding": ("publish", "open_bids", "award", "execute"),
    "multi_step_sealed_bidding": (
        "publish",
        "open_bids",
        "qualify_offer",
        "invite_bids",
        "open_bids",
        "award",
        "execute",
    ),
    "competitive_sealed_proposals": ("publish", "open_bids", "score_proposals", "award", "execute"),
    "reverse_auction": ("publish", "open_bids", "award", "execute"),
    "sole_source": ("publish", "hold_hearing", "award", "execute"),
    "small_purchase": ("award",),
    "emergency": ("award",),
    "contract_renewal": ("award",),
    "contract_change": ("award", "execute"),
}
