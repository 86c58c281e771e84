"""/v1/procurements: launch, list, read, the tabulation and the audit trail."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import asyncpg
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from api import commands, gateway, idempotency, procurement_file, queries
from api import dashboard_queries as dq
from api.auth import Caller, User, forbidden
from api.errors import CREATED_OR_SAME, RESPONSES, ApiError, not_found
from api.list_query import ListQuery, list_query
from api.services import Services
from api.views import list_item
from db import audit
from state_machines.authority import may_launch, may_read
from state_machines.models import REFERENCE_PATTERN, LaunchSpec, Principal

router = APIRouter(prefix="/v1/procurements", tags=["procurements"])

ERRORS = RESPONSES

Reference = Annotated[str, Path(pattern=REFERENCE_PATTERN, description="Procurement reference.")]


def services(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc


Svc = Annotated[Services, Depends(services)]
ProgramsQuery = Annotated[ListQuery, Depends(list_query("created", 500))]


@router.post(
    "", status_code=201, responses=CREATED_OR_SAME, summary="Create and launch a procurement"
)
async def launch(spec: LaunchSpec, request: Request, svc: Svc, user: User) -> JSONResponse:
    """Starts the procurement's workflow in `draft`, for the caller's own agency. The reference
    is the workflow id: the same body sent again returns the procurement (200); a different body
    is refused (409)."""
    denied = may_launch(user, spec.agency)
    if denied:
        raise forbidden(denied)

    async def produce() -> tuple[int, Any]:
        created, _ = await gateway.launch(svc, spec, user)
        return (201 if created else 200), await commands.view(svc, spec.reference, user)

    return await idempotency.once(svc, request, user, spec.model_dump(mode="json"), produce)


@router.get("", responses=ERRORS, summary="List procurements, filtered, sorted and paged")
async def list_procurements(svc: Svc, q: ProgramsQuery) -> Any:
    """The dashboard's filters, for programs. Oversight roles see every agency; buyers and SPOs
    their own. Newest first unless ``sort`` and ``order`` say otherwise; ``next_cursor`` pages
    on under the same sort."""
    now = await svc.clock.now()
    rows, following = await dq.list_page(
        await svc.db(), q.filters, now, sort=q.sort, order=q.order, limit=q.limit, cursor=q.cursor
    )
    return {
        "items": [list_item(r, now) for r in rows],
        "next_cursor": following.encode() if following else None,
    }


@router.get("/{reference}", responses=ERRORS, summary="A procurement, its deadlines and actions")
async def get_procurement(reference: Reference, svc: Svc, user: User) -> Any:
    return await commands.view(svc, reference, user)


@router.get("/{reference}/tabulation", responses=ERRORS, summary="The opening's tabulation")
async def tabulation(reference: Reference, svc: Svc, caller: Caller) -> Any:
    """After the award the winning bid and the record of each unsuccessful bid are open to
    public inspection (20-10(d)); before it, only to those who keep the records. Proposals
    stay undisclosed until the award (20-15(d))."""
    pool = await svc.db()
    row = await _opening_record(pool, reference, caller, "tabulation")
    snapshot = row["snapshot"]
    awarded = procurement_file.is_public(row)
    if row["method"] == "competitive_sealed_proposals" and not awarded:
        raise ApiError(
            409,
            {
                "error": "refused",
                "code": "sealed",
                "citation": "30 ILCS 500/20-15(d)",
                "reason": "Proposals are opened without disclosing their contents to competing "
                "offerors; the record of proposals is open for inspection after award.",
                "field": None,
            },
        )
    if snapshot.get("opened_at") is None:
        raise ApiError(
            409,
            {
                "error": "refused",
                "code": "sealed",
                "citation": "30 ILCS 500/20-10(d)",
                "reason": "Bids stay sealed until they are opened at the time the invitation "
                "designates.",
                "field": None,
            },
        )
    return {"reference": reference, "rows": await queries.tabulation(pool, reference)}


@router.get(
    "/{reference}/technical-offers/opened",
    responses=ERRORS,
    summary="The technical offers opened (multi-step sealed bidding)",
)
async def technical_offers(reference: Reference, svc: Svc, caller: Caller) -> Any:
    """The first step's record (20-10(h)): each unpriced technical offer as opened, checkable
    against its commitment, and whether it qualified under the solicitation's criteria. Open
    to the public after the award, like the tabulation (20-10(d))."""
    pool = await svc.db()
    row = await _opening_record(pool, reference, caller, "technical offers")
    snapshot = row["snapshot"]
    opened = (snapshot.get("technical") or {}).get("opened_at") or snapshot.get("opened_at")
    if row["method"] != "multi_step_sealed_bidding" or opened is None:
        raise ApiError(
            409,
            {
                "error": "refused",
                "code": "sealed",
                "citation": "30 ILCS 500/20-10(h)",
                "reason": "Only multi-step sealed bidding takes technical offers; they stay "
                "sealed until they are opened at the time the invitation designates.",
                "field": None,
            },
        )
    return {
        "reference": reference,
        "rows": await queries.technical_offers(pool, reference, snapshot),
    }


async def _public_after_award(
    pool: asyncpg.Pool, reference: str, caller: Principal | None, *, unauthorized: str, denied: str
) -> asyncpg.Record:
    """The procurement's row, for a caller allowed to read its record: anyone after the award
    (20-10(d)), before it only those who keep the records. ``denied`` is completed with the
    caller's name and the agency."""
    row = await queries.procurement_row(pool, reference)
    if row is None:
        raise not_found(reference)
    if not procurement_file.is_public(row) and not may_read(caller, row["agency"]):
        if caller is None:
            raise ApiError(401, {"error": "unauthorized", "reason": unauthorized})
        raise forbidden(denied.format(caller=caller.name, agency=row["agency"]))
    return row


async def _opening_record(
    pool: asyncpg.Pool, reference: str, caller: Principal | None, what: str
) -> asyncpg.Record:
    return await _public_after_award(
        pool,
        reference,
        caller,
        unauthorized=f"The {what} is public after the award (30 ILCS 500/20-10(d)); sign in to "
        "see it before.",
        denied=f"{{caller}} may not see the {what} before the award.",
    )


async def readable_file(svc: Services, reference: str, caller: Any) -> dict[str, Any]:
    """The procurement file (``api.procurement_file``) for a caller allowed to read it: anyone
    after the award (20-10(d)), before it only those who keep the records."""
    pool = await svc.db()
    row = await _public_after_award(
        pool,
        reference,
        caller,
        unauthorized="The procurement file is open to public inspection after the award "
        "(30 ILCS 500/20-10(d)); sign in to read it before.",
        denied="{caller} may not read {agency}'s file before the award.",
    )
    return await procurement_file.assemble(pool, row)


@router.get(
    "/{reference}/file",
    responses={
        **ERRORS,
        200: {
            "content": {"application/json": {}, "text/csv": {"schema": {"type": "string"}}},
            "description": "The whole record: JSON, or CSV with one row per item.",
        },
    },
    summary="The procurement file for public inspection",
)
async def procurement_file_export(
    reference: Reference,
    svc: Svc,
    caller: Caller,
    format: Annotated[Literal["json", "csv"], Query(description="json or csv")] = "json",
) -> Any:
    """Notices and addenda as published, the tabulation, the determinations, the award, every
    step and the audit chain with its verification, in one export; open to anyone after the
    award (20-10(d), 20-15(d)). The readable page is ``/procurements/{reference}/file``."""
    record = await readable_file(svc, reference, caller)
    if format == "csv":
        return Response(
            procurement_file.as_csv(record),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{reference}-file.csv"'},
        )
    return record


@router.get(
    "/{reference}/audit", responses=ERRORS, summary="The audit trail, and whether it is intact"
)
async def audit_trail(reference: Reference, svc: Svc, user: User) -> Any:
    """Every command, accepted or refused, and every automatic step, hash-chained."""
    pool = await svc.db()
    row = await queries.procurement_row(pool, reference)
    if row is None:
        raise not_found(reference)
    if not may_read(user, row["agency"]):
        raise forbidden(f"{user.name} may not read {row['agency']}'s audit trail.")
    verification = await audit.verify(pool, reference)
    return {
        "reference": reference,
        "verification": verification.as_dict(),
        "entries": await queries.audit_trail(pool, reference),
    }
