"""Record workflow histories for the replay test: ``python -m tests.record_histories``.

Runs a few procurements through the API on a time-skipping server and writes each history
to ``tests/histories/NAME.json``. Re-record only when a history's shape must change on
purpose; otherwise old histories are exactly what guards running procurements.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pgserver
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.services import Services
from db.migrate import upgrade
from db.pool import create_pool
from procure import binaries
from procure.clock import SimulatedClock
from procure.settings import Settings
from procure.worker import DATA_CONVERTER, create_worker
from tests.conftest import ANCHOR, TASK_QUEUE
from tests.driver import Driver, chicago

OUT = Path(__file__).parent / "histories"


async def closed_happy_path(d: Driver) -> None:
    bids = await d.through_opening()
    await d.advance_to(chicago(2099, 3, 17, 10))
    await d.ok("award", {"bid_id": bids["Bolt Industries"]})
    await d.ok("document-requests", {"body": "CEI", "description": "Utilization plan."})
    await d.advance_to(chicago(2099, 4, 1, 9))
    await d.ok("document-requests/DR-1/answer", {"summary": "Plan sent."})
    await d.ok("execute")
    await d.env.client.get_workflow_handle(d.reference).result()


async def protest_and_waivers(d: Driver) -> None:
    bids = await d.through_opening()
    await d.advance_to(chicago(2099, 3, 17, 10))
    await d.ok("award", {"bid_id": bids["Bolt Industries"]})
    await d.ok("protests", {"kind": "award", "protester": "Acme Supply", "grounds": "Bond."})
    await d.ok(
        "protests/P-1/decision",
        {"decision": "upheld", "remedy": "reevaluate", "reasons": "Bond missing."},
    )
    await d.ok(
        "determinations",
        {
            "bid_id": bids["Bolt Industries"],
            "responsive": False,
            "responsible": True,
            "reason": "No bid bond.",
        },
    )
    await d.ok("award", {"bid_id": bids["Acme Supply"]})
    await d.ok("waivers", {"body": "PPB"})
    await d.ok("waivers", {"body": "CEI"})
    await d.ok("execute")
    # The protest period of the second award runs to Tue 31 Mar, 17:00.
    await d.advance_to(chicago(2099, 4, 1, 9))
    await d.env.client.get_workflow_handle(d.reference).result()


async def manual_notice_tolled(d: Driver) -> None:
    assert (await d.launch(bidder_notice="manual")).status_code == 201
    await d.ok("publish")
    bid = (await d.bid("Acme Supply", "1000.00")).json()["bid_id"]
    await d.advance_to(chicago(2099, 3, 16, 14))
    await d.ok("opening", {"witnesses": ["W"]})
    await d.ok("award", {"bid_id": bid})
    await d.advance_to(chicago(2099, 3, 20, 9))
    await d.ok("bidder-notice")
    await d.advance_to(chicago(2099, 4, 6, 9))
    await d.ok("execute")
    await d.env.client.get_workflow_handle(d.reference).result()


async def cancelled_after_publication(d: Driver) -> None:
    assert (await d.launch()).status_code == 201
    await d.ok("publish")
    await d.ok("cancel", {"reason": "Requirement withdrawn."})
    await d.env.client.get_workflow_handle(d.reference).result()


SCENARIOS: dict[str, Callable[[Driver], Awaitable[None]]] = {
    "sealed_bid_closed": closed_happy_path,
    "protest_upheld_then_waivers": protest_and_waivers,
    "manual_notice_tolled": manual_notice_tolled,
    "cancelled_after_publication": cancelled_after_publication,
}


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = pgserver.get_server(Path(tmp) / "pg", cleanup_mode="stop")
        url = str(server.get_uri())
        await asyncio.to_thread(upgrade, url)
        pool = await create_pool(url)
        OUT.mkdir(exist_ok=True)
        for name, scenario in SCENARIOS.items():
            env = await WorkflowEnvironment.start_time_skipping(
                data_converter=DATA_CONVERTER,
                test_server_existing_path=binaries.temporal_test_server(),
            )
            await env.sleep(ANCHOR - await env.get_current_time())
            services = Services(
                settings=Settings(task_queue=TASK_QUEUE),
                database_url=url,
                clock=SimulatedClock(env),
                pool=pool,
                client=env.client,
            )
            transport = httpx.ASGITransport(app=create_app(services))
            async with (
                create_worker(env.client, pool, TASK_QUEUE),
                httpx.AsyncClient(transport=transport, base_url="http://procureflow") as api,
            ):
                reference = f"HIST-{name.upper().replace('_', '-')}"
                await scenario(Driver(api, env, reference))
                history = await env.client.get_workflow_handle(reference).fetch_history()
            (OUT / f"{name}.json").write_text(
                json.dumps(
                    {"workflow_id": reference, "history": json.loads(history.to_json())}, indent=1
                )
            )
            print(f"recorded {name}")
            await env.shutdown()
        await pool.close()


if __name__ == "__main__":
    asyncio.run(main())
