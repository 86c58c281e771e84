"""Sends commands to a procurement's workflow and turns Temporal's answers into HTTP ones."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from temporalio.client import (
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from api import queries
from api.errors import ApiError, not_found, refused
from api.services import Services, Unavailable
from rules.periods import PROTEST_RULES_BY_OFFICE
from state_machines.models import Command, LaunchSpec
from workflows.payloads import CommandResult, LaunchInput
from workflows.procurement import REFUSED, ProcurementWorkflow


def launch_digest(spec: LaunchSpec) -> str:
    canonical = json.dumps(spec.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _translate(exc: BaseException, reference: str) -> ApiError | Unavailable | None:
    if isinstance(exc, WorkflowUpdateFailedError):
        cause = exc.cause
        if isinstance(cause, ApplicationError) and cause.type == REFUSED and cause.details:
            return refused(dict(cause.details[0]))
        return ApiError(
            409, {"error": "refused", "code": "failed", "citation": "", "reason": str(cause)}
        )
    if isinstance(exc, WorkflowUpdateRPCTimeoutOrCancelledError):
        return Unavailable("Temporal", "the command timed out; retry it")
    if isinstance(exc, RPCError):
        if exc.status == RPCStatusCode.NOT_FOUND:
            return None  # decided by the caller: unknown, or already finished
        # Anything else from the server is its trouble, not the caller's: retry later.
        return Unavailable("Temporal", exc.message)
    return None


async def send(
    services: Services, reference: str, trigger: str, actor: str, payload: dict[str, Any]
) -> CommandResult:
    client = await services.temporal()
    handle = client.get_workflow_handle(reference)
    try:
        return await handle.execute_update(
            ProcurementWorkflow.command, Command(trigger=trigger, actor=actor, payload=payload)
        )
    except (WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError, RPCError) as exc:
        translated = _translate(exc, reference)
        if translated is not None:
            raise translated from exc
        row = await queries.procurement_row(await services.db(), reference)
        if row is None:
            raise not_found(reference) from exc
        raise refused(
            {
                "code": "procurement_finished",
                "citation": "30 ILCS 500/20-10",
                "reason": f"Procurement {reference} is {row['state']}; no command changes it now.",
                "field": None,
            }
        ) from exc


async def launch(services: Services, spec: LaunchSpec, actor: str) -> tuple[bool, CommandResult]:
    """Start the procurement's workflow, or confirm an identical earlier launch.

    Returns (created, result). The workflow id is the reference, so two launches of the same
    reference reach one workflow; a different body is refused by the workflow itself.
    """
    client = await services.temporal()
    digest = launch_digest(spec)
    existed = await queries.procurement_row(await services.db(), spec.reference) is not None
    launch_input = LaunchInput(
        spec=spec,
        digest=digest,
        calendar=services.settings.calendar_rules().to_dict(),
        protest_rules=PROTEST_RULES_BY_OFFICE[spec.chief_procurement_office].to_dict(),
        launched_by=actor,
    )
    try:
        handle = await client.start_workflow(
            ProcurementWorkflow.run,
            launch_input,
            id=spec.reference,
            task_queue=services.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    except WorkflowAlreadyStartedError:
        # The reference belongs to a finished procurement: compare with what it was.
        finished = client.get_workflow_handle(spec.reference)
        if await finished.query(ProcurementWorkflow.launch_digest) != digest:
            raise refused(_reference_in_use(spec.reference)) from None
        row = await queries.procurement_row(await services.db(), spec.reference)
        state = row["state"] if row else "closed"
        return False, CommandResult(
            reference=spec.reference, state=state, seq=0, summary="Already launched."
        )
    except RPCError as exc:
        raise Unavailable("Temporal", exc.message) from exc
    try:
        result = await handle.execute_update(ProcurementWorkflow.confirm_launch, digest)
    except (WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError, RPCError) as exc:
        translated = _translate(exc, spec.reference)
        if translated is not None:
            raise translated from exc
        raise
    return not existed, result


def _reference_in_use(reference: str) -> dict[str, Any]:
    return {
        "code": "reference_in_use",
        "citation": "service rule: one reference names one procurement",
        "reason": f"Procurement {reference} was already launched with a different body; a "
        "reference names one procurement.",
        "field": "reference",
    }
