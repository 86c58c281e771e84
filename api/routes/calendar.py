"""/v1/calendar: the statutory day count of 30 ILCS 500/15-45."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from api.errors import RESPONSES, invalid_query
from rules.calendar import explain_deadline

router = APIRouter(prefix="/v1/calendar", tags=["calendar"], responses=RESPONSES)


@router.get("/deadline", summary="A deadline counted under 30 ILCS 500/15-45")
async def deadline(
    request: Request,
    start: Annotated[date, Query(description="The day the period starts (excluded).")],
    days: Annotated[int, Query(ge=0, le=3650, description="How many days the act allows.")],
) -> Any:
    """Excludes the first day and includes the last; a last day on a Saturday, Sunday or
    holiday is excluded, and so is each such day that follows."""
    rules = request.app.state.services.settings.calendar_rules()
    try:
        explained = explain_deadline(start, days, rules)
    except OverflowError:
        raise invalid_query(
            "start", f"{start.isoformat()} plus {days} days is past the last date there is"
        ) from None
    return {
        "start": start.isoformat(),
        "days": days,
        "deadline": explained.deadline.isoformat(),
        "skipped": [{"day": d.isoformat(), "reason": r} for d, r in explained.skipped],
        "citation": "30 ILCS 500/15-45",
    }
