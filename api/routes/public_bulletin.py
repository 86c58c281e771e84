"""The public Bulletin: pages, an Atom feed, the 15-30 clearinghouse and Open Contracting
releases. Everything here is public: no route reads or needs credentials."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path as FilePath
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import jinja2
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from api import bulletin_views as views
from api import ocds, queries
from api.auth import Caller
from api.errors import RESPONSES, ApiError, not_found
from api.routes.procurements import readable_file
from state_machines.models import METHOD_NAMES, REFERENCE_PATTERN

router = APIRouter(tags=["bulletin"], responses=RESPONSES)

TEMPLATES = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.FileSystemLoader(FilePath(__file__).resolve().parent.parent / "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
)


def _json_error(code: int | str) -> dict[str, Any]:
    # A page's errors are JSON like every other route's, not HTML.
    spec = RESPONSES[code]
    schema = {"$ref": f"#/components/schemas/{spec['model'].__name__}"}
    return {"description": spec["description"], "content": {"application/json": {"schema": schema}}}


HTML: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/html": {"schema": {"type": "string"}}}, "description": "A page."},
    **{code: _json_error(code) for code in RESPONSES},
}
ATOM: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"application/atom+xml": {"schema": {"type": "string"}}},
        "description": "An Atom 1.0 feed.",
    }
}

Sort = Literal["awardee", "price", "supply", "agency", "date_first_offered"]
Order = Literal["asc", "desc"]
SORT_NAMES: dict[str, str] = {
    "awardee": "Awardee",
    "price": "Contract price or total cost",
    "supply": "Supply or service",
    "agency": "Purchasing State agency",
    "date_first_offered": "Date first offered",
}
COLUMNS: list[tuple[str | None, str]] = [
    ("awardee", "Awardee"),
    ("price", "Contract price or total cost"),
    ("supply", "Supply or service"),
    ("agency", "Purchasing State agency"),
    ("date_first_offered", "Date first offered"),
    (None, "Reference"),
    (None, "Method"),
]

# Search text: anything PostgreSQL text can hold (no NUL character).
TEXT = r"^[^\x00]*$"

Reference = Annotated[str | None, Query(pattern=REFERENCE_PATTERN, description="One procurement.")]
Limit = Annotated[int, Query(ge=1, le=200, description="Notices on a page.")]
Cursor = Annotated[
    str | None,
    Query(
        max_length=400,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="Where the previous page ended (next_cursor).",
    ),
]


def bad_query(name: str, message: str) -> ApiError:
    return ApiError(
        422,
        {
            "error": "invalid_request",
            "errors": [{"field": f"query.{name}", "rule": name, "message": message}],
        },
    )


def notice_position(cursor: str | None) -> tuple[datetime, int] | None:
    if cursor is None:
        return None
    try:
        return queries.decode_notice_cursor(cursor)
    except ValueError as exc:
        raise bad_query("cursor", "Unknown cursor.") from exc


def page_context(request: Request, section: str, **context: Any) -> dict[str, Any]:
    return {
        "root": request.scope.get("root_path", ""),
        "section": section,
        "bulletin_title": views.BULLETIN_TITLE,
        "bulletin_citation": views.BULLETIN_CITATION,
        "clearinghouse_citation": views.CLEARINGHOUSE_CITATION,
        **context,
    }


def local_url(request: Request, path: str, params: dict[str, Any]) -> str:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    root = request.scope.get("root_path", "")
    return f"{root}{path}" + (f"?{query}" if query else "")


async def pool_of(request: Request) -> Any:
    return await request.app.state.services.db()


# ----------------------------------------------------------------------------------------
# Notices
# ----------------------------------------------------------------------------------------


@router.get(
    "/bulletin",
    response_class=HTMLResponse,
    responses=HTML,
    summary="The Bulletin's notices, newest first (page)",
)
async def bulletin_page(
    request: Request,
    reference: Reference = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> HTMLResponse:
    """Every notice published under 30 ILCS 500/15-25 with its content and citation, paged by
    a keyset on (published_at, notice_id)."""
    before = notice_position(cursor)
    notices, more = await queries.public_notices(
        await pool_of(request), reference=reference, limit=limit, before=before
    )
    next_url = None
    if more:
        last = notices[-1]
        after = queries.encode_notice_cursor(last["published_at"], last["notice_id"])
        next_url = local_url(
            request, "/bulletin", {"reference": reference, "limit": limit, "cursor": after}
        )
    first_url = (
        local_url(request, "/bulletin", {"reference": reference, "limit": limit})
        if before
        else None
    )
    return TEMPLATES.TemplateResponse(
        request,
        "bulletin/index.html",
        page_context(
            request,
            "notices",
            reference=reference,
            notices=[views.notice_view(n) for n in notices],
            next_url=next_url,
            first_page_url=first_url,
        ),
    )


@router.get(
    "/bulletin/{notice_id}",
    response_class=HTMLResponse,
    responses=HTML,
    summary="One Bulletin notice (page)",
    name="public_notice",
)
async def notice_page(
    request: Request, notice_id: Annotated[int, Path(ge=1, le=2**63 - 1)]
) -> HTMLResponse:
    notice = await queries.public_notice(await pool_of(request), notice_id)
    if notice is None:
        raise ApiError(404, {"error": "not_found", "reason": f"No notice {notice_id}."})
    return TEMPLATES.TemplateResponse(
        request,
        "bulletin/notice.html",
        page_context(request, "notices", notice=views.notice_view(notice)),
    )


@router.get(
    "/v1/bulletin/feed.atom",
    response_class=Response,
    responses=ATOM,
    summary="The latest Bulletin notices as an Atom feed",
)
async def atom_feed(request: Request, reference: Reference = None, limit: Limit = 50) -> Response:
    """The newest notices (of one procurement, with ``reference``), each entry linking to its
    page."""
    notices, _ = await queries.public_notices(
        await pool_of(request), reference=reference, limit=limit, before=None
    )
    body = views.atom_feed(
        notices,
        reference=reference,
        feed_url=str(request.url),
        page_url=str(request.url_for("bulletin_page")),
        notice_url=lambda notice_id: str(request.url_for("public_notice", notice_id=notice_id)),
        updated=await request.app.state.services.clock.now(),
    )
    return Response(content=body, media_type="application/atom+xml")


# ----------------------------------------------------------------------------------------
# The clearinghouse (30 ILCS 500/15-30)
# ----------------------------------------------------------------------------------------


def text_param(name: str, value: str | None) -> str | None:
    """A search term, trimmed; blank is none. PostgreSQL text cannot hold a NUL character."""
    if value is None or not value.strip():
        return None
    if "\x00" in value:
        raise bad_query(name, "The text may not contain a NUL character.")
    return value.strip()


def key_fits(sort: str, key: str) -> bool:
    """Whether a cursor's sort key has the type of the column it was read from."""
    if "\x00" in key:
        return False
    try:
        if sort == "price":
            amount = Decimal(key)
            return amount.is_finite() and abs(amount) < 10**20
        if sort == "date_first_offered":
            date.fromisoformat(key)
    except (InvalidOperation, ValueError):
        return False
    return len(key) <= 400


class ClearinghouseQuery:
    """The clearinghouse's search, one set of parameters for the JSON and the page."""

    def __init__(
        self,
        q: Annotated[
            str | None,
            Query(
                min_length=1,
                max_length=200,
                pattern=TEXT,
                description="Text in the awardee, supply or service, description or agency.",
            ),
        ] = None,
        awardee: Annotated[
            str | None,
            Query(min_length=1, max_length=200, pattern=TEXT, description="Exactly this awardee."),
        ] = None,
        agency: Annotated[
            str | None,
            Query(
                min_length=1,
                max_length=200,
                pattern=TEXT,
                description="Exactly this purchasing agency.",
            ),
        ] = None,
        sort: Sort = "date_first_offered",
        order: Order = "desc",
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        cursor: Cursor = None,
        offset: Annotated[int, Query(ge=0, le=10_000, description="Rows to skip.")] = 0,
    ) -> None:
        self.q = text_param("q", q)
        self.awardee = text_param("awardee", awardee)
        self.agency = text_param("agency", agency)
        self.sort = sort
        self.order = order
        self.limit = limit
        self.cursor = cursor
        self.offset = offset
        if cursor is not None and offset:
            raise bad_query("offset", "Page with either a cursor or an offset, not both.")
        self.after = self._position(cursor)

    def _position(self, cursor: str | None) -> tuple[str | None, int] | None:
        if cursor is None:
            return None
        try:
            values = queries.decode_position(cursor)
        except ValueError as exc:
            raise bad_query("cursor", "Unknown cursor.") from exc
        if len(values) != 4 or type(values[3]) is not int or not 0 < values[3] < 2**63:
            raise bad_query("cursor", "Unknown cursor.")
        sort, order, key, notice_id = values
        if (sort, order) != (self.sort, self.order):
            raise bad_query("cursor", "The cursor belongs to another sort or order.")
        if key is not None and not isinstance(key, str):
            raise bad_query("cursor", "Unknown cursor.")
        if key is not None and not key_fits(self.sort, key):
            raise bad_query("cursor", "Unknown cursor.")
        return key, notice_id

    def params(self, **changes: Any) -> dict[str, Any]:
        return {
            "q": self.q,
            "awardee": self.awardee,
            "agency": self.agency,
            "sort": self.sort,
            "order": self.order,
            "limit": self.limit,
        } | changes

    def next_cursor(self, position: tuple[str | None, int] | None) -> str | None:
        if position is None:
            return None
        return queries.encode_position([self.sort, self.order, position[0], position[1]])

    async def run(self, request: Request) -> tuple[list[dict[str, Any]], str | None]:
        rows, position = await queries.clearinghouse(
            await pool_of(request),
            q=self.q,
            awardee=self.awardee,
            agency=self.agency,
            sort=self.sort,
            descending=self.order == "desc",
            limit=self.limit,
            after=self.after,
            offset=self.offset,
            emergency_method=METHOD_NAMES["emergency"],
        )
        return rows, self.next_cursor(position)


Search = Annotated[ClearinghouseQuery, Depends()]


@router.get("/v1/clearinghouse", summary="Contracts awarded, searchable and sortable (15-30)")
async def clearinghouse(request: Request, search: Search) -> Any:
    """One row per contract awarded: each notice of award not later rescinded (sole source
    awards included) and each emergency purchase disclosed, with the awardee, the contract price
    or total cost, the supply or service, the purchasing State agency and the date first offered
    (30 ILCS 500/15-30(b)). Rows without a price sort last either way."""
    rows, next_cursor = await search.run(request)
    return {
        "citation": views.CLEARINGHOUSE_CITATION,
        "sort": search.sort,
        "order": search.order,
        "contracts": [views.clearinghouse_row(r) for r in rows],
        "next_cursor": next_cursor,
    }


@router.get(
    "/clearinghouse",
    response_class=HTMLResponse,
    responses=HTML,
    summary="Contracts awarded, searchable and sortable (page)",
)
async def clearinghouse_page(request: Request, search: Search) -> HTMLResponse:
    rows, next_cursor = await search.run(request)
    sort_urls = {}
    for key, _ in COLUMNS:
        if key is None:
            continue
        order = "desc" if key == search.sort and search.order == "asc" else "asc"
        sort_urls[key] = local_url(request, "/clearinghouse", search.params(sort=key, order=order))
    paged = search.cursor is not None or search.offset > 0
    return TEMPLATES.TemplateResponse(
        request,
        "bulletin/clearinghouse.html",
        page_context(
            request,
            "clearinghouse",
            params=search.params(),
            rows=[views.clearinghouse_row_view(r) for r in rows],
            sorts=list(SORT_NAMES.items()),
            sort_name=SORT_NAMES[search.sort],
            columns=COLUMNS,
            sort_urls=sort_urls,
            next_url=(
                local_url(request, "/clearinghouse", search.params(cursor=next_cursor))
                if next_cursor
                else None
            ),
            first_page_url=local_url(request, "/clearinghouse", search.params()) if paged else None,
        ),
    )


# ----------------------------------------------------------------------------------------
# Open Contracting Data Standard 1.1
# ----------------------------------------------------------------------------------------


@router.get(
    "/v1/procurements/{reference}/ocds",
    summary="One procurement's releases in the Open Contracting Data Standard",
)
async def procurement_ocds(
    request: Request,
    reference: Annotated[
        str, Path(pattern=REFERENCE_PATTERN, description="Procurement reference.")
    ],
) -> Any:
    """An OCDS 1.1 release package: the tender (from the invitation), each amendment, the
    award (from the notice of award), the contract once entered into, and any cancellation.
    Only what the Bulletin has published: a procurement never published is not found."""
    notices = await queries.procurement_notices(await pool_of(request), reference)
    releases = ocds.procurement_releases(notices)
    if not releases:
        raise not_found(reference)
    return ocds.release_package(
        releases,
        uri=str(request.url_for("procurement_ocds", reference=reference)),
        published=ocds.latest(releases, notices[-1]["published_at"]),
    )


@router.get(
    "/v1/bulletin/ocds", summary="Every Bulletin release in the Open Contracting Data Standard"
)
async def bulletin_ocds(
    request: Request,
    reference: Reference = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Any:
    """An OCDS 1.1 release package of the releases the notices make, newest notice first,
    ``limit`` notices a page; ``links.next`` is the next page."""
    before = notice_position(cursor)
    notices, more = await queries.public_notices(
        await pool_of(request), reference=reference, limit=limit, before=before
    )
    releases = [r for n in notices for r in ocds.notice_releases(n)]
    next_uri = None
    if more:
        last = notices[-1]
        next_cursor = queries.encode_notice_cursor(last["published_at"], last["notice_id"])
        query = urlencode(
            {
                k: v
                for k, v in {"reference": reference, "limit": limit, "cursor": next_cursor}.items()
                if v is not None
            }
        )
        next_uri = f"{request.url_for('bulletin_ocds')}?{query}"
    package = ocds.release_package(
        releases,
        uri=str(request.url),
        published=ocds.latest(releases, await request.app.state.services.clock.now()),
        next_uri=next_uri,
    )
    # Paging is links.next alone: the OCDS 1.1 package schema has no member for a cursor.
    return package


@router.get(
    "/procurements/{reference}/file",
    response_class=HTMLResponse,
    responses=HTML,
    summary="The procurement file for public inspection (page)",
)
async def procurement_file_page(
    request: Request,
    reference: Annotated[str, Path(pattern=REFERENCE_PATTERN)],
    caller: Caller,
) -> HTMLResponse:
    """The whole record of one procurement, readable: open to anyone after the award
    (30 ILCS 500/20-10(d)); the same as ``/v1/procurements/{reference}/file``."""
    record = await readable_file(request.app.state.services, reference, caller)
    return TEMPLATES.TemplateResponse(
        request,
        "bulletin/file.html",
        page_context(
            request, "notices", file=record, method_name=METHOD_NAMES.get(record["method"], "")
        ),
    )
