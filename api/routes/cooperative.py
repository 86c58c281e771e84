"""Joint and cooperative purchasing: members, their documents, contracts open to joint or
cooperative use, orders off them, and the report of their use.

- ``/v1/members``: units of local government (and State Use facilities) registered to buy off
  State and cooperative contracts, with their participation resolution or MICPA on file.
- ``/v1/contracts``: contracts opened to joint (State master contract) or cooperative use,
  from a procurement of this service or entered with their award details. Public, as the
  Bulletin publishes them.
- ``/v1/orders``: a member's order runs as its own workflow (``workflows/order.py``); it is
  visible to the member, the contract's lead and the supervisors.
- ``/v1/reports/contract-use``: use of each contract by member and period, with reminders.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

import asyncpg
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse
from temporalio.client import (
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from api import commands, gateway, idempotency, queries
from api.auth import User, forbidden
from api.errors import CREATED_OR_SAME, RESPONSES, ApiError, refused
from api.routes.procurements import Svc
from api.services import Services, Unavailable
from cooperative import rules
from cooperative.models import (
    ContractOpening,
    DocumentFiling,
    DocumentsRecorded,
    Kind,
    MemberRegistration,
    OrderInput,
    OrderOutcome,
    OrderRequest,
    OrderState,
    Program,
    Withdrawal,
    WithdrawBody,
)
from db import audit
from db.cooperative import contract_record, member_record, placed_total
from rules.calendar import local_date
from state_machines.models import REFERENCE_PATTERN, Principal
from workflows.order import OrderWorkflow

router = APIRouter(tags=["cooperative purchasing"], responses=RESPONSES)

RefPath = Annotated[str, Path(pattern=REFERENCE_PATTERN, description="A reference.")]
Period = Literal["month", "quarter", "year"]
AWARDED_STATES = ("awarded", "closed")
NO_NUL = r"^[^\x00]*$"


def invalid(field: str, rule: str, message: str) -> ApiError:
    return ApiError(
        422,
        {
            "error": "invalid_request",
            "errors": [{"field": field, "rule": rule, "message": message}],
        },
    )


def not_found(what: str) -> ApiError:
    return ApiError(404, {"error": "not_found", "reason": f"No {what}."})


async def _today(svc: Services) -> date:
    return local_date(await svc.clock.now())


async def _audit(
    conn: asyncpg.Connection,
    svc: Services,
    reference: str,
    principal: Principal,
    command: str,
    outcome: str,
    citation: str,
    summary: str,
    request: Request,
    state: str = "registered",
) -> None:
    await audit.append(
        conn,
        audit.AuditEntry(
            reference=reference,
            at=await svc.clock.now(),
            actor=principal.name,
            role=principal.role,
            command=command,
            outcome=outcome,
            from_state=state,
            to_state=state,
            citation=citation,
            summary=summary,
            request_id=commands.request_id(request),
        ),
    )


# ---- members -------------------------------------------------------------------------------


def member_audit_reference(name: str) -> str:
    return f"member:{name}"


async def member_view(pool: asyncpg.Pool, row: asyncpg.Record, today: date) -> dict[str, Any]:
    record = await member_record(pool, member_id=row["member_id"])
    assert record is not None
    return {
        "member_id": row["member_id"],
        "name": row["name"],
        "kind": row["kind"],
        "kind_label": rules.KINDS[row["kind"]].label,
        "created_by_statute": row["created_by_statute"],
        "has_taxing_power": row["has_taxing_power"],
        "purchasing_official": row["purchasing_official"],
        "eligibility": {
            "eligible": True,
            "reason": row["eligibility"],
            "citation": row["citation"],
        },
        "terms": rules.TERMS,
        "documents": [d.model_dump(mode="json") for d in record.documents],
        "programs": {
            program: rules.program_standing(record, program, today)
            for program in ("joint", "cooperative")
        },
        "registered_by": row["registered_by"],
        "registered_at": row["registered_at"].isoformat(),
    }


async def _member_row(pool: asyncpg.Pool, member_id: str) -> asyncpg.Record:
    row: asyncpg.Record | None = await pool.fetchrow(
        "SELECT * FROM members WHERE member_id = $1", member_id
    )
    if row is None:
        raise not_found(f"member {member_id}")
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
            async with pool.acquire() as conn, conn.transaction():
                await _audit(
                    conn,
                    svc,
                    member_audit_reference(body.name),
                    user,
                    "register",
                    "refused",
                    elig.citation,
                    elig.reason,
                    request,
                    state="unregistered",
                )
            raise refused(
                {
                    "code": "not_eligible",
                    "citation": elig.citation,
                    "reason": elig.reason,
                    "field": "kind",
                }
            )
        statute, taxing = rules.registered_flags(
            body.kind, body.created_by_statute, body.has_taxing_power
        )
        digest = idempotency.body_hash(body.model_dump(mode="json"))
        async with pool.acquire() as conn, conn.transaction():
            member_id = await conn.fetchval(
                """INSERT INTO members (member_id, name, kind, created_by_statute,
                       has_taxing_power, purchasing_official, eligibility, citation, digest,
                       registered_by, registered_role, registered_at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                   ON CONFLICT (name) DO NOTHING RETURNING member_id""",
                "MBR-" + uuid.uuid4().hex[:10].upper(),
                body.name,
                body.kind,
                statute,
                taxing,
                body.purchasing_official,
                elig.reason,
                elig.citation,
                digest,
                user.name,
                user.role,
                await svc.clock.now(),
            )
            if member_id is not None:
                await _audit(
                    conn,
                    svc,
                    member_audit_reference(body.name),
                    user,
                    "register",
                    "accepted",
                    elig.citation,
                    f"Registered {body.name} ({rules.KINDS[body.kind].label}). {rules.TERMS}",
                    request,
                    state="registered",
                )
        row = await pool.fetchrow("SELECT * FROM members WHERE name = $1", body.name)
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
        return (201 if member_id else 200), await member_view(pool, row, await _today(svc))

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
    rows = await pool.fetch(
        """SELECT * FROM members WHERE ($1::text IS NULL OR kind = $1)
           AND ($2::text IS NULL OR name = $2) ORDER BY name LIMIT $3""",
        kind,
        own,
        limit,
    )
    today = await _today(svc)
    return {"members": [await member_view(pool, r, today) for r in rows]}


@router.get("/v1/members/{member_id}", summary="A member, its documents and its standing")
async def get_member(member_id: RefPath, svc: Svc, user: User) -> Any:
    pool = await svc.db()
    row = await _member_row(pool, member_id)
    if not rules.may_read_member(user, row["name"]):
        raise forbidden(f"{user.name} may not read {row['name']}'s membership.")
    return await member_view(pool, row, await _today(svc))


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
        today = await _today(svc)
        if body.dated > today:
            raise invalid(
                "body.dated",
                "not_in_future",
                f"A document on file was passed or signed on or before today ({today}).",
            )
        label = rules.DOCUMENTS[body.kind].label
        async with pool.acquire() as conn, conn.transaction():
            created = await conn.fetchval(
                """INSERT INTO member_documents (member_id, kind, dated, governing_board,
                       identifier, recorded_by, recorded_role, recorded_at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                   ON CONFLICT (member_id, kind, dated, governing_board) DO NOTHING
                   RETURNING document_id""",
                member_id,
                body.kind,
                body.dated,
                body.governing_board,
                body.identifier,
                user.name,
                user.role,
                await svc.clock.now(),
            )
            if created is not None:
                await _audit(
                    conn,
                    svc,
                    member_audit_reference(row["name"]),
                    user,
                    "record_document",
                    "accepted",
                    rules.DOCUMENTS[body.kind].citation,
                    f"{label} dated {body.dated.isoformat()} by {body.governing_board} put on "
                    f"file by {user.name}.",
                    request,
                )
        rechecked = await _recheck_held(svc, row["name"], user, body, request)
        view = await member_view(pool, row, today)
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
    """Every order of the member held for a document is checked again now. One that cannot
    be reached is looked at again by its own workflow within a day."""
    pool = await svc.db()
    held = await pool.fetch(
        "SELECT reference FROM orders WHERE member_name = $1 AND state = 'held' "
        "ORDER BY created_at",
        member_name,
    )
    if not held:
        return []
    client = await svc.temporal()
    note = DocumentsRecorded(
        principal=user, kind=body.kind, request_id=commands.request_id(request)
    )
    out = []
    for r in held:
        handle = client.get_workflow_handle(r["reference"])
        try:
            outcome = await handle.execute_update(OrderWorkflow.documents_recorded, note)
            out.append(_outcome_dict(outcome))
        except WorkflowUpdateFailedError:
            # It moved on meanwhile (placed, withdrawn or lapsed): show it as it stands.
            row = await _order_row(pool, r["reference"])
            out.append({"reference": r["reference"], "state": row["state"] if row else None})
        except (WorkflowUpdateRPCTimeoutOrCancelledError, RPCError):
            out.append(
                {
                    "reference": r["reference"],
                    "state": "held",
                    "note": "The order's workflow did not answer now; it looks again within a day.",
                }
            )
    return out


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


# ---- contracts -----------------------------------------------------------------------------


def contract_view(row: asyncpg.Record, used: Decimal, today: date) -> dict[str, Any]:
    record = contract_record(row)
    program = rules.PROGRAMS[record.program]
    left = rules.remaining(record, used)
    return {
        "reference": record.reference,
        "program": record.program,
        "program_name": program.name,
        "title": record.title,
        "vendor": record.vendor,
        "lead": record.lead,
        "statute": record.statute,
        "starts_on": record.starts_on.isoformat(),
        "ends_on": record.ends_on.isoformat(),
        "in_term": record.starts_on <= today <= record.ends_on,
        "ceiling": None if record.ceiling is None else f"{record.ceiling:.2f}",
        "used": f"{rules.money(used):.2f}",
        "remaining": None if left is None else f"{left:.2f}",
        "items": [i.model_dump(mode="json") for i in record.items],
        "scope": record.scope,
        "open_to": record.open_to,
        "document_required": {
            "kind": program.document,
            "label": rules.DOCUMENTS[program.document].label,
            "citation": program.citation,
        },
        "terms": rules.TERMS,
        "procurement": row["procurement_reference"],
        "award": row["award"],
        "opened_by": row["opened_by"],
        "opened_at": row["opened_at"].isoformat(),
    }


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
        amount = await pool.fetchval(
            "SELECT amount FROM tabulations WHERE reference = $1 AND bid_id = $2",
            reference,
            award["bid_id"],
        )
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
            await _order_row(pool, body.reference) is not None
        ):
            raise _reference_in_use(body.reference, "contract")
        digest = idempotency.body_hash(fingerprint)
        async with pool.acquire() as conn, conn.transaction():
            created = await conn.fetchval(
                """INSERT INTO cooperative_contracts (reference, program, title, vendor, lead,
                       statute, starts_on, ends_on, ceiling, items, scope, open_to,
                       procurement_reference, award, digest, opened_by, opened_role, opened_at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
                       $16, $17, $18)
                   ON CONFLICT (reference) DO NOTHING RETURNING reference""",
                body.reference,
                body.program,
                body.title,
                vendor,
                lead,
                statute,
                body.starts_on,
                body.ends_on,
                body.ceiling,
                [i.model_dump(mode="json") for i in body.items],
                body.scope,
                open_to,
                body.procurement,
                award,
                digest,
                user.name,
                user.role,
                await svc.clock.now(),
            )
            if created is not None:
                await _audit(
                    conn,
                    svc,
                    f"contract:{body.reference}",
                    user,
                    "open_contract",
                    "accepted",
                    statute,
                    f"Contract {body.reference} with {vendor}, led by {lead}, opened to "
                    f"{body.program} use from {body.starts_on} to {body.ends_on}.",
                    request,
                    state="open",
                )
        row = await pool.fetchrow(
            "SELECT * FROM cooperative_contracts WHERE reference = $1", body.reference
        )
        if created is None and row["digest"] != digest:
            raise _reference_in_use(body.reference, "contract")
        used = await placed_total(pool, body.reference)
        return (201 if created else 200), contract_view(row, used, await _today(svc))

    return await idempotency.once(svc, request, user, fingerprint, produce)


def _reference_in_use(reference: str, what: str) -> ApiError:
    return refused(
        {
            "code": "reference_in_use",
            "citation": "service rule: one reference names one procurement, contract or order",
            "reason": f"{reference} already names something else; choose another {what} reference.",
            "field": "reference",
        }
    )


@router.get("/v1/contracts", summary="Contracts open to joint or cooperative use (public)")
async def list_contracts(
    svc: Svc,
    program: Program | None = None,
    lead: Annotated[str | None, Query(min_length=1, max_length=200, pattern=NO_NUL)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Any:
    """Published like the Bulletin's master contracts: anyone may read them."""
    pool = await svc.db()
    rows = await pool.fetch(
        """SELECT * FROM cooperative_contracts WHERE ($1::text IS NULL OR program = $1)
           AND ($2::text IS NULL OR lead = $2) ORDER BY ends_on DESC, reference LIMIT $3""",
        program,
        lead,
        limit,
    )
    today = await _today(svc)
    return {
        "contracts": [
            contract_view(r, await placed_total(pool, r["reference"]), today) for r in rows
        ]
    }


@router.get("/v1/contracts/{reference}", summary="A contract open to joint or cooperative use")
async def get_contract(reference: RefPath, svc: Svc) -> Any:
    pool = await svc.db()
    row = await pool.fetchrow("SELECT * FROM cooperative_contracts WHERE reference = $1", reference)
    if row is None:
        raise not_found(f"contract {reference}")
    return contract_view(row, await placed_total(pool, reference), await _today(svc))


# ---- orders --------------------------------------------------------------------------------


async def _order_row(pool: asyncpg.Pool, reference: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await pool.fetchrow(
        "SELECT * FROM orders WHERE reference = $1", reference
    )
    return row


ORDER_FIELDS = (
    "reference",
    "state",
    "member",
    "member_id",
    "contract",
    "program",
    "vendor",
    "lead",
    "lines",
    "total",
    "delivery",
    "decision",
    "requested_lines",
    "submitted_by",
    "created_at",
    "placed_at",
    "withdrawal",
    "history",
)


def order_view(row: asyncpg.Record) -> dict[str, Any]:
    snapshot = row["snapshot"]
    view = {name: snapshot.get(name) for name in ORDER_FIELDS}
    view["state"] = row["state"]
    view["updated_at"] = row["updated_at"].isoformat()
    view["allowed_actions"] = ["withdraw"] if row["state"] == "held" else []
    return view


def _outcome_dict(outcome: OrderOutcome) -> dict[str, Any]:
    return outcome.model_dump(mode="json")


def _translate(exc: BaseException) -> ApiError | Unavailable:
    translated = gateway.translate(exc)
    if translated is not None:
        return translated
    if isinstance(exc, RPCError):
        # The order's run is gone though its row says it started: Temporal's trouble.
        return Unavailable("Temporal", exc.message)
    raise exc


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
            await pool.fetchval(
                "SELECT 1 FROM cooperative_contracts WHERE reference = $1", reference
            )
        ):
            raise _reference_in_use(reference, "order")
        if not await pool.fetchval(
            "SELECT 1 FROM cooperative_contracts WHERE reference = $1", body.contract
        ):
            raise invalid(
                "body.contract",
                "exists",
                f"No contract {body.contract} is open to joint or cooperative use.",
            )
        digest = idempotency.body_hash(fingerprint)
        existing = await _order_row(pool, reference)
        if existing is not None and existing["digest"] != digest:
            raise _reference_in_use(reference, "order")
        start = OrderInput(
            request=body,
            member_name=member_name,
            submitted_by=user,
            digest=digest,
            request_id=commands.request_id(request),
            # Pinned at launch: the order's later runs carry the same value.
            continue_as_new_events=svc.settings.continue_as_new_events,
        )
        client = await svc.temporal()
        try:
            await client.start_workflow(
                OrderWorkflow.run,
                start,
                id=reference,
                task_queue=svc.task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )
            # By the order's id alone, not the run start_workflow answered with: the order
            # may have continued as new since, and the update must reach its newest run.
            await client.get_workflow_handle(reference).execute_update(
                OrderWorkflow.confirm, digest
            )
        except WorkflowAlreadyStartedError:
            pass  # finished: the row says how
        except (
            WorkflowUpdateFailedError,
            WorkflowUpdateRPCTimeoutOrCancelledError,
            RPCError,
        ) as exc:
            raise _translate(exc) from exc
        row = await _order_row(pool, reference)
        if row is None or row["digest"] != digest:
            raise _reference_in_use(reference, "order")
        view = order_view(row)
        if row["state"] == "refused":
            raise _refused_order(view)
        return (200 if existing is not None else 201), view

    return await idempotency.once(svc, request, user, fingerprint, produce)


def _visible_clause(user: Principal, args: list[Any]) -> str:
    """SQL restricting orders to those the caller may read."""
    if user.role in rules.SUPERVISORS:
        return "TRUE"
    if user.role == "member" and user.agency:
        args.append(user.agency)
        return f"(member_name = ${len(args)} OR lead = ${len(args)})"
    if user.role in rules.AGENCY_ROLES and user.agency:
        args.append(user.agency)
        return f"lead = ${len(args)}"
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
    args: list[Any] = [state, contract, member]
    where = _visible_clause(user, args)
    args.append(limit)
    rows = await (await svc.db()).fetch(
        f"""SELECT * FROM orders WHERE ($1::text IS NULL OR state = $1)
            AND ($2::text IS NULL OR contract_reference = $2)
            AND ($3::text IS NULL OR member_name = $3) AND {where}
            ORDER BY created_at DESC, reference DESC LIMIT ${len(args)}""",
        *args,
    )
    return {"orders": [order_view(r) for r in rows]}


async def _readable_order(svc: Services, reference: str, user: Principal) -> asyncpg.Record:
    row = await _order_row(await svc.db(), reference)
    if row is None:
        raise not_found(f"order {reference}")
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
            client = await svc.temporal()
            handle = client.get_workflow_handle(reference)
            try:
                await handle.execute_update(
                    OrderWorkflow.withdraw,
                    Withdrawal(principal=user, reason=body.reason, request_id=rid),
                    id=idempotency.update_id(user, key),
                )
            except (
                WorkflowUpdateFailedError,
                WorkflowUpdateRPCTimeoutOrCancelledError,
                RPCError,
            ) as exc:
                current = await _order_row(await svc.db(), reference)
                if isinstance(exc, RPCError) and current and current["state"] != "held":
                    # The workflow has finished: nothing is held any more.
                    raise refused(
                        {
                            "code": "not_held",
                            "citation": rules.SERVICE_RULE,
                            "reason": f"Order {reference} is {current['state']}; only a held "
                            "order is withdrawn.",
                            "field": None,
                        }
                    ) from exc
                raise _translate(exc) from exc
        except ApiError as exc:
            if exc.status in (403, 409):
                await commands.record_refusal(
                    svc, reference, row["state"], user, "withdraw", exc.body, rid
                )
            raise
        current = await _order_row(await svc.db(), reference)
        assert current is not None
        return 200, order_view(current)

    fingerprint = {"reference": reference, "withdraw": body.model_dump(mode="json")}
    return await idempotency.once(svc, request, user, fingerprint, produce)


# ---- reports -------------------------------------------------------------------------------


def period_of(day: date, period: Period) -> str:
    if period == "year":
        return f"{day.year}"
    if period == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year}-{day.month:02d}"


@router.get("/v1/reports/contract-use", summary="Use of each contract by member and period")
async def contract_use(
    svc: Svc,
    user: User,
    contract: Annotated[str | None, Query(pattern=REFERENCE_PATTERN)] = None,
    period: Period = "month",
    start: Annotated[date | None, Query(alias="from", ge=date(1900, 1, 1))] = None,
    end: Annotated[date | None, Query(alias="to", le=date(2999, 12, 31))] = None,
) -> Any:
    """Placed orders totalled per contract, member and period (`from`/`to` are Chicago days,
    both included), with each contract's use of its ceiling and the reminders due: near or at
    the ceiling, near or past the end of the term, and the members they concern. Supervisors
    see every contract; a lead, its contracts; a member, its own use."""
    if start and end and end < start:
        raise invalid("query.to", "after_from", "'to' is on or after 'from'.")
    pool = await svc.db()
    supervisor = user.role in rules.SUPERVISORS
    if not supervisor and user.role not in rules.AGENCY_ROLES | {"member"}:
        raise forbidden(f"{user.name} may not read the use of contracts.")
    today = await _today(svc)
    contracts = await pool.fetch(
        """SELECT * FROM cooperative_contracts WHERE ($1::text IS NULL OR reference = $1)
           ORDER BY reference""",
        contract,
    )
    orders = await pool.fetch(
        """SELECT reference, contract_reference, member_name, total, placed_at FROM orders
           WHERE state = 'placed' AND ($1::text IS NULL OR contract_reference = $1)
           ORDER BY placed_at, reference""",
        contract,
    )
    by_contract: dict[str, list[asyncpg.Record]] = defaultdict(list)
    for o in orders:
        by_contract[o["contract_reference"]].append(o)
    out = []
    for c in contracts:
        lead_sees_all = supervisor or user.agency == c["lead"]
        own = user.agency if user.role == "member" else None
        mine = [o for o in by_contract[c["reference"]] if lead_sees_all or o["member_name"] == own]
        if not lead_sees_all and not mine:
            continue
        record = contract_record(c)
        used = sum((o["total"] for o in by_contract[c["reference"]]), Decimal("0"))
        use: dict[tuple[str, str], list[Decimal]] = defaultdict(list)
        members: dict[str, list[Decimal]] = defaultdict(list)
        for o in mine:
            day = local_date(o["placed_at"])
            if (start and day < start) or (end and day > end):
                continue
            use[(o["member_name"], period_of(day, period))].append(o["total"])
            members[o["member_name"]].append(o["total"])
        users = sorted({o["member_name"] for o in mine})
        left = rules.remaining(record, used)
        out.append(
            {
                "reference": record.reference,
                "title": record.title,
                "program": record.program,
                "vendor": record.vendor,
                "lead": record.lead,
                "starts_on": record.starts_on.isoformat(),
                "ends_on": record.ends_on.isoformat(),
                "ceiling": None if record.ceiling is None else f"{record.ceiling:.2f}",
                "used": f"{rules.money(used):.2f}",
                "remaining": None if left is None else f"{left:.2f}",
                "use": [
                    {
                        "member": member,
                        "period": label,
                        "orders": len(totals),
                        "total": f"{sum(totals, Decimal('0')):.2f}",
                    }
                    for (member, label), totals in sorted(use.items(), key=lambda kv: kv[0])
                ],
                "by_member": [
                    {
                        "member": member,
                        "orders": len(totals),
                        "total": f"{sum(totals, Decimal('0')):.2f}",
                    }
                    for member, totals in sorted(members.items())
                ],
                "total": f"{sum((t for ts in members.values() for t in ts), Decimal('0')):.2f}",
                "reminders": [
                    {**alert, "members": users}
                    for alert in rules.contract_alerts(record, used, today)
                ],
            }
        )
    return {
        "as_of": today.isoformat(),
        "period": period,
        "from": start.isoformat() if start else None,
        "to": end.isoformat() if end else None,
        "thresholds": {
            "near_ceiling": f"{rules.THRESHOLDS.near_ceiling}",
            "term_ending_days": rules.THRESHOLDS.term_ending_days,
        },
        "contracts": out,
    }
