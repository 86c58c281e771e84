"""Operations: Prometheus metrics and structured logs.

Metrics (``GET /metrics`` on the API; on the worker, a port of its own when
``PROCURE_WORKER_METRICS_PORT`` is set):

* read from PostgreSQL at each scrape of the API, with short timeouts
  (:class:`DatabaseCollector`; the worker's port exports only its process's counters):
  ``procureflow_procurements{state}``, ``procureflow_outbox_depth{status}`` (pending, dead),
  ``procureflow_reminder_lag_seconds`` (how long the oldest reminder still waiting for
  delivery has waited since it was written) and ``procureflow_up{dependency="postgres"}``,
  which is 0, and the others absent, when the database does not answer in time;
* counted in the process: ``procureflow_commands_total{trigger,outcome}`` (accepted, refused,
  forbidden), ``procureflow_refusals_total{trigger,code}``,
  ``procureflow_activity_attempts_total{activity}``,
  ``procureflow_activity_failures_total{activity}``,
  ``procureflow_activity_duration_seconds{activity}``,
  ``procureflow_http_requests_total{route,method,status}`` and
  ``procureflow_http_request_duration_seconds{route,method}`` (route is the path template, so
  one series per endpoint, never one per reference).

Logs (:func:`configure_logging`): one JSON object per line with ``timestamp``, ``level``,
``logger`` and ``message``, plus ``request_id`` (set for each API request) and ``reference``
(the procurement a command or an activity is about) when known. ``PROCURE_LOG_LEVEL``
(default ``INFO``) and ``PROCURE_LOG_FORMAT`` (``text`` on a terminal, else ``json``) choose
the level and the format. Each API request is logged once, with its route, status and duration,
in place of the server's access log.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import sys
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any
from wsgiref.simple_server import WSGIServer

import asyncpg
import prometheus_client
from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import REGISTRY, Collector
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from temporalio import activity
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor

from state_machines.routes import STATES

log = logging.getLogger("procure.observability")
http_log = logging.getLogger("procure.http")
command_log = logging.getLogger("procure.commands")

# Counters export only their ``_total`` series, without the ``_created`` companions.
prometheus_client.disable_created_metrics()

# ---- context carried into every log line ----------------------------------------------------

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "procureflow_request_id", default=None
)
REFERENCE: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "procureflow_reference", default=None
)


def bind_reference(reference: str) -> None:
    """Name the procurement the current request (or activity) is about, for its log lines."""
    REFERENCE.set(reference)


# ---- counters ---------------------------------------------------------------------------------

COMMANDS = Counter(
    "procureflow_commands",
    "Commands sent to procurements, by trigger and outcome (accepted, refused, forbidden).",
    ["trigger", "outcome"],
)
REFUSALS = Counter(
    "procureflow_refusals",
    "Refused commands, by trigger and refusal code ('forbidden' for a refusal of authority).",
    ["trigger", "code"],
)
ACTIVITY_ATTEMPTS = Counter(
    "procureflow_activity_attempts",
    "Activity attempts started by this worker, by activity type.",
    ["activity"],
)
ACTIVITY_FAILURES = Counter(
    "procureflow_activity_failures",
    "Activity attempts that failed (and are retried or fail the step), by activity type.",
    ["activity"],
)
ACTIVITY_DURATION = Histogram(
    "procureflow_activity_duration_seconds",
    "Duration of activity attempts, by activity type.",
    ["activity"],
)
HTTP_REQUESTS = Counter(
    "procureflow_http_requests",
    "API requests, by route template, method and status code.",
    ["route", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "procureflow_http_request_duration_seconds",
    "API request latency, by route template and method.",
    ["route", "method"],
)

UNMATCHED_ROUTE = "unmatched"


def command_accepted(trigger: str) -> None:
    COMMANDS.labels(trigger, "accepted").inc()
    command_log.info(
        "command %s accepted", trigger, extra={"trigger": trigger, "outcome": "accepted"}
    )


def command_refused(trigger: str, status: int, body: Mapping[str, Any]) -> None:
    """Count and log a refusal: 403 (the caller may not) or 409 (the law or the state)."""
    outcome = "forbidden" if status == 403 else "refused"
    code = "forbidden" if status == 403 else str(body.get("code") or "refused")
    COMMANDS.labels(trigger, outcome).inc()
    REFUSALS.labels(trigger, code).inc()
    command_log.info(
        "command %s %s (%s)",
        trigger,
        outcome,
        code,
        extra={"trigger": trigger, "outcome": outcome, "code": code, "status": status},
    )


# ---- gauges read from PostgreSQL at scrape time -------------------------------------------------

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


# ---- the API: /metrics and a metric and a log line per request --------------------------------


class RequestObservability:
    """Counts and times each request by route template, method and status, logs it once,
    and carries its request id (and the procurement it names) into every log line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        request_id = scope.get("state", {}).get("request_id") or _header(scope, b"x-request-id")
        rid_token = REQUEST_ID.set(request_id)
        ref_token = REFERENCE.set(None)

        async def observe(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, observe)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or UNMATCHED_ROUTE
            method = str(scope.get("method", ""))
            HTTP_REQUESTS.labels(route, method, str(status)).inc()
            HTTP_LATENCY.labels(route, method).observe(elapsed)
            extra: dict[str, Any] = {
                "method": method,
                "route": route,
                "path": scope.get("path", ""),
                "status": status,
                "duration_ms": round(elapsed * 1000, 3),
            }
            reference = (scope.get("path_params") or {}).get("reference")
            if reference and REFERENCE.get() is None:
                extra["reference"] = reference
            http_log.info("%s %s %d", method, scope.get("path", ""), status, extra=extra)
            REFERENCE.reset(ref_token)
            REQUEST_ID.reset(rid_token)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            text = bytes(value).decode("latin-1").strip()
            return text[:200] or None
    return None


def install_observability(app: Any, *, db_timeout: float = DB_TIMEOUT_SECONDS) -> None:
    """Add ``GET /metrics`` and the per-request metrics and log line to the API."""
    from api.metrics_route import router

    app.state.metrics_db_timeout = db_timeout
    app.add_middleware(RequestObservability)
    app.include_router(router)


# ---- the worker: activities --------------------------------------------------------------------


class ObservabilityInterceptor(Interceptor):
    """Counts and times activity attempts and failures by activity type, and names the
    procurement (the workflow id is its reference) in the activity's log lines."""

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _ActivityObservability(next)


class _ActivityObservability(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        info = activity.info()
        kind = info.activity_type
        token = REFERENCE.set(info.workflow_id or None)
        ACTIVITY_ATTEMPTS.labels(kind).inc()
        started = time.perf_counter()
        try:
            return await self.next.execute_activity(input)
        except Exception:
            ACTIVITY_FAILURES.labels(kind).inc()
            raise
        finally:
            ACTIVITY_DURATION.labels(kind).observe(time.perf_counter() - started)
            REFERENCE.reset(token)


def serve_worker_metrics(environ: Mapping[str, str] = os.environ) -> WSGIServer | None:
    """Expose the worker process's metrics over HTTP when ``PROCURE_WORKER_METRICS_PORT`` is
    set (``PROCURE_WORKER_METRICS_HOST``, default ``0.0.0.0``, chooses the interface; port 0
    takes any free one). Off by default. The endpoint has no authentication: expose it to the
    internal network only."""
    raw = environ.get("PROCURE_WORKER_METRICS_PORT", "").strip()
    if not raw:
        return None
    try:
        port = int(raw)
    except ValueError:
        raise SystemExit(f"PROCURE_WORKER_METRICS_PORT: a port number, not {raw!r}") from None
    host = environ.get("PROCURE_WORKER_METRICS_HOST", "0.0.0.0").strip() or "0.0.0.0"
    server, _ = prometheus_client.start_http_server(port, addr=host)
    log.info("worker metrics on http://%s:%d/metrics", host, server.server_port)
    return server


# ---- logging -------------------------------------------------------------------------------------

LOG_FORMATS = ("json", "text")
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")
# Libraries that narrate every step at INFO: their warnings are kept, the rest only at DEBUG.
# Below WARNING only when debugging: a migration's every step, every HTTP call out.
CHATTY_LOGGERS = ("pgserver", "httpx", "httpcore", "alembic")


class ContextFilter(logging.Filter):
    """Adds ``request_id`` and ``reference`` to a record when they are known (a value the
    record already carries wins)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for attr, var in (("request_id", REQUEST_ID), ("reference", REFERENCE)):
            value = var.get()
            if value is not None and not hasattr(record, attr):
                setattr(record, attr, value)
        return True


def json_formatter() -> logging.Formatter:
    return JsonFormatter(
        "%(levelname)s %(name)s %(message)s",
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp=True,
        # The API server's colored copy of its message is not needed twice.
        reserved_attrs=[*RESERVED_ATTRS, "color_message"],
    )


def text_formatter() -> logging.Formatter:
    return logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s [%(request_id)s %(reference)s] %(message)s",
        defaults={"request_id": "-", "reference": "-"},
    )


def configure_logging(
    level: str | int | None = None,
    fmt: str | None = None,
    *,
    stream: IO[str] | None = None,
) -> logging.Handler:
    """Send every log record, the API server's included, to one handler on stderr (or
    ``stream``): JSON lines, or text. ``level`` and ``fmt`` default to ``PROCURE_LOG_LEVEL``
    (INFO) and ``PROCURE_LOG_FORMAT`` (text on a terminal, else json). Calling it again
    replaces its handler."""
    chosen_level = level if level is not None else os.environ.get("PROCURE_LOG_LEVEL", "INFO")
    if isinstance(chosen_level, str):
        name = chosen_level.strip().upper()
        if not isinstance(logging.getLevelName(name), int):
            raise SystemExit(f"PROCURE_LOG_LEVEL: a logging level name, not {chosen_level!r}")
        chosen_level = name
    out = stream if stream is not None else sys.stderr
    # A person at a terminal reads text; a collector reads JSON lines.
    default_fmt = "text" if out.isatty() else "json"
    chosen_fmt = (fmt or os.environ.get("PROCURE_LOG_FORMAT") or default_fmt).strip().lower()
    if chosen_fmt not in LOG_FORMATS:
        raise SystemExit(f"PROCURE_LOG_FORMAT: one of {', '.join(LOG_FORMATS)}, not {chosen_fmt!r}")

    handler = logging.StreamHandler(out)
    handler.setFormatter(json_formatter() if chosen_fmt == "json" else text_formatter())
    handler.addFilter(ContextFilter())
    handler._procureflow = True  # type: ignore[attr-defined]

    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_procureflow", False)]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(chosen_level)
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(
            logging.NOTSET if root.level <= logging.DEBUG else logging.WARNING
        )
    # The API server's own loggers go through the same handler.
    for name in UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    return handler
