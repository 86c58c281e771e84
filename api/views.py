"""What a procurement looks like to callers: its facts, every deadline by name, the actions
allowed now and its history, computed from the read model and the current time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from state_machines import schedule
from state_machines.authority import offered
from state_machines.guards import tie_resolution
from state_machines.models import Facts, Principal
from state_machines.procurement import ProcurementMachine


def procurement_view(
    row: asyncpg.Record,
    history: list[dict[str, Any]],
    now: datetime,
    ui_url: str | None,
    bids_held: int,
    principal: Principal | None = None,
) -> dict[str, Any]:
    """``bids_held``: the bids the sealed-bid store holds for it now (before the opening,
    the one thing its records may tell of them). ``principal``: whose view it is; its
    ``allowed_actions`` are those the law allows now and the caller may take."""
    snapshot = dict(row["snapshot"])
    snapshot.pop("bids_received", None)  # kept by read models written before the intake
    facts = Facts.model_validate(snapshot)
    machine = ProcurementMachine(facts)
    opened = facts.opened_at is not None
    period = schedule.protest_period(facts, now)
    view: dict[str, Any] = {
        "reference": facts.reference,
        "method": facts.method,
        "chief_procurement_office": facts.office,
        "state": facts.state,
        "agency": facts.notice.agency,
        "title": facts.notice.title,
        "notice": facts.notice.model_dump(mode="json"),
        "bidder_notice": facts.spec.bidder_notice,
        "rules_version": facts.rules_version,
        "published_on": facts.published_on.isoformat() if facts.published_on else None,
        # Sealed until opening: how many bids are held, never who or how much (20-10(d));
        # after it, how many were opened.
        "bids_received": len(facts.ranking) if opened else bids_held,
        "opening": {
            "opened_at": facts.opened_at.isoformat() if facts.opened_at else None,
            "witnesses": facts.witnesses,
            # Prices are shown by the tabulation, to those it shows them to (20-10(d), 20-15(d)).
            "ranking": [r.model_dump(mode="json", exclude={"price"}) for r in facts.ranking],
        }
        if opened
        else None,
        "determinations": [d.model_dump(mode="json") for d in facts.determinations],
        "award": facts.award.model_dump(mode="json") if facts.award else None,
        "bidders_notified_at": facts.bidders_notified_at.isoformat()
        if facts.bidders_notified_at
        else None,
        "protest_period": {
            "starts_on": period.starts_on.isoformat(),
            "ends_on": period.ends_on.isoformat(),
            "closes_at": period.closes_at.isoformat(),
            "tolled_days": period.tolled_days,
            "final": period.final,
        }
        if period
        else None,
        "review_window": {
            "ends_on": (schedule.window_ends_on(facts) or now).isoformat(),
            "waivers": [w.model_dump(mode="json") for w in facts.waivers],
            "open": schedule.window_open(facts, now),
        }
        if facts.award
        else None,
        "document_requests": [r.model_dump(mode="json") for r in facts.document_requests],
        "protests": [p.model_dump(mode="json") for p in facts.protests],
        "executed_at": facts.executed_at.isoformat() if facts.executed_at else None,
        "closed_at": facts.closed_at.isoformat() if facts.closed_at else None,
        "cancellation": facts.cancellation.model_dump(mode="json") if facts.cancellation else None,
        "review_window_exemption": schedule.window_exemption(facts),
        # The office's protest periods as pinned at launch; "provisional" when its own rule is
        # not loaded and those of 44 Ill. Adm. Code 1.5550 stand in for it.
        "protest_rules": schedule.protest_rules(facts).to_dict(),
        "tie": _tie(facts),
        "small_purchase": {
            "limit": facts.small_purchase_limit,
            "citation": facts.small_purchase_limit_citation,
            "split_flag": facts.split_flag,
            "split_determination": facts.split_determination,
        }
        if facts.method == "small_purchase"
        else None,
        "scores": facts.scores or None,
        "best_and_final": facts.bafo,
        "award_due_on": facts.award_due_on.isoformat() if facts.award_due_on else None,
        "award_due_extensions": facts.award_due_extensions or None,
        "hearing": {"held_at": facts.hearing_held_at.isoformat(), "summary": facts.hearing_summary}
        if facts.hearing_held_at
        else None,
        "emergency": {
            "term_ends_on": facts.emergency_term_ends_on.isoformat(),
            "disclosures": facts.disclosures,
            "extensions": facts.emergency_extensions,
        }
        if facts.emergency_term_ends_on
        else None,
        "explanation_filed_with": facts.explanation_filed_with,
        "failed_bid_notices": facts.failed_bid_notices,
        # The other states' preferences pinned at the first advertisement (45-10(a),(b)).
        "reciprocity": facts.reciprocity.model_dump(mode="json") if facts.reciprocity else None,
        "contract_change": (
            facts.spec.contract.model_dump(mode="json")
            | {"contractor": facts.contract_of["contractor"]}
            if facts.spec.contract is not None and facts.contract_of is not None
            else None
        ),
        "board_recommendation": facts.recommendation,
        "deadlines": [d.as_dict(now) for d in schedule.deadlines(facts, now)],
        "next_deadline": _next(facts, now),
        "allowed_actions": [
            a
            for a in machine.allowed_actions(now)
            if principal is None or offered(a, principal, facts)
        ],
        "history": history,
        "as_of": now.isoformat(),
        "updated_at": row["updated_at"].isoformat(),
    }
    if ui_url:
        view["workflow_url"] = f"{ui_url}/namespaces/default/workflows/{facts.reference}"
    return view


def _tie(facts: Facts) -> dict[str, Any] | None:
    """A tie among the best eligible bids and how the rule resolves it, before the award."""
    if facts.award is not None or not facts.ranking or facts.state != "evaluation":
        return None
    tie = tie_resolution(facts)
    if tie is None:
        return None
    return tie.to_dict()


def _next(facts: Facts, now: datetime) -> dict[str, Any] | None:
    upcoming = schedule.next_deadline(facts, now)
    return upcoming.as_dict(now) if upcoming else None


def list_item(row: asyncpg.Record, now: datetime) -> dict[str, Any]:
    """A procurement in a list: what it is, where it stands, the next deadline."""
    overdue_at = row["duty_overdue_at"]
    return {
        "reference": row["reference"],
        "agency": row["agency"],
        "method": row["method"],
        "state": row["state"],
        "title": row["title"],
        "next_deadline": {
            "name": row["next_deadline_name"],
            "due_at": row["next_deadline_at"].isoformat(),
        }
        if row["next_deadline_at"]
        else None,
        # The deadline a supervisor watches: an unmet duty (even past due), else the next.
        "watch": {"name": row["watch_name"], "due_at": row["watch_at"].isoformat()}
        if row["watch_at"]
        else None,
        "overdue": overdue_at is not None and overdue_at <= now,
        "protest_pending": row["protest_pending"],
        "created_at": row["created_at"].isoformat(),
        "updated_at": row["updated_at"].isoformat(),
    }
