"""The supervisors' dashboard: a web page, and the JSON and event stream it reads.

- ``GET /dashboard`` and ``GET /dashboard/procurements/{reference}``: the pages. They hold no
  data; the browser signs in with the caller's token (kept for the tab only) and reads:
- ``GET /v1/dashboard/procurements``: every procurement the caller may read, filtered,
  sorted and keyset-paged, with its agency, method, state, the deadline to watch and the days
  left, and the counts per state under the same filters.
- ``GET /v1/dashboard/procurements/{reference}``: one procurement's timeline (past, current,
  coming) of every step it took and every statutory date, its history, its open items and
  its workflow.
- ``GET /v1/dashboard/events``: server-sent events, one each time the read model changes.

The calendar of deadlines is ``api.routes.dashboard_calendar``; labels and the timeline are
``api.dashboard_timeline``.

Oversight (the chief procurement officer, the Procurement Policy Board, the Commission on
Equity and Inclusion) sees every agency; agency buyers and State purchasing officers their
own agency; vendors are refused with the reason.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path as FilePath
from typing import Annotated, Any, get_args

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import FileResponse, HTMLResponse, StreamingResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel

from api import commands
from api import dashboard_queries as dq
from api.auth import User, list_scope
from api.dashboard_timeline import (
    date_only,
    days_left,
    deadline_name_field,
    due_on,
    label,
    step_label,
    timeline,
)
from api.errors import RESPONSES, ApiError
from api.list_query import ListQuery, list_query
from api.routes.procurements import Reference, Svc
from rules.calendar import CHICAGO
from state_machines.authority import OVERSIGHT_ROLES
from state_machines.models import (
    METHOD_NAMES,
    REFERENCE_PATTERN,
    ROLE_NAMES,
    Principal,
    State,
)

router = APIRouter(tags=["dashboard"])

HERE = FilePath(__file__).resolve().parent.parent
TEMPLATES = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
STATIC = HERE / "static"
ASSETS = {"dashboard.js": "text/javascript", "dashboard.css": "text/css"}

# How often the event stream looks at the read model, and how long it stays quiet at most.
POLL_SECONDS = 2.0
KEEPALIVE_SECONDS = 15.0

FILINGS = ("written_explanation_filing", "emergency_disclosure_due:", "documents_due:")
# What the list calls each method, with the section that governs it.
METHOD_LABELS: dict[str, tuple[str, str]] = {
    "competitive_sealed_bidding": ("Sealed bidding", "30 ILCS 500/20-10"),
    "multi_step_sealed_bidding": ("Multi-step sealed bidding", "30 ILCS 500/20-10(h)"),
    "competitive_sealed_proposals": ("Sealed proposals", "30 ILCS 500/20-15"),
    "reverse_auction": ("Reverse auction", "30 ILCS 500/20-10(j)"),
    "small_purchase": ("Small purchase", "30 ILCS 500/20-20"),
    "sole_source": ("Sole source", "30 ILCS 500/20-25"),
    "emergency": ("Emergency purchase", "30 ILCS 500/20-30"),
}

# The page runs only its own script and style, talks only to this service, and is never framed.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


# ---- who may look ---------------------------------------------------------------------------


def viewer(user: Principal) -> dict[str, Any]:
    return {
        "name": user.name,
        "role": user.role,
        "role_name": ROLE_NAMES[user.role],
        "agency": user.agency,
        "sees_every_agency": user.role in OVERSIGHT_ROLES,
    }


# ---- the list -------------------------------------------------------------------------------


class Viewer(BaseModel):
    name: str
    role: str
    role_name: str
    agency: str | None
    sees_every_agency: bool


class Watch(BaseModel):
    name: str = deadline_name_field()
    label: str
    due_at: str
    due_on: str
    # A day, not a moment (a period that runs through ``due_on``): shown as that day.
    date_only: bool
    days_left: int
    status: str


class LastStep(BaseModel):
    name: str
    label: str
    at: str


class Row(BaseModel):
    reference: str
    title: str
    agency: str
    method: str
    method_name: str
    method_label: str
    method_citation: str
    state: str
    next_deadline: Watch | None
    overdue: bool
    protest_pending: bool
    updated_at: str
    last_step: LastStep | None
    page_url: str


class ListPage(BaseModel):
    items: list[Row]
    next_cursor: str | None
    counts: dict[str, int]
    total: int
    as_of: str
    viewer: Viewer


def row_view(r: Any, now: datetime, last: Any = None) -> dict[str, Any]:
    watch = None
    at: datetime | None = r["watch_at"]
    if at is not None:
        duty_at, overdue_at = r["duty_due_at"], r["duty_overdue_at"]
        if duty_at is not None and at == duty_at:
            status = "overdue" if now >= overdue_at else ("due" if now >= duty_at else "upcoming")
        else:
            status = "upcoming" if at > now else "passed"
        day = due_on(at)
        watch = {
            "name": r["watch_name"],
            "label": label(r["watch_name"]),
            "due_at": at.astimezone(CHICAGO).isoformat(),
            "due_on": day.isoformat(),
            "date_only": date_only(at),
            "days_left": days_left(day, now),
            "status": status,
        }
    overdue_at = r["duty_overdue_at"]
    method_label, citation = METHOD_LABELS.get(r["method"], (r["method"], ""))
    return {
        "reference": r["reference"],
        "title": r["title"],
        "agency": r["agency"],
        "method": r["method"],
        "method_name": METHOD_NAMES.get(r["method"], r["method"]),
        "method_label": method_label,
        "method_citation": citation,
        "state": r["state"],
        "next_deadline": watch,
        "overdue": overdue_at is not None and overdue_at <= now,
        "protest_pending": r["protest_pending"],
        "updated_at": r["updated_at"].isoformat(),
        "last_step": {
            "name": last["command"],
            "label": step_label(last["command"]),
            "at": last["at"].isoformat(),
        }
        if last is not None
        else None,
        "page_url": f"/dashboard/procurements/{r['reference']}",
    }


@router.get(
    "/v1/dashboard/procurements",
    responses=RESPONSES,
    response_model=ListPage,
    summary="The dashboard's list: filtered, sorted, paged, with counts per state",
)
async def dashboard_list(
    svc: Svc,
    user: User,
    q: Annotated[ListQuery, Depends(list_query("next_deadline", 200))],
) -> Any:
    """Oversight roles see every agency; buyers and SPOs their own. The counts per state are
    taken under the same filters except the state. Days left are counted in Chicago days
    from the service's clock. Each row names its last step and when it was taken."""
    now = await svc.clock.now()
    pool = await svc.db()
    (rows, following), counts = await asyncio.gather(
        dq.list_page(
            pool, q.filters, now, sort=q.sort, order=q.order, limit=q.limit, cursor=q.cursor
        ),
        dq.state_counts(pool, q.filters, now),
    )
    last = await dq.last_steps(pool, [r["reference"] for r in rows])
    return {
        "items": [row_view(r, now, last.get(r["reference"])) for r in rows],
        "next_cursor": following.encode() if following else None,
        "counts": counts,
        "total": counts.get(q.filters.state, 0) if q.filters.state else sum(counts.values()),
        "as_of": now.isoformat(),
        "viewer": viewer(user),
    }


@router.get(
    "/v1/dashboard/agencies",
    responses=RESPONSES,
    summary="The agencies the caller may filter the dashboard by",
)
async def dashboard_agencies(svc: Svc, user: User) -> Any:
    own = list_scope(user, None)
    if own is not None:
        return {"agencies": [own]}
    return {"agencies": await dq.agencies(await svc.db())}


# ---- one procurement ------------------------------------------------------------------------


def open_items(view: dict[str, Any], now: datetime) -> dict[str, list[dict[str, Any]]]:
    statuses = {d["name"]: d for d in view["deadlines"]}
    requests = []
    for r in view["document_requests"]:
        if r.get("answered_at") is None:
            d = statuses.get(f"documents_due:{r['request_id']}")
            requests.append(
                {
                    **r,
                    "status": d["status"] if d else "upcoming",
                    "days_left": days_left(date.fromisoformat(r["due_on"]), now),
                }
            )
    filings = [
        {
            **d,
            "label": label(d["name"]),
            "days_left": days_left(date.fromisoformat(d["due_on"]), now),
        }
        for d in view["deadlines"]
        if d["name"].startswith(FILINGS) and d["status"] != "met"
    ]
    return {
        "document_requests": requests,
        "protests": [p for p in view["protests"] if p["status"] == "pending"],
        "filings_due": filings,
    }


@router.get(
    "/v1/dashboard/procurements/{reference}",
    responses=RESPONSES,
    summary="One procurement: its timeline of steps and statutory dates, open items, workflow",
)
async def dashboard_procurement(reference: Reference, svc: Svc, user: User) -> Any:
    """The timeline holds every step the audit trail records (launch, publication, opening,
    award, execution, close...) and every statutory date; a date that is a whole day has
    ``date_only`` and is shown as its ``due_on``. ``workflow_url`` is present only where a
    Temporal Web UI serves the workflow."""
    list_scope(user, None)
    view = await commands.view(svc, reference, user)
    now = datetime.fromisoformat(view["as_of"])
    following = view.get("next_deadline")
    if following:
        following = {
            **following,
            "label": label(following["name"]),
            "date_only": date_only(datetime.fromisoformat(following["due_at"])),
            "days_left": days_left(date.fromisoformat(following["due_on"]), now),
        }
    return {
        "reference": view["reference"],
        "title": view["title"],
        "agency": view["agency"],
        "method": view["method"],
        "method_name": METHOD_NAMES.get(view["method"], view["method"]),
        "chief_procurement_office": view["chief_procurement_office"],
        "state": view["state"],
        "published_on": view["published_on"],
        "bids_received": view["bids_received"],
        "next_deadline": following,
        "timeline": timeline(view, now),
        "open_items": open_items(view, now),
        "history": view["history"],
        "allowed_actions": view["allowed_actions"],
        "workflow_url": view.get("workflow_url"),
        "record_url": f"/v1/procurements/{view['reference']}",
        "as_of": view["as_of"],
        "updated_at": view["updated_at"],
        "viewer": viewer(user),
    }


# ---- live updates ---------------------------------------------------------------------------


def sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n"


@router.get(
    "/v1/dashboard/events",
    include_in_schema=False,
    summary="Server-sent events: one each time the read model changes",
)
async def dashboard_events(request: Request, svc: Svc, user: User) -> StreamingResponse:
    agency = list_scope(user, None)
    pool = await svc.db()

    async def stream() -> AsyncIterator[str]:
        yield "retry: 5000\n\n"
        last: tuple[Any, ...] | None = None
        quiet = 0.0
        while not await request.is_disconnected():
            now = await svc.clock.now()
            # The day is part of what changes: days left move at midnight in Chicago.
            current = (now.astimezone(CHICAGO).date(), *await dq.fingerprint(pool, agency))
            if current != last:
                yield sse("change" if last is not None else "ready", {"as_of": now.isoformat()})
                last, quiet = current, 0.0
            elif quiet >= KEEPALIVE_SECONDS:
                yield ": keepalive\n\n"
                quiet = 0.0
            await asyncio.sleep(POLL_SECONDS)
            quiet += POLL_SECONDS

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


# ---- the pages ------------------------------------------------------------------------------


def _asset_version() -> str:
    digest = hashlib.sha256()
    for name in sorted(ASSETS):
        digest.update((STATIC / name).read_bytes())
    return digest.hexdigest()[:12]


ASSET_VERSION = _asset_version()


def page(template: str, **context: Any) -> HTMLResponse:
    html = TEMPLATES.get_template(template).render(asset_version=ASSET_VERSION, **context)
    return HTMLResponse(html, headers=PAGE_HEADERS)


@router.get("/dashboard", include_in_schema=False)
async def dashboard_page() -> HTMLResponse:
    return page("dashboard/list.html", methods=METHOD_NAMES, states=get_args(State))


@router.get("/dashboard/procurements/{reference}", include_in_schema=False)
async def procurement_page(
    reference: Annotated[str, Path(pattern=REFERENCE_PATTERN)],
) -> HTMLResponse:
    return page("dashboard/procurement.html", reference=reference)


@router.get("/dashboard/assets/{name}", include_in_schema=False)
async def asset(name: str) -> FileResponse:
    if name not in ASSETS:
        raise ApiError(404, {"error": "not_found", "reason": f"No asset {name}."})
    return FileResponse(
        STATIC / name,
        media_type=ASSETS[name],
        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
    )
