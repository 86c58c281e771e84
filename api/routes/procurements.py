"""/v1/procurements: launch, list, read, the tabulation and the audit trail."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse

from api import commands, gateway, idempotency, queries
from api.auth import Caller, User, forbidden
from api.errors import CREATED_OR_SAME, RESPONSES, ApiError, not_found
from api.services import Services
from api.views import summary_view
from db import audit
from state_machines.authority import AGENCY_ROLES, OVERSIGHT_ROLES, may_launch, may_read
from state_machines.models import REFERENCE_PATTERN, LaunchSpec, State

router = APIRouter(prefix="/v1/procurements", tags=["procurements"])

ERRORS = RESPONSES

Reference = Annotated[str, Path(pattern=REFERENCE_PATTERN, description="Procurement reference.")]


def services(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc


Svc = Annotated[Services, Depends(services)]


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


@router.get("", responses=ERRORS, summary="List procurements from the read model")
async def list_procurements(
    svc: Svc,
    user: User,
    state: State | None = None,
    agency: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Any:
    """Oversight roles see every agency; buyers and SPOs their own."""
    if user.role in AGENCY_ROLES:
        if agency is not None and agency != user.agency:
            raise forbidden(f"{user.name} reads only {user.agency}'s procurements.")
        agency = user.agency
    elif user.role not in OVERSIGHT_ROLES:
        raise forbidden("Vendors read the Bulletin and their own bid receipts.")
    position = None
    if cursor:
        try:
            position = queries.decode_cursor(cursor)
        except ValueError as exc:
            raise ApiError(
                422,
                {
                    "error": "invalid_request",
                    "errors": [
                        {"field": "query.cursor", "rule": "cursor", "message": "Unknown cursor."}
                    ],
                },
            ) from exc
    rows, next_cursor = await queries.list_procurements(
        await svc.db(), state=state, agency=agency, limit=limit, cursor=position
    )
    return {"items": [summary_view(r) for r in rows], "next_cursor": next_cursor}


@router.get("/{reference}", responses=ERRORS, summary="A procurement, its deadlines and actions")
async def get_procurement(reference: Reference, svc: Svc, user: User) -> Any:
    return await commands.view(svc, reference, user)


@router.get("/{reference}/tabulation", responses=ERRORS, summary="The opening's tabulation")
async def tabulation(reference: Reference, svc: Svc, caller: Caller) -> Any:
    """After the award the winning bid and the record of each unsuccessful bid are open to
    public inspection (20-10(d)); before it, only to those who keep the records. Proposals
    stay undisclosed until the award (20-15(d))."""
    pool = await svc.db()
    row = await queries.procurement_row(pool, reference)
    if row is None:
        raise not_found(reference)
    snapshot = row["snapshot"]
    awarded = snapshot.get("award") is not None or row["state"] in ("awarded", "closed")
    if not awarded and not may_read(caller, row["agency"]):
        if caller is None:
            raise ApiError(
                401,
                {
                    "error": "unauthorized",
                    "reason": "The tabulation is public after the award (30 ILCS 500/20-10(d)); sign in to see it before.",
                },
            )
        raise forbidden(f"{caller.name} may not see the tabulation before the award.")
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
