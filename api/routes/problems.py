"""/problems/{kind}: the page a problem document's ``type`` names, open to anyone."""

from __future__ import annotations

import html

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from api.errors import RESPONSES, problem
from api.problems import BASE, KINDS

router = APIRouter(tags=["errors"])


@router.get(
    "/problems/{kind}",
    response_class=HTMLResponse,
    summary="What a kind of error means",
    responses={404: {**RESPONSES[404], "description": "No such kind."}, 422: RESPONSES[422]},
)
async def problem_page(kind: str) -> HTMLResponse:
    """Its status and title, what it means, and the members it carries beyond ``type``,
    ``title``, ``status``, ``detail`` and ``code``."""
    known = KINDS.get(kind)
    if known is None:
        raise problem("not_found", f"No kind of problem {kind}; the kinds are {', '.join(KINDS)}.")
    title = html.escape(known.title)
    members = "".join(f"<li>{html.escape(m)}</li>" for m in (*known.members, "reason: as detail"))
    code = "the rule that refused it" if kind == "refused" else html.escape(kind)
    return HTMLResponse(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{title}</title></head><body><h1>{title}</h1>"
        f"<p>HTTP {known.status}. <code>type</code>: {html.escape(BASE + kind)}; "
        f"<code>code</code>: {code}.</p><p>{html.escape(known.means)}</p>"
        f"<p>Its other members:</p><ul>{members}</ul></body></html>"
    )
