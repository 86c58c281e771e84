"""Reconciliation: compare the read model with the workflows and repair the drift.

The workflows are the source of truth; the read model is what lists and dashboards read. A
row can drift if it was edited or lost (a restore from an older backup, a manual fix). For
each procurement this asks its workflow for its facts and compares state and step count; a
running workflow is asked to write its read model again (the ``resync`` update), a finished
one is written from its facts directly. The report says what was fixed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from activities.persistence import PersistActivities
from state_machines import schedule
from state_machines.models import Facts
from state_machines.routes import TERMINAL
from workflows.payloads import PersistStep, description_key, read_model_snapshot
from workflows.procurement import ProcurementWorkflow


@dataclass
class Report:
    checked: int = 0
    fixed: list[dict[str, str]] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)  # rows whose workflow is gone

    def as_dict(self) -> dict[str, Any]:
        return {"checked": self.checked, "fixed": self.fixed, "orphans": self.orphans}


async def _references(client: Client, pool: asyncpg.Pool, extra: list[str]) -> list[str]:
    refs = {r["reference"] for r in await pool.fetch("SELECT reference FROM procurements")}
    refs.update(extra)
    try:
        async for execution in client.list_workflows('WorkflowType="Procurement"'):
            refs.add(execution.id)
    except RPCError as exc:
        if exc.status != RPCStatusCode.UNIMPLEMENTED:  # servers without visibility
            raise
    return sorted(refs)


def _drift(row: asyncpg.Record | None, facts: Facts) -> str | None:
    if row is None:
        return "missing from the read model"
    stored = row["snapshot"]
    if row["state"] != facts.state:
        return f"state {row['state']!r} in the read model, {facts.state!r} in the workflow"
    if stored.get("seq") != facts.seq:
        return f"{stored.get('seq')} steps in the read model, {facts.seq} in the workflow"
    return None


async def reconcile(
    client: Client, pool: asyncpg.Pool, references: list[str] | None = None
) -> Report:
    report = Report()
    for reference in await _references(client, pool, references or []):
        report.checked += 1
        handle = client.get_workflow_handle(reference)
        try:
            facts = Facts.model_validate(await handle.query(ProcurementWorkflow.facts_snapshot))
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                report.orphans.append(reference)
                continue
            raise
        row = await pool.fetchrow("SELECT * FROM procurements WHERE reference = $1", reference)
        drift = _drift(row, facts)
        if drift is None:
            continue
        if facts.state not in TERMINAL:
            await handle.execute_update(ProcurementWorkflow.resync)
            repair = "the workflow wrote its read model again"
        else:
            await _write_finished(pool, row, facts)
            repair = "written from the finished workflow's facts"
        report.fixed.append({"reference": reference, "drift": drift, "repair": repair})
    return report


async def _write_finished(pool: asyncpg.Pool, row: asyncpg.Record | None, facts: Facts) -> None:
    now = datetime.now(UTC)
    upcoming = schedule.next_deadline(facts, now)
    step = PersistStep(
        reference=facts.reference,
        revision=(row["revision"] if row else 0) + 1,
        agency=facts.notice.agency,
        method=facts.method,
        state=facts.state,
        title=facts.notice.title,
        next_deadline_name=upcoming.name if upcoming else None,
        next_deadline_at=upcoming.at if upcoming else None,
        launch_digest=facts.launch_digest,
        created_at=facts.created_at,
        updated_at=now,
        estimated_value=str(facts.spec.estimated_value) if facts.spec.estimated_value else None,
        description_key=description_key(facts.spec.title),
        snapshot=read_model_snapshot(facts),
    )
    await PersistActivities(pool).persist_step(step)
