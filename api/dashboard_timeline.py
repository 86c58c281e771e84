"""What the dashboard calls each deadline and step, which deadlines are whole days, and one
procurement's timeline: every step it took (from its audit trail) with its statutory dates.

A deadline "by" a day (a review window, documents due, a filing) is kept as the first
instant after that day in Chicago, and a "not before" day as the first instant of it; both
are days, not moments, and are shown as the day the API gives (``due_on``), never as the
midnight they are stored at. An opening or a protest period's close at 17:00 is a moment.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from pydantic import Field

from rules.calendar import CHICAGO

# What a deadline is called on the page; numbered and keyed deadlines keep their suffix.
DEADLINE_LABELS: dict[str, str] = {
    "earliest_opening": "Earliest opening",
    "earliest_hearing": "Earliest hearing",
    "solicitation_protest_closes": "Solicitation protests close",
    "bid_opening": "Bid opening",
    "technical_offer_opening": "Technical offers due and opened",
    "proposal_opening": "Proposal opening",
    "auction_ends": "Auction ends",
    "hearing": "Sole source hearing",
    "best_and_final_due": "Best and final offers due",
    "award_due": "Award due",
    "board_recommendation_response": "Vendor's response to the recommendation",
    "recommendation_hearing_due": "Hearing on the recommendation due",
    "cei_recommendation_after_hearing_due": "Commission's recommendation after its hearing",
    "failed_bid_notice_due": "Failed bid notice due",
    "renewal_notice_due": "Renewal notice due in the Bulletin",
    "emergency_disclosure_due": "Emergency disclosure due",
    "emergency_term_ends": "Emergency contract ends",
    "review_window_ends": "Board review window ends",
    "documents_due": "Documents due to the review body",
    "written_explanation_filing": "Written explanation filing",
    "bidder_notice_tolling_ends": "Bidder notice tolling ends",
    "award_protest_closes": "Award protests close",
}


def deadline_name_field() -> Any:
    """The OpenAPI field of a deadline's name: every name the schedule gives, listed."""
    names = ", ".join(f"`{n}`" for n in DEADLINE_LABELS)
    return Field(
        description=f"The deadline (state_machines/schedule.py): one of {names}; a numbered "
        "or keyed one ends in its number or key, as `documents_due:DR-1` or "
        "`failed_bid_notice_due:1`."
    )


# What each step of the workflow is called on the page (the trigger stays beside it).
STEP_LABELS: dict[str, str] = {
    "launch": "Launched",
    "amend": "Notice amended",
    "publish": "Notice published in the Bulletin",
    "register_bid": "Offer received",
    "withdraw_bid": "Offer withdrawn",
    "proceed_despite_protest": "Proceeding despite a protest",
    "open_bids": "Offers opened",
    "determine_bid": "Bid determined",
    "score_proposals": "Proposals scored",
    "request_best_and_final": "Best and final offers requested",
    "extend_award_date": "Award date extended",
    "hold_hearing": "Hearing held",
    "determine_split": "Divided need determined",
    "award": "Awarded",
    "record_bidder_notice": "Bidders notified",
    "request_documents": "Documents requested",
    "answer_documents": "Documents provided",
    "grant_waiver": "Review window waived",
    "board_recommendation": "Recommendation made",
    "request_review_hearing": "Hearing on the recommendation requested",
    "hold_review_hearing": "Hearing on the recommendation held",
    "final_recommendation": "Recommendation after the hearing",
    "deliver_failed_bid_notice": "Failed bid notice delivered",
    "vendor_response": "Vendor responded",
    "decide_recommendation": "Recommendation decided",
    "record_explanation_filing": "Written explanation filed",
    "execute": "Contract executed",
    "publish_disclosure": "Emergency disclosure published",
    "extend_emergency": "Emergency extended",
    "file_protest": "Protest filed",
    "decide_protest": "Protest decided",
    "rescind_award": "Award rescinded",
    "void_contract": "Contract voided",
    "close": "Closed",
    "cancel": "Cancelled",
}


def label(name: str) -> str:
    base, _, suffix = name.partition(":")
    text = DEADLINE_LABELS.get(base, base.replace("_", " ").capitalize())
    return f"{text} ({suffix})" if suffix else text


def step_label(trigger: str) -> str:
    return STEP_LABELS.get(trigger, trigger.replace("_", " ").capitalize())


def date_only(at: datetime) -> bool:
    """A deadline stored at midnight in Chicago is a day (see the module's docstring)."""
    return at.astimezone(CHICAGO).time() == time(0)


def due_on(at: datetime) -> date:
    """The day a deadline falls due, from its instant alone: a period that ends with a day
    is stored as the first instant after it (midnight in Chicago), which belongs to that day."""
    local = at.astimezone(CHICAGO)
    if date_only(at):
        return local.date() - timedelta(days=1)
    return local.date()


def days_left(day: date, now: datetime) -> int:
    return (day - now.astimezone(CHICAGO).date()).days


def deadline_item(d: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A deadline as the API gives it (``due_at``, ``due_on``), with what the page shows."""
    at = datetime.fromisoformat(d["due_at"])
    return {
        **d,
        "kind": "deadline",
        "label": label(d["name"]),
        "at": d["due_at"],
        "on": d["due_on"],
        "date_only": date_only(at),
        "days_left": days_left(date.fromisoformat(d["due_on"]), now),
    }


def step_item(s: dict[str, Any]) -> dict[str, Any]:
    """A step of the audit trail: what was done, when, by whom, under which rule."""
    at = datetime.fromisoformat(s["at"])
    return {
        "kind": "step",
        "name": s["trigger"],
        "label": step_label(s["trigger"]),
        "at": s["at"],
        "on": at.astimezone(CHICAGO).date().isoformat(),
        "date_only": False,
        "status": "done",
        "citation": s["citation"],
        "description": s["summary"],
        "actor": s["actor"],
        "role": s["role"],
        "from_state": s["from_state"],
        "to_state": s["to_state"],
        "seq": s["seq"],
    }


def timeline(view: dict[str, Any], now: datetime) -> dict[str, list[dict[str, Any]]]:
    """Past: every step taken and every date that has run or was met; current: what is due or
    overdue now and the next deadline; coming: everything after it. Each group in time order;
    a date and a step at the same instant, the date first (the step follows from it)."""
    following = (view.get("next_deadline") or {}).get("name")
    groups: dict[str, list[dict[str, Any]]] = {"past": [], "current": [], "coming": []}
    for d in view["deadlines"]:
        item = deadline_item(d, now)
        if d["status"] in ("due", "overdue") or d["name"] == following:
            groups["current"].append(item)
        elif datetime.fromisoformat(d["due_at"]) <= now:
            groups["past"].append(item)
        else:
            groups["coming"].append(item)
    groups["past"] += [step_item(s) for s in view["history"]]
    for items in groups.values():
        items.sort(
            key=lambda i: (datetime.fromisoformat(i["at"]), i["kind"] == "step", i.get("seq", 0))
        )
    return groups
