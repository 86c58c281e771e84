"""The Temporal worker: the procurement workflow and its activities on one task queue."""

from __future__ import annotations

import compileall
from pathlib import Path

import asyncpg
from temporalio.client import Client
from temporalio.worker import Worker

import workflows
from activities.cooperative import CooperativeActivities
from activities.failed_bids import FailedBidActivities
from activities.persistence import PersistActivities
from activities.tabulation import TabulationActivities
from db.sealing import Sealer
from procure.observability import ObservabilityInterceptor
from workflows.order import OrderWorkflow
from workflows.procurement import ProcurementWorkflow

WORKFLOWS = [ProcurementWorkflow, OrderWorkflow]


def activity_functions(pool: asyncpg.Pool, sealer: Sealer) -> list[object]:
    persist = PersistActivities(pool)
    tabulation = TabulationActivities(pool, sealer)
    cooperative = CooperativeActivities(pool)
    failed_bids = FailedBidActivities(pool)
    return [
        persist.persist_step,
        tabulation.tabulate_bids,
        tabulation.score_proposals,
        tabulation.reciprocal_table,
        failed_bids.failed_bid_notices,
        cooperative.order_facts,
        cooperative.persist_order,
    ]


def compile_workflows() -> None:
    """The sandbox loads a workflow's module afresh for every run it starts: from its bytecode
    if there is some, else by compiling the source again, each time. Write the bytecode once
    (``py_compile`` writes it even where ``PYTHONDONTWRITEBYTECODE`` is set); a read-only
    install simply goes without."""
    compileall.compile_dir(Path(workflows.__file__).parent, quiet=2)


def create_worker(
    client: Client,
    pool: asyncpg.Pool,
    task_queue: str,
    *,
    sealer: Sealer,
    cache_size: int | None = None,
) -> Worker:
    compile_workflows()
    options = {} if cache_size is None else {"max_cached_workflows": cache_size}
    return Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=activity_functions(pool, sealer),  # type: ignore[arg-type]
        interceptors=[ObservabilityInterceptor()],
        **options,  # type: ignore[arg-type]
    )
