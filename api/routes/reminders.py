"""/v1/reminders: the reminders each procurement's duties call for, scheduled and sent."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request

from api import queries
from api.auth import User, forbidden
from api.errors import RESPONSES, not_found
from state_machines import schedule
from state_machines.authority import AGENCY_ROLES, OVERSIGHT_ROLES, may_read
from state_machines.models import REFERENCE_PATTERN, Facts

router = APIRouter(prefix="/v1/reminders", tags=["reminders"], responses=RESPONSES)


@router.get("", summary="Reminders scheduled and sent")
async def reminders(
    request: Request,
    user: User,
    reference: Annotated[str | None, Query(pattern=REFERENCE_PATTERN)] = None,
    status: Literal["scheduled", "sent", "all"] = "all",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Any:
    """Scheduled reminders come from each procurement's deadlines and reminder offsets; sent
    ones from the outbox, with their delivery state. Buyers and SPOs see their agency's;
    supervisors, the Board and the Commission see all."""
    services = request.app.state.services
    pool = await services.db()
    now = await services.clock.now()
    if reference is not None:
        row = await queries.procurement_row(pool, reference)
        if row is None:
            raise not_found(reference)
        if not may_read(user, row["agency"]):
            raise forbidden(f"{user.name} may not read {row['agency']}'s reminders.")
        rows = [row]
    elif user.role in OVERSIGHT_ROLES or user.role in AGENCY_ROLES:
        agency = user.agency if user.role in AGENCY_ROLES else None
        rows = await queries.open_procurements(pool, agency, limit)
    else:
        raise forbidden("Reminders go to agencies; vendors read their notices.")
    items: list[dict[str, Any]] = []
    for row in rows:
        snapshot = dict(row["snapshot"])
        snapshot.pop("bids_received", None)
        facts = Facts.model_validate(snapshot)
        sent_keys = set(facts.reminders_sent)
        if status in ("scheduled", "all"):
            for r in schedule.reminder_schedule(facts, now):
                if r.key in sent_keys:
                    continue
                items.append(
                    {
                        "reference": facts.reference,
                        "deadline": r.deadline.name,
                        "due_at": r.deadline.at.isoformat(),
                        "offset": r.offset,
                        "at": r.at.isoformat(),
                        "status": "scheduled",
                        "citation": r.deadline.citation,
                    }
                )
        if status in ("sent", "all"):
            for m in await queries.reminders_sent(pool, facts.reference):
                items.append(m | {"status": "sent"})
    items.sort(key=lambda i: (i["at"], i["reference"], i["deadline"]))
    return {"as_of": now.isoformat(), "reminders": items[:limit]}
