"""What each trigger does to a procurement's facts, and the notices and messages it sends.

Pure: an effect changes the facts it is given and returns what the workflow must publish or
send; the workflow performs it through activities.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from rules import citations, failed_bid, small_purchase
from rules.award import lowest_eligible
from rules.calendar import statutory_deadline
from rules.notice import HIRING_ENCOURAGEMENT
from rules.periods import (
    AWARD_AFTER_AUCTION_DAYS,
    EMERGENCY_DISCLOSURE_DAYS,
    EMERGENCY_EXTENSION_DISCLOSURE_DAYS,
    cei_recommendation_due,
    document_answer_due,
    hearing_due,
    response_due,
)
from state_machines import schedule
from state_machines.context import Ctx, Effects, fmt
from state_machines.guards import (
    amended_notice,
    latest_qualifications,
    ranked_bid,
    ranked_bids,
    tie_resolution,
)
from state_machines.models import (
    METHOD_NAMES,
    REVIEW_BODY_NAMES,
    AnswerDocuments,
    AwardRecord,
    BidDetermination,
    BidRecord,
    CancellationRecord,
    DecideProtest,
    DetermineBid,
    DocumentRequestRecord,
    Facts,
    FileProtest,
    GrantWaiver,
    OfferQualification,
    ProtestRecord,
    QualifyOffer,
    RegisterBid,
    RequestDocuments,
    TechnicalStep,
    WaiverRecord,
)


def invitation(facts: Facts) -> dict[str, Any]:
    n = facts.notice
    auction = (
        # 20-10(j): the CPO "shall publish that determination" in the Bulletin.
        {"auction_determination": facts.spec.auction_determination}
        if facts.method == "reverse_auction" and facts.spec.auction_determination
        else {}
    )
    lot = facts.spec.lot
    lots = {"solicitation": lot.solicitation, "lot": lot.number} if lot else {}
    return (
        auction
        | _steps(facts)
        | lots
        | {
            "reference": facts.reference,
            "title": n.title,
            "date_first_offered": facts.published_on.isoformat() if facts.published_on else None,
            "offers_due_at": n.opening_at.isoformat() if n.opening_at else None,
            "submission_location": n.submission_location,
            "agency": n.agency,
            "state_purchasing_officer": n.state_purchasing_officer,
            "description": n.description,
            "method": METHOD_NAMES[facts.method],
            "documents_info": n.documents_info,
            "hiring_encouragement": HIRING_ENCOURAGEMENT,
            "citation": citations.BULLETIN_NOTICE,
        }
    )


def _steps(facts: Facts) -> dict[str, Any]:
    """20-10(h): what the first solicitation asks for and the criteria it qualifies by; the
    second invitation, to whom it is limited."""
    terms = facts.spec.multi_step
    if facts.method != "multi_step_sealed_bidding" or terms is None:
        return {}
    step: dict[str, Any] = {
        "step": 1 if facts.technical is None else 2,
        "impracticable": terms.impracticable,
        "qualification_criteria": terms.criteria,
        "citation": citations.MULTI_STEP,
    }
    if facts.technical is None:
        step["offers"] = "unpriced technical offers"
    else:
        # How many, not who: a bidder learns no competitor's name from its invitation.
        step["offers"] = "priced bids, from the qualified bidders only"
        step["qualified_bidders"] = len(facts.technical.qualified)
        step["invited_on"] = facts.technical.invited_on.isoformat()
    return {"multi_step": step}


# The recipient of a notice "to every bidder": the sealed-bid store knows who they are (the
# workflow does not, before the opening), and the outbox write names each one.
BIDDERS = "@bidders"


def apply_amend(ctx: Ctx) -> Effects:
    facts = ctx.facts
    facts.notice = amended_notice(ctx)
    changed = sorted(ctx.payload.model_dump(exclude_none=True))
    effects = Effects(summary=f"Notice amended: {', '.join(changed)}.")
    if facts.state == "published":
        content = invitation(facts) | {"amended_fields": changed}
        effects.notices.append({"kind": "amendment", "content": content})
        effects.messages.append({"kind": "amendment", "recipients": [BIDDERS], "content": content})
    return effects


def apply_publish(ctx: Ctx) -> Effects:
    facts = ctx.facts
    facts.published_at = ctx.now
    facts.published_on = ctx.today
    if facts.method == "sole_source":
        n = facts.notice
        content = {
            "reference": facts.reference,
            "title": n.title,
            "description": n.description,
            "intended_contractor": n.intended_contractor,
            "agency": n.agency,
            "state_purchasing_officer": n.state_purchasing_officer,
            "hearing_at": n.hearing_at.isoformat() if n.hearing_at else None,
            "method": METHOD_NAMES[facts.method],
            "citation": citations.SOLE_SOURCE_NOTICE,
        }
        return Effects(
            summary=f"Notice of intent to enter into a sole source contract with "
            f"{n.intended_contractor} published on {ctx.today.isoformat()}.",
            notices=[{"kind": "sole_source_intent", "content": content}],
        )
    kind = (
        "request_for_proposals"
        if facts.method == "competitive_sealed_proposals"
        else ("invitation_for_bids")
    )
    noun = "Request for proposals" if kind == "request_for_proposals" else "Invitation for bids"
    pinned = getattr(ctx.payload, "reciprocity", None)
    table = ""
    if pinned is not None:
        # 45-10(b) fixes residency on the day of the first advertisement: the other states'
        # preferences too, whatever version is loaded later.
        facts.reciprocity = pinned
        version = pinned.effective_from.isoformat() if pinned.effective_from else "none loaded"
        table = f"; reciprocity table of {version} pinned ({citations.RECIPROCITY})"
    return Effects(
        summary=f"{noun} published in the Bulletin on {ctx.today.isoformat()}{table}.",
        notices=[{"kind": kind, "content": invitation(facts)}],
    )


def apply_register_bid(ctx: Ctx) -> Effects:
    """A bid registered through the workflow: only in histories recorded before the intake
    (state_machines/intake.py) received bids; replay still takes this path."""
    p: RegisterBid = ctx.payload
    if p.replaces is not None:
        ctx.facts.bids = [b for b in ctx.facts.bids if b.bid_id != p.replaces]
    ctx.facts.bids.append(
        BidRecord(bid_id=p.bid_id, vendor=p.vendor, received_at=ctx.now, digest=p.digest)
    )
    what = "Best and final offer" if ctx.facts.state == "evaluation" else "Sealed offer"
    return Effects(summary=f"{what} {p.bid_id} received from {p.vendor}.")


def apply_open(ctx: Ctx) -> Effects:
    facts = ctx.facts
    facts.opened_at = ctx.now
    facts.witnesses = [w.strip() for w in ctx.payload.witnesses if w.strip()]
    facts.ranking = list(ctx.payload.ranking)
    witnesses = ", ".join(facts.witnesses)
    listed = ctx.payload.commitments_digest
    published = (
        f" The commitments received were published before the opening (SHA-256 {listed})."
        if listed
        else ""
    )
    if facts.method == "competitive_sealed_proposals":
        return Effects(
            summary=f"{len(facts.ranking)} proposal(s) opened in the presence of {witnesses}, "
            f"without disclosing contents to competing offerors ({citations.PROPOSAL_OPENING})."
            + published
        )
    if facts.in_technical_step:
        return Effects(
            summary=f"{len(facts.ranking)} unpriced technical offer(s) opened in the presence "
            f"of {witnesses}; each is qualified under the criteria of the first solicitation "
            f"({citations.MULTI_STEP})." + published
        )
    if facts.method == "reverse_auction":
        facts.award_due_on = statutory_deadline(
            ctx.today, AWARD_AFTER_AUCTION_DAYS, schedule.calendar_rules(facts)
        )
        return Effects(
            summary=f"Auction concluded with {len(facts.ranking)} bidder(s); the award is due by "
            f"{facts.award_due_on.isoformat()} ({citations.REVERSE_AUCTION})." + published
        )
    return Effects(
        summary=f"{len(facts.ranking)} bid(s) opened in the presence of {witnesses}; "
        "tabulation recorded." + published
    )


def apply_determine(ctx: Ctx) -> Effects:
    p: DetermineBid = ctx.payload
    ctx.facts.determinations.append(
        BidDetermination(
            bid_id=p.bid_id,
            responsive=p.responsive,
            responsible=p.responsible,
            reason=p.reason,
            actor=ctx.actor,
            at=ctx.now,
        )
    )
    verdict = (
        "responsive and responsible"
        if p.responsive and p.responsible
        else ("not responsive" if not p.responsive else "not responsible")
    )
    return Effects(summary=f"Bid {p.bid_id} found {verdict}.")


def apply_qualify(ctx: Ctx) -> Effects:
    p: QualifyOffer = ctx.payload
    ctx.facts.qualifications.append(
        OfferQualification(
            bid_id=p.bid_id, qualified=p.qualified, reason=p.reason, actor=ctx.actor, at=ctx.now
        )
    )
    verdict = "qualified" if p.qualified else "not qualified"
    return Effects(
        summary=f"Technical offer {p.bid_id} found {verdict} under the criteria of the first "
        f"solicitation ({citations.MULTI_STEP})."
    )


def apply_invite_bids(ctx: Ctx) -> Effects:
    """The second step: the technical step is kept as it stood, and the procurement is again
    published, its opening the priced bids' (20-10(c),(h))."""
    facts, p = ctx.facts, ctx.payload
    latest = latest_qualifications(facts)
    offers = list(facts.ranking)
    qualified = sorted({r.vendor for r in offers if latest[r.bid_id].qualified})
    # A vendor with one qualified offer is invited; one with none is told why, once.
    reasons = {r.vendor: latest[r.bid_id].reason for r in offers if r.vendor not in qualified}
    assert facts.opened_at is not None
    facts.technical = TechnicalStep(
        opened_at=facts.opened_at,
        witnesses=list(facts.witnesses),
        offers=offers,
        qualified=qualified,
        invited_at=ctx.now,
        invited_on=ctx.today,
    )
    facts.opened_at = None
    facts.witnesses = []
    facts.ranking = []
    facts.bids = []
    facts.notice = facts.notice.model_copy(update={"opening_at": p.opening_at})
    content = invitation(facts)
    return Effects(
        summary=f"Invitation for bids published on {ctx.today.isoformat()}, limited to the "
        f"bidders whose technical offers qualified ({', '.join(qualified)}); bids are opened "
        f"{fmt(p.opening_at)} ({citations.MULTI_STEP}).",
        notices=[{"kind": "invitation_for_bids", "content": content}],
        messages=[
            {"kind": "invitation_for_bids", "recipients": qualified, "content": content},
            *(
                {
                    "kind": "offer_not_qualified",
                    "recipients": [vendor],
                    "content": {
                        "reference": facts.reference,
                        "reason": reason,
                        "citation": citations.MULTI_STEP,
                    },
                }
                for vendor, reason in sorted(reasons.items())
            ),
        ],
    )


def _award_notice(ctx: Ctx, content: dict[str, Any], vendor: str) -> Effects:
    facts = ctx.facts
    effects = Effects(
        summary=f"Notice of Intent to Award to {vendor} published in the Bulletin.",
        notices=[{"kind": "notice_of_intent_to_award", "content": content}],
    )
    if facts.spec.bidder_notice == "automatic":
        facts.bidders_notified_at = ctx.now
        # The awardee is told whether or not it bid (a sole source contractor did not).
        recipients = [BIDDERS, vendor]
        effects.messages.append(
            {"kind": "award_notice", "recipients": recipients, "content": content}
        )
    return effects


def apply_award(ctx: Ctx) -> Effects:
    """Award of an opened bid or proposal: 20-10(g), 20-15(g); notice under 15-25(b-5)."""
    facts, p = ctx.facts, ctx.payload
    bid = ranked_bid(ctx, p.bid_id)
    assert bid is not None
    lowest = bid in lowest_eligible(ranked_bids(facts))
    tie = tie_resolution(facts)
    tie_record = None
    if tie is not None and bid.bid_id in tie.tied:
        tie_record = tie.to_dict()
        if p.tie_decision is not None and bid.bid_id != tie.winner:
            tie_record["spo_decision"] = p.tie_decision.model_dump(mode="json")
    entry = next(r for r in facts.ranking if r.bid_id == bid.bid_id)
    facts.award = AwardRecord(
        bid_id=bid.bid_id,
        vendor=bid.vendor,
        price=entry.price,
        lowest=lowest,
        decided_at=ctx.now,
        notice_on=ctx.today,
        explanation=None if lowest else p.explanation,
        tie=tie_record,
        basis=p.basis,
    )
    content = invitation(facts) | {
        "awardee": bid.vendor,
        "bid_id": bid.bid_id,
        "unsuccessful_bidders": len(facts.ranking) - 1,
        "lowest": lowest,
        "citation": citations.AWARD_NOTICE,
    }
    if tie_record is not None:
        content["tie"] = tie_record
    if p.basis:
        content["basis"] = p.basis
    if not lowest and p.explanation is not None:
        content["written_explanation"] = p.explanation.model_dump(mode="json")
        content["written_explanation_citation"] = citations.AWARD
    return _award_notice(ctx, content, bid.vendor)


def direct_award(ctx: Ctx, notice_on: date | None = None) -> AwardRecord:
    """An award made without a competition to rank: to the vendor and price the command names
    (sole source, small purchase, emergency)."""
    return AwardRecord(
        bid_id=None,
        vendor=ctx.payload.vendor,
        price=ctx.payload.price,
        lowest=True,
        decided_at=ctx.now,
        notice_on=notice_on or ctx.today,
    )


def apply_award_sole_source(ctx: Ctx) -> Effects:
    facts, p = ctx.facts, ctx.payload
    facts.award = direct_award(ctx)
    content = invitation(facts) | {
        "awardee": p.vendor,
        "contract_price": str(p.price),
        "unsuccessful_bidders": 0,
        "citation": citations.AWARD_NOTICE,
    }
    return _award_notice(ctx, content, p.vendor)


def _change_content(facts: Facts, price: Decimal, citation: str) -> dict[str, Any]:
    change = facts.spec.contract
    assert change is not None and facts.contract_of is not None
    return invitation(facts) | {
        "change": change.kind,
        "contract_of": facts.contract_of["original"],
        "award_seq": facts.contract_of.get("award_seq"),
        "determined_on": change.determined_on.isoformat(),
        "awardee": facts.contract_of["contractor"],
        "contract_price": str(price),
        "citation": citation,
    }


def apply_award_renewal(ctx: Ctx) -> Effects:
    """The renewal, noticed in the Bulletin within 14 calendar days of the determination to
    execute it (15-25(c-10)), with what a notice of (a) or (b) carries."""
    facts, p = ctx.facts, ctx.payload
    change = facts.spec.contract
    assert change is not None
    due = schedule.renewal_notice_due(facts)
    assert due is not None
    facts.award = direct_award(ctx)
    facts.executed_at = ctx.now
    content = _change_content(facts, p.price, citations.CONTRACT_RENEWAL) | {
        "notice_due_on": due.isoformat()
    }
    late = ctx.today > due
    return Effects(
        summary=f"Renewal of the contract of {content['contract_of']} with {p.vendor} at "
        f"{p.price:,.2f} published in the Bulletin"
        + (f", after it was due on {due.isoformat()}" if late else "")
        + f" ({citations.CONTRACT_RENEWAL}).",
        notices=[{"kind": "contract_renewal", "content": content}],
        messages=[{"kind": "award_notice", "recipients": [p.vendor], "content": content}],
    )


def apply_award_change(ctx: Ctx) -> Effects:
    """A change order or renegotiated contract is awarded like a contract: noticed in the
    Bulletin and sent electronically to the contractor before it is executed (15-25(b),(b-5)),
    then the Board review window (5-30(a))."""
    facts, p = ctx.facts, ctx.payload
    facts.award = direct_award(ctx)
    facts.bidders_notified_at = ctx.now
    content = _change_content(facts, p.price, citations.AWARD_NOTICE)
    what = "Change order" if content["change"] == "change_order" else "Renegotiated contract"
    return Effects(
        summary=f"{what} to the contract of {content['contract_of']} with {p.vendor} at "
        f"{p.price:,.2f}: notice published in the Bulletin and sent to the contractor "
        f"({citations.CONTRACT_CHANGE}).",
        notices=[{"kind": "change_order_award", "content": content}],
        messages=[{"kind": "award_notice", "recipients": [p.vendor], "content": content}],
    )


def apply_award_small_purchase(ctx: Ctx) -> Effects:
    """No notice, no competition, no Board review window (20-20(a); 5-30(c))."""
    facts, p = ctx.facts, ctx.payload
    facts.award = direct_award(ctx)
    facts.executed_at = ctx.now
    if facts.spec.pricing == "unit_price":
        terms = f"unit price {p.price:,.2f}, not to exceed {Decimal(facts.small_purchase_limit or 0):,.2f}"
    else:
        value = small_purchase.counted_value(facts.spec.pricing, p.price, facts.spec.options_value)
        counted = small_purchase.how_counted(facts.spec.pricing, facts.spec.options_value)
        terms = f"{p.price:,.2f}" + (f", counted {value:,.2f}{counted}" if counted else "")
    return Effects(summary=f"Small purchase from {p.vendor}: {terms} ({citations.SMALL_PURCHASE}).")


def apply_award_emergency(ctx: Ctx) -> Effects:
    """Award first; the Bulletin disclosure is due within 5 calendar days (15-25(c))."""
    facts, p = ctx.facts, ctx.payload
    rules = schedule.calendar_rules(facts)
    awarded_on = p.awarded_on or ctx.today
    facts.award = direct_award(ctx, notice_on=awarded_on)
    facts.executed_at = ctx.now
    facts.emergency_term_ends_on = awarded_on + timedelta(days=p.term_days - 1)
    due = statutory_deadline(awarded_on, EMERGENCY_DISCLOSURE_DAYS, rules)
    facts.disclosures.append(
        {"kind": "award", "due_on": due.isoformat(), "published_at": None, "reasons": p.reasons}
    )
    return Effects(
        summary=f"Emergency purchase from {p.vendor} for {p.term_days} days; the Bulletin "
        f"disclosure is due by {due.isoformat()} ({citations.EMERGENCY_DISCLOSURE})."
    )


def apply_bidder_notice(ctx: Ctx) -> Effects:
    ctx.facts.bidders_notified_at = ctx.now
    return Effects(summary="Agency recorded the electronic notice of award to every bidder.")


def apply_request_documents(ctx: Ctx) -> Effects:
    p: RequestDocuments = ctx.payload
    facts = ctx.facts
    request_id = f"DR-{len(facts.document_requests) + 1}"
    due = document_answer_due(
        ctx.today, schedule.calendar_rules(facts), emergency=facts.method == "emergency"
    )
    facts.document_requests.append(
        DocumentRequestRecord(
            request_id=request_id,
            body=p.body,
            description=p.description,
            received_at=ctx.now,
            due_on=due,
        )
    )
    return Effects(
        summary=(
            f"{REVIEW_BODY_NAMES[p.body]} requested documents ({request_id}); the agency "
            f"answers by {due.isoformat()}."
        )
    )


def apply_answer_documents(ctx: Ctx) -> Effects:
    p: AnswerDocuments = ctx.payload
    for r in ctx.facts.document_requests:
        if r.request_id == p.request_id:
            r.answered_at = ctx.now
            r.answer = p.summary
    return Effects(summary=f"Documents provided for request {p.request_id}.")


def apply_waiver(ctx: Ctx) -> Effects:
    p: GrantWaiver = ctx.payload
    ctx.facts.waivers.append(WaiverRecord(body=p.body, actor=ctx.actor, granted_at=ctx.now))
    both = schedule.waived_by_both(ctx.facts)
    return Effects(
        summary=f"{REVIEW_BODY_NAMES[p.body]} waived the review period in writing"
        + ("; both have waived, so the period has ended." if both else ".")
    )


def apply_execute(ctx: Ctx) -> Effects:
    ctx.facts.executed_at = ctx.now
    return Effects(summary=f"Contract entered into with {ctx.facts.award.vendor}.")  # type: ignore[union-attr]


def apply_protest(ctx: Ctx) -> Effects:
    p: FileProtest = ctx.payload
    protest_id = f"P-{len(ctx.facts.protests) + 1}"
    ctx.facts.protests.append(
        ProtestRecord(
            protest_id=protest_id,
            kind=p.kind,
            protester=p.protester,
            grounds=p.grounds,
            filed_at=ctx.now,
        )
    )
    return Effects(summary=f"Protest {protest_id} of the {p.kind} received from {p.protester}.")


def apply_decide_protest(ctx: Ctx) -> Effects:
    p: DecideProtest = ctx.payload
    for protest in ctx.facts.protests:
        if protest.protest_id == p.protest_id:
            protest.status = p.decision
            protest.decided_at = ctx.now
            protest.decided_by = ctx.actor
            protest.remedy = p.remedy
            protest.reasons = p.reasons
    effects = Effects(summary=f"Protest {p.protest_id} {p.decision}; remedy: {p.remedy}.")
    if p.decision == "upheld" and p.remedy == "reevaluate":
        effects.follow_up = ("rescind_award", {})
    elif p.decision == "upheld" and p.remedy == "cancel":
        effects.follow_up = ("cancel", {"reason": f"Protest {p.protest_id} upheld: {p.reasons}"})
    return effects


def apply_score(ctx: Ctx) -> Effects:
    facts, p = ctx.facts, ctx.payload
    facts.scores = [s.model_dump(mode="json") for s in p.scores]
    facts.ranking = list(p.ranking)
    facts.scored_at = ctx.now
    if facts.bafo is not None and not facts.bafo.get("closed"):
        facts.bafo = facts.bafo | {"closed": True}
    first = ", ".join(r.vendor for r in facts.ranking if r.rank == 1)
    return Effects(
        summary=f"Proposals scored in three parts, each ranked independently; most "
        f"advantageous: {first} ({citations.PROPOSAL_SCORING})."
    )


def apply_request_bafo(ctx: Ctx) -> Effects:
    facts, p = ctx.facts, ctx.payload
    vendors = sorted({r.vendor for r in facts.ranking if r.bid_id in set(p.competitive_range)})
    facts.bafo = {
        "competitive_range": list(p.competitive_range),
        "vendors": vendors,
        "due_at": p.due_at.isoformat(),
        "requested_at": ctx.now.isoformat(),
        "closed": False,
    }
    content = {
        "reference": facts.reference,
        "due_at": p.due_at.isoformat(),
        "citation": citations.BEST_AND_FINAL,
    }
    return Effects(
        summary=f"Best and final offers requested from {', '.join(vendors)}, due "
        f"{fmt(p.due_at)} ({citations.BEST_AND_FINAL}).",
        messages=[{"kind": "best_and_final_request", "recipients": vendors, "content": content}],
    )


def apply_extend_award_date(ctx: Ctx) -> Effects:
    facts, p = ctx.facts, ctx.payload
    before = facts.award_due_on
    facts.award_due_on = p.new_due_on
    facts.award_due_extensions.append(
        {
            "from": before.isoformat() if before else None,
            "to": p.new_due_on.isoformat(),
            "spo_consent": p.spo_consent,
            "bidder_consent": p.bidder_consent,
            "at": ctx.now.isoformat(),
        }
    )
    return Effects(
        summary=f"Award date extended to {p.new_due_on.isoformat()} by mutual written consent of "
        f"{p.spo_consent} and {p.bidder_consent} ({citations.REVERSE_AUCTION})."
    )


def apply_hold_hearing(ctx: Ctx) -> Effects:
    ctx.facts.hearing_held_at = ctx.now
    ctx.facts.hearing_summary = ctx.payload.summary
    return Effects(summary=f"Sole source hearing held ({citations.SOLE_SOURCE}).")


def apply_disclosure(ctx: Ctx) -> Effects:
    facts, p = ctx.facts, ctx.payload
    pending = next(d for d in facts.disclosures if d.get("published_at") is None)
    pending["published_at"] = ctx.now.isoformat()
    award = facts.award
    content = {
        "reference": facts.reference,
        "kind": pending["kind"],
        "description": p.description,
        "reasons": pending.get("reasons"),
        "total_cost": str(p.total_cost),
        "cost_is_estimate": p.cost_is_estimate,
        "contractor": award.vendor if award else None,
        "chief_procurement_office": facts.office,
        "state_purchasing_officer": facts.notice.state_purchasing_officer,
        "agency": facts.notice.agency,
        "citation": citations.EMERGENCY_DISCLOSURE,
    }
    late = ctx.today > date.fromisoformat(pending["due_on"])
    return Effects(
        summary="Emergency purchase disclosure published in the Bulletin"
        + (f", after it was due on {pending['due_on']}" if late else "")
        + f" ({citations.EMERGENCY_DISCLOSURE}).",
        notices=[{"kind": "emergency_disclosure", "content": content}],
    )


def apply_extend_emergency(ctx: Ctx) -> Effects:
    facts, p = ctx.facts, ctx.payload
    assert facts.emergency_term_ends_on is not None
    facts.emergency_term_ends_on = facts.emergency_term_ends_on + timedelta(days=p.additional_days)
    due = statutory_deadline(
        ctx.today, EMERGENCY_EXTENSION_DISCLOSURE_DAYS, schedule.calendar_rules(facts)
    )
    facts.emergency_extensions.append(
        {
            "additional_days": p.additional_days,
            "justification": p.justification,
            "approved_by": p.approved_by,
            "at": ctx.now.isoformat(),
        }
    )
    facts.disclosures.append(
        {
            "kind": "extension",
            "due_on": due.isoformat(),
            "published_at": None,
            "reasons": p.justification,
        }
    )
    return Effects(
        summary=f"Emergency contract extended {p.additional_days} days to "
        f"{facts.emergency_term_ends_on.isoformat()}, approved by {p.approved_by}; disclosure "
        f"due by {due.isoformat()} ({citations.EMERGENCY_DISCLOSURE})."
    )


def apply_record_filing(ctx: Ctx) -> Effects:
    facts = ctx.facts
    facts.explanation_filed_with = sorted(
        set(facts.explanation_filed_with) | set(ctx.payload.bodies)
    )
    return Effects(
        summary=f"Written explanation filed with {', '.join(ctx.payload.bodies)} ({citations.AWARD})."
    )


def apply_split_determination(ctx: Ctx) -> Effects:
    p = ctx.payload
    ctx.facts.split_determination = {
        "decision": p.decision,
        "reasons": p.reasons,
        "by": ctx.actor,
        "at": ctx.now.isoformat(),
    }
    verdict = "does not divide" if p.decision == "not_divided" else "divides"
    return Effects(
        summary=f"The State purchasing officer determined this purchase {verdict} one need "
        f"({citations.SMALL_PURCHASE})."
    )


def apply_board_recommendation(ctx: Ctx) -> Effects:
    """The Board's (5-5(h)) or the Commission's (5-7(e)) recommendation: published, sent to
    the vendor, who has 15 calendar days to respond and may ask for a hearing."""
    facts, p = ctx.facts, ctx.payload
    body = p.body or "PPB"  # histories before the body was named were the Board's
    cited = citations.CEI_RECOMMENDATION if body == "CEI" else citations.BOARD_RECOMMENDATION
    kind = "cei_recommendation" if body == "CEI" else "board_recommendation"
    due = response_due(ctx.today, schedule.calendar_rules(facts))
    facts.recommendation = {
        "action": p.action,
        "votes_for": p.votes_for,
        "members_serving": p.members_serving,
        "grounds": p.grounds,
        "at": ctx.now.isoformat(),
        "response_due_on": due.isoformat(),
        "response": None,
        "decision": None,
    } | ({"body": body, "citation": cited} if p.body else {})
    vendor = facts.award.vendor if facts.award else None
    content = {
        "reference": facts.reference,
        "action": p.action,
        "grounds": p.grounds,
        "response_due_on": due.isoformat(),
        "citation": cited,
    } | ({"body": body} if p.body else {})
    effects = Effects(
        summary=f"{REVIEW_BODY_NAMES[body]} recommends to {p.action.replace('_', ' ')} "
        f"({p.votes_for} of {p.members_serving}); the vendor may respond by {due.isoformat()} "
        f"and ask for a hearing ({cited}).",
        notices=[{"kind": kind, "content": content}],
    )
    if vendor:
        effects.messages.append({"kind": kind, "recipients": [vendor], "content": content})
    return effects


def apply_vendor_response(ctx: Ctx) -> Effects:
    rec = ctx.facts.recommendation
    assert rec is not None
    ctx.facts.recommendation = rec | {
        "response": ctx.payload.summary,
        "responded_at": ctx.now.isoformat(),
    }
    return Effects(summary="The vendor's written response to the Board is recorded.")


def apply_request_review_hearing(ctx: Ctx) -> Effects:
    """The hearing is held upon request, "in no event ... later than 15 calendar days after
    the date of the request" (5-5(h); 5-7(e))."""
    facts = ctx.facts
    rec = facts.recommendation
    assert rec is not None
    due = hearing_due(ctx.today, schedule.calendar_rules(facts))
    facts.recommendation = rec | {
        "hearing": {"requested_on": ctx.today.isoformat(), "due_on": due.isoformat()}
    }
    body = REVIEW_BODY_NAMES[rec.get("body", "PPB")]
    return Effects(
        summary=f"The vendor requested a hearing before the {body}; it is held no later than "
        f"{due.isoformat()} ({citations.RECOMMENDATION_HEARING})."
    )


def apply_hold_review_hearing(ctx: Ctx) -> Effects:
    facts = ctx.facts
    rec = facts.recommendation
    assert rec is not None
    hearing = dict(rec["hearing"]) | {
        "held_at": ctx.now.isoformat(),
        "summary": ctx.payload.summary,
    }
    summary = "The hearing on the recommendation was held."
    if rec.get("body") == "CEI":
        final_due = cei_recommendation_due(ctx.today, schedule.calendar_rules(facts))
        hearing["final_due_on"] = final_due.isoformat()
        summary += (
            f" The Commission delivers its recommendation by {final_due.isoformat()} "
            f"({citations.CEI_RECOMMENDATION})."
        )
    facts.recommendation = rec | {"hearing": hearing}
    return Effects(summary=summary)


def apply_final_recommendation(ctx: Ctx) -> Effects:
    """Within 7 days after the hearing, the Commission recommends to the CPO whether to void
    the contract or reject the bid (5-7(e)); withdrawn, nothing is left to decide."""
    facts, p = ctx.facts, ctx.payload
    rec = facts.recommendation
    assert rec is not None
    final = {"maintained": p.maintained, "reasons": p.reasons, "at": ctx.now.isoformat()}
    facts.recommendation = rec | {"final": final}
    content = {
        "reference": facts.reference,
        "body": "CEI",
        "action": rec["action"],
        "maintained": p.maintained,
        "reasons": p.reasons,
        "citation": citations.CEI_RECOMMENDATION,
    }
    if not p.maintained:
        facts.recommendation = facts.recommendation | {
            "decision": "withdrawn",
            "decided_at": ctx.now.isoformat(),
        }
    verdict = "maintains" if p.maintained else "withdraws"
    return Effects(
        summary=f"After the hearing the Commission on Equity and Inclusion {verdict} its "
        f"recommendation ({citations.CEI_RECOMMENDATION}).",
        notices=[{"kind": "cei_recommendation", "content": content}],
    )


def apply_failed_bids(ctx: Ctx) -> Effects:
    """The notices an award makes owing, due within the calendar quarter in which the 4th bid
    was rejected (20-10(g-5))."""
    due = failed_bid.quarter_end(ctx.today)
    added = [
        n.model_dump(mode="json") | {"due_on": due.isoformat(), "delivered_at": None}
        for n in ctx.payload.notices
    ]
    ctx.facts.failed_bid_notices.extend(added)
    names = ", ".join(n["vendor"] for n in added)
    return Effects(
        summary=f"After 4 consecutive bids for the same services not awarded, {names} must be "
        f"given in writing why each was not, by certified copy by {due.isoformat()} "
        f"({citations.FAILED_BID_NOTICE})."
    )


def apply_deliver_failed_bid_notice(ctx: Ctx) -> Effects:
    p = ctx.payload
    vendor = p.vendor
    for notice in ctx.facts.failed_bid_notices:
        if notice["vendor"].casefold() == p.vendor.strip().casefold():
            notice.update(
                {"delivered_at": ctx.now.isoformat(), "means": p.means, "reasons": p.reasons}
            )
            vendor = notice["vendor"]
    how = "by certified copy" if p.means == "certified_copy" else "disclosed electronically"
    return Effects(
        summary=f"The reasons for its 4 failed bids were given to {vendor} {how} "
        f"({citations.FAILED_BID_NOTICE})."
    )


def apply_decide_recommendation(ctx: Ctx) -> Effects:
    facts, p = ctx.facts, ctx.payload
    rec = facts.recommendation
    assert rec is not None
    facts.recommendation = rec | {
        "decision": p.decision,
        "decided_by": ctx.actor,
        "decision_reasons": p.reasons,
        "decided_at": ctx.now.isoformat(),
    }
    effects = Effects(
        summary=f"The responsible officer decided to {p.decision} the recommendation of the "
        f"{REVIEW_BODY_NAMES[rec.get('body', 'PPB')]} "
        f"({rec.get('citation', citations.BOARD_RECOMMENDATION)})."
    )
    if p.decision == "follow":
        if facts.state == "review_window":
            effects.follow_up = ("rescind_award", {})
        elif facts.state == "awarded":
            effects.follow_up = ("void_contract", {})
        elif facts.state in ("published", "evaluation"):
            effects.follow_up = (
                "cancel",
                {"reason": f"Board recommendation followed: {rec['grounds']}"},
            )
    return effects


def apply_void(ctx: Ctx) -> Effects:
    facts = ctx.facts
    content = {
        "reference": facts.reference,
        "voided_contractor": facts.award.vendor if facts.award else None,
        "citation": citations.BOARD_RECOMMENDATION,
    }
    return Effects(
        summary="Contract voided on the Board's recommendation.",
        notices=[{"kind": "contract_voided", "content": content}],
    )


def apply_withdraw(ctx: Ctx) -> Effects:
    """Before the opening a vendor withdraws by notice; after it, only by the SPO's written
    determination, and the bid is then out of the evaluation (20-10(f); 1.2038)."""
    facts, p = ctx.facts, ctx.payload
    facts.withdrawn_bids.append(p.bid_id)
    if facts.state == "published":
        facts.bids = [b for b in facts.bids if b.bid_id != p.bid_id]
        return Effects(
            summary=f"Bid {p.bid_id} withdrawn before the opening ({citations.BID_WITHDRAWAL})."
        )
    facts.determinations.append(
        BidDetermination(
            bid_id=p.bid_id,
            responsive=False,
            responsible=True,
            reason=f"Withdrawn after opening: {p.determination}",
            actor=ctx.actor,
            at=ctx.now,
        )
    )
    return Effects(
        summary=f"Bid {p.bid_id} withdrawn after the opening by written determination "
        f"({citations.BID_CORRECTION}; {citations.BID_WITHDRAWAL})."
    )


def apply_proceed_despite_protest(ctx: Ctx) -> Effects:
    ctx.facts.protest_override = {
        "determination": ctx.payload.determination,
        "by": ctx.actor,
        "at": ctx.now.isoformat(),
        "pending": schedule.pending_protests(ctx.facts),
    }
    return Effects(
        summary="The chief procurement officer determined in writing to proceed despite the "
        f"pending protest ({citations.PROTESTS})."
    )


def apply_rescind(ctx: Ctx) -> Effects:
    facts = ctx.facts
    award = facts.award
    assert award is not None
    facts.award = None
    facts.bidders_notified_at = None
    facts.waivers = []
    content = {"reference": facts.reference, "rescinded_awardee": award.vendor}
    return Effects(
        summary=f"Award to {award.vendor} rescinded; bids return to evaluation.",
        notices=[{"kind": "award_rescinded", "content": content}],
        messages=[{"kind": "award_rescinded", "recipients": [BIDDERS], "content": content}],
    )


def apply_close(ctx: Ctx) -> Effects:
    ctx.facts.closed_at = ctx.now
    return Effects(summary="Protest period ended with no protest pending; procurement closed.")


def apply_cancel(ctx: Ctx) -> Effects:
    facts = ctx.facts
    facts.cancellation = CancellationRecord(reason=ctx.payload.reason, actor=ctx.actor, at=ctx.now)
    effects = Effects(summary=f"Cancelled: {ctx.payload.reason}")
    if facts.published_on is not None:
        content = {
            "reference": facts.reference,
            "title": facts.notice.title,
            "reason": ctx.payload.reason,
        }
        effects.notices.append({"kind": "cancellation", "content": content})
        effects.messages.append(
            {"kind": "cancellation", "recipients": [BIDDERS], "content": content}
        )
    return effects
