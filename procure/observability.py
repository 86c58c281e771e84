"""Operations: the counters of Prometheus metrics and structured logs, shared by the API and
the worker.

Metrics (``GET /metrics`` on the API, :mod:`api.metrics_route`; on the worker, a port of its
own when ``PROCURE_WORKER_METRICS_PORT`` is set):

* read from PostgreSQL at each scrape of the API, with short timeouts
  (:class:`api.metrics_route.DatabaseCollector`; the worker's port exports only its process's
  counters):
  ``procureflow_procurements{state}``, ``procureflow_outbox_depth{status}`` (pending, dead),
  ``procureflow_reminder_lag_seconds`` (how long the oldest reminder still waiting for
  delivery has waited since it was written) and ``procureflow_up{dependency="postgres"}``,
  which is 0, and the others absent, when the database does not answer in time;
* counted in the process (here): ``procureflow_commands_total{trigger,outcome}`` (accepted,
  refused, forbidden), ``procureflow_refusals_total{trigger,code}``,
  ``procureflow_activity_attempts_total{activity}`` (the activity interceptor),
  ``procureflow_activity_failures_total{activity}``,
  ``procureflow_activity_duration_seconds{activity}``,
  ``procureflow_http_requests_total{route,method,status}`` and
  ``procureflow_http_request_duration_seconds{route,method}`` (by the API's middleware,
  :mod:`api.observability`; route is the path template, so one series per endpoint, never one
  per reference).

Logs (:func:`configure_logging`): one JSON object per line with ``timestamp``, ``level``,
``logger`` and ``message``, plus ``request_id`` (set for each API request) and ``reference``
(the procurement a command or an activity is about) when known. ``PROCURE_LOG_LEVEL``
(default ``INFO``) and ``PROCURE_LOG_FORMAT`` (``text`` on a terminal, else ``json``) choose
the level and the format. Each API request is logged once, with its route, status and duration,
in place of the server's access log.
"""

from __future__ import annotations

import contextvars
import logging
import os
import sys
import time
from collections.abc import Mapping
from typing import IO, Any
from wsgiref.simple_server import WSGIServer

import prometheus_client
from prometheus_client import Counter, Histogram
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter
from temporalio import activity
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor

log = logging.getLogger("procure.observability")
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
