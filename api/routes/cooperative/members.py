"""/v1/members: register a unit of local government, put its participation resolution or
MICPA on file (and check its held orders again), read members and the notices sent to them."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from api import commands, gateway, idempotency, queries
from api import cooperative_queries as cq
from api.auth import User, forbidden
from api.cooperative_views import member_view
from api.errors import CREATED_OR_SAME, RESPONSES, invalid, problem, refused
from api.routes.cooperative.common import RefPath, today
from api.routes.procurements import Svc
from api.services import Services
from cooperative import rules
from cooperative.models import DocumentFiling, DocumentsRecorded, Kind, MemberRegistration
from db import audit
from db.cooperative import insert_document, insert_member, member_record
from state_machines.models import Principal

router = APIRouter(tags=["cooperative purchasing"], responses=RESPONSES)


def member_audit_reference(name: str) -> str:
    return f"member:{name}"


async def _shown(pool: asyncpg.Pool, row: asyncpg.Record, on: date) -> dict[str, Any]:
    record = await member_record(pool, member_id=row["member_id"])
    assert record is not None
    return member_view(row, record, on)


async def _member_row(pool: asyncpg.Pool, member_id: str) -> asyncpg.Record:
    row = await cq.member_by_id(pool, member_id)
    if row is None:
        raise problem("not_found", f"No member {member_id}.")
    return row


@router.post(
    "/v1/members",
    status_code=201,
    responses=CREATED_OR_SAME,
    summary="Register a unit of local government as a member",
)
async def register_member(
    body: MemberRegistration, request: Request, svc: Svc, user: User
) -> JSONResponse:
    """By the chief procurement officer, or by the unit's own purchasing official (role
    `member`, acting for the unit it names). Only a unit created by statute or able to tax, or
    a State Use Program facility, may join (30 ILCS 525/1, 525/2(b)); joining costs nothing and
    obliges nothing."""
    denied = rules.may_register(user, body.name)
    if denied:
        raise forbidden(denied)

    async def produce() -> tuple[int, Any]:
        pool = await svc.db()
        elig = rules.eligibility(body.kind, body.created_by_statute, body.has_taxing_power)
        if not elig.eligible:
            refusal = {
                "code": "not_eligible",
                "citation": elig.citation,
                "reason": elig.reason,
                "field": "kind",
            }
            await commands.record_refusal(
                svc,
                member_audit_reference(body.name),
                "unregistered",
                user,
                "register",
                refusal,
                commands.request_id(request),
            )
            raise refused(refusal)
        flags = rules.registered_flags(body.kind, body.created_by_statute, body.has_taxing_power)
        digest = idempotency.body_hash(body.model_dump(mode="json"))
        async with pool.acquire() as conn, conn.transaction():
            member_id = await insert_member(
                conn,
                body,
                member_id="MBR-" + uuid.uuid4().hex[:10].upper(),
                flags=flags,
                eligibility=elig,
                digest=digest,
                by=user,
                at=await svc.clock.now(),
            )
            if member_id is not None:
                await audit.record(
                    conn,
                    reference=member_audit_reference(body.name),
                    at=await svc.clock.now(),
                    principal=user,
                    command="register",
                    outcome="accepted",
                    state="registered",
                    citation=elig.citation,
                    summary=f"Registered {body.name} ({rules.KINDS[body.kind].label}). "
                    f"{rules.TERMS}",
                    request_id=commands.request_id(request),
                )
        row = await cq.member_by_name(pool, body.name)
        assert row is not None
        if member_id is None and row["digest"] != digest:
            raise refused(
                {
                    "code": "member_exists",
                    "citation": "service rule: one name names one member",
                    "reason": f"{body.name} is already registered ({row['member_id']}) with "
                    "different details.",
                    "field": "name",
                }
            )
        return (201 if member_id else 200), await _shown(pool, row, await today(svc))

    return await idempotency.once(svc, request, user, body.model_dump(mode="json"), produce)


@router.get("/v1/members", summary="Registered members")
async def list_members(
    svc: Svc,
    user: User,
    kind: Kind | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Any:
    """Supervisors and State agencies see every member; a member's official, its own unit."""
    pool = await svc.db()
    own = user.agency if user.role == "member" else None
    if user.role not in rules.SUPERVISORS | rules.AGENCY_ROLES and own is None:
        raise forbidden(f"{user.name} may not read the member registry.")
    rows = await cq.members(pool, kind=kind, name=own, limit=limit)
    on = await today(svc)
    return {"members": [await _shown(pool, r, on) for r in rows]}


@router.get("/v1/members/{member_id}", summary="A member, its documents and its standing")
async def get_member(member_id: RefPath, svc: Svc, user: User) -> Any:
    pool = await svc.db()
    row = await _member_row(pool, member_id)
    if not rules.may_read_member(user, row["name"]):
        raise forbidden(f"{user.name} may not read {row['name']}'s membership.")
    return await _shown(pool, row, await today(svc))


@router.post(
    "/v1/members/{member_id}/documents",
    status_code=201,
    responses=CREATED_OR_SAME,
    summary="Put a participation resolution or a MICPA on file",
)
async def record_document(
    member_id: RefPath, body: DocumentFiling, request: Request, svc: Svc, user: User
) -> JSONResponse:
    """The resolution passed by the unit's governing board (Joint Purchasing Program), or the
    MICPA the district signed (cooperative contracts), recorded by the member's own official
    or the chief procurement officer, with who recorded it. Orders held for the document are
    checked again at once and placed if nothing else is missing."""
    pool = await svc.db()
    row = await _member_row(pool, member_id)
    denied = rules.may_record_document(user, row["name"])
    if denied:
        raise forbidden(denied)

    async def produce() -> tuple[int, Any]:
        on = await today(svc)
        if body.dated > on:
            raise invalid(
                "body.dated",
                "not_in_future",
                f"A document on file was passed or signed on or before today ({on}).",
            )
        label = rules.DOCUMENTS[body.kind].label
        async with pool.acquire() as conn, conn.transaction():
            created = await insert_document(
                conn, member_id, body, by=user, at=await svc.clock.now()
            )
            if created is not None:
                await audit.record(
                    conn,
                    reference=member_audit_reference(row["name"]),
                    at=await svc.clock.now(),
                    principal=user,
                    command="record_document",
                    outcome="accepted",
                    state="registered",
                    citation=rules.DOCUMENTS[body.kind].citation,
                    summary=f"{label} dated {body.dated.isoformat()} by {body.governing_board} "
                    f"put on file by {user.name}.",
                    request_id=commands.request_id(request),
                )
        rechecked = await _recheck_held(svc, row["name"], user, body, request)
        view = await _shown(pool, row, on)
        document = next(
            (
                d
                for d in view["documents"]
                if d["kind"] == body.kind
                and d["dated"] == body.dated.isoformat()
                and d["governing_board"] == body.governing_board
            ),
            None,
        )
        return (201 if created else 200), {
            "document": document,
            "member": view,
            "orders_rechecked": rechecked,
        }

    return await idempotency.once(svc, request, user, body.model_dump(mode="json"), produce)


async def _recheck_held(
    svc: Services, member_name: str, user: Principal, body: DocumentFiling, request: Request
) -> list[dict[str, Any]]:
    """Every order of the member held for a document is checked again now."""
    held = await cq.held_orders(await svc.db(), member_name)
    if not held:
        return []
    note = DocumentsRecorded(
        principal=user, kind=body.kind, request_id=commands.request_id(request)
    )
    return await gateway.documents_recorded(svc, held, note)


@router.get("/v1/members/{member_id}/messages", summary="Notices and reminders sent to a member")
async def member_messages(member_id: RefPath, svc: Svc, user: User) -> Any:
    pool = await svc.db()
    row = await _member_row(pool, member_id)
    if user.role != "cpo" and not rules.acts_for(user, row["name"]):
        raise forbidden(f"{user.name} reads only the notices sent to its own unit.")
    recipient = rules.member_recipient(row["name"])
    # A member is never a bidder: nothing of its notices is sealed.
    return {
        "recipient": recipient,
        "messages": await queries.messages_for(pool, recipient, own=True),
    }
