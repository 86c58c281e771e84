"""/v1/contracts: open a contract to joint or cooperative use, from a procurement of this
service or from an award made elsewhere, and read them (public, as the Bulletin is)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from api import commands, gateway, idempotency, queries
from api import cooperative_queries as cq
from api.auth import User, forbidden
from api.cooperative_views import contract_view
from api.errors import CREATED_OR_SAME, RESPONSES, invalid, problem, refused
from api.routes.cooperative.common import NO_NUL, RefPath, today
from api.routes.procurements import Svc
from api.services import Services
from cooperative import rules
from cooperative.models import ContractOpening, Program
from db import audit
from db.cooperative import insert_contract, placed_total
from state_machines.models import Principal

router = APIRouter(tags=["cooperative purchasing"], responses=RESPONSES)

AWARDED_STATES = ("awarded", "closed")


async def _award_from_procurement(
    svc: Services, reference: str, user: Principal, program: Program
) -> tuple[str, dict[str, Any], str]:
    """The lead agency, the award and the vendor of a procurement of this service, read from
    its read model; its contract must have been entered into."""
    pool = await svc.db()
    row = await queries.procurement_row(pool, reference)
    if row is None:
        raise invalid("body.procurement", "exists", f"No procurement {reference}.")
    # Decided before the procurement's state is told: to anyone who may not open its contract,
    # an unpublished or unawarded procurement's state is not public.
    denied = rules.may_open_contract(user, row["agency"], program)
    if denied:
        raise forbidden(denied)
    award = row["snapshot"].get("award")
    if row["state"] not in AWARDED_STATES or not award:
        raise refused(
            {
                "code": "not_awarded",
                "citation": "30 ILCS 500/20-10(g)",
                "reason": f"Procurement {reference} is {row['state']}: its contract is opened to "
                "joint or cooperative use once awarded and entered into.",
                "field": "procurement",
            }
        )
    price = award.get("price")
    if price is None and award.get("bid_id"):
        amount = await cq.tabulated_amount(pool, reference, award["bid_id"])
        price = None if amount is None else f"{amount:.2f}"
    details = {
        "source": "procurement",
        "procurement": reference,
        "method": row["method"],
        "vendor": award["vendor"],
        "price": None if price is None else str(price),
        "awarded_on": award.get("notice_on"),
        "decided_at": award.get("decided_at"),
        "executed_at": row["snapshot"].get("executed_at"),
    }
    return row["agency"], details, award["vendor"]


@router.post(
    "/v1/contracts",
    status_code=201,
    responses=CREATED_OR_SAME,
    summary="Open a contract to joint or cooperative use",
)
async def open_contract(
    body: ContractOpening, request: Request, svc: Svc, user: User
) -> JSONResponse:
    """By the chief procurement officer, or a buyer or SPO of the lead agency (for a
    cooperative contract, also the lead district's official). From a procurement of this
    service (`procurement`: its vendor and price come from the award) or from outside
    (`award`: vendor, award date, solicitation)."""
    if (body.procurement is None) == (body.award is None):
        raise invalid(
            "body.procurement",
            "one_of",
            "Give either 'procurement' (a procurement of this service) or 'award' (a "
            "contract awarded elsewhere), not both and not neither.",
        )
    if body.ends_on < body.starts_on:
        raise invalid("body.ends_on", "after_start", "The term ends on or after it starts.")
    if not body.items and not body.scope:
        raise invalid("body.items", "items_or_scope", "List the items or describe the scope.")
    codes = [i.code for i in body.items]
    if len(set(codes)) != len(codes):
        raise invalid("body.items", "unique_codes", "Each item code appears once.")
    program = rules.PROGRAMS[body.program]
    open_to = body.open_to or list(program.open_to)
    outside = [k for k in open_to if k not in rules.ELIGIBLE_KINDS]
    if outside:
        raise invalid(
            "body.open_to",
            "eligible_kinds",
            f"{', '.join(outside)} may not join ({rules.GOVERNMENTAL_UNIT}).",
        )
    if body.procurement is not None:
        lead, award, vendor = await _award_from_procurement(
            svc, body.procurement, user, body.program
        )
        if body.lead is not None and body.lead != lead:
            raise invalid(
                "body.lead",
                "procurement_agency",
                f"The lead of a contract procured here is its agency, {lead}.",
            )
    else:
        assert body.award is not None
        if body.lead is None:
            raise invalid("body.lead", "required", "Name the lead agency or lead district.")
        lead, vendor = body.lead, body.award.vendor
        award = {"source": "external", **body.award.model_dump(mode="json")}
    denied = rules.may_open_contract(user, lead, body.program)
    if denied:
        raise forbidden(denied)
    statute = body.statute or program.statute
    fingerprint = body.model_dump(mode="json")

    async def produce() -> tuple[int, Any]:
        pool = await svc.db()
        if await queries.procurement_row(pool, body.reference) is not None or (
            await cq.order_row(pool, body.reference) is not None
        ):
            raise gateway.reference_in_use(body.reference, "contract")
        digest = idempotency.body_hash(fingerprint)
        async with pool.acquire() as conn, conn.transaction():
            created = await insert_contract(
                conn,
                body,
                vendor=vendor,
                lead=lead,
                statute=statute,
                open_to=open_to,
                award=award,
                digest=digest,
                by=user,
                at=await svc.clock.now(),
            )
            if created is not None:
                await audit.record(
                    conn,
                    reference=f"contract:{body.reference}",
                    at=await svc.clock.now(),
                    principal=user,
                    command="open_contract",
                    outcome="accepted",
                    state="open",
                    citation=statute,
                    summary=f"Contract {body.reference} with {vendor}, led by {lead}, opened to "
                    f"{body.program} use from {body.starts_on} to {body.ends_on}.",
                    request_id=commands.request_id(request),
                )
        row = await cq.contract_row(pool, body.reference)
        assert row is not None
        if created is None and row["digest"] != digest:
            raise gateway.reference_in_use(body.reference, "contract")
        used = await placed_total(pool, body.reference)
        return (201 if created else 200), contract_view(row, used, await today(svc))

    return await idempotency.once(svc, request, user, fingerprint, produce)


@router.get("/v1/contracts", summary="Contracts open to joint or cooperative use (public)")
async def list_contracts(
    svc: Svc,
    program: Program | None = None,
    lead: Annotated[str | None, Query(min_length=1, max_length=200, pattern=NO_NUL)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Any:
    """Published like the Bulletin's master contracts: anyone may read them."""
    pool = await svc.db()
    rows = await cq.contracts(pool, program=program, lead=lead, limit=limit)
    on = await today(svc)
    return {
        "contracts": [contract_view(r, await placed_total(pool, r["reference"]), on) for r in rows]
    }


@router.get("/v1/contracts/{reference}", summary="A contract open to joint or cooperative use")
async def get_contract(reference: RefPath, svc: Svc) -> Any:
    pool = await svc.db()
    row = await cq.contract_row(pool, reference)
    if row is None:
        raise problem("not_found", f"No contract {reference}.")
    return contract_view(row, await placed_total(pool, reference), await today(svc))
