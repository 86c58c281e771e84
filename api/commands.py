"""The one path every command takes: who may, what the workflow says, what the trail keeps.

1. The caller's role and agency are checked against the authority rules (403 with the reason).
2. The command goes to the procurement's workflow as an update; its validator checks the
   authority and the law again and refuses at once (409 with the rule cited).
3. A refused command, by the rules or by the law, is appended to the audit trail.
4. With an ``Idempotency-Key``, all of this happens once per key.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from api import gateway, idempotency, queries
from api.errors import ApiError, not_found
from api.services import Services
from api.views import procurement_view
from db import audit, bids
from procure import observability
from state_machines.authority import forbidden, may_read
from state_machines.models import Facts, Model, Principal


def request_id(request: Request) -> str:
    rid: str = request.state.request_id
    return rid


async def view(svc: Services, reference: str, principal: Principal | None) -> dict[str, Any]:
    pool = await svc.db()
    row = await queries.procurement_row(pool, reference)
    if row is None:
        raise not_found(reference)
    if not may_read(principal, row["agency"]):
        raise ApiError(
            403,
            {
                "error": "forbidden",
                "reason": f"{principal.name if principal else 'The public'} may not read "
                f"{row['agency']}'s procurement records.",
            },
        )
    history = await queries.history(pool, reference)
    held = await bids.live_count(pool, reference)
    shown = procurement_view(
        row, history, await svc.clock.now(), svc.settings.ui_url(), held, principal
    )
    if shown.get("small_purchase") is not None:
        # 1.2020(b)(3): the procurements that complete it when its cost overran the limit.
        shown["small_purchase"]["completed_by"] = await queries.overrun_completions(pool, reference)
    return shown


async def record_refusal(
    svc: Services,
    reference: str,
    state: str,
    principal: Principal,
    trigger: str,
    body: dict[str, Any],
    rid: str,
) -> None:
    pool = await svc.db()
    async with pool.acquire() as conn, conn.transaction():
        await audit.record(
            conn,
            reference=reference,
            at=await svc.clock.now(),
            principal=principal,
            command=trigger,
            outcome="refused",
            state=state,
            citation=str(body.get("citation") or ""),
            summary=str(body.get("reason") or body.get("error") or "refused"),
            request_id=rid,
        )


async def run(
    request: Request,
    svc: Services,
    principal: Principal,
    reference: str,
    trigger: str,
    body: Model | None,
    payload: dict[str, Any] | None = None,
) -> JSONResponse:
    if payload is None:
        payload = body.model_dump(mode="json", exclude_none=True) if body is not None else {}
    rid = request_id(request)
    key = idempotency.key_of(request)
    observability.bind_reference(reference)

    async def produce() -> tuple[int, Any]:
        pool = await svc.db()
        row = await queries.procurement_row(pool, reference)
        if row is None:
            raise not_found(reference)
        snapshot = dict(row["snapshot"])
        snapshot.pop("bids_received", None)
        facts = Facts.model_validate(snapshot)
        parsed = body
        denied = forbidden(trigger, principal, facts, parsed)
        try:
            if denied is not None:
                raise ApiError(403, {"error": "forbidden", "reason": denied})
            result = await gateway.send(
                svc,
                reference,
                trigger,
                principal,
                payload,
                request_id=rid,
                update_id=idempotency.update_id(principal, key),
            )
        except ApiError as exc:
            if exc.status in (403, 409):
                observability.command_refused(trigger, exc.status, exc.body)
                await record_refusal(
                    svc, reference, row["state"], principal, trigger, exc.body, rid
                )
            raise
        observability.command_accepted(trigger)
        if may_read(principal, row["agency"]):
            shown = await view(svc, reference, principal)
        else:
            # A vendor or Board member acting sees the outcome, not the agency's records.
            shown = {"reference": reference, "state": result.state}
        shown["result"] = {"summary": result.summary, **result.result}
        return 200, shown

    request_fingerprint = {"reference": reference, "trigger": trigger, "payload": payload}
    return await idempotency.once(svc, request, principal, request_fingerprint, produce)
