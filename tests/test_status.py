"""Status for programs: search attributes on every workflow, and reconciliation of the read
model with the workflows."""

from __future__ import annotations

import json
import uuid

import asyncpg
import httpx
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.testing import WorkflowEnvironment

from procure.reconcile import reconcile
from tests.driver import Driver, chicago
from workflows import search


async def test_every_workflow_carries_its_search_attributes(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    d = Driver(api, env, f"SA-{uuid.uuid4().hex[:8].upper()}")
    assert (await d.launch(agency="Department of Revenue")).status_code == 201
    await d.ok("publish")
    described = await env.client.get_workflow_handle(d.reference).describe()
    attributes = described.typed_search_attributes
    assert attributes.get(search.STATE) == "published"
    assert attributes.get(search.AGENCY) == "Department of Revenue"
    assert attributes.get(search.METHOD) == "competitive_sealed_bidding"
    # The next deadline is the opening itself, Monday 16 March at 14:00.
    assert attributes.get(search.NEXT_DEADLINE) == chicago(2099, 3, 16, 14)
    await d.ok("cancel", {"reason": "Done."})
    await env.client.get_workflow_handle(d.reference).result()
    # Read raw: the time-skipping server keeps an unset datetime in a form the SDK's typed
    # view cannot decode (a real server removes it); the state is what matters here.
    raw = await env.client.workflow_service.describe_workflow_execution(
        DescribeWorkflowExecutionRequest(
            namespace="default", execution=WorkflowExecution(workflow_id=d.reference)
        )
    )
    fields = raw.workflow_execution_info.search_attributes.indexed_fields
    assert json.loads(fields["ProcurementState"].data) == "cancelled"


async def test_reconciliation_repairs_drift_and_reports_it(
    api: httpx.AsyncClient, env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    running = Driver(api, env, f"REC-{uuid.uuid4().hex[:8].upper()}")
    assert (await running.launch()).status_code == 201
    await running.ok("publish")
    finished = Driver(api, env, f"REC-{uuid.uuid4().hex[:8].upper()}")
    assert (await finished.launch()).status_code == 201
    await finished.ok("cancel", {"reason": "Not needed."})
    await env.client.get_workflow_handle(finished.reference).result()
    untouched = Driver(api, env, f"REC-{uuid.uuid4().hex[:8].upper()}")
    assert (await untouched.launch()).status_code == 201

    # Drift: one row edited by hand, one lost.
    await pool.execute(
        "UPDATE procurements SET state = 'draft' WHERE reference = $1", running.reference
    )
    await pool.execute("DELETE FROM procurements WHERE reference = $1", finished.reference)

    report = await reconcile(
        env.client, pool, [running.reference, finished.reference, untouched.reference]
    )
    fixed = {f["reference"]: f for f in report.fixed}
    assert set(fixed) == {running.reference, finished.reference}
    assert (
        fixed[running.reference]["drift"]
        == "state 'draft' in the read model, 'published' in the workflow"
    )
    assert fixed[finished.reference]["drift"] == "missing from the read model"
    assert (await running.get())["state"] == "published"
    assert (await finished.get())["state"] == "cancelled"
    again = await reconcile(env.client, pool, [running.reference, finished.reference])
    assert again.fixed == []
