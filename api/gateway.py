"""Starts and sends commands to the workflows (a procurement's, a cooperative order's) and turns
Temporal's answers into HTTP ones."""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from temporalio.client import (
    WithStartWorkflowOperation,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from api import lots, queries
from api.cooperative_queries import order_row
from api.errors import ApiError, not_found, refused
from api.services import Services, Unavailable
from cooperative.models import DocumentsRecorded, OrderInput, OrderOutcome, Withdrawal
from cooperative.rules import SERVICE_RULE
from rules import citations, small_purchase
from rules.calendar import local_date
from rules.periods import PROTEST_RULES_BY_OFFICE
from state_machines import schedule
from state_machines.launch import launch_refusal, small_purchase_value
from state_machines.models import CONTRACT_CHANGE_METHODS, Command, LaunchSpec, Principal
from workflows.errors import FORBIDDEN, REFUSED
from workflows.order import OrderWorkflow
from workflows.payloads import CommandResult, LaunchInput, description_key
from workflows.procurement import ProcurementWorkflow


def launch_digest(spec: LaunchSpec) -> str:
    canonical = json.dumps(spec.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def translate(exc: BaseException) -> ApiError | Unavailable | None:
    """A workflow's refusal (409), its 403, or Temporal's trouble (503), from what an update
    raised; None when the workflow was not found (the caller decides what that means)."""
    if isinstance(exc, WorkflowUpdateFailedError):
        cause = exc.cause
        if isinstance(cause, ApplicationError) and cause.type == REFUSED and cause.details:
            return refused(dict(cause.details[0]))
        if isinstance(cause, ApplicationError) and cause.type == FORBIDDEN and cause.details:
            return ApiError(403, {"error": "forbidden", "reason": cause.details[0]["reason"]})
        return ApiError(
            409, {"error": "refused", "code": "failed", "citation": "", "reason": str(cause)}
        )
    if isinstance(exc, WorkflowUpdateRPCTimeoutOrCancelledError):
        return Unavailable("Temporal", "the command timed out; retry it")
    if isinstance(exc, RPCError):
        if exc.status == RPCStatusCode.NOT_FOUND and "namespace" not in exc.message.lower():
            return None  # decided by the caller: unknown, or already finished
        # A namespace "not found" is an overloaded server failing its own lookup: retry.
        # Anything else from the server is its trouble, not the caller's: retry later.
        return Unavailable("Temporal", exc.message)
    return None


async def send(
    services: Services,
    reference: str,
    trigger: str,
    principal: Principal,
    payload: dict[str, Any],
    *,
    request_id: str | None = None,
    update_id: str | None = None,
) -> CommandResult:
    client = await services.temporal()
    handle = client.get_workflow_handle(reference)
    command = Command(
        trigger=trigger,
        actor=principal.name,
        payload=payload,
        principal=principal,
        request_id=request_id,
    )
    try:
        return await handle.execute_update(ProcurementWorkflow.command, command, id=update_id)
    except (RPCError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError) as exc:
        if isinstance(exc, RPCError) and _update_limit(exc):
            raise await _over_the_limit(handle, reference) from exc
        translated = translate(exc)
        if translated is not None:
            raise translated from exc
        row = await queries.procurement_row(await services.db(), reference)
        if row is None:
            raise not_found(reference) from exc
        raise _finished(reference, row["state"]) from exc


def _finished(reference: str, state: str) -> ApiError:
    return refused(
        {
            "code": "procurement_finished",
            "citation": "30 ILCS 500/20-10",
            "reason": f"Procurement {reference} is {state}; no command changes it now.",
            "field": None,
        }
    )


def _update_limit(exc: RPCError) -> bool:
    """Temporal's refusal of an execution's update past its total (2,000 by default)."""
    return exc.status == RPCStatusCode.FAILED_PRECONDITION and "total number" in exc.message


async def _over_the_limit(handle: Any, reference: str) -> ApiError | Unavailable:
    """A run that hands over to a fresh one takes commands again within moments (503, retry);
    one started before runs could hand over never will (409, with the reason)."""
    try:
        hands_over = await handle.query(ProcurementWorkflow.continues_as_new)
    except RPCError:
        hands_over = True
    if hands_over:
        return Unavailable("Temporal", "the procurement is moving to a fresh run; retry")
    return refused(
        {
            "code": "update_limit",
            "citation": "service rule: Temporal takes at most 2,000 commands in one workflow run",
            "reason": f"Procurement {reference} was started before procurements could continue "
            "as new, and has taken as many commands as one run may; it can take no more. "
            "An operator can reset it (temporal workflow reset) or cancel and relaunch it.",
            "field": None,
        }
    )


async def launch(
    services: Services, spec: LaunchSpec, principal: Principal
) -> tuple[bool, CommandResult]:
    """Start the procurement's workflow, or confirm an identical earlier launch.

    Returns (created, result). The workflow id is the reference, so two launches of the same
    reference reach one workflow. A new procurement is started and its launch confirmed in one
    round trip (update-with-start); a reference already in the read model is answered from it,
    without a command to its workflow.
    """
    pool = await services.db()
    digest = launch_digest(spec)
    row = await queries.procurement_row(pool, spec.reference)
    if row is not None:
        if row["launch_digest"] != digest:
            raise refused(_reference_in_use(spec.reference))
        return False, CommandResult(
            reference=spec.reference, state=row["state"], seq=0, summary="Already launched."
        )
    today = local_date(await services.clock.now())
    limit = await queries.small_purchase_limit(pool, today)
    refusal = launch_refusal(spec, limit[0] if limit else None)
    if refusal is not None:
        raise refused(refusal.as_dict())
    await _overrun_check(services, spec, limit)
    contract_of = await _contract_check(services, spec, today)
    split_flag = None
    if spec.method == "small_purchase":
        split_flag = await _split_check(services, spec, today, limit)
    settings = services.settings
    launch_input = LaunchInput(
        spec=spec,
        digest=digest,
        calendar=settings.calendar_rules().to_dict(),
        protest_rules=PROTEST_RULES_BY_OFFICE[spec.chief_procurement_office].to_dict(),
        launched_by=principal.name,
        launched_role=principal.role,
        small_purchase_limit=str(limit[0]) if limit else None,
        small_purchase_limit_citation=limit[1] if limit else None,
        split_flag=split_flag,
        contract_of=contract_of,
        reminder_offsets=settings.reminder_days(),
        reminded_periods=list(schedule.REMINDED_PERIODS),
        continue_as_new_events=settings.continue_as_new_events,
    )
    client = await services.temporal()
    start = WithStartWorkflowOperation(
        ProcurementWorkflow.run,
        launch_input,
        id=spec.reference,
        task_queue=services.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
    )
    try:
        async with lots.claimed(services, spec):
            result = await client.execute_update_with_start_workflow(
                ProcurementWorkflow.confirm_launch, digest, start_workflow_operation=start
            )
    except WorkflowAlreadyStartedError:
        # The reference belongs to a finished procurement: compare with what it was.
        finished = client.get_workflow_handle(spec.reference)
        if await finished.query(ProcurementWorkflow.launch_digest) != digest:
            raise refused(_reference_in_use(spec.reference)) from None
        row = await queries.procurement_row(pool, spec.reference)
        state = row["state"] if row else "closed"
        return False, CommandResult(
            reference=spec.reference, state=state, seq=0, summary="Already launched."
        )
    except (WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError, RPCError) as exc:
        translated = translate(exc)
        if translated is not None:
            raise translated from exc
        # A start finds no workflow missing: what is left is the server's trouble.
        raise Unavailable("Temporal", str(exc)) from exc
    return bool(result.result.get("created")), result


async def _split_check(
    services: Services, spec: LaunchSpec, today: date, limit: tuple[Decimal, str] | None
) -> str | None:
    """30 ILCS 500/20-20(a): "Procurements shall not be artificially divided so as to
    constitute a small purchase." The same agency's small purchases of the same type within
    the configured period (the same description, a shared commodity code or the same vendor:
    rules.small_purchase.same_need), together over the limit, are refused or flagged for the
    SPO (44 Ill. Adm. Code 1.2020(d))."""
    value = small_purchase_value(spec)
    if limit is None or value is None:
        return None
    settings = services.settings
    since = today - timedelta(days=settings.split_window_days)
    ours = _need(description_key(spec.title), spec.commodity_codes, spec.intended_contractor)
    related: list[tuple[str, Decimal, str]] = []
    for row in await queries.small_purchases_since(await services.db(), spec.agency, since):
        theirs = _need(row["description_key"], row["codes"], row["vendor"])
        why = small_purchase.same_need(ours, theirs)
        if why is not None:
            related.append((row["reference"], row["estimated_value"], why))
    total = value + sum((v for _, v, _ in related), Decimal("0"))
    if not related or total <= limit[0]:
        return None
    others = ", ".join(f"{ref} ({why})" for ref, _, why in related)
    reason = (
        f"With {others}, small purchases by {spec.agency} of the same type since "
        f"{since.isoformat()} come to {total:,.2f}, over the {limit[0]:,.2f} limit; procurements "
        f"shall not be artificially divided ({citations.SMALL_PURCHASE}; "
        f"{citations.REPETITIVE_NEED})."
    )
    if settings.split_policy == "refuse":
        raise refused(
            {
                "code": "divided_purchase",
                "citation": citations.SMALL_PURCHASE,
                "reason": reason,
                "field": "estimated_value",
            }
        )
    return reason


def _need(key: str, codes: list[str], vendor: str | None) -> tuple[str, frozenset[str], str | None]:
    """What the divided-need check compares of one small purchase."""
    return (
        key,
        frozenset(small_purchase.commodity_type(c) for c in codes),
        vendor.strip().casefold() if vendor and vendor.strip() else None,
    )


async def _overrun_check(
    services: Services, spec: LaunchSpec, limit: tuple[Decimal, str] | None
) -> None:
    """44 Ill. Adm. Code 1.2020(b)(3): a signed small purchase of this agency whose actual cost
    exceeds the small purchase amount is completed by sole source or emergency procedures."""
    overrun = spec.completes_small_purchase
    if overrun is None:
        return
    row = await queries.procurement_row(await services.db(), overrun.small_purchase)
    if (
        row is None
        or row["method"] != "small_purchase"
        or row["agency"] != spec.agency
        or row["state"] not in ("awarded", "closed")
    ):
        raise refused(
            {
                "code": "overrun_not_signed_small_purchase",
                "citation": citations.SMALL_PURCHASE_OVERRUN,
                "reason": f"{overrun.small_purchase} is not a small purchase of {spec.agency} "
                "signed and awarded; only the cost of completing a signed small purchase "
                f"contract goes to sole source or emergency ({citations.SMALL_PURCHASE_OVERRUN}).",
                "field": "completes_small_purchase.small_purchase",
            }
        )
    if limit is not None and overrun.actual_cost <= limit[0]:
        raise refused(
            {
                "code": "overrun_within_limit",
                "citation": citations.SMALL_PURCHASE_OVERRUN,
                "reason": f"The actual cost {overrun.actual_cost:,.2f} does not exceed the small "
                f"purchase limit of {limit[0]:,.2f}; the small purchase is completed as signed "
                f"({citations.SMALL_PURCHASE_OVERRUN}).",
                "field": "completes_small_purchase.actual_cost",
            }
        )


async def _contract_check(
    services: Services, spec: LaunchSpec, today: date
) -> dict[str, Any] | None:
    """A renewal or change is of a contract this agency was awarded by another procurement
    (15-25(a),(b),(b-5),(c-10)); a renewal only of a contract that may be renewed."""
    change = spec.contract
    if change is None:
        return None
    if change.determined_on > today:
        raise refused(
            {
                "code": "determination_in_future",
                "citation": citations.CONTRACT_CHANGE,
                "reason": f"The determination to execute it is made before it is launched; "
                f"{change.determined_on.isoformat()} is after today, {today.isoformat()} "
                f"({citations.CONTRACT_CHANGE}).",
                "field": "contract.determined_on",
            }
        )
    pool = await services.db()
    row = await queries.procurement_row(pool, change.original)
    award = (row["snapshot"] or {}).get("award") if row is not None else None
    if (
        row is None
        or row["agency"] != spec.agency
        or row["method"] == "small_purchase"
        or row["method"] in CONTRACT_CHANGE_METHODS
        or row["state"] not in ("awarded", "closed")
        or not award
    ):
        raise refused(
            {
                "code": "contract_unknown",
                "citation": citations.CONTRACT_CHANGE,
                "reason": f"{change.original} is not a contract {spec.agency} awarded and "
                "noticed in the Bulletin; a renewal, change order or renegotiation changes such "
                f"a contract ({citations.CONTRACT_CHANGE}).",
                "field": "contract.original",
            }
        )
    if change.kind == "renewal" and not row["snapshot"]["spec"].get("renewable", True):
        raise refused(
            {
                "code": "not_renewable",
                "citation": citations.CONTRACT_RENEWAL,
                "reason": f"The contract of {change.original} was launched nonrenewable "
                f"(renewable: false); it is not renewed ({citations.CONTRACT_RENEWAL}).",
                "field": "contract.original",
            }
        )
    return {
        "original": change.original,
        "contractor": award["vendor"],
        "award_seq": await queries.award_notice_seq(pool, change.original),
    }


def _reference_in_use(reference: str) -> dict[str, Any]:
    return {
        "code": "reference_in_use",
        "citation": "service rule: one reference names one procurement",
        "reason": f"Procurement {reference} was already launched with a different body; a "
        "reference names one procurement.",
        "field": "reference",
    }


# ---- cooperative orders --------------------------------------------------------------------


def reference_in_use(reference: str, what: str) -> ApiError:
    """A contract's or an order's reference that already names a procurement, a contract or
    an order: unlike a procurement's launch, nothing of the other is compared."""
    return refused(
        {
            "code": "reference_in_use",
            "citation": "service rule: one reference names one procurement, contract or order",
            "reason": f"{reference} already names something else; choose another {what} reference.",
            "field": "reference",
        }
    )


def _order_trouble(exc: BaseException) -> ApiError | Unavailable:
    translated = translate(exc)
    if translated is not None:
        return translated
    if isinstance(exc, RPCError):
        # The order's run is gone though its row says it started: Temporal's trouble.
        return Unavailable("Temporal", exc.message)
    raise exc


async def start_order(services: Services, order: OrderInput) -> None:
    """Start the order's workflow and wait until it has decided, or reach the running one of
    the same reference. Its row in the read model then says what became of it, also when the
    reference belongs to an order already finished (its id is never reused)."""
    reference = order.request.reference
    client = await services.temporal()
    try:
        await client.start_workflow(
            OrderWorkflow.run,
            order,
            id=reference,
            task_queue=services.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
        # By the order's id alone, not the run start_workflow answered with: the order may
        # have continued as new since, and the update must reach its newest run.
        await client.get_workflow_handle(reference).execute_update(
            OrderWorkflow.confirm, order.digest
        )
    except WorkflowAlreadyStartedError:
        pass  # finished: the row says how
    except (WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError, RPCError) as exc:
        raise _order_trouble(exc) from exc


async def documents_recorded(
    services: Services, references: list[str], note: DocumentsRecorded
) -> list[dict[str, Any]]:
    """Tell each held order that a document was put on file; each answers as it stands now.
    One that cannot be reached is looked at again by its own workflow within a day."""
    client = await services.temporal()
    out = []
    for reference in references:
        handle = client.get_workflow_handle(reference)
        try:
            outcome: OrderOutcome = await handle.execute_update(
                OrderWorkflow.documents_recorded, note
            )
            out.append(outcome.model_dump(mode="json"))
        except WorkflowUpdateFailedError:
            # It moved on meanwhile (placed, withdrawn or lapsed): show it as it stands.
            row = await order_row(await services.db(), reference)
            out.append({"reference": reference, "state": row["state"] if row else None})
        except (WorkflowUpdateRPCTimeoutOrCancelledError, RPCError):
            out.append(
                {
                    "reference": reference,
                    "state": "held",
                    "note": "The order's workflow did not answer now; it looks again within a day.",
                }
            )
    return out


async def withdraw_order(
    services: Services, reference: str, withdrawal: Withdrawal, *, update_id: str | None
) -> None:
    client = await services.temporal()
    handle = client.get_workflow_handle(reference)
    try:
        await handle.execute_update(OrderWorkflow.withdraw, withdrawal, id=update_id)
    except (WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError, RPCError) as exc:
        current = await order_row(await services.db(), reference)
        if isinstance(exc, RPCError) and current and current["state"] != "held":
            # The workflow has finished: nothing is held any more.
            raise refused(
                {
                    "code": "not_held",
                    "citation": SERVICE_RULE,
                    "reason": f"Order {reference} is {current['state']}; only a held "
                    "order is withdrawn.",
                    "field": None,
                }
            ) from exc
        raise _order_trouble(exc) from exc
