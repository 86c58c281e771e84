"""A worker killed mid-procurement: a new worker carries it on, no step lost or doubled.

Workers here are real ``procure worker`` processes, killed with SIGKILL while an activity is
provably in flight: the test holds a row lock in PostgreSQL that the activity's transaction
waits on, kills the worker, releases the lock and starts a new one.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import asyncpg
import httpx
import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.services import Services
from procure import binaries
from procure.clock import SimulatedClock, SystemClock
from procure.search_attributes import register as register_search_attributes
from procure.settings import Settings
from procure.temporal_client import DATA_CONVERTER
from tests.conftest import ANCHOR, BID_KEY
from tests.driver import HAPPY_PATH_TRIGGERS, Driver, chicago
from tests.people import People
from workflows import search

QUEUE = "procurements-crash"


class WorkerProcess:
    """``procure worker`` in its own process, against the given servers."""

    def __init__(self, database_url: str, temporal_address: str, *, cache: bool = True) -> None:
        self.env = os.environ | {
            "DATABASE_URL": database_url,
            "TEMPORAL_ADDRESS": temporal_address,
            "PROCURE_TASK_QUEUE": QUEUE,
            "PROCURE_BID_KEY": BID_KEY,
        }
        if not cache:
            # The time-skipping test server never moves a workflow task off a dead worker's
            # sticky queue (the real server does, within seconds); without a cache the
            # worker asks for none, so tasks stay on the shared queue.
            self.env["PROCURE_WORKFLOW_CACHE_SIZE"] = "0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "procure.cli", "worker"], env=self.env)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture
def workers(database_url: str) -> Iterator[list[WorkerProcess]]:
    started: list[WorkerProcess] = []
    yield started
    for w in started:
        w.stop()


async def _client_api(
    client: Client, pool: asyncpg.Pool, database_url: str, clock: SimulatedClock | SystemClock
) -> AsyncIterator[httpx.AsyncClient]:
    services = Services(
        settings=Settings(task_queue=QUEUE, bid_key=BID_KEY),
        database_url=database_url,
        temporal_address="test",
        clock=clock,
        pool=pool,
        client=client,
    )
    transport = httpx.ASGITransport(app=create_app(services))
    async with httpx.AsyncClient(transport=transport, base_url="http://procureflow") as api:
        api.people = People(pool)  # type: ignore[attr-defined]
        yield api


async def _wait_for_lock_waiter(pool: asyncpg.Pool, seconds: float = 60) -> None:
    """Until some other session waits on a lock: the activity is inside its transaction."""
    for _ in range(int(seconds * 10)):
        waiting = await pool.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        )
        if waiting:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the activity never reached PostgreSQL")


async def _kill_during_persist(
    pool: asyncpg.Pool,
    reference: str,
    action: asyncio.Task[httpx.Response],
    old: WorkerProcess,
    new: WorkerProcess,
    skip: object | None,
) -> httpx.Response:
    """Hold the read-model row so the persist activity blocks, kill the worker, let go."""
    async with pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        await conn.execute("SELECT 1 FROM procurements WHERE reference = $1 FOR UPDATE", reference)
        await _wait_for_lock_waiter(pool)
        old.kill()
        await tx.rollback()
    new.start()
    if skip is not None:
        # The dead worker's activity attempt times out (10 s) before the retry; on the
        # time-skipping server that time is skipped rather than waited.
        await skip  # type: ignore[misc]
    return await asyncio.wait_for(action, timeout=120)


async def _counts(pool: asyncpg.Pool, reference: str) -> dict[str, object]:
    row = await pool.fetchrow(
        """SELECT (SELECT count(*) FROM bulletin_notices WHERE reference = $1) AS notices,
                  (SELECT count(*) FROM outbox WHERE reference = $1
                     AND kind = 'award_notice') AS messages,
                  (SELECT count(*) FROM tabulations WHERE reference = $1) AS tabulated,
                  (SELECT array_agg(command ORDER BY position) FROM audit_trail
                     WHERE reference = $1 AND outcome <> 'refused')
                     AS audit""",
        reference,
    )
    return dict(row)


async def test_killed_worker_on_time_skipping_server_to_closed(
    pool: asyncpg.Pool, database_url: str, workers: list[WorkerProcess]
) -> None:
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=DATA_CONVERTER, test_server_existing_path=binaries.temporal_test_server()
    )
    try:
        await register_search_attributes(env.client)
        await env.sleep(ANCHOR - await env.get_current_time())
        address = env.client.service_client.config.target_host
        first, second, third = (WorkerProcess(database_url, address, cache=False) for _ in range(3))
        workers.extend([first, second, third])
        first.start()
        async for api in _client_api(env.client, pool, database_url, SimulatedClock(env)):
            d = Driver(api, env, f"CRASH-{uuid.uuid4().hex[:8].upper()}")
            bids = await d.through_opening()
            await d.advance_to(chicago(2099, 3, 17, 10))

            award = asyncio.create_task(d.post("award", {"bid_id": bids["Bolt Industries"]}))
            response = await _kill_during_persist(
                pool, d.reference, award, first, second, env.sleep(timedelta(seconds=15))
            )
            assert response.status_code == 200, response.text
            assert response.json()["state"] == "review_window"

            await d.advance_to(chicago(2099, 4, 1, 9))
            execute = asyncio.create_task(d.post("execute"))
            response = await _kill_during_persist(
                pool, d.reference, execute, second, third, env.sleep(timedelta(seconds=15))
            )
            assert response.status_code == 200, response.text
            assert await env.client.get_workflow_handle(d.reference).result() == "closed"

            counts = await _counts(pool, d.reference)
            assert counts == {
                "notices": 3,  # invitation, commitments at the opening, intent to award
                "messages": 3,  # one award notice per bidder
                "tabulated": 3,
                "audit": HAPPY_PATH_TRIGGERS,
            }
    finally:
        await env.shutdown()


async def test_killed_worker_on_real_dev_server(
    pool: asyncpg.Pool, database_url: str, workers: list[WorkerProcess], tmp_path: object
) -> None:
    """On the real dev server (real time), the step in flight is finished by a new worker and
    the procurement is carried to its end: here, cancellation after publication."""
    env = await WorkflowEnvironment.start_local(
        data_converter=DATA_CONVERTER,
        dev_server_existing_path=binaries.temporal_cli(),
        search_attributes=list(search.ALL),
        dev_server_startup_timeout=timedelta(seconds=60),
    )
    try:
        address = env.client.service_client.config.target_host
        first, second = WorkerProcess(database_url, address), WorkerProcess(database_url, address)
        workers.extend([first, second])
        first.start()
        async for api in _client_api(env.client, pool, database_url, SystemClock()):
            reference = f"CRASH-DEV-{uuid.uuid4().hex[:8].upper()}"
            now = await SystemClock().now()
            d = Driver(api, env, reference)
            opening = (now + timedelta(days=30)).isoformat()
            assert (await d.launch(opening_at=opening)).status_code == 201
            publish = asyncio.create_task(d.post("publish"))
            response = await _kill_during_persist(pool, reference, publish, first, second, None)
            assert response.status_code == 200, response.text
            assert response.json()["state"] == "published"
            assert (await d.bid("Acme Supply", "10.00")).status_code == 201
            await d.ok("cancel", {"reason": "Funding withdrawn."})
            assert await env.client.get_workflow_handle(reference).result() == "cancelled"
            counts = await _counts(pool, reference)
            assert counts["notices"] == 2  # invitation and cancellation, each once
            assert counts["audit"] == ["launch", "publish", "register_bid", "cancel"]
    finally:
        await env.shutdown()
