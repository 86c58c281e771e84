"""/v1/orders: a member places an order off a contract open to joint or cooperative use (it
runs as its own workflow), withdraws one held for a document, and reads its orders and their
audit trail; the contract's lead and the supervisors read them too."""

from __future__ import annotations

from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from api import commands, gateway, idempotency, queries
from api import cooperative_queries as cq
from api.auth import User, forbidden
from api.cooperative_views import order_view
from api.errors import CREATED_OR_SAME, RESPONSES, ApiError, invalid, problem, refused
from api.routes.cooperative.common import NO_NUL, RefPath
from api.routes.procurements import Svc
from api.services import Services
from cooperative import rules
from cooperative.models import OrderInput, OrderRequest, OrderState, Withdrawal, WithdrawBody
from db import audit
from state_machines.models import REFERENCE_PATTERN, Principal

router = APIRouter(tags=["cooperative purchasing"], responses=RESPONSES)


def _refused_order(view: dict[str, Any]) -> ApiError:
    decision = view.get("decision") or {}
    return refused(
        {
            "code": decision.get("code") or "refused",
            "citation": decision.get("citation") or "",
            "reason": decision.get("reason") or "refused",
            "field": decision.get("field"),
            "order": view,
        }
    )


@router.post(
    "/v1/orders",
    status_code=201,
    responses=CREATED_OR_SAME,
    summary="Place an order off a contract open to joint or cooperative use",
)
async def place_order(body: OrderRequest, request: Request, svc: Svc, user: User) -> JSONResponse:
    """By a member unit's purchasing official, for its own unit. The order runs as its own
    workflow: `placed` (sent to the vendor), `held` (a district's first cooperative order,
    waiting for its MICPA, with the next step named) or refused (409, with the reason and the
    citation; the refused order stays on record). The same body again returns the order; an
    `Idempotency-Key` is honoured."""
    if user.role != "member" or not user.agency:
        raise forbidden("Only a member unit's purchasing official (role member) places orders.")
    member_name = user.agency
    fingerprint = {"member": member_name, "order": body.model_dump(mode="json")}

    async def produce() -> tuple[int, Any]:
        pool = await svc.db()
        reference = body.reference
        if await queries.procurement_row(pool, reference) is not None or (
            await cq.contract_exists(pool, reference)
        ):
            raise gateway.reference_in_use(reference, "order")
        if not await cq.contract_exists(pool, body.contract):
            raise invalid(
                "body.contract",
                "exists",
                f"No contract {body.contract} is open to joint or cooperative use.",
            )
        digest = idempotency.body_hash(fingerprint)
        existing = await cq.order_row(pool, reference)
        if existing is not None and existing["digest"] != digest:
            raise gateway.reference_in_use(reference, "order")
        start = OrderInput(
            request=body,
            member_name=member_name,
            submitted_by=user,
            digest=digest,
            request_id=commands.request_id(request),
            # Pinned at launch: the order's later runs carry the same value.
            continue_as_new_events=svc.settings.continue_as_new_events,
        )
        await gateway.start_order(svc, start)
        row = await cq.order_row(pool, reference)
        if row is None or row["digest"] != digest:
            raise gateway.reference_in_use(reference, "order")
        view = order_view(row)
        if row["state"] == "refused":
            raise _refused_order(view)
        return (200 if existing is not None else 201), view

    return await idempotency.once(svc, request, user, fingerprint, produce)


def _visible_to(user: Principal) -> tuple[str | None, str | None]:
    """Whose orders the caller may read: ``(party, lead)`` as :func:`cq.orders` takes them."""
    if user.role in rules.SUPERVISORS:
        return None, None
    if user.role == "member" and user.agency:
        return user.agency, None
    if user.role in rules.AGENCY_ROLES and user.agency:
        return None, user.agency
    raise forbidden(
        f"{user.name} may not read orders: they are visible to the member, the contract's lead "
        "and the supervisors."
    )


@router.get("/v1/orders", summary="Orders the caller may see, newest first")
async def list_orders(
    svc: Svc,
    user: User,
    state: OrderState | None = None,
    contract: Annotated[str | None, Query(pattern=REFERENCE_PATTERN)] = None,
    member: Annotated[str | None, Query(min_length=1, max_length=200, pattern=NO_NUL)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Any:
    party, lead = _visible_to(user)
    rows = await cq.orders(
        await svc.db(),
        state=state,
        contract=contract,
        member=member,
        party=party,
        lead=lead,
        limit=limit,
    )
    return {"orders": [order_view(r) for r in rows]}


async def _readable_order(svc: Services, reference: str, user: Principal) -> asyncpg.Record:
    row = await cq.order_row(await svc.db(), reference)
    if row is None:
        raise problem("not_found", f"No order {reference}.")
    if not rules.may_read_order(user, row["member_name"], row["lead"]):
        raise forbidden(
            f"{user.name} may not read order {reference}: it is visible to "
            f"{row['member_name']}, the contract's lead ({row['lead']}) and the supervisors."
        )
    return row


@router.get("/v1/orders/{reference}", summary="An order, its state and its history")
async def get_order(reference: RefPath, svc: Svc, user: User) -> Any:
    return order_view(await _readable_order(svc, reference, user))


@router.get("/v1/orders/{reference}/audit", summary="An order's audit trail, and whether intact")
async def order_audit(reference: RefPath, svc: Svc, user: User) -> Any:
    await _readable_order(svc, reference, user)
    pool = await svc.db()
    return {
        "reference": reference,
        "verification": (await audit.verify(pool, reference)).as_dict(),
        "entries": await queries.audit_trail(pool, reference),
    }


@router.post("/v1/orders/{reference}/withdraw", summary="Withdraw a held order")
async def withdraw_order(
    reference: RefPath, body: WithdrawBody, request: Request, svc: Svc, user: User
) -> JSONResponse:
    """The member's official or the chief procurement officer withdraws an order held for a
    document; a placed order is the vendor's to fill."""
    row = await _readable_order(svc, reference, user)
    key = idempotency.key_of(request)

    async def produce() -> tuple[int, Any]:
        rid = commands.request_id(request)
        try:
            denied = rules.may_act_on_order(user, row["member_name"])
            if denied:
                raise forbidden(denied)
            await gateway.withdraw_order(
                svc,
                reference,
                Withdrawal(principal=user, reason=body.reason, request_id=rid),
                update_id=idempotency.update_id(user, key),
            )
        except ApiError as exc:
            if exc.status in (403, 409):
                await commands.record_refusal(
                    svc, reference, row["state"], user, "withdraw", exc.body, rid
                )
            raise
        current = await cq.order_row(await svc.db(), reference)
        assert current is not None
        return 200, order_view(current)

    fingerprint = {"reference": reference, "withdraw": body.model_dump(mode="json")}
    return await idempotency.once(svc, request, user, fingerprint, produce)
