"""PostgreSQL stopped and restarted in the middle of a procurement.

While it is down the API answers 503 with a retry hint, never 500; the step the workflow took
meanwhile (closing the procurement when its protest period ended) is retried by Temporal and
recorded once PostgreSQL is back. The end is the same as an undisturbed run: the same state,
the same audit chain, the same notices and messages.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import asyncpg
import httpx
import pgserver
import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.services import Services
from db import audit
from db.migrate import upgrade
from db.pool import create_pool
from db.sealing import Sealer
from procure import binaries
from procure.clock import SimulatedClock
from procure.settings import Settings
from procure.temporal_client import DATA_CONVERTER
from procure.worker import create_worker
from tests.conftest import BID_KEY, TASK_QUEUE
from tests.driver import HAPPY_PATH_STEPS, HAPPY_PATH_TRIGGERS, Driver, chicago, notice_body
from tests.people import People


class OwnPostgres:
    """A PostgreSQL of this test's own, so stopping it disturbs no other test."""

    def __init__(self, path: Path) -> None:
        self.server = pgserver.get_server(path, cleanup_mode="stop")
        self.url = str(self.server.get_uri())

    def stop(self) -> None:
        pid = self.server.get_pid()
        assert pid is not None
        os.kill(pid, signal.SIGINT)  # a fast shutdown: sessions are cut
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
        raise AssertionError("PostgreSQL did not stop")

    def start(self) -> None:
        self.server.ensure_postgres_running()


@pytest.fixture
async def own_stack(
    tmp_path: Path, env: WorkflowEnvironment
) -> AsyncIterator[tuple[OwnPostgres, httpx.AsyncClient]]:
    pg = OwnPostgres(tmp_path / "pg")
    await asyncio.to_thread(upgrade, pg.url)
    pool = await create_pool(pg.url)
    services = Services(
        settings=Settings(task_queue=TASK_QUEUE, bid_key=BID_KEY),
        database_url=pg.url,
        temporal_address="time-skipping",
        clock=SimulatedClock(env),
        pool=pool,
        client=env.client,
    )
    transport = httpx.ASGITransport(app=create_app(services))
    async with (
        create_worker(env.client, pool, TASK_QUEUE, sealer=Sealer(BID_KEY)),
        httpx.AsyncClient(transport=transport, base_url="http://procureflow") as api,
    ):
        api.people = People(pool)  # type: ignore[attr-defined]
        yield pg, api
    await pool.close()
    pg.server.cleanup()


async def until_ok(call: object, attempts: int = 50) -> httpx.Response:
    for _ in range(attempts):
        response: httpx.Response = await call()  # type: ignore[operator]
        if response.status_code != 503:
            return response
        await asyncio.sleep(0.1)
    raise AssertionError("still unavailable")


async def test_postgres_stopped_and_restarted_mid_procurement(
    own_stack: tuple[OwnPostgres, httpx.AsyncClient], env: WorkflowEnvironment
) -> None:
    pg, api = own_stack
    d = Driver(api, env, f"PGDOWN-{uuid.uuid4().hex[:8].upper()}")
    bids = await d.through_opening()
    await d.advance_to(chicago(2099, 3, 17, 10))
    await d.ok("award", {"bid_id": bids["Bolt Industries"]})
    await d.advance_to(chicago(2099, 4, 1, 9))
    await d.ok("execute")

    # Down: the API says so, with a retry hint, and accepts nothing.
    await asyncio.to_thread(pg.stop)
    for response in (
        await d.read(),
        await d.post("cancel", {"reason": "During the outage."}),
        await api.get("/v1/bulletin"),
    ):
        assert response.status_code == 503, response.text
        assert response.headers["Retry-After"] == "5"
        assert response.json()["code"] == "unavailable"

    # The protest period ended on 31 March; the workflow closes the procurement now, and its
    # write waits for PostgreSQL.
    await env.sleep(timedelta(minutes=3))
    await asyncio.to_thread(pg.start)
    await env.sleep(timedelta(minutes=3))
    assert await env.client.get_workflow_handle(d.reference).result() == "closed"

    closed = (await until_ok(d.read)).json()
    assert closed["state"] == "closed"
    assert [h["trigger"] for h in closed["history"]] == HAPPY_PATH_STEPS
    conn = await asyncpg.connect(pg.url)
    try:
        verification = await audit.verify(conn, d.reference)
        assert verification.intact and verification.entries == len(HAPPY_PATH_TRIGGERS)
        assert (
            await conn.fetchval(
                "SELECT count(*) FROM bulletin_notices WHERE reference = $1", d.reference
            )
            == 3  # invitation, commitments at the opening, intent to award: each once
        )
        award_notices = await conn.fetchval(
            "SELECT count(*) FROM outbox WHERE reference = $1 AND kind = 'award_notice'",
            d.reference,
        )
        assert award_notices == 3
    finally:
        await conn.close()


async def test_a_namespace_the_server_cannot_find_is_a_503_not_a_500(
    env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    database_url: str,
    settings: Settings,
    tmp_path: Path,
) -> None:
    # An overloaded dev server fails its own namespace lookup and answers NOT_FOUND,
    # "Namespace default is not found"; a retry fixes it, so the caller gets 503 with
    # Retry-After, never a 500. The real dev server answers a namespace that is really
    # missing the same way, so that is what this launch meets.
    dev = await WorkflowEnvironment.start_local(
        data_converter=DATA_CONVERTER,
        dev_server_existing_path=binaries.temporal_cli(),
        dev_server_database_filename=str(tmp_path / "temporal.db"),
        dev_server_startup_timeout=timedelta(seconds=60),
    )
    try:
        client = await Client.connect(
            dev.client.service_client.config.target_host,
            namespace="no-such-namespace",
            data_converter=DATA_CONVERTER,
        )
        services = Services(
            settings=settings,
            database_url=database_url,
            temporal_address=dev.client.service_client.config.target_host,
            clock=SimulatedClock(env),
            pool=pool,
            client=client,
        )
        transport = httpx.ASGITransport(app=create_app(services))
        async with httpx.AsyncClient(transport=transport, base_url="http://procureflow") as api:
            headers = await People(pool).headers_for("agency", "Department of Transportation")
            reference = f"NS-{uuid.uuid4().hex[:8].upper()}"
            body = notice_body(reference)
            launched = await api.post("/v1/procurements", json=body, headers=headers)
            assert launched.status_code == 503, launched.text
            assert launched.headers["retry-after"]
            assert launched.json()["code"] == "unavailable"
    finally:
        await dev.shutdown()
