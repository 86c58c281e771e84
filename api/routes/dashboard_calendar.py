"""The supervisors' calendar: every deadline of the procurements the caller may read, as a
month or as a two-week agenda, since supervisors plan by the week.

- ``GET /dashboard/calendar``: the page (no data; it signs in like the dashboard and reads:)
- ``GET /v1/dashboard/calendar?view=month|agenda&on=YYYY-MM-DD``: the deadlines that fall
  due on the days shown, each with its procurement, its status now, the days left and the
  section that sets it.

The caller's scope is the dashboard list's (``api.auth.list_scope``): oversight sees every
agency (or one, by ``agency``), buyers and State purchasing officers their own, vendors none.
Weeks run Monday to Sunday. A deadline that is a whole day is placed on that day
(``due_on``); one set for a moment, on the Chicago day of that moment.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from api import dashboard_queries as dq
from api.auth import User, list_scope
from api.dashboard_timeline import date_only, days_left, deadline_name_field, label
from api.errors import RESPONSES, invalid_query
from api.routes.dashboard import METHOD_LABELS, Viewer, page, viewer
from api.routes.procurements import Svc
from db.deadlines import as_deadline, facts_of
from rules.calendar import CHICAGO
from state_machines import schedule
from state_machines.models import METHOD_NAMES, Method

router = APIRouter(tags=["dashboard"])

View = Literal["month", "agenda"]
AGENDA_DAYS = 14
# A month of every agency can hold more deadlines than a page can show; past this many the
# answer says it was cut, and the page asks to narrow it by agency or method.
CALENDAR_LIMIT = 5000
# The days a calendar may show: far enough for any procurement, near enough that a month's
# grid never leaves the years a date can hold.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9998, 12, 31)


class CalendarDeadline(BaseModel):
    reference: str
    title: str
    agency: str
    method: str
    method_label: str
    method_citation: str
    state: str
    name: str = deadline_name_field()
    label: str
    due_at: str
    due_on: str
    date_only: bool = Field(description="A whole day (a period that runs through due_on).")
    status: str = Field(description="upcoming, due, overdue, passed or met, now.")
    days_left: int
    citation: str
    description: str
    provisional: bool
    page_url: str


class CalendarPage(BaseModel):
    view: View
    on: str
    starts_on: str = Field(description="The first day shown (a Monday).")
    ends_on: str = Field(description="The last day shown (a Sunday).")
    today: str
    previous: str = Field(description="``on`` for the month or two weeks before.")
    next: str = Field(description="``on`` for the month or two weeks after.")
    deadlines: list[CalendarDeadline]
    truncated: bool = Field(description="More deadlines fall in these days than are listed.")
    limit: int
    as_of: str
    viewer: Viewer


def span(view: View, on: date) -> tuple[date, date, date, date]:
    """(first day shown, last day shown, ``on`` before, ``on`` after): a month's whole weeks,
    or the week of ``on`` and the next."""
    if view == "agenda":
        first = on - timedelta(days=on.weekday())
        return (
            first,
            first + timedelta(days=AGENDA_DAYS - 1),
            first - timedelta(days=AGENDA_DAYS),
            first + timedelta(days=AGENDA_DAYS),
        )
    start = on.replace(day=1)
    following = (start + timedelta(days=31)).replace(day=1)
    end = following - timedelta(days=1)
    before = (start - timedelta(days=1)).replace(day=1)
    return (
        start - timedelta(days=start.weekday()),
        end + timedelta(days=6 - end.weekday()),
        before,
        following,
    )


def entry(p: Any, d: schedule.Deadline, now: datetime) -> dict[str, Any]:
    method_label, citation = METHOD_LABELS.get(p["method"], (p["method"], ""))
    return {
        "reference": p["reference"],
        "title": p["title"],
        "agency": p["agency"],
        "method": p["method"],
        "method_label": method_label,
        "method_citation": citation,
        "state": p["state"],
        "name": d.name,
        "label": label(d.name),
        "due_at": d.at.astimezone(CHICAGO).isoformat(),
        "due_on": d.due_on.isoformat(),
        "date_only": date_only(d.at),
        "status": d.status(now),
        "days_left": days_left(d.due_on, now),
        "citation": d.citation,
        "description": d.description,
        "provisional": d.provisional,
        "page_url": f"/dashboard/procurements/{p['reference']}",
    }


@router.get(
    "/v1/dashboard/calendar",
    responses=RESPONSES,
    response_model=CalendarPage,
    summary="The calendar of deadlines: a month, or two weeks, of the procurements one may read",
)
async def dashboard_calendar(
    svc: Svc,
    user: User,
    view: View = "month",
    on: Annotated[
        date | None,
        Query(description="A day of the month, or of the first week, to show; today if omitted."),
    ] = None,
    agency: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    method: Method | None = None,
) -> Any:
    """Every deadline of every procurement the caller may read (but cancelled ones) that falls
    due on the days shown, in time order, with its status now and the section that sets it;
    days left count Chicago days from the service's clock."""
    scope = list_scope(user, agency)
    now = await svc.clock.now()
    today = now.astimezone(CHICAGO).date()
    day = on or today
    if not FIRST_DAY <= day <= LAST_DAY:
        raise invalid_query(
            "on", f"A calendar shows days from {FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}."
        )
    first, last, before, after = span(view, day)
    kept, moving = await dq.calendar_deadlines(
        await svc.db(), first, last, scope, method, CALENDAR_LIMIT
    )
    truncated = len(kept) > CALENDAR_LIMIT
    kept = kept[:CALENDAR_LIMIT]
    items = [entry(r, as_deadline(r), now) for r in kept]
    # The periods still tolled move with the days: worked out from the facts, as of now.
    for p in moving:
        for d in schedule.deadlines(facts_of(p["snapshot"]), now):
            if d.name in p["names"] and first <= d.due_on <= last:
                items.append(entry(p, d, now))
    items.sort(
        key=lambda i: (i["due_on"], datetime.fromisoformat(i["due_at"]), i["reference"], i["name"])
    )
    if truncated:
        cut = (kept[-1]["due_on"].isoformat(), kept[-1]["due_at"])
        items = [i for i in items if (i["due_on"], datetime.fromisoformat(i["due_at"])) <= cut]
    return {
        "view": view,
        "on": day.isoformat(),
        "starts_on": first.isoformat(),
        "ends_on": last.isoformat(),
        "today": today.isoformat(),
        "previous": before.isoformat(),
        "next": after.isoformat(),
        "deadlines": items,
        "truncated": truncated,
        "limit": CALENDAR_LIMIT,
        "as_of": now.isoformat(),
        "viewer": viewer(user),
    }


@router.get("/dashboard/calendar", include_in_schema=False)
async def calendar_page() -> HTMLResponse:
    return page("dashboard/calendar.html", methods=METHOD_NAMES)
