"""The API and the worker killed in the middle of a rush of bids: every bid acknowledged is
tabulated once and visible to its vendor, and a retry of one never acknowledged makes no
second bid.

Real processes (``procure api --simulated-clock`` and ``procure worker``) against the test's
PostgreSQL and a time-skipping Temporal server, both killed with SIGKILL while bids are in
flight, then started again. Dates from the anchor: published Monday 2 March 2099, opened
Monday 16 March 2099 at 14:00 in Chicago.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg
import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from procure import binaries
from procure.search_attributes import register as register_search_attributes
from procure.temporal_client import DATA_CONVERTER
from tests.conftest import ANCHOR, BID_KEY
from tests.driver import chicago, notice_body
from tests.people import People
from tests.stack import free_port
from tests.test_worker_crash import WorkerProcess

QUEUE = "procurements-crash"
VENDORS = 120


class ApiProcess:
    """``procure api --simulated-clock`` in its own process, on its own port."""

    def __init__(self, database_url: str, temporal_address: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = os.environ | {
            "DATABASE_URL": database_url,
            "TEMPORAL_ADDRESS": temporal_address,
            "PROCURE_TASK_QUEUE": QUEUE,
            "PROCURE_BID_KEY": BID_KEY,
            "PROCURE_API_PORT": str(self.port),
            "PROCURE_LOG_LEVEL": "WARNING",
        }
        self.proc: subprocess.Popen[bytes] | None = None

    def spawn(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "procure.cli", "api", "--simulated-clock"], env=self.env
        )

    async def start(self) -> None:
        self.spawn()
        async with httpx.AsyncClient() as client:
            for _ in range(600):
                try:
                    if (await client.get(self.base + "/readyz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError("the API did not come up")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


@pytest.fixture
async def skipping() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=DATA_CONVERTER, test_server_existing_path=binaries.temporal_test_server()
    )
    await register_search_attributes(env.client)
    await env.sleep(ANCHOR - await env.get_current_time())
    yield env
    await env.shutdown()


async def test_api_and_worker_killed_mid_rush(
    skipping: WorkflowEnvironment, pool: asyncpg.Pool, database_url: str
) -> None:
    address = skipping.client.service_client.config.target_host
    api = ApiProcess(database_url, address)
    worker = WorkerProcess(database_url, address, cache=False)
    worker.env["PROCURE_TASK_QUEUE"] = QUEUE
    people = People(pool)
    reference = f"KILL-{uuid.uuid4().hex[:8].upper()}"
    try:
        worker.start()
        await api.start()
        async with httpx.AsyncClient(base_url=api.base, timeout=30) as client:
            buyer = await people.headers_for("agency")
            launched = await client.post(
                "/v1/procurements", json=notice_body(reference), headers=buyer
            )
            assert launched.status_code == 201, launched.text
            published = await client.post(f"/v1/procurements/{reference}/publish", headers=buyer)
            assert published.status_code == 200, published.text
            vendors = [f"Crash Vendor {i:03d}" for i in range(VENDORS)]
            headers = {v: await people.headers_for(v) for v in vendors}

            answered, quarter = 0, asyncio.Event()

            async def bid(vendor: str) -> httpx.Response | None:
                nonlocal answered
                try:
                    return await client.post(
                        f"/v1/procurements/{reference}/bids",
                        json={"vendor": vendor, "amount": f"{50000 + len(vendor)}.25"},
                        headers=headers[vendor],
                    )
                except httpx.TransportError:
                    return None  # never acknowledged
                finally:
                    answered += 1
                    if answered == VENDORS // 4:
                        quarter.set()

            tasks = [asyncio.create_task(bid(v)) for v in vendors]
            await quarter.wait()  # a quarter answered, the rest in flight: kill both
            api.kill()
            worker.kill()
            answers = dict(zip(vendors, await asyncio.gather(*tasks), strict=True))
        acknowledged = {
            v: r.json() for v, r in answers.items() if r is not None and r.status_code == 201
        }
        lost = [v for v, r in answers.items() if r is None]
        assert acknowledged and lost, (len(acknowledged), len(lost))
        assert all(r is None or r.status_code == 201 for r in answers.values())

        worker = WorkerProcess(database_url, address, cache=False)
        worker.env["PROCURE_TASK_QUEUE"] = QUEUE
        worker.start()
        await api.start()
        async with httpx.AsyncClient(base_url=api.base, timeout=30) as client:
            # Each vendor never answered sends its bid again, as it was: one bid, not two.
            for vendor in lost:
                again = await client.post(
                    f"/v1/procurements/{reference}/bids",
                    json={"vendor": vendor, "amount": f"{50000 + len(vendor)}.25"},
                    headers=headers[vendor],
                )
                assert again.status_code == 201, again.text
                acknowledged[vendor] = again.json()
            for vendor, receipt in acknowledged.items():
                mine = await client.get(
                    f"/v1/procurements/{reference}/bids", headers=headers[vendor]
                )
                assert [r["bid_id"] for r in mine.json()["receipts"]] == [receipt["bid_id"]]
            await skipping.sleep(chicago(2099, 3, 16, 14) - await skipping.get_current_time())
            await skipping.sleep(timedelta(seconds=1))
            opened = await client.post(
                f"/v1/procurements/{reference}/opening", json={"witnesses": ["W"]}, headers=buyer
            )
            assert opened.status_code == 200, opened.text
        tabulated = await pool.fetch(
            "SELECT bid_id, vendor FROM tabulations WHERE reference = $1", reference
        )
        assert sorted((r["vendor"], r["bid_id"]) for r in tabulated) == sorted(
            (v, r["bid_id"]) for v, r in acknowledged.items()
        )
        assert len(tabulated) == VENDORS
    finally:
        api.stop()
        worker.stop()
