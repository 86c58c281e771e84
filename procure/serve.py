"""``procure api`` and ``procure worker`` as separate processes, for production."""

from __future__ import annotations

import signal

import uvicorn

from api.app import create_app
from api.services import Services
from db.pool import create_pool
from procure.settings import Settings
from procure.worker import connect, create_worker


async def serve_api(settings: Settings) -> None:
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    if not settings.database_url:
        raise SystemExit("procure api: set DATABASE_URL")
    services = Services(
        settings=settings,
        database_url=settings.database_url,
        temporal_address=settings.temporal_address,
    )
    server = uvicorn.Server(
        uvicorn.Config(create_app(services), host=settings.api_host, port=settings.api_port)
    )
    try:
        await server.serve()
    finally:
        await services.close()


async def run_worker(settings: Settings) -> None:
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    if not settings.database_url or not settings.temporal_address:
        raise SystemExit("procure worker: set DATABASE_URL and TEMPORAL_ADDRESS")
    client = await connect(settings.temporal_address, settings.temporal_namespace)
    pool = await create_pool(settings.database_url)
    try:
        await create_worker(
            client, pool, settings.task_queue, cache_size=settings.workflow_cache_size
        ).run()
    finally:
        await pool.close()
