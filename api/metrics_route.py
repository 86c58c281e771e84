"""``GET /metrics``: the service's metrics in the Prometheus text format."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response

from api.services import Services
from procure.observability import DB_TIMEOUT_SECONDS, DatabaseCollector, exposition

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
