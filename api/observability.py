"""The API's observability: ``GET /metrics`` and, for each request, its metrics and one log
line (the counters and the logging configuration are :mod:`procure.observability`'s, shared
with the worker)."""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.metrics_route import DB_TIMEOUT_SECONDS, router
from procure.observability import HTTP_LATENCY, HTTP_REQUESTS, REFERENCE, REQUEST_ID

http_log = logging.getLogger("procure.http")

UNMATCHED_ROUTE = "unmatched"


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
    app.state.metrics_db_timeout = db_timeout
    app.add_middleware(RequestObservability)
    app.include_router(router)
