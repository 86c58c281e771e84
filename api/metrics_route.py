"""``GET /metrics``: the service's metrics in the Prometheus text format.

What a scrape of the API exports: the process's own counters (:mod:`procure.observability`)
and gauges read from PostgreSQL at each scrape, with short timeouts (:class:`DatabaseCollector`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import asyncpg
import prometheus_client
from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import REGISTRY, Collector

from api.services import Services
from state_machines.routes import STATES

# The logger keeps the name it had before the scrape moved here, so its lines read the same.
log = logging.getLogger("procure.observability")

DB_TIMEOUT_SECONDS = 2.0

PROCUREMENTS_BY_STATE = "SELECT state, count(*) AS n FROM procurements GROUP BY state"
OUTBOX_DEPTH = """
    SELECT status, count(*) AS n FROM outbox
    WHERE status IN ('pending', 'dead') GROUP BY status
"""
OLDEST_PENDING_REMINDER = """
    SELECT min(created_at) FROM outbox WHERE status = 'pending' AND kind LIKE 'reminder:%'
"""


@dataclass
class DatabaseMetrics:
    """One scrape's reading of the database, as metric families."""

    up: bool
    procurements: dict[str, int] = field(default_factory=dict)
    outbox: dict[str, int] = field(default_factory=dict)
    reminder_lag_seconds: float = 0.0

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "procureflow_up", "Whether a dependency answered this scrape.", labels=["dependency"]
        )
        up.add_metric(["postgres"], 1.0 if self.up else 0.0)
        yield up
        if not self.up:
            return
        states = GaugeMetricFamily(
            "procureflow_procurements",
            "Procurements in the read model, by state.",
            labels=["state"],
        )
        for state in sorted(set(STATES) | set(self.procurements)):
            states.add_metric([state], float(self.procurements.get(state, 0)))
        yield states
        depth = GaugeMetricFamily(
            "procureflow_outbox_depth",
            "Outbox messages waiting for delivery (pending) or dead-lettered (dead).",
            labels=["status"],
        )
        for status in ("pending", "dead"):
            depth.add_metric([status], float(self.outbox.get(status, 0)))
        yield depth
        yield GaugeMetricFamily(
            "procureflow_reminder_lag_seconds",
            "How long the oldest undelivered deadline reminder has waited since it was written "
            "(0 when none waits).",
            value=self.reminder_lag_seconds,
        )


class DatabaseCollector:
    """Reads the read model and the outbox for a scrape, never failing it.

    ``pool`` gives the service's connection pool and ``clock`` its notion of now (the
    simulated clock of a development stack, or the wall clock). Anything that goes wrong,
    including no answer within ``timeout`` seconds, makes the reading ``up=False``.
    """

    def __init__(
        self,
        pool: Callable[[], Awaitable[asyncpg.Pool]],
        clock: Callable[[], Awaitable[datetime]],
        *,
        timeout: float = DB_TIMEOUT_SECONDS,
    ) -> None:
        self.pool = pool
        self.clock = clock
        self.timeout = timeout

    async def read(self) -> DatabaseMetrics:
        try:
            async with asyncio.timeout(self.timeout):
                pool = await self.pool()
                async with pool.acquire() as conn:
                    states = await conn.fetch(PROCUREMENTS_BY_STATE)
                    outbox = await conn.fetch(OUTBOX_DEPTH)
                    oldest: datetime | None = await conn.fetchval(OLDEST_PENDING_REMINDER)
        except Exception as exc:
            log.warning(
                "metrics: PostgreSQL did not answer the scrape: %s", exc or type(exc).__name__
            )
            return DatabaseMetrics(up=False)
        lag = 0.0
        if oldest is not None:
            lag = max(0.0, (await self._now() - oldest).total_seconds())
        return DatabaseMetrics(
            up=True,
            procurements={r["state"]: r["n"] for r in states},
            outbox={r["status"]: r["n"] for r in outbox},
            reminder_lag_seconds=lag,
        )

    async def _now(self) -> datetime:
        try:
            async with asyncio.timeout(self.timeout):
                return await self.clock()
        except Exception:
            return datetime.now(UTC)


class Scrape:
    """What one scrape exports: the process's own metrics and the database's reading."""

    def __init__(self, *sources: Collector) -> None:
        self.sources = sources

    def collect(self) -> Iterable[Metric]:
        for source in self.sources:
            yield from source.collect()


def exposition(database: DatabaseMetrics, accept: str | None) -> tuple[bytes, str]:
    """The scrape's body and content type: Prometheus text, or OpenMetrics when asked for."""
    encoder, content_type = prometheus_client.exposition.choose_encoder(accept or "")
    return encoder(Scrape(REGISTRY, database)), content_type


router = APIRouter(tags=["operations"])


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=PlainTextResponse,
    responses={
        200: {
            "description": "The metrics, in the Prometheus text format (OpenMetrics when the "
            "Accept header asks for application/openmetrics-text).",
            "content": {"application/openmetrics-text": {"schema": {"type": "string"}}},
        }
    },
)
async def metrics(request: Request) -> Response:
    """Counters of commands, refusals, activities and requests, and gauges read from
    PostgreSQL at each scrape: procurements by state, outbox depth and reminder lag.

    No credentials are asked for: the figures name no procurement, person or amount, and the
    endpoint is meant to be reached from the internal network of the deployment (the
    Prometheus server), not published. The scrape answers even when PostgreSQL does not, with
    ``procureflow_up{dependency="postgres"} 0`` and without the database's gauges.
    """
    svc: Services = request.app.state.services
    timeout = getattr(request.app.state, "metrics_db_timeout", DB_TIMEOUT_SECONDS)
    reading = await DatabaseCollector(svc.db, svc.clock.now, timeout=timeout).read()
    body, content_type = exposition(reading, request.headers.get("accept"))
    return Response(content=body, media_type=content_type)
