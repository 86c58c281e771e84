"""Memory of a worker holding many published procurements, each waiting on its timers:
``python -m benches.bench_idle_procurements [--procurements N] [--cache C]``.

On the real Temporal dev server (what ``make run`` starts): N procurements (10,000 by default)
launched and published through ``procure api`` at concurrency 50, each then asleep on a durable
timer until its next statutory instant (its reminders, its opening 30 days out). Prints, as
JSON, the resident memory of ``procure worker`` and of the whole stack (API, worker, Temporal,
PostgreSQL) before and after, as RSS and as PSS (shared pages counted once, the fair total), with the worker's workflow cache size (``--cache``, Temporal's
default when not given).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx

from benches.harness import Load, stack, tally
from tests.driver import notice_body

CONCURRENCY = 50


async def main(procurements: int, cache: int | None) -> dict[str, Any]:
    extra = {"PROCURE_WORKFLOW_CACHE_SIZE": str(cache)} if cache is not None else {}
    async with stack(extra_env=extra) as s, httpx.AsyncClient(base_url=s.base, timeout=120) as api:
        buyer = await s.token("agency_buyer", agency="Department of Transportation")
        opening = (await s.now() + timedelta(days=30)).replace(microsecond=0).isoformat()
        idle, idle_pss = s.rss_kib(), s.rss_kib(proportional=True)
        references = [f"IDLE-{uuid.uuid4().hex[:12].upper()}" for _ in range(procurements)]
        load = Load(CONCURRENCY)

        def launch(r: str) -> Callable[[], Awaitable[httpx.Response]]:
            return lambda: api.post(
                "/v1/procurements", json=notice_body(r, opening_at=opening), headers=buyer
            )

        def publish(r: str) -> Callable[[], Awaitable[httpx.Response]]:
            return lambda: api.post(f"/v1/procurements/{r}/publish", headers=buyer)

        began = time.perf_counter()
        launched = await load.run([launch(r) for r in references])
        published = await load.run([publish(r) for r in references])
        seconds = time.perf_counter() - began
        await asyncio.sleep(10)  # let the last workflow tasks settle before reading memory
        waiting = await s.pool.fetchval(
            "SELECT count(*) FROM procurements WHERE state = 'published'"
        )
        held, held_pss = s.rss_kib(), s.rss_kib(proportional=True)
        return {
            "procurements": procurements,
            "worker_cache": cache if cache is not None else "Temporal's default",
            "launch": tally(launched),
            "publish": tally(published),
            "seconds": round(seconds, 1),
            "published_and_waiting": waiting,
            "rss_mib_before": {k: round(v / 1024, 1) for k, v in idle.items()},
            "rss_mib_after": {k: round(v / 1024, 1) for k, v in held.items()},
            # Proportional set sizes: shared pages divided among their processes, so the total
            # is what the whole stack holds.
            "pss_mib_before": {k: round(v / 1024, 1) for k, v in idle_pss.items()},
            "pss_mib_after": {k: round(v / 1024, 1) for k, v in held_pss.items()},
        }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--procurements", type=int, default=10_000)
    parser.add_argument("--cache", type=int, default=None)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.procurements, args.cache)), indent=2))
