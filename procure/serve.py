"""``procure api`` and ``procure worker`` as separate processes, for production."""

from __future__ import annotations

import asyncio
import signal

import uvicorn

from api.app import create_app
from api.services import Services
from db.pool import create_pool
from db.sealing import Sealer
from procure.clock import SimulatedClock
from procure.dispatcher import Dispatcher
from procure.observability import configure_logging, serve_worker_metrics
from procure.settings import Settings
from procure.temporal_client import connect
from procure.worker import create_worker


async def serve_api(settings: Settings, *, simulated: bool = False) -> None:
    configure_logging()
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    if not settings.database_url:
        raise SystemExit("procure api: set DATABASE_URL")
    if simulated:
        settings.simulated()
    services = Services(
        settings=settings,
        database_url=settings.database_url,
        temporal_address=settings.temporal_address,
    )
    if simulated:
        # Several processes on one time-skipping server share its clock.
        services.clock = SimulatedClock(await services.temporal())
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(services),
            host=settings.api_host,
            port=settings.api_port,
            log_config=None,  # logging as configured above; each request is logged by the app
            access_log=False,
        )
    )
    try:
        await server.serve()
    finally:
        await services.close()


async def run_worker(settings: Settings) -> None:
    configure_logging()
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    if not settings.database_url or not settings.temporal_address:
        raise SystemExit("procure worker: set DATABASE_URL and TEMPORAL_ADDRESS")
    if not settings.bid_key:
        raise SystemExit("procure worker: set PROCURE_BID_KEY (the key that seals bids)")
    serve_worker_metrics()
    client = await connect(settings.temporal_address, settings.temporal_namespace)
    pool = await create_pool(settings.database_url, max_size=settings.db_pool_size)
    # The outbox dispatcher runs beside the worker, and stops with it.
    stop = asyncio.Event()
    dispatching = asyncio.create_task(Dispatcher(pool, settings).run_forever(stop))
    try:
        await create_worker(
            client,
            pool,
            settings.task_queue,
            sealer=Sealer(settings.bid_key),
            cache_size=settings.workflow_cache_size,
        ).run()
    finally:
        stop.set()
        await dispatching
        await pool.close()
