"""The procurement state machine (``transitions``): states, triggers, guards with citations.

Pure and deterministic: it reads the clock only from the ``now`` it is given and never does
I/O. The workflow fires triggers and performs the effects each returns (Bulletin notices,
messages to bidders); the API asks it which actions are allowed now. Each guard names the
rule it enforces, so an illegal trigger is refused with that reason and citation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import ValidationError
from transitions import EventData, Machine

from rules import citations
from rules.award import RankedBid, describe_problems, explanation_problems, lowest_eligible
from rules.calendar import CHICAGO, local_date
from rules.notice import HIRING_ENCOURAGEMENT, describe_missing, missing_invitation_items
from rules.periods import document_answer_due, earliest_opening
from state_machines import schedule
from state_machines.models import (
    REVIEW_BODY_NAMES,
    AnswerDocuments,
    AwardCommand,
    AwardRecord,
    BidDetermination,
    BidRecord,
    Cancel,
    CancellationRecord,
    DecideProtest,
    DetermineBid,
    DocumentRequestRecord,
    Empty,
    Facts,
    FileProtest,
    GrantWaiver,
    Model,
    NoticeAmendment,
    OpenBids,
    ProtestRecord,
    RegisterBid,
    RequestDocuments,
    State,
    TransitionRecord,
    WaiverRecord,
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
SYSTEM_ACTOR = "system"


@dataclass(frozen=True)
class Refusal:
    """Why a command may not happen now: a stable code, the rule's citation and the reason."""

    code: str
    citation: str
    reason: str
    field: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "citation": self.citation,
            "reason": self.reason,
            "field": self.field,
        }


class Refused(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.reason)
        self.refusal = refusal


@dataclass
class Ctx:
    """What a guard or an effect may look at: the facts, the time, the command."""

    facts: Facts
    now: datetime
    actor: str
    payload: Any

    @property
    def today(self) -> Any:
        return local_date(self.now)


@dataclass
class Effects:
    """What the workflow must do after a trigger: publish, message, record."""

    summary: str = ""
    notices: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    follow_up: tuple[str, dict[str, Any]] | None = None


@dataclass(frozen=True)
class Guard:
    """A rule a trigger must satisfy. ``test`` returns the reason it is refused, or None.

    ``on_payload`` guards look at the command; the others only at facts and time, so they
    decide whether an action is offered at all.
    """

    code: str
    citation: str
    test: Callable[[Ctx], str | None]
    on_payload: bool = False
    field: str | None = None


GuardTest = Callable[[Ctx], str | None]


def _when(code: str, citation: str, field_name: str | None = None) -> Callable[[GuardTest], Guard]:
    def wrap(test: GuardTest) -> Guard:
        return Guard(code, citation, test, on_payload=False, field=field_name)

    return wrap


def _on_payload(
    code: str, citation: str, field_name: str | None = None
) -> Callable[[GuardTest], Guard]:
    def wrap(test: GuardTest) -> Guard:
        return Guard(code, citation, test, on_payload=True, field=field_name)

    return wrap


# ---- guards --------------------------------------------------------------------------------


def _fmt(moment: datetime) -> str:
    return moment.astimezone(CHICAGO).strftime("%Y-%m-%d %H:%M %Z")


@_when("notice_incomplete", citations.BULLETIN_NOTICE)
def _notice_complete(ctx: Ctx) -> str | None:
    fields = ctx.facts.notice.model_dump()
    fields["offers_due_at"] = fields.pop("opening_at")
    missing = missing_invitation_items(fields)
    return describe_missing(missing) if missing else None


@_when("opening_too_early", citations.PUBLIC_NOTICE_IFB, "opening_at")
def _opening_after_publication_period(ctx: Ctx) -> str | None:
    opening_at = ctx.facts.notice.opening_at
    if opening_at is None:
        return None  # reported by the notice guard
    published_on = ctx.facts.published_on or ctx.today
    first = earliest_opening(published_on, schedule.calendar_rules(ctx.facts))
    if local_date(opening_at) < first:
        return (
            f"The opening date {local_date(opening_at).isoformat()} is earlier than "
            f"{first.isoformat()}: the notice must appear in the Bulletin at least 14 calendar "
            f"days before the opening, counted from publication on {published_on.isoformat()} "
            f"under {citations.COMPUTATION_OF_DAYS} ({citations.PUBLIC_NOTICE_IFB})."
        )
    return None


@_on_payload("amendment_empty", citations.BULLETIN_NOTICE)
def _amendment_not_empty(ctx: Ctx) -> str | None:
    if not ctx.payload.model_dump(exclude_none=True):
        return "An amendment must change at least one field of the notice."
    return None


@_on_payload("amendment_blanks_notice", citations.BULLETIN_NOTICE)
def _amendment_keeps_notice_complete(ctx: Ctx) -> str | None:
    if ctx.facts.state == "draft":
        return None
    amended = _amended_notice(ctx)
    fields = amended.model_dump()
    fields["offers_due_at"] = fields.pop("opening_at")
    missing = missing_invitation_items(fields)
    return describe_missing(missing) if missing else None


@_on_payload("opening_too_early", citations.PUBLIC_NOTICE_IFB, "opening_at")
def _amended_opening_keeps_period(ctx: Ctx) -> str | None:
    new_opening = ctx.payload.opening_at
    if new_opening is None or ctx.facts.published_on is None:
        return None
    if new_opening <= ctx.now:
        return (
            f"The new opening {_fmt(new_opening)} has already passed; bids are opened at the "
            f"time the invitation designates ({citations.BID_OPENING})."
        )
    first = earliest_opening(ctx.facts.published_on, schedule.calendar_rules(ctx.facts))
    if local_date(new_opening) < first:
        return (
            f"The opening date {local_date(new_opening).isoformat()} is earlier than "
            f"{first.isoformat()}, 14 calendar days after publication on "
            f"{ctx.facts.published_on.isoformat()} ({citations.PUBLIC_NOTICE_IFB}; "
            f"{citations.COMPUTATION_OF_DAYS})."
        )
    return None


@_when("opening_passed", citations.BID_OPENING)
def _before_opening(ctx: Ctx) -> str | None:
    opening_at = ctx.facts.notice.opening_at
    if opening_at is not None and ctx.now >= opening_at:
        return (
            f"Bids are accepted only before the opening at {_fmt(opening_at)}; it is now "
            f"{_fmt(ctx.now)} ({citations.BID_OPENING})."
        )
    return None


@_on_payload("duplicate_bid", citations.BID_ACCEPTANCE, "bid_id")
def _bid_is_new(ctx: Ctx) -> str | None:
    if any(b.bid_id == ctx.payload.bid_id for b in ctx.facts.bids):
        return f"Bid {ctx.payload.bid_id} was already received."
    return None


@_when("opening_not_yet", citations.BID_OPENING)
def _at_or_after_opening(ctx: Ctx) -> str | None:
    opening_at = ctx.facts.notice.opening_at
    if opening_at is None or ctx.now < opening_at:
        when = _fmt(opening_at) if opening_at else "(no opening time set)"
        return (
            f"Bids are opened at the time designated in the invitation, {when}, not before "
            f"({citations.BID_OPENING})."
        )
    return None


def _protest_stay(what: str) -> GuardTest:
    def test(ctx: Ctx) -> str | None:
        pending = schedule.pending_protests(ctx.facts)
        if pending:
            return (
                f"A protest filed in time is pending ({', '.join(pending)}); it stays {what} "
                f"until the chief procurement officer decides it "
                f"({schedule.protest_rules(ctx.facts).citation})."
            )
        return None

    return test


_no_pending_protest_opening = _when("protest_pending", citations.PROTESTS)(
    _protest_stay("the opening")
)
_no_pending_protest_award = _when("protest_pending", citations.PROTESTS)(_protest_stay("the award"))
_no_pending_protest_execution = _when("protest_pending", citations.PROTESTS)(
    _protest_stay("execution of the contract")
)


@_on_payload("witness_missing", citations.BID_OPENING, "witnesses")
def _has_witness(ctx: Ctx) -> str | None:
    if not [w for w in ctx.payload.witnesses if w.strip()]:
        return (
            f"Bids are opened in the presence of one or more witnesses ({citations.BID_OPENING})."
        )
    return None


def _ranked(ctx: Ctx, bid_id: str) -> RankedBid | None:
    for bid in _ranked_bids(ctx.facts):
        if bid.bid_id == bid_id:
            return bid
    return None


def _ranked_bids(facts: Facts) -> list[RankedBid]:
    # The latest determination of a bid stands; a bid found eligible again is eligible.
    latest: dict[str, bool] = {}
    for d in facts.determinations:
        latest[d.bid_id] = d.responsive and d.responsible
    ineligible = {b for b, ok in latest.items() if not ok}
    return [
        RankedBid(r.bid_id, r.vendor, r.rank, eligible=r.bid_id not in ineligible)
        for r in facts.ranking
    ]


@_on_payload("unknown_bid", citations.BID_ACCEPTANCE, "bid_id")
def _bid_was_opened(ctx: Ctx) -> str | None:
    if _ranked(ctx, ctx.payload.bid_id) is None:
        return f"Bid {ctx.payload.bid_id} is not among the bids opened."
    return None


@_on_payload("reason_required", citations.BID_ACCEPTANCE, "reason")
def _reason_for_rejection(ctx: Ctx) -> str | None:
    p = ctx.payload
    if not (p.responsive and p.responsible) and not (p.reason or "").strip():
        return (
            "A bid found not responsive or not responsible needs the reason, measured against "
            f"the requirements and criteria set forth in the invitation ({citations.BID_ACCEPTANCE})."
        )
    return None


@_on_payload("bid_not_eligible", citations.AWARD, "bid_id")
def _awardee_eligible(ctx: Ctx) -> str | None:
    bid = _ranked(ctx, ctx.payload.bid_id)
    if bid is not None and not bid.eligible:
        return (
            f"Bid {bid.bid_id} of {bid.vendor} was found not responsive or not responsible; the "
            f"award goes to a responsible and responsive bidder ({citations.AWARD})."
        )
    return None


@_on_payload("explanation_required", citations.AWARD, "explanation")
def _lowest_or_explained(ctx: Ctx) -> str | None:
    bids = _ranked_bids(ctx.facts)
    bid = _ranked(ctx, ctx.payload.bid_id)
    lowest = lowest_eligible(bids)
    if bid is None or bid in lowest:
        return None
    problems = explanation_problems(
        ctx.payload.explanation, bid.vendor, [b.vendor for b in bids if b.eligible]
    )
    return describe_problems(problems) if problems else None


@_when("bidder_notice_automatic", citations.BIDDER_NOTICE)
def _manual_bidder_notice(ctx: Ctx) -> str | None:
    if ctx.facts.spec.bidder_notice == "automatic":
        return (
            "This procurement notifies bidders automatically when the award notice is "
            f"published ({citations.BIDDER_NOTICE})."
        )
    return None


@_when("bidder_notice_recorded", citations.BIDDER_NOTICE)
def _bidders_not_yet_notified(ctx: Ctx) -> str | None:
    if ctx.facts.bidders_notified_at is not None:
        return f"Bidders were notified on {_fmt(ctx.facts.bidders_notified_at)}."
    return None


@_when("review_window_closed", citations.REVIEW_WINDOW)
def _within_review_window(ctx: Ctx) -> str | None:
    expires = schedule.window_expires_at(ctx.facts)
    if expires is None or ctx.now >= expires:
        last = schedule.window_ends_on(ctx.facts)
        return (
            "The Board and the Commission may act within 14 calendar days after the award "
            f"notice appeared in the Bulletin; that period ended on "
            f"{last.isoformat() if last else '(no award notice)'} ({citations.REVIEW_WINDOW})."
        )
    return None


@_on_payload("already_waived", citations.REVIEW_WAIVER, "body")
def _not_yet_waived(ctx: Ctx) -> str | None:
    if any(w.body == ctx.payload.body for w in ctx.facts.waivers):
        return f"The {REVIEW_BODY_NAMES[ctx.payload.body]} has already waived the period."
    return None


@_on_payload("unknown_request", citations.REVIEW_WINDOW, "request_id")
def _open_request(ctx: Ctx) -> str | None:
    for r in ctx.facts.document_requests:
        if r.request_id == ctx.payload.request_id:
            return None if r.answered_at is None else f"Request {r.request_id} was answered."
    return f"No document request {ctx.payload.request_id}."


@_when("review_window_running", citations.REVIEW_WAIVER)
def _window_over_or_waived(ctx: Ctx) -> str | None:
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


@_on_payload("protest_period_closed", citations.PROTESTS, "kind")
def _protest_in_time(ctx: Ctx) -> str | None:
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
                f"The period to protest the solicitation closed at {_fmt(closes)}: 14 days after "
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
            f"The protest was received {_fmt(ctx.now)}, after the period closed at "
            f"{_fmt(period.closes_at)}: 14 days after bidders were notified of the award "
            f"(award notice {period.award_notice_on.isoformat()}, bidders notified {notified}, "
            f"tolled {period.tolled_days} days under {citations.BIDDER_NOTICE}; {office_rule})."
        )
    return None


@_on_payload("unknown_protest", citations.PROTESTS, "protest_id")
def _pending_protest(ctx: Ctx) -> str | None:
    for p in ctx.facts.protests:
        if p.protest_id == ctx.payload.protest_id:
            return None if p.status == "pending" else f"Protest {p.protest_id} was decided."
    return f"No protest {ctx.payload.protest_id}."


@_on_payload("remedy_not_available", citations.PROTESTS, "remedy")
def _remedy_fits_state(ctx: Ctx) -> str | None:
    p, state = ctx.payload, ctx.facts.state
    if p.decision == "denied" and p.remedy != "none":
        return "A denied protest has no remedy; use remedy 'none'."
    if p.remedy == "reevaluate" and state != "review_window":
        return "Re-evaluation rescinds an award not yet executed; there is none to rescind."
    if p.remedy == "cancel" and state not in CANCELLABLE:
        return (
            "The procurement can be cancelled only before the contract is entered into; an "
            "executed contract is voided or terminated under its terms."
        )
    return None


@_when("protest_period_running", citations.PROTESTS)
def _protest_period_over(ctx: Ctx) -> str | None:
    period = schedule.protest_period(ctx.facts, ctx.now)
    if period is None:
        return "No award has been made."
    if not period.final or ctx.now < period.closes_at:
        return (
            f"The award protest period runs until {_fmt(period.closes_at)}"
            f"{' or later (notice to bidders not yet sent)' if not period.final else ''} "
            f"({citations.BIDDER_NOTICE}; {schedule.protest_rules(ctx.facts).citation})."
        )
    return None


_no_pending_protest_close = _when("protest_pending", citations.PROTESTS)(
    _protest_stay("closing the procurement")
)


# ---- effects -------------------------------------------------------------------------------


def _amended_notice(ctx: Ctx) -> Any:
    changes = ctx.payload.model_dump(exclude_none=True)
    return ctx.facts.notice.model_copy(update=changes)


def _invitation(facts: Facts) -> dict[str, Any]:
    n = facts.notice
    return {
        "reference": facts.reference,
        "title": n.title,
        "date_first_offered": facts.published_on.isoformat() if facts.published_on else None,
        "offers_due_at": n.opening_at.isoformat() if n.opening_at else None,
        "submission_location": n.submission_location,
        "agency": n.agency,
        "state_purchasing_officer": n.state_purchasing_officer,
        "description": n.description,
        "method": "Competitive sealed bidding (30 ILCS 500/20-10)",
        "documents_info": n.documents_info,
        "hiring_encouragement": HIRING_ENCOURAGEMENT,
        "citation": citations.BULLETIN_NOTICE,
    }


def _bidders(facts: Facts) -> list[str]:
    return sorted({b.vendor for b in facts.bids})


def _apply_amend(ctx: Ctx) -> Effects:
    facts = ctx.facts
    facts.notice = _amended_notice(ctx)
    changed = sorted(ctx.payload.model_dump(exclude_none=True))
    effects = Effects(summary=f"Notice amended: {', '.join(changed)}.")
    if facts.state == "published":
        content = _invitation(facts) | {"amended_fields": changed}
        effects.notices.append({"kind": "amendment", "content": content})
        effects.messages.append(
            {"kind": "amendment", "recipients": _bidders(facts), "content": content}
        )
    return effects


def _apply_publish(ctx: Ctx) -> Effects:
    facts = ctx.facts
    facts.published_at = ctx.now
    facts.published_on = ctx.today
    return Effects(
        summary=f"Invitation for bids published in the Bulletin on {ctx.today.isoformat()}.",
        notices=[{"kind": "invitation_for_bids", "content": _invitation(facts)}],
    )


def _apply_register_bid(ctx: Ctx) -> Effects:
    p: RegisterBid = ctx.payload
    ctx.facts.bids.append(
        BidRecord(bid_id=p.bid_id, vendor=p.vendor, received_at=ctx.now, digest=p.digest)
    )
    return Effects(summary=f"Sealed bid {p.bid_id} received from {p.vendor}.")


def _apply_open(ctx: Ctx) -> Effects:
    facts = ctx.facts
    facts.opened_at = ctx.now
    facts.witnesses = [w.strip() for w in ctx.payload.witnesses if w.strip()]
    facts.ranking = list(ctx.payload.ranking)
    return Effects(
        summary=(
            f"{len(facts.bids)} bid(s) opened in the presence of {', '.join(facts.witnesses)}; "
            "tabulation recorded."
        )
    )


def _apply_determine(ctx: Ctx) -> Effects:
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


def _apply_award(ctx: Ctx) -> Effects:
    facts, p = ctx.facts, ctx.payload
    bid = _ranked(ctx, p.bid_id)
    assert bid is not None
    lowest = bid in lowest_eligible(_ranked_bids(facts))
    facts.award = AwardRecord(
        bid_id=bid.bid_id,
        vendor=bid.vendor,
        lowest=lowest,
        decided_at=ctx.now,
        notice_on=ctx.today,
        explanation=None if lowest else p.explanation,
    )
    content = _invitation(facts) | {
        "awardee": bid.vendor,
        "bid_id": bid.bid_id,
        "unsuccessful_bidders": len(facts.ranking) - 1,
        "lowest": lowest,
        "citation": citations.AWARD_NOTICE,
    }
    if not lowest and p.explanation is not None:
        content["written_explanation"] = p.explanation.model_dump(mode="json")
        content["written_explanation_citation"] = citations.AWARD
    effects = Effects(
        summary=f"Notice of Intent to Award to {bid.vendor} published in the Bulletin.",
        notices=[{"kind": "notice_of_intent_to_award", "content": content}],
    )
    if facts.spec.bidder_notice == "automatic":
        facts.bidders_notified_at = ctx.now
        effects.messages.append(
            {"kind": "award_notice", "recipients": _bidders(facts), "content": content}
        )
    return effects


def _apply_bidder_notice(ctx: Ctx) -> Effects:
    ctx.facts.bidders_notified_at = ctx.now
    return Effects(summary="Agency recorded the electronic notice of award to every bidder.")


def _apply_request_documents(ctx: Ctx) -> Effects:
    p: RequestDocuments = ctx.payload
    facts = ctx.facts
    request_id = f"DR-{len(facts.document_requests) + 1}"
    due = document_answer_due(ctx.today, schedule.calendar_rules(facts))
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


def _apply_answer_documents(ctx: Ctx) -> Effects:
    p: AnswerDocuments = ctx.payload
    for r in ctx.facts.document_requests:
        if r.request_id == p.request_id:
            r.answered_at = ctx.now
            r.answer = p.summary
    return Effects(summary=f"Documents provided for request {p.request_id}.")


def _apply_waiver(ctx: Ctx) -> Effects:
    p: GrantWaiver = ctx.payload
    ctx.facts.waivers.append(WaiverRecord(body=p.body, actor=ctx.actor, granted_at=ctx.now))
    both = schedule.waived_by_both(ctx.facts)
    return Effects(
        summary=f"{REVIEW_BODY_NAMES[p.body]} waived the review period in writing"
        + ("; both have waived, so the period has ended." if both else ".")
    )


def _apply_execute(ctx: Ctx) -> Effects:
    ctx.facts.executed_at = ctx.now
    return Effects(summary=f"Contract entered into with {ctx.facts.award.vendor}.")  # type: ignore[union-attr]


def _apply_protest(ctx: Ctx) -> Effects:
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


def _apply_decide_protest(ctx: Ctx) -> Effects:
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


def _apply_rescind(ctx: Ctx) -> Effects:
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
        messages=[{"kind": "award_rescinded", "recipients": _bidders(facts), "content": content}],
    )


def _apply_close(ctx: Ctx) -> Effects:
    ctx.facts.closed_at = ctx.now
    return Effects(summary="Protest period ended with no protest pending; procurement closed.")


def _apply_cancel(ctx: Ctx) -> Effects:
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
            {"kind": "cancellation", "recipients": _bidders(facts), "content": content}
        )
    return effects


# ---- the table -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Trigger:
    name: str
    sources: tuple[State, ...]
    dest: State | None
    payload: type[Model]
    citation: str
    apply: Callable[[Ctx], Effects]
    guards: tuple[Guard, ...] = ()
    # "caller": a command; "clock": fired by the workflow when its guards pass with time;
    # "decision": fired only as the follow-up of another trigger (a protest decision).
    fired_by: Literal["caller", "clock", "decision"] = "caller"


CANCELLABLE: tuple[State, ...] = ("draft", "published", "evaluation", "review_window")

TRIGGERS: dict[str, Trigger] = {
    t.name: t
    for t in (
        Trigger(
            "amend",
            ("draft", "published"),
            None,
            NoticeAmendment,
            citations.BULLETIN_NOTICE,
            _apply_amend,
            (
                _amendment_not_empty,
                _amendment_keeps_notice_complete,
                _amended_opening_keeps_period,
            ),
        ),
        Trigger(
            "publish",
            ("draft",),
            "published",
            Empty,
            citations.BULLETIN_NOTICE,
            _apply_publish,
            (_notice_complete, _opening_after_publication_period),
        ),
        Trigger(
            "register_bid",
            ("published",),
            None,
            RegisterBid,
            citations.BID_OPENING,
            _apply_register_bid,
            (_before_opening, _bid_is_new),
        ),
        Trigger(
            "open_bids",
            ("published",),
            "evaluation",
            OpenBids,
            citations.BID_OPENING,
            _apply_open,
            (_at_or_after_opening, _no_pending_protest_opening, _has_witness),
        ),
        Trigger(
            "determine_bid",
            ("evaluation",),
            None,
            DetermineBid,
            citations.BID_ACCEPTANCE,
            _apply_determine,
            (_bid_was_opened, _reason_for_rejection),
        ),
        Trigger(
            "award",
            ("evaluation",),
            "review_window",
            AwardCommand,
            citations.AWARD,
            _apply_award,
            (_no_pending_protest_award, _bid_was_opened, _awardee_eligible, _lowest_or_explained),
        ),
        Trigger(
            "record_bidder_notice",
            ("review_window", "awarded"),
            None,
            Empty,
            citations.BIDDER_NOTICE,
            _apply_bidder_notice,
            (_manual_bidder_notice, _bidders_not_yet_notified),
        ),
        Trigger(
            "request_documents",
            ("review_window", "awarded"),
            None,
            RequestDocuments,
            citations.REVIEW_WINDOW,
            _apply_request_documents,
            (_within_review_window,),
        ),
        Trigger(
            "answer_documents",
            ("review_window", "awarded"),
            None,
            AnswerDocuments,
            citations.REVIEW_WINDOW,
            _apply_answer_documents,
            (_open_request,),
        ),
        Trigger(
            "grant_waiver",
            ("review_window",),
            None,
            GrantWaiver,
            citations.REVIEW_WAIVER,
            _apply_waiver,
            (_within_review_window, _not_yet_waived),
        ),
        Trigger(
            "execute",
            ("review_window",),
            "awarded",
            Empty,
            citations.REVIEW_WAIVER,
            _apply_execute,
            (_window_over_or_waived, _no_pending_protest_execution),
        ),
        Trigger(
            "file_protest",
            ("published", "review_window", "awarded"),
            None,
            FileProtest,
            citations.PROTESTS,
            _apply_protest,
            (_protest_in_time,),
        ),
        Trigger(
            "decide_protest",
            ("published", "evaluation", "review_window", "awarded"),
            None,
            DecideProtest,
            citations.PROTESTS,
            _apply_decide_protest,
            (_pending_protest, _remedy_fits_state),
        ),
        Trigger(
            "rescind_award",
            ("review_window",),
            "evaluation",
            Empty,
            citations.PROTESTS,
            _apply_rescind,
            fired_by="decision",
        ),
        Trigger(
            "close",
            ("awarded",),
            "closed",
            Empty,
            citations.PROTESTS,
            _apply_close,
            (_protest_period_over, _no_pending_protest_close),
            fired_by="clock",
        ),
        Trigger(
            "cancel",
            CANCELLABLE,
            "cancelled",
            Cancel,
            citations.SOURCE_SELECTION,
            _apply_cancel,
        ),
    )
}

# Commands a caller may send; the rest are fired by the workflow on its own.
COMMANDS: tuple[str, ...] = tuple(n for n, t in TRIGGERS.items() if t.fired_by == "caller")


class ProcurementMachine:
    """Wraps a procurement's :class:`Facts` in a ``transitions`` machine.

    ``check`` says why a trigger would be refused; ``fire`` applies it (or raises
    :class:`Refused`) and returns the effects; ``allowed_actions`` lists what may be done now.
    """

    state: str

    def __init__(self, facts: Facts) -> None:
        self.facts = facts
        self._effects: Effects | None = None
        self.machine = Machine(
            model=self,
            states=list(STATES),
            initial=facts.state,
            transitions=[
                {
                    "trigger": t.name,
                    "source": list(t.sources),
                    "dest": t.dest,
                    "conditions": "_guards_pass",
                    "before": "_apply",
                }
                for t in TRIGGERS.values()
            ],
            auto_transitions=False,
            send_event=True,
        )

    # transitions callbacks -------------------------------------------------------------
    def _guards_pass(self, event: EventData) -> bool:
        ctx: Ctx = event.kwargs["ctx"]
        return self._first_failing(TRIGGERS[event.event.name], ctx, with_payload=True) is None

    def _apply(self, event: EventData) -> None:
        ctx: Ctx = event.kwargs["ctx"]
        self._effects = TRIGGERS[event.event.name].apply(ctx)

    # public ------------------------------------------------------------------------------
    @staticmethod
    def parse(trigger: str, payload: dict[str, Any]) -> Model:
        spec = TRIGGERS.get(trigger)
        if spec is None:
            raise Refused(
                Refusal(
                    "unknown_command",
                    citations.STATE_ORDER,
                    f"'{trigger}' is not a command of this procurement.",
                )
            )
        try:
            return spec.payload.model_validate(payload)
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = ".".join(str(p) for p in first["loc"]) or None
            raise Refused(
                Refusal("invalid_payload", citations.STATE_ORDER, f"{loc}: {first['msg']}", loc)
            ) from exc

    def check(
        self, trigger: str, payload: Model | None, actor: str, now: datetime
    ) -> Refusal | None:
        spec = TRIGGERS.get(trigger)
        if spec is None:
            return Refusal(
                "unknown_command",
                citations.STATE_ORDER,
                f"'{trigger}' is not a command of this procurement.",
            )
        if self.facts.state not in spec.sources:
            allowed = ", ".join(spec.sources)
            return Refusal(
                "illegal_transition",
                spec.citation,
                f"'{trigger}' is not allowed while the procurement is '{self.facts.state}'; "
                f"it is allowed only in: {allowed}. The Code's steps run in order "
                f"({spec.citation}).",
            )
        ctx = Ctx(self.facts, now, actor, payload)
        return self._first_failing(spec, ctx, with_payload=payload is not None)

    def fire(self, trigger: str, payload: Model, actor: str, now: datetime) -> list[Effects]:
        """Apply a trigger and any follow-up it causes; returns the effects of each."""
        refusal = self.check(trigger, payload, actor, now)
        if refusal is not None:
            raise Refused(refusal)
        spec = TRIGGERS[trigger]
        before = self.facts.state
        ctx = Ctx(self.facts, now, actor, payload)
        self._effects = None
        if not getattr(self, trigger)(ctx=ctx):
            raise Refused(Refusal("refused", spec.citation, f"'{trigger}' was refused."))
        effects = self._effects or Effects()
        self.facts.state = self.state  # type: ignore[assignment]
        self.facts.seq += 1
        self.facts.history.append(
            TransitionRecord(
                seq=self.facts.seq,
                trigger=trigger,
                from_state=before,
                to_state=self.facts.state,
                actor=actor,
                at=now,
                citation=spec.citation,
                summary=effects.summary,
            )
        )
        out = [effects]
        if effects.follow_up is not None:
            name, data = effects.follow_up
            out.extend(self.fire(name, TRIGGERS[name].payload.model_validate(data), actor, now))
        return out

    def record_launch(self, actor: str, now: datetime) -> None:
        """The first line of the history: who launched the procurement, under which method."""
        self.facts.seq += 1
        self.facts.history.append(
            TransitionRecord(
                seq=self.facts.seq,
                trigger="launch",
                from_state="draft",
                to_state="draft",
                actor=actor,
                at=now,
                citation=citations.SOURCE_SELECTION,
                summary=f"Launched as a draft; method: competitive sealed bidding "
                f"({citations.STATE_ORDER}).",
            )
        )

    def allowed_actions(self, now: datetime) -> list[str]:
        """Commands whose state and time guards pass now (a payload may still be refused)."""
        out = []
        for name in COMMANDS:
            if self.check(name, None, "", now) is None:
                out.append(name)
        return out

    def due_automatic(self, now: datetime) -> list[str]:
        """Automatic triggers whose every guard passes now."""
        return [
            name
            for name, spec in TRIGGERS.items()
            if spec.fired_by == "clock" and self.check(name, Empty(), SYSTEM_ACTOR, now) is None
        ]

    @staticmethod
    def _first_failing(spec: Trigger, ctx: Ctx, *, with_payload: bool) -> Refusal | None:
        for guard in spec.guards:
            if guard.on_payload and not with_payload:
                continue
            reason = guard.test(ctx)
            if reason is not None:
                return Refusal(guard.code, guard.citation, reason, guard.field)
        return None
