"""Shared fixtures: a real PostgreSQL (pgserver, or DATABASE_URL) and real Temporal servers.

Each workflow test gets its own time-skipping server, because time is global to one server.
Tests move time only with ``env.sleep``; every date they assert was worked by hand from the
fixed anchor below, so no test depends on the wall clock's date.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import pgserver
import pytest
from cryptography.fernet import Fernet
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from api.app import create_app
from api.services import Services
from db.migrate import upgrade
from db.pool import create_pool
from db.sealing import Sealer
from procure import binaries
from procure.clock import SimulatedClock
from procure.devstack import time_skipping_runtime
from procure.search_attributes import register as register_search_attributes
from procure.settings import Settings
from procure.temporal_client import DATA_CONVERTER
from procure.worker import create_worker
from tests.people import People

# Monday 2 March 2099, 09:00 in Chicago (CST, UTC-6): every workflow test starts here.
ANCHOR = datetime(2099, 3, 2, 15, 0, tzinfo=UTC)
TASK_QUEUE = "procurements-test"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("DATABASE_URL")
    server = None
    if not url:
        server = pgserver.get_server(tmp_path_factory.mktemp("pg"), cleanup_mode="stop")
        url = str(server.get_uri())
    upgrade(url)
    yield url
    if server is not None:
        server.cleanup()


@pytest.fixture(scope="session")
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    p = await create_pool(database_url)
    yield p
    await p.close()


@pytest.fixture
async def env() -> AsyncIterator[WorkflowEnvironment]:
    environment = await WorkflowEnvironment.start_time_skipping(
        data_converter=DATA_CONVERTER,
        test_server_existing_path=binaries.temporal_test_server(),
        runtime=time_skipping_runtime(),
        # A loaded machine can take more than the default 5 s to start it.
        test_server_startup_timeout=timedelta(seconds=60),
    )
    await register_search_attributes(environment.client)
    now = await environment.get_current_time()
    await environment.sleep(ANCHOR - now)
    yield environment
    await environment.shutdown()


BID_KEY = Fernet.generate_key().decode()


@pytest.fixture
def settings() -> Settings:
    return Settings(task_queue=TASK_QUEUE, bid_key=BID_KEY)


@pytest.fixture
async def worker(env: WorkflowEnvironment, pool: asyncpg.Pool) -> AsyncIterator[Worker]:
    w = create_worker(env.client, pool, TASK_QUEUE, sealer=Sealer(BID_KEY))
    async with w:
        yield w


@contextlib.asynccontextmanager
async def api_client(
    env: WorkflowEnvironment, pool: asyncpg.Pool, database_url: str, settings: Settings
) -> AsyncIterator[httpx.AsyncClient]:
    services = Services(
        settings=settings,
        database_url=database_url,
        temporal_address="time-skipping",
        clock=SimulatedClock(env),
        pool=pool,
        client=env.client,
    )
    transport = httpx.ASGITransport(app=create_app(services))
    async with httpx.AsyncClient(transport=transport, base_url="http://procureflow") as client:
        client.people = People(pool)  # type: ignore[attr-defined]
        yield client


@pytest.fixture
async def api(
    env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    database_url: str,
    settings: Settings,
    worker: Worker,
) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(env, pool, database_url, settings) as client:
        yield client


@pytest.fixture
async def api_without_worker(
    env: WorkflowEnvironment, pool: asyncpg.Pool, database_url: str, settings: Settings
) -> AsyncIterator[httpx.AsyncClient]:
    """The API alone: the test starts and stops its own workers."""
    async with api_client(env, pool, database_url, settings) as client:
        yield client


_exit_status = 0


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    global _exit_status
    _exit_status = int(exitstatus)


def pytest_unconfigure(config: pytest.Config) -> None:
    # Temporal's native runtime can abort while the interpreter finalizes, after every test
    # has finished and the summary is printed; leave with pytest's own status instead.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(_exit_status)


REPO = Path(__file__).resolve().parent.parent
