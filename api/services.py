"""What the API talks to: PostgreSQL, Temporal and the clock, connected lazily.

A dependency that cannot be reached answers 503 with a retry hint instead of failing the
process, so the API starts (and says it is not ready) while a server is still coming up.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime

import asyncpg
from temporalio.client import Client

from db.pool import create_pool
from procure.clock import Clock, SimulatedClock, SystemClock
from procure.settings import Settings
from procure.temporal_client import connect


class Unavailable(Exception):
    """A backing service is down; the caller should retry later."""

    def __init__(self, what: str, detail: str) -> None:
        super().__init__(f"{what} is unavailable: {detail}")
        self.what = what


@dataclass
class Services:
    settings: Settings
    database_url: str
    temporal_address: str | None = None
    clock: Clock = field(default_factory=SystemClock)
    pool: asyncpg.Pool | None = None
    client: Client | None = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _holder: asyncpg.Connection | None = None
    _holder_id: tuple[int, datetime] = (0, datetime.min)

    @property
    def task_queue(self) -> str:
        return self.settings.task_queue

    @property
    def simulated(self) -> SimulatedClock | None:
        return self.clock if isinstance(self.clock, SimulatedClock) else None

    async def db(self) -> asyncpg.Pool:
        if self.pool is None:
            async with self._lock:
                if self.pool is None:
                    try:
                        self.pool = await create_pool(
                            self.database_url, max_size=self.settings.db_pool_size
                        )
                    except (OSError, asyncpg.PostgresError) as exc:
                        raise Unavailable("PostgreSQL", str(exc)) from exc
        return self.pool

    async def holder(self) -> tuple[int, datetime]:
        """This process as PostgreSQL knows it: a session kept open for its whole life (its
        backend's pid and start), so what it claims ends with it."""
        if self._holder is None or self._holder.is_closed():
            async with self._lock:
                if self._holder is None or self._holder.is_closed():
                    try:
                        conn = await asyncpg.connect(self.database_url)
                        row = await conn.fetchrow(
                            "SELECT pid, backend_start FROM pg_stat_activity "
                            "WHERE pid = pg_backend_pid()"
                        )
                    except (OSError, asyncpg.PostgresError) as exc:
                        raise Unavailable("PostgreSQL", str(exc)) from exc
                    self._holder, self._holder_id = conn, (row["pid"], row["backend_start"])
        return self._holder_id

    async def temporal(self) -> Client:
        if self.client is None:
            async with self._lock:
                if self.client is None:
                    if not self.temporal_address:
                        raise Unavailable("Temporal", "no TEMPORAL_ADDRESS configured")
                    try:
                        self.client = await connect(
                            self.temporal_address, self.settings.temporal_namespace
                        )
                    except RuntimeError as exc:
                        raise Unavailable("Temporal", str(exc)) from exc
        return self.client

    async def close(self) -> None:
        if self._holder is not None:
            await self._holder.close()
            self._holder = None
        if self.pool is not None:
            await self.pool.close()
            self.pool = None
