"""The guards of the procurement state machine: each a rule of the Code with its citation.

A guard returns None when its rule is satisfied, or the reason the command is refused. Guards
marked ``when`` read only the facts and the time, so they also decide which actions are
offered; ``on_payload`` guards read the command too.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from rules import citations, small_purchase
from rules.award import RankedBid, describe_problems, explanation_problems, lowest_eligible
from rules.calendar import local_date
from rules.evaluation import TieCandidate, TieResolution, resolve_tie
from rules.notice import (
    INVITATION_ITEMS,
    SOLE_SOURCE_ITEMS,
    RequiredItem,
    describe_missing,
    missing_invitation_items,
)
from rules.periods import EMERGENCY_MAX_DAYS, cei_recommendation_due, earliest_opening
from rules.proposals import ProposalScores, ScoringPlan, score_problems
from state_machines import pinned, schedule
from state_machines.context import Ctx, Guard, GuardTest, fmt, on_payload, when
from state_machines.models import (
    CANCELLABLE_STATES,
    REVIEW_BODY_NAMES,
    Facts,
    NoticeFields,
    OfferQualification,
)


def amended_notice(ctx: Ctx) -> NoticeFields:
    changes = ctx.payload.model_dump(exclude_none=True)
    return ctx.facts.notice.model_copy(update=changes)


def _notice_fields(notice: NoticeFields) -> dict[str, object]:
    fields = notice.model_dump()
    fields["offers_due_at"] = fields["opening_at"]
    return fields


# ---- notice -------------------------------------------------------------------------------


def notice_complete(items: tuple[RequiredItem, ...], citation: str) -> Guard:
    """Publication is refused until every item the notice must carry is there."""

    def test(ctx: Ctx) -> str | None:
        missing = missing_invitation_items(_notice_fields(ctx.facts.notice), items)
        return describe_missing(missing, citation) if missing else None

    return Guard("notice_incomplete", citation, test)


def amendment_keeps_notice_complete(items: tuple[RequiredItem, ...], citation: str) -> Guard:
    def test(ctx: Ctx) -> str | None:
        if ctx.facts.state == "draft":
            return None
        missing = missing_invitation_items(_notice_fields(amended_notice(ctx)), items)
        return describe_missing(missing, citation) if missing else None

    return Guard("amendment_blanks_notice", citation, test, on_payload=True)


@on_payload("amendment_empty", citations.BULLETIN_NOTICE)
def amendment_not_empty(ctx: Ctx) -> str | None:
    if not ctx.payload.model_dump(exclude_none=True):
        return "An amendment must change at least one field of the notice."
    return None


def _period_refusal(
    field: str, moment: datetime, published_on: object, first: object, noun: str, citation: str
) -> str:
    return (
        f"The {noun} date {local_date(moment).isoformat()} is earlier than {first}: the notice "
        f"must appear in the Bulletin at least 14 calendar days before the {noun}, counted from "
        f"publication on {published_on} under {citations.COMPUTATION_OF_DAYS} ({citation})."
    )


def notice_period_kept(field: str, noun: str, citation: str) -> Guard:
    """The opening (or hearing) is at least 14 days after publication: 20-10(c), 20-15(c),
    15-25(c-15), counted under 15-45."""

    def test(ctx: Ctx) -> str | None:
        moment = getattr(ctx.facts.notice, field)
        if moment is None:
            return None  # reported by the notice guard
        published_on = schedule.noticed_on(ctx.facts) or ctx.today
        first = earliest_opening(published_on, schedule.calendar_rules(ctx.facts))
        if local_date(moment) < first:
            return _period_refusal(field, moment, published_on, first, noun, citation)
        return None

    return Guard(f"{noun}_too_early", citation, test, field=field)


def amended_period_kept(field: str, noun: str, citation: str) -> Guard:
    def test(ctx: Ctx) -> str | None:
        moment = getattr(ctx.payload, field)
        published_on = schedule.noticed_on(ctx.facts)
        if moment is None or published_on is None:
            return None
        if moment <= ctx.now:
            return f"The new {noun} time {fmt(moment)} has already passed ({citation})."
        first = earliest_opening(published_on, schedule.calendar_rules(ctx.facts))
        if local_date(moment) < first:
            return _period_refusal(field, moment, published_on, first, noun, citation)
        return None

    return Guard(f"{noun}_too_early", citation, test, on_payload=True, field=field)


INVITATION_COMPLETE = notice_complete(INVITATION_ITEMS, citations.BULLETIN_NOTICE)
INVITATION_AMENDMENT_COMPLETE = amendment_keeps_notice_complete(
    INVITATION_ITEMS, citations.BULLETIN_NOTICE
)
SOLE_SOURCE_NOTICE_COMPLETE = notice_complete(SOLE_SOURCE_ITEMS, citations.SOLE_SOURCE_NOTICE)
SOLE_SOURCE_AMENDMENT_COMPLETE = amendment_keeps_notice_complete(
    SOLE_SOURCE_ITEMS, citations.SOLE_SOURCE_NOTICE
)
IFB_PERIOD = notice_period_kept("opening_at", "opening", citations.PUBLIC_NOTICE_IFB)
IFB_AMENDED_PERIOD = amended_period_kept("opening_at", "opening", citations.PUBLIC_NOTICE_IFB)
RFP_PERIOD = notice_period_kept("opening_at", "opening", citations.PUBLIC_NOTICE_RFP)
RFP_AMENDED_PERIOD = amended_period_kept("opening_at", "opening", citations.PUBLIC_NOTICE_RFP)
HEARING_PERIOD = notice_period_kept("hearing_at", "hearing", citations.SOLE_SOURCE_NOTICE)
HEARING_AMENDED_PERIOD = amended_period_kept("hearing_at", "hearing", citations.SOLE_SOURCE_NOTICE)


def before_opening(citation: str) -> Guard:
    """Bids and proposals arrive before the opening (20-10(d), 20-15(d))."""

    def test(ctx: Ctx) -> str | None:
        opening_at = ctx.facts.notice.opening_at
        if ctx.facts.state == "published" and opening_at is not None and ctx.now >= opening_at:
            return (
                f"Offers are accepted only before the opening at {fmt(opening_at)}; it is now "
                f"{fmt(ctx.now)} ({citation})."
            )
        return None

    return Guard("opening_passed", citation, test)


BIDS_BEFORE_OPENING = before_opening(citations.BID_OPENING)
PROPOSALS_BEFORE_OPENING = before_opening(citations.PROPOSAL_OPENING)


@when("best_and_final_closed", citations.BEST_AND_FINAL)
def best_and_final_accepting(ctx: Ctx) -> str | None:
    """After the opening, offers change only in a best-and-final round, before it is due
    (20-15(f); for sealed bids, 20-10(f) allows no change at all)."""
    if ctx.facts.state != "evaluation":
        return None
    bafo = ctx.facts.bafo
    if bafo is None or bafo.get("closed"):
        return (
            "After the opening, offers change only in a best-and-final round "
            f"({citations.BEST_AND_FINAL})."
        )
    due = datetime.fromisoformat(bafo["due_at"])
    if ctx.now >= due:
        return f"Best and final offers were due at {fmt(due)} ({citations.BEST_AND_FINAL})."
    return None


@on_payload("not_in_competitive_range", citations.BEST_AND_FINAL, "vendor")
def offeror_in_range(ctx: Ctx) -> str | None:
    bafo = ctx.facts.bafo
    if ctx.facts.state != "evaluation" or bafo is None:
        return None
    if ctx.payload.vendor not in bafo["vendors"]:
        return (
            f"{ctx.payload.vendor} is not among the offerors found in the competitive range "
            f"({citations.BEST_AND_FINAL})."
        )
    return None


@on_payload("unknown_bid", citations.BID_WITHDRAWAL, "bid_id")
def withdrawable(ctx: Ctx) -> str | None:
    """After the opening, a bid that was opened. Before it the intake finds the vendor's bid
    in the sealed-bid store."""
    if ctx.facts.opened_at is None:
        return None
    if not any(r.bid_id == ctx.payload.bid_id for r in ctx.facts.ranking):
        return f"Bid {ctx.payload.bid_id} is not among the bids opened."
    return None


@when("opening_passed", citations.BID_WITHDRAWAL)
def withdrawal_before_opening(ctx: Ctx) -> str | None:
    opening_at = ctx.facts.notice.opening_at
    if ctx.facts.opened_at is None and opening_at is not None and ctx.now >= opening_at:
        return (
            f"A bid is withdrawn by the vendor's notice only before the opening at "
            f"{fmt(opening_at)}; it is now {fmt(ctx.now)}. After the opening a bid is withdrawn "
            "only by the State purchasing officer's written determination of a bona fide error "
            f"({citations.BID_WITHDRAWAL}; {citations.BID_CORRECTION})."
        )
    return None


@on_payload("determination_required", citations.BID_CORRECTION, "determination")
def withdrawal_determination(ctx: Ctx) -> str | None:
    if ctx.facts.opened_at is not None and not (ctx.payload.determination or "").strip():
        return (
            "After the opening a bid is withdrawn only for a bona fide error shown by clear "
            "evidence, by the State purchasing officer's written determination (field "
            f"'determination') ({citations.BID_CORRECTION}; {citations.BID_WITHDRAWAL})."
        )
    return None


@when("no_protest_pending", citations.PROTESTS)
def protest_is_pending(ctx: Ctx) -> str | None:
    if not schedule.pending_protests(ctx.facts):
        return "No protest is pending."
    if ctx.facts.protest_override is not None:
        return "A determination to proceed is already recorded."
    return None


@when("opening_not_yet", citations.BID_OPENING)
def at_or_after_opening(ctx: Ctx) -> str | None:
    opening_at = ctx.facts.notice.opening_at
    if opening_at is None or ctx.now < opening_at:
        when = fmt(opening_at) if opening_at else "(no opening time set)"
        return (
            f"Bids are opened at the time designated in the invitation, {when}, not before "
            f"({citations.BID_OPENING})."
        )
    return None


def _protest_stay(what: str) -> GuardTest:
    def test(ctx: Ctx) -> str | None:
        pending = schedule.pending_protests(ctx.facts)
        if pending and ctx.facts.protest_override is None:
            return (
                f"A protest filed in time is pending ({', '.join(pending)}); it stays {what} "
                f"until the chief procurement officer decides it "
                f"({schedule.protest_rules(ctx.facts).citation})."
            )
        return None

    return test


no_pending_protest_opening = when("protest_pending", citations.PROTESTS)(
    _protest_stay("the opening")
)
no_pending_protest_award = when("protest_pending", citations.PROTESTS)(_protest_stay("the award"))
no_pending_protest_execution = when("protest_pending", citations.PROTESTS)(
    _protest_stay("execution of the contract")
)


@on_payload("witness_missing", citations.BID_OPENING, "witnesses")
def has_witness(ctx: Ctx) -> str | None:
    if not [w for w in ctx.payload.witnesses if w.strip()]:
        return (
            f"Bids are opened in the presence of one or more witnesses ({citations.BID_OPENING})."
        )
    return None


def ranked_bid(ctx: Ctx, bid_id: str) -> RankedBid | None:
    """The opened bid of that id as ranked, with its eligibility after the determinations."""
    for bid in ranked_bids(ctx.facts):
        if bid.bid_id == bid_id:
            return bid
    return None


def ranked_bids(facts: Facts) -> list[RankedBid]:
    """Every opened bid as ranked; the latest determination of a bid stands, so a bid found
    eligible again is eligible (guards and effects judge by the same list)."""
    latest: dict[str, bool] = {}
    for d in facts.determinations:
        latest[d.bid_id] = d.responsive and d.responsible
    ineligible = {b for b, ok in latest.items() if not ok}
    return [
        RankedBid(r.bid_id, r.vendor, r.rank, eligible=r.bid_id not in ineligible)
        for r in facts.ranking
    ]


# ---- multi-step sealed bidding (20-10(h)) ---------------------------------------------------


@when("priced_step", citations.MULTI_STEP)
def in_technical_step(ctx: Ctx) -> str | None:
    technical = ctx.facts.technical
    if technical is not None:
        return (
            f"The technical offers were qualified and the invitation for bids limited to the "
            f"qualified bidders issued on {technical.invited_on.isoformat()} "
            f"({citations.MULTI_STEP})."
        )
    return None


@when("technical_step", citations.MULTI_STEP)
def in_priced_step(ctx: Ctx) -> str | None:
    if ctx.facts.in_technical_step:
        return (
            "The offers opened are unpriced technical offers: they are qualified, and bids "
            "are then invited from the qualified bidders alone, determined and awarded on "
            f"price ({citations.MULTI_STEP})."
        )
    return None


def latest_qualifications(facts: Facts) -> dict[str, OfferQualification]:
    """Each technical offer's latest qualification: a later decision stands."""
    return {q.bid_id: q for q in facts.qualifications}


@on_payload("unknown_bid", citations.MULTI_STEP, "bid_id")
def offer_was_opened(ctx: Ctx) -> str | None:
    if not any(r.bid_id == ctx.payload.bid_id for r in ctx.facts.ranking):
        return f"Offer {ctx.payload.bid_id} is not among the technical offers opened."
    return None


@on_payload("reason_required", citations.MULTI_STEP, "reason")
def reason_for_disqualification(ctx: Ctx) -> str | None:
    if not ctx.payload.qualified and not (ctx.payload.reason or "").strip():
        return (
            "An offer found not qualified needs the reason, measured against the criteria set "
            f"forth in the first solicitation ({citations.MULTI_STEP})."
        )
    return None


@when("offers_not_qualified", citations.MULTI_STEP)
def every_offer_qualified_or_not(ctx: Ctx) -> str | None:
    decided = latest_qualifications(ctx.facts)
    open_ = [r.bid_id for r in ctx.facts.ranking if r.bid_id not in decided]
    if open_:
        return (
            f"Qualify every technical offer before inviting bids; not yet decided: "
            f"{', '.join(open_)} ({citations.MULTI_STEP})."
        )
    return None


@when("no_offer_qualified", citations.MULTI_STEP)
def some_offer_qualified(ctx: Ctx) -> str | None:
    if not any(q.qualified for q in latest_qualifications(ctx.facts).values()):
        return (
            "No technical offer meets the criteria (or none was received); the invitation for "
            "bids is limited to bidders whose offers qualified, so there is no one to invite "
            f"({citations.MULTI_STEP})."
        )
    return None


@on_payload("opening_too_early", citations.PUBLIC_NOTICE_IFB, "opening_at")
def priced_opening_period(ctx: Ctx) -> str | None:
    moment = ctx.payload.opening_at
    first = earliest_opening(ctx.today, schedule.calendar_rules(ctx.facts))
    if local_date(moment) < first:
        return _period_refusal(
            "opening_at", moment, ctx.today, first, "opening", citations.PUBLIC_NOTICE_IFB
        )
    return None


@on_payload("not_qualified", citations.MULTI_STEP, "vendor")
def qualified_bidder(ctx: Ctx) -> str | None:
    technical = ctx.facts.technical
    if technical is not None and ctx.payload.vendor not in technical.qualified:
        # Not naming the others: a refused vendor learns no competitor from its refusal.
        return (
            f"The invitation for bids is limited to the bidders whose technical offers "
            f"qualified; {ctx.payload.vendor} is not one ({citations.MULTI_STEP})."
        )
    return None


@on_payload("unknown_bid", citations.BID_ACCEPTANCE, "bid_id")
def bid_was_opened(ctx: Ctx) -> str | None:
    if not ctx.payload.bid_id:
        return "Name the bid to award (field 'bid_id')."
    if ranked_bid(ctx, ctx.payload.bid_id) is None:
        return f"Bid {ctx.payload.bid_id} is not among the bids opened."
    return None


@on_payload("reason_required", citations.BID_ACCEPTANCE, "reason")
def reason_for_rejection(ctx: Ctx) -> str | None:
    p = ctx.payload
    if not (p.responsive and p.responsible) and not (p.reason or "").strip():
        return (
            "A bid found not responsive or not responsible needs the reason, measured against "
            f"the requirements and criteria set forth in the invitation ({citations.BID_ACCEPTANCE})."
        )
    return None


@on_payload("bid_not_eligible", citations.AWARD, "bid_id")
def awardee_eligible(ctx: Ctx) -> str | None:
    bid = ranked_bid(ctx, ctx.payload.bid_id)
    if bid is not None and not bid.eligible:
        return (
            f"Bid {bid.bid_id} of {bid.vendor} was found not responsive or not responsible; the "
            f"award goes to a responsible and responsive bidder ({citations.AWARD})."
        )
    return None


def tie_resolution(facts: Facts) -> TieResolution | None:
    """How a tie among the best eligible bids resolves by rule (44 Ill. Adm. Code 1.2037),
    drawn from a seed fixed by the opening so it is the same every time it is asked."""
    best = lowest_eligible(ranked_bids(facts))
    if len(best) < 2:
        return None
    entries = {r.bid_id: r for r in facts.ranking}
    candidates = [
        TieCandidate(b.bid_id, b.vendor, entries[b.bid_id].resident, entries[b.bid_id].recycled)
        for b in best
    ]
    opened = facts.opened_at.isoformat() if facts.opened_at else ""
    return resolve_tie(
        candidates,
        seed=f"{facts.reference}:{opened}",
        resident_first=pinned.since(facts.rules_version, pinned.RESIDENT_FIRST),
    )


@on_payload("tie_decided_by_rule", citations.TIE_BIDS, "tie_decision")
def tie_winner_or_spo_decision(ctx: Ctx) -> str | None:
    bid = ranked_bid(ctx, ctx.payload.bid_id)
    tie = tie_resolution(ctx.facts)
    if bid is None or tie is None or bid.bid_id not in tie.tied or bid.bid_id == tie.winner:
        return None
    decision = ctx.payload.tie_decision
    winner = next(r.vendor for r in ctx.facts.ranking if r.bid_id == tie.winner)
    if pinned.since(ctx.facts.rules_version, pinned.RESIDENT_FIRST):
        if tie.rule == "resident":
            return (
                f"The tied vendors include only one Illinois resident vendor, {winner}, who is "
                "given the award; the State purchasing officer's best-interest determination and "
                "a split award apply only in all other situations "
                f"({citations.TIE_BIDS}(b)(1), (b)(2))."
            )
        if tie.rule == "recycled":
            return (
                f"{winner} will fulfill the contract with recycled supplies at a cost equal or "
                "less and shall be given preference over the tied bidders unable to (30 ILCS "
                f"500/45-20); no determination sets that aside ({citations.TIE_BIDS}(b)(2))."
            )
    if decision is None:
        return (
            f"The tie resolves to {winner} ({tie.note}); another tied bidder receives the award "
            "only by the State purchasing officer's determination that it is in the State's "
            f"best interest, or a split award the vendors agree to ({citations.TIE_BIDS}(b)(2))."
        )
    if decision.kind == "split_award":
        tied_vendors = {r.vendor for r in ctx.facts.ranking if r.bid_id in tie.tied}
        missing = sorted(tied_vendors - set(decision.agreed_by))
        if missing:
            return (
                "A split award needs the agreement of the affected vendors; missing: "
                f"{', '.join(missing)} ({citations.TIE_BIDS}(b)(2)(B))."
            )
    return None


@on_payload("explanation_required", citations.AWARD, "explanation")
def lowest_or_explained(ctx: Ctx) -> str | None:
    bids = ranked_bids(ctx.facts)
    bid = ranked_bid(ctx, ctx.payload.bid_id)
    lowest = lowest_eligible(bids)
    if bid is None or bid in lowest:
        return None
    problems = explanation_problems(
        ctx.payload.explanation, bid.vendor, [b.vendor for b in bids if b.eligible]
    )
    return describe_problems(problems) if problems else None


@on_payload("award_not_lowest", citations.REVERSE_AUCTION, "bid_id")
def lowest_only(ctx: Ctx) -> str | None:
    """20-10(j): after an auction the award goes "to the lowest responsible bidder, or all
    bids shall be rejected"; no written explanation opens it to another."""
    if not pinned.since(ctx.facts.rules_version, pinned.AUCTION_LOWEST_ONLY):
        return None
    bid = ranked_bid(ctx, ctx.payload.bid_id)
    lowest = lowest_eligible(ranked_bids(ctx.facts))
    if bid is None or bid in lowest:
        return None
    return (
        f"After a reverse auction the contract goes to the lowest responsible bidder "
        f"({', '.join(b.vendor for b in lowest)}), or all bids are rejected (cancel the "
        f"procurement); it is not awarded to {bid.vendor} ({citations.REVERSE_AUCTION})."
    )


@when("bidder_notice_automatic", citations.BIDDER_NOTICE)
def manual_bidder_notice(ctx: Ctx) -> str | None:
    if ctx.facts.spec.bidder_notice == "automatic":
        return (
            "This procurement notifies bidders automatically when the award notice is "
            f"published ({citations.BIDDER_NOTICE})."
        )
    return None


@when("bidder_notice_recorded", citations.BIDDER_NOTICE)
def bidders_not_yet_notified(ctx: Ctx) -> str | None:
    if ctx.facts.bidders_notified_at is not None:
        return f"Bidders were notified on {fmt(ctx.facts.bidders_notified_at)}."
    return None


@when("review_window_closed", citations.REVIEW_WINDOW)
def within_review_window(ctx: Ctx) -> str | None:
    expires = schedule.window_expires_at(ctx.facts)
    if expires is None or ctx.now >= expires:
        last = schedule.window_ends_on(ctx.facts)
        return (
            "The Board and the Commission may act within 14 calendar days after the award "
            f"notice appeared in the Bulletin; that period ended on "
            f"{last.isoformat() if last else '(no award notice)'} ({citations.REVIEW_WINDOW})."
        )
    return None


@on_payload("already_waived", citations.REVIEW_WAIVER, "body")
def not_yet_waived(ctx: Ctx) -> str | None:
    if any(w.body == ctx.payload.body for w in ctx.facts.waivers):
        return f"The {REVIEW_BODY_NAMES[ctx.payload.body]} has already waived the period."
    return None


@on_payload("unknown_request", citations.REVIEW_WINDOW, "request_id")
def open_request(ctx: Ctx) -> str | None:
    for r in ctx.facts.document_requests:
        if r.request_id == ctx.payload.request_id:
            return None if r.answered_at is None else f"Request {r.request_id} was answered."
    return f"No document request {ctx.payload.request_id}."


@when("review_window_running", citations.REVIEW_WAIVER)
def window_over_or_waived(ctx: Ctx) -> str | None:
    if schedule.waived_by_both(ctx.facts):
        return None
    expires = schedule.window_expires_at(ctx.facts)
    if expires is not None and ctx.now < expires:
        last = schedule.window_ends_on(ctx.facts)
        assert last is not None
        waived = sorted(REVIEW_BODY_NAMES[w.body] for w in ctx.facts.waivers)
        extra = f" (waived so far by: {', '.join(waived)})" if waived else ""
        return (
            f"No contract may be entered into until the 14-day review period ends on "
            f"{last.isoformat()}, unless both the Procurement Policy Board and the Commission on "
            f"Equity and Inclusion waive it in writing{extra} ({citations.REVIEW_WAIVER})."
        )
    return None


@on_payload("protest_period_closed", citations.PROTESTS, "kind")
def protest_in_time(ctx: Ctx) -> str | None:
    facts, kind = ctx.facts, ctx.payload.kind
    office_rule = schedule.protest_rules(facts).citation
    if kind == "solicitation":
        closes = schedule.solicitation_protest_deadline(facts)
        if facts.state != "published" or closes is None:
            return (
                "A protest of the notice or solicitation is filed while it is posted, before "
                f"the opening ({office_rule})."
            )
        if ctx.now >= closes:
            return (
                f"The period to protest the solicitation closed at {fmt(closes)}: 14 days after "
                f"it was posted in the Bulletin and before the opening ({office_rule})."
            )
        return None
    period = schedule.protest_period(facts, ctx.now)
    if period is None or facts.state not in ("review_window", "awarded"):
        return f"An award may be protested once the award notice is published ({office_rule})."
    if period.final and ctx.now >= period.closes_at:
        notified = (
            period.bidders_notified_on.isoformat()
            if period.bidders_notified_on
            else "never (tolling ran its 7 days)"
        )
        return (
            f"The protest was received {fmt(ctx.now)}, after the period closed at "
            f"{fmt(period.closes_at)}: 14 days after bidders were notified of the award "
            f"(award notice {period.award_notice_on.isoformat()}, bidders notified {notified}, "
            f"tolled {period.tolled_days} days under {citations.BIDDER_NOTICE}; {office_rule})."
        )
    return None


@on_payload("unknown_protest", citations.PROTESTS, "protest_id")
def pending_protest(ctx: Ctx) -> str | None:
    for p in ctx.facts.protests:
        if p.protest_id == ctx.payload.protest_id:
            return None if p.status == "pending" else f"Protest {p.protest_id} was decided."
    return f"No protest {ctx.payload.protest_id}."


@on_payload("remedy_not_available", citations.PROTESTS, "remedy")
def remedy_fits_state(ctx: Ctx) -> str | None:
    p, state = ctx.payload, ctx.facts.state
    if p.decision == "denied" and p.remedy != "none":
        return "A denied protest has no remedy; use remedy 'none'."
    if p.remedy == "reevaluate" and state != "review_window":
        return "Re-evaluation rescinds an award not yet executed; there is none to rescind."
    if p.remedy == "cancel" and state not in CANCELLABLE_STATES:
        return (
            "The procurement can be cancelled only before the contract is entered into; an "
            "executed contract is voided or terminated under its terms."
        )
    return None


@when("protest_period_running", citations.PROTESTS)
def protest_period_over(ctx: Ctx) -> str | None:
    period = schedule.protest_period(ctx.facts, ctx.now)
    if period is None:
        return "No award has been made."
    if not period.final or ctx.now < period.closes_at:
        return (
            f"The award protest period runs until {fmt(period.closes_at)}"
            f"{' or later (notice to bidders not yet sent)' if not period.final else ''} "
            f"({citations.BIDDER_NOTICE}; {schedule.protest_rules(ctx.facts).citation})."
        )
    return None


no_pending_protest_close = when("protest_pending", citations.PROTESTS)(
    _protest_stay("closing the procurement")
)


# ---- competitive sealed proposals (20-15) ---------------------------------------------------


@when("not_scored", citations.PROPOSAL_SCORING)
def proposals_scored(ctx: Ctx) -> str | None:
    facts = ctx.facts
    if facts.scored_at is None:
        return (
            "The proposals have not been scored: price, commitment to diversity and all other "
            f"items, each ranked independently ({citations.PROPOSAL_SCORING})."
        )
    bafo = facts.bafo
    if bafo is not None and not bafo.get("closed"):
        return f"A best-and-final round is open; score the revised offers after it closes ({citations.BEST_AND_FINAL})."
    return None


@when("best_and_final_open", citations.BEST_AND_FINAL)
def bafo_not_running(ctx: Ctx) -> str | None:
    bafo = ctx.facts.bafo
    if bafo is not None and not bafo.get("closed"):
        due = datetime.fromisoformat(bafo["due_at"])
        if ctx.now < due:
            return f"Best and final offers are due at {fmt(due)}; score them after ({citations.BEST_AND_FINAL})."
    return None


@on_payload("scores_incomplete", citations.PROPOSAL_SCORING, "scores")
def scores_cover_every_proposal(ctx: Ctx) -> str | None:
    scored = [s.bid_id for s in ctx.payload.scores]
    opened = {r.bid_id for r in ctx.facts.ranking}
    missing = sorted(opened - set(scored))
    unknown = sorted(set(scored) - opened)
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"not scored: {', '.join(missing)}")
        if unknown:
            parts.append(f"not among the proposals opened: {', '.join(unknown)}")
        return (
            "Each part of all proposals is evaluated and ranked; "
            + "; ".join(parts)
            + f" ({citations.PROPOSAL_SCORING})."
        )
    if len(scored) != len(set(scored)):
        return "A proposal is scored twice."
    plan = ScoringPlan.as_launched(ctx.facts.spec.scoring or {})
    vendors = {r.bid_id: r.vendor for r in ctx.facts.ranking}
    problems = score_problems(
        plan,
        [
            ProposalScores(s.bid_id, vendors.get(s.bid_id, ""), s.diversity, s.other)
            for s in ctx.payload.scores
        ],
    )
    return "; ".join(problems) if problems else None


@on_payload("range_invalid", citations.BEST_AND_FINAL, "competitive_range")
def competitive_range_valid(ctx: Ctx) -> str | None:
    opened = {r.bid_id for r in ctx.facts.ranking}
    unknown = sorted(set(ctx.payload.competitive_range) - opened)
    if unknown:
        return f"Not among the proposals opened: {', '.join(unknown)} ({citations.BEST_AND_FINAL})."
    if ctx.payload.due_at <= ctx.now:
        return f"The due time {fmt(ctx.payload.due_at)} has passed ({citations.BEST_AND_FINAL})."
    return None


@on_payload("not_most_advantageous", citations.PROPOSAL_AWARD, "bid_id")
def most_advantageous_with_basis(ctx: Ctx) -> str | None:
    bid = ranked_bid(ctx, ctx.payload.bid_id)
    if bid is None:
        return None
    if not (ctx.payload.basis or "").strip():
        return (
            "The award of a proposal is determined in writing; give the basis on which it is "
            f"made (field 'basis') ({citations.PROPOSAL_AWARD})."
        )
    best = lowest_eligible(ranked_bids(ctx.facts))
    if bid not in best:
        names = ", ".join(b.vendor for b in best)
        return (
            f"The proposal of {bid.vendor} is not the most advantageous after scoring; the "
            f"ranking puts {names} first ({citations.PROPOSAL_AWARD}; {citations.PROPOSAL_SCORING})."
        )
    return None


# ---- reverse auction (20-10(j)) ---------------------------------------------------------------


@when("award_overdue", citations.REVERSE_AUCTION)
def award_within_sixty_days(ctx: Ctx) -> str | None:
    due = ctx.facts.award_due_on
    if due is not None and ctx.today > due:
        return (
            f"The award was due by {due.isoformat()}, 60 calendar days after the auction unless "
            "extended by mutual written consent of the State purchasing officer and the lowest "
            f"responsible bidder; all bids are to be rejected now ({citations.REVERSE_AUCTION})."
        )
    return None


@on_payload("extension_not_later", citations.REVERSE_AUCTION, "new_due_on")
def extension_is_later(ctx: Ctx) -> str | None:
    due = ctx.facts.award_due_on
    if due is not None and ctx.payload.new_due_on <= due:
        return f"The award is already due by {due.isoformat()}; an extension moves it later."
    return None


# ---- sole source (20-25) ----------------------------------------------------------------------


@when("hearing_not_yet", citations.SOLE_SOURCE)
def at_or_after_hearing(ctx: Ctx) -> str | None:
    hearing_at = ctx.facts.notice.hearing_at
    if hearing_at is None or ctx.now < hearing_at:
        when_text = fmt(hearing_at) if hearing_at else "(no hearing set)"
        return f"The hearing is set for {when_text}; it is held then, not before ({citations.SOLE_SOURCE})."
    return None


@on_payload("not_intended_contractor", citations.SOLE_SOURCE_NOTICE, "vendor")
def to_intended_contractor(ctx: Ctx) -> str | None:
    intended = (ctx.facts.notice.intended_contractor or "").strip()
    if (ctx.payload.vendor or "").strip().casefold() != intended.casefold():
        return (
            f"A sole source contract goes to the intended contractor named in the notice, "
            f"{intended} ({citations.SOLE_SOURCE_NOTICE})."
        )
    if ctx.payload.price is None:
        return "Give the contract price (field 'price') (30 ILCS 500/15-25(b-5))."
    return None


# ---- renewals, change orders, renegotiations (15-25) -----------------------------------------


@on_payload("not_the_contractor", citations.CONTRACT_CHANGE, "vendor")
def to_original_contractor(ctx: Ctx) -> str | None:
    contractor = (ctx.facts.contract_of or {}).get("contractor") or ""
    if (ctx.payload.vendor or "").strip().casefold() != contractor.casefold():
        return (
            f"A renewal or change of the contract of {(ctx.facts.contract_of or {}).get('original')} "
            f"is made with its contractor, {contractor} ({citations.CONTRACT_CHANGE})."
        )
    if ctx.payload.price is None:
        return (
            "Give the contract price as renewed or changed (field 'price') "
            f"({citations.AWARD_NOTICE})."
        )
    return None


# ---- small purchase (20-20) -------------------------------------------------------------------


@when("split_undetermined", citations.SMALL_PURCHASE)
def split_resolved(ctx: Ctx) -> str | None:
    facts = ctx.facts
    if facts.split_flag is None:
        return None
    determination = facts.split_determination
    if determination is None:
        return (
            f"{facts.split_flag} The State purchasing officer must first determine whether this "
            f"divides one need ({citations.SMALL_PURCHASE}; {citations.REPETITIVE_NEED})."
        )
    if determination["decision"] == "divided":
        return (
            "The State purchasing officer determined that this purchase divides one need; it "
            f"cannot be made as a small purchase ({citations.SMALL_PURCHASE})."
        )
    return None


@when("split_not_flagged", citations.REPETITIVE_NEED)
def split_flagged(ctx: Ctx) -> str | None:
    if ctx.facts.split_flag is None:
        return "This launch was not flagged as possibly dividing one need."
    if ctx.facts.split_determination is not None:
        return "The State purchasing officer has already determined it."
    return None


@on_payload("not_launched_vendor", citations.SMALL_PURCHASE, "vendor")
def to_launched_vendor(ctx: Ctx) -> str | None:
    named = (ctx.facts.notice.intended_contractor or "").strip()
    if not named or not pinned.since(ctx.facts.rules_version, pinned.NAMED_VENDOR):
        return None
    if (ctx.payload.vendor or "").strip().casefold() != named.casefold():
        return (
            f"This small purchase was launched to buy from {named}, whose other small purchases "
            "the divided-need check counted; it is awarded to that vendor, or launched anew "
            f"({citations.SMALL_PURCHASE}; {citations.REPETITIVE_NEED})."
        )
    return None


@on_payload("small_purchase_terms", citations.SMALL_PURCHASE, "price")
def within_small_purchase_limit(ctx: Ctx) -> str | None:
    p, facts = ctx.payload, ctx.facts
    if not p.vendor:
        return "Name the vendor (field 'vendor')."
    if p.price is None:
        return "Give the price (field 'price'): the total, the monthly price or the unit price."
    limit = Decimal(facts.small_purchase_limit or "0")
    if facts.spec.pricing == "unit_price":
        return None  # 1.2020(b)(2): the contract carries a not-to-exceed at the limit
    options = facts.spec.options_value
    value = small_purchase.counted_value(facts.spec.pricing, p.price, options)
    if value > limit:
        counted = small_purchase.how_counted(facts.spec.pricing, options)
        return (
            f"The value {value:,.2f}{counted} exceeds the small purchase limit of {limit:,.2f} in "
            f"force ({facts.small_purchase_limit_citation}; {citations.SMALL_PURCHASE_VALUE})."
        )
    return None


@on_payload(
    "certifications_required", citations.SMALL_PURCHASE_CERTIFICATION, "standard_certifications"
)
def certifications_over_threshold(ctx: Ctx) -> str | None:
    p, facts = ctx.payload, ctx.facts
    if p.price is None or p.standard_certifications:
        return None
    if facts.spec.pricing == "unit_price":
        value = Decimal(facts.small_purchase_limit or "0")
    else:
        value = small_purchase.counted_value(facts.spec.pricing, p.price)
    if value > small_purchase.CERTIFICATION_THRESHOLD:
        return (
            f"A small purchase with an annual value over $50,000.00 ({value:,.2f}) is accompanied "
            f"by the Standard Illinois Certifications ({citations.SMALL_PURCHASE_CERTIFICATION})."
        )
    return None


# ---- emergency (20-30; 15-25(c)) --------------------------------------------------------------


@on_payload("emergency_terms", citations.EMERGENCY, "reasons")
def emergency_terms_given(ctx: Ctx) -> str | None:
    p = ctx.payload
    missing = [
        name
        for name, value in (
            ("vendor", p.vendor),
            ("price", p.price),
            ("reasons", (p.reasons or "").strip() or None),
            ("term_days", p.term_days),
        )
        if value is None
    ]
    if p.awarded_on is not None and not (
        ctx.today - timedelta(days=EMERGENCY_MAX_DAYS) <= p.awarded_on <= ctx.today
    ):
        return (
            f"The award date {p.awarded_on.isoformat()} must be today or a past day within the "
            f"{EMERGENCY_MAX_DAYS}-day emergency term ({citations.EMERGENCY})."
        )
    if missing:
        return (
            "An emergency purchase records the contractor, the cost (or an estimate), the "
            f"reasons and a term of at most 90 days; missing: {', '.join(missing)} "
            f"({citations.EMERGENCY}; {citations.EMERGENCY_DISCLOSURE})."
        )
    return None


@on_payload("emergency_term_too_long", citations.EMERGENCY, "term_days")
def emergency_term_within_limit(ctx: Ctx) -> str | None:
    term = ctx.payload.term_days
    if term is not None and term > EMERGENCY_MAX_DAYS:
        return (
            f"An emergency contract's term is at most {EMERGENCY_MAX_DAYS} days, not {term}; "
            f"a longer need is an extension the chief procurement officer approves "
            f"({citations.EMERGENCY})."
        )
    return None


@when("nothing_to_disclose", citations.EMERGENCY_DISCLOSURE)
def disclosure_pending(ctx: Ctx) -> str | None:
    if not any(d.get("published_at") is None for d in ctx.facts.disclosures):
        return "Every emergency disclosure due has been published."
    return None


@when("emergency_running", citations.EMERGENCY)
def emergency_over(ctx: Ctx) -> str | None:
    facts = ctx.facts
    ends = facts.emergency_term_ends_on
    if ends is not None and ctx.today <= ends:
        return f"The emergency contract runs through {ends.isoformat()} ({citations.EMERGENCY})."
    if any(d.get("published_at") is None for d in facts.disclosures):
        return (
            f"An emergency disclosure is still to be published ({citations.EMERGENCY_DISCLOSURE})."
        )
    return None


@when("documents_outstanding", citations.REVIEW_EXEMPTIONS)
def documents_transmitted(ctx: Ctx) -> str | None:
    open_ids = [r.request_id for r in ctx.facts.document_requests if r.answered_at is None]
    if open_ids:
        return (
            f"The contract and its documents are still owed for {', '.join(open_ids)} "
            f"({citations.REVIEW_EXEMPTIONS})."
        )
    return None


# ---- failed bid notice (20-10(g-5)) ----------------------------------------------------------


@when("no_failed_bid_notices", citations.FAILED_BID_NOTICE)
def failed_bid_notices_outstanding(ctx: Ctx) -> str | None:
    if not any(n.get("delivered_at") is None for n in ctx.facts.failed_bid_notices):
        return "No failed bid notice is owed in this procurement."
    return None


@on_payload("no_failed_bid_notice_owed", citations.FAILED_BID_NOTICE, "vendor")
def failed_bid_notice_owed(ctx: Ctx) -> str | None:
    vendor = ctx.payload.vendor.strip().casefold()
    for notice in ctx.facts.failed_bid_notices:
        if notice["vendor"].casefold() == vendor:
            if notice.get("delivered_at") is None:
                return None
            return f"The failed bid notice to {notice['vendor']} is recorded."
    owed = ", ".join(n["vendor"] for n in ctx.facts.failed_bid_notices) or "none"
    return f"No failed bid notice is owed to {ctx.payload.vendor} (owed: {owed})."


@when("failed_bid_notice_outstanding", citations.FAILED_BID_NOTICE)
def failed_bid_notices_given(ctx: Ctx) -> str | None:
    owed = [n for n in ctx.facts.failed_bid_notices if n.get("delivered_at") is None]
    if owed:
        return (
            f"The written reasons for 4 consecutive failed bids are still owed to "
            f"{', '.join(n['vendor'] for n in owed)}, by {owed[0]['due_on']} "
            f"({citations.FAILED_BID_NOTICE})."
        )
    return None


# ---- written explanation filing (20-10(g)) ---------------------------------------------------


@when("no_filing_due", citations.AWARD)
def explanation_filing_due(ctx: Ctx) -> str | None:
    award = ctx.facts.award
    if award is None or award.explanation is None:
        return "No written explanation is to be filed."
    if set(ctx.facts.explanation_filed_with) >= {"LAC", "CEI", "PPB"}:
        return "The written explanation has been filed with all three."
    return None


@when("explanation_not_filed", citations.AWARD)
def explanation_filed(ctx: Ctx) -> str | None:
    award = ctx.facts.award
    if award is None or award.explanation is None:
        return None
    missing = {"LAC", "CEI", "PPB"} - set(ctx.facts.explanation_filed_with)
    if missing:
        return (
            "The written explanation is still to be filed with "
            f"{', '.join(sorted(missing))} ({citations.AWARD})."
        )
    return None


# ---- Board and Commission (5-5(h)) -----------------------------------------------------------


@on_payload("not_three_fifths", citations.BOARD_RECOMMENDATION, "votes_for")
def three_fifths_vote(ctx: Ctx) -> str | None:
    p = ctx.payload
    if p.votes_for * 5 < p.members_serving * 3:
        return (
            f"{p.votes_for} of {p.members_serving} is less than three-fifths; the Board recommends "
            f"voiding a contract or rejecting a bid upon a three-fifths vote ({citations.BOARD_RECOMMENDATION})."
        )
    return None


def _rec_citation(rec: dict[str, Any] | None) -> str:
    """A recommendation's own section: the Commission's 5-7(e), else the Board's 5-5(h)."""
    return (
        citations.CEI_RECOMMENDATION
        if (rec or {}).get("body") == "CEI"
        else (citations.BOARD_RECOMMENDATION)
    )


@on_payload("review_body_missing", citations.BOARD_RECOMMENDATION, "body")
def review_body_named(ctx: Ctx) -> str | None:
    if ctx.payload.body is None and pinned.since(ctx.facts.rules_version, pinned.REVIEW_BODY):
        return (
            "Name the body that recommends (field 'body'): 'PPB', the Procurement Policy Board "
            f"({citations.BOARD_RECOMMENDATION}), or 'CEI', the Commission on Equity and "
            f"Inclusion ({citations.CEI_RECOMMENDATION})."
        )
    return None


@on_payload("recommendation_late", citations.CEI_RECOMMENDATION, "violation_determined_on")
def cei_in_time(ctx: Ctx) -> str | None:
    """5-7(e): delivered "within 7 calendar days after the proposal due date, bid opening date,
    or determination of a Code violation"."""
    p, facts = ctx.payload, ctx.facts
    if p.body != "CEI":
        return None
    if p.violation_determined_on is not None and p.violation_determined_on > ctx.today:
        return "The determination of a Code violation cannot be later than today."
    opened_on = local_date(facts.opened_at) if facts.opened_at else None
    start = p.violation_determined_on or opened_on
    if start is None:
        return (
            "Give the day the Commission determined the Code violation (field "
            f"'violation_determined_on'); its 7 days count from it ({citations.CEI_RECOMMENDATION})."
        )
    due = cei_recommendation_due(start, schedule.calendar_rules(facts))
    if ctx.today > due:
        counted = "the determination" if p.violation_determined_on else "the opening"
        return (
            f"The Commission delivers its recommendation within 7 calendar days after "
            f"{counted} on {start.isoformat()}, by {due.isoformat()}; today is "
            f"{ctx.today.isoformat()} ({citations.CEI_RECOMMENDATION})."
        )
    return None


@when("recommendation_open", citations.BOARD_RECOMMENDATION)
def no_open_recommendation(ctx: Ctx) -> str | None:
    rec = ctx.facts.recommendation
    if rec is not None and rec.get("decision") is None:
        return (
            "A Board recommendation is awaiting the responsible officer's decision; it holds "
            f"execution until then ({citations.BOARD_RECOMMENDATION})."
        )
    return None


@when("no_recommendation", citations.BOARD_RECOMMENDATION)
def recommendation_open(ctx: Ctx) -> str | None:
    rec = ctx.facts.recommendation
    if rec is None or rec.get("decision") is not None:
        return "No Board recommendation awaits a decision."
    return None


@when("response_already_recorded", citations.BOARD_RECOMMENDATION)
def vendor_may_respond(ctx: Ctx) -> str | None:
    rec = ctx.facts.recommendation
    if rec is None or rec.get("decision") is not None:
        return "No Board recommendation awaits a response."
    if rec.get("response") is not None:
        return "The vendor's response is recorded."
    return None


@when("no_hearing_to_request", citations.RECOMMENDATION_HEARING)
def hearing_may_be_requested(ctx: Ctx) -> str | None:
    rec = ctx.facts.recommendation
    if rec is None or rec.get("decision") is not None:
        return "No recommendation awaits a decision; there is nothing to be heard on."
    if rec.get("hearing") is not None:
        return f"A hearing was already requested on {rec['hearing']['requested_on']}."
    return None


@when("no_hearing_requested", citations.RECOMMENDATION_HEARING)
def hearing_requested(ctx: Ctx) -> str | None:
    rec = ctx.facts.recommendation
    hearing = (rec or {}).get("hearing")
    if rec is None or rec.get("decision") is not None or hearing is None:
        return "No hearing has been requested on an open recommendation."
    if hearing.get("held_at") is not None:
        return "The hearing was held."
    return None


@when("no_final_recommendation_owed", citations.CEI_RECOMMENDATION)
def final_recommendation_owed(ctx: Ctx) -> str | None:
    rec = ctx.facts.recommendation
    hearing = (rec or {}).get("hearing") or {}
    if rec is None or rec.get("decision") is not None or rec.get("body") != "CEI":
        return "No recommendation of the Commission on Equity and Inclusion is open."
    if hearing.get("held_at") is None:
        return (
            "The Commission delivers its recommendation after the hearing, and none has been "
            f"held ({citations.CEI_RECOMMENDATION})."
        )
    if rec.get("final") is not None:
        return "The Commission's recommendation after the hearing is recorded."
    return None


@on_payload("hearing_pending", citations.RECOMMENDATION_HEARING, "decision")
def hearing_done(ctx: Ctx) -> str | None:
    """A hearing requested is held before the officer decides; after the Commission's hearing,
    its recommendation is awaited for the 7 days 5-7(e) gives it."""
    rec = ctx.facts.recommendation or {}
    hearing = rec.get("hearing")
    if hearing is None:
        return None
    cited = _rec_citation(rec)
    if hearing.get("held_at") is None:
        return (
            f"The vendor requested a hearing, to be held by {hearing['due_on']}; decide after "
            f"it ({cited})."
        )
    final_due = hearing.get("final_due_on")
    if rec.get("final") is None and final_due and ctx.today <= date.fromisoformat(final_due):
        return (
            f"The Commission delivers its recommendation within 7 days after the hearing, by "
            f"{final_due}; decide after it or that date ({cited})."
        )
    return None


@on_payload("decision_too_early", citations.BOARD_RECOMMENDATION, "decision")
def vendor_heard_or_time_passed(ctx: Ctx) -> str | None:
    rec = ctx.facts.recommendation or {}
    due = rec.get("response_due_on")
    if rec.get("response") is None and due is not None and ctx.today <= date.fromisoformat(due):
        return (
            f"The vendor has until {due} to respond in writing (15 calendar days); decide after "
            f"the response or that date ({_rec_citation(rec)})."
        )
    return None
