"""Launches through the API beside raw workflow starts, on the same dev server in the same run:
``python -m benches.bench_launch_rate [--launches N] [--concurrency C]``.

On the real Temporal dev server (what ``make run`` starts) with ``procure api`` and ``procure
worker`` as their own processes: N procurements launched with ``POST /v1/procurements`` at
concurrency C, each answered once its workflow has started and its launch is written (one
update-with-start round trip); then N starts of an empty workflow (``BenchEmpty``, which a
worker in this process completes in its first task) at the same concurrency, straight through
the Temporal client; and N update-with-starts of ``BenchEcho``, the smallest workflow with an
update, which shows what the engine's own round trip costs beside a plain start (they are left
running: the server's database is thrown away). Each is measured twice, alternately, and the
best of each is compared. Prints rates and ratios as JSON (target: at least 0.7).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from temporalio.client import WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from benches.empty_workflow import EchoWorkflow, EmptyWorkflow
from benches.harness import Load, percentiles, stack, tally
from tests.driver import notice_body

EMPTY_QUEUE = "bench-empty"


async def main(launches: int, concurrency: int) -> dict[str, Any]:
    async with (
        stack() as s,
        httpx.AsyncClient(
            base_url=s.base, timeout=120, limits=httpx.Limits(max_connections=concurrency)
        ) as api,
    ):
        buyer = await s.token("agency_buyer", agency="Department of Transportation")
        gate = asyncio.Semaphore(concurrency)

        async def through_api() -> dict[str, Any]:
            load = Load(concurrency)
            references = [f"RATE-{uuid.uuid4().hex[:12].upper()}" for _ in range(launches)]

            def launch(r: str) -> Callable[[], Awaitable[httpx.Response]]:
                return lambda: api.post("/v1/procurements", json=notice_body(r), headers=buyer)

            calls = [launch(r) for r in references]
            began = time.perf_counter()
            answers = await load.run(calls)
            seconds = time.perf_counter() - began
            assert all(a.status == 201 for a in answers), tally(answers)
            return {
                "per_second": round(launches / seconds, 1),
                **percentiles([a.seconds for a in answers]),
            }

        async def raw() -> dict[str, Any]:
            async def start() -> None:
                async with gate:
                    await s.client.start_workflow(
                        EmptyWorkflow.run, id=f"empty-{uuid.uuid4().hex}", task_queue=EMPTY_QUEUE
                    )

            began = time.perf_counter()
            await asyncio.gather(*(start() for _ in range(launches)))
            return {"per_second": round(launches / (time.perf_counter() - began), 1)}

        async def raw_update_with_start() -> dict[str, Any]:
            async def start() -> None:
                async with gate:
                    operation = WithStartWorkflowOperation(
                        EchoWorkflow.run,
                        id=f"echo-{uuid.uuid4().hex}",
                        task_queue=EMPTY_QUEUE,
                        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
                    )
                    await s.client.execute_update_with_start_workflow(
                        EchoWorkflow.hello, start_workflow_operation=operation
                    )

            began = time.perf_counter()
            await asyncio.gather(*(start() for _ in range(launches)))
            return {"per_second": round(launches / (time.perf_counter() - began), 1)}

        async with Worker(
            s.client,
            task_queue=EMPTY_QUEUE,
            workflows=[EmptyWorkflow, EchoWorkflow],
            workflow_runner=UnsandboxedWorkflowRunner(),
        ):
            await raw()  # warm both paths once
            await through_api()
            runs: dict[str, list[dict[str, Any]]] = {"api": [], "raw": [], "echo": []}
            for _ in range(2):
                runs["raw"].append(await raw())
                runs["echo"].append(await raw_update_with_start())
                runs["api"].append(await through_api())
        best_api = max(r["per_second"] for r in runs["api"])
        best_raw = max(r["per_second"] for r in runs["raw"])
        return {
            "launches": launches,
            "concurrency": concurrency,
            "api_launch": runs["api"],
            "raw_empty_start": runs["raw"],
            "raw_update_with_start": runs["echo"],
            "ratio": round(best_api / best_raw, 2),
            "engine_update_with_start_ratio": round(
                max(r["per_second"] for r in runs["echo"]) / best_raw, 2
            ),
        }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--launches", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.launches, args.concurrency)), indent=2))
