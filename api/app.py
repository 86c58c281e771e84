"""The FastAPI application: routers, error handlers and health checks."""

from __future__ import annotations

import functools
import uuid
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest

from api import errors
from api.body_limit import BodyLimit
from api.observability import install_observability
from api.routes import (
    actions,
    bids,
    bulletin,
    calendar,
    dashboard,
    dashboard_calendar,
    dev,
    problems,
    procurements,
    public_bulletin,
    schedule,
    solicitations,
)
from api.routes import cooperative as cooperative_routes
from api.routes import reminders as reminders_routes
from api.services import Services, Unavailable

# Swagger UI 5 and ReDoc 2, as the fastapi-offline package ships them: both read OpenAPI 3.1,
# the version FastAPI writes, and neither needs a CDN.
DOCS_ASSETS = Path(fastapi_offline.__file__).parent / "static"
# ReDoc's sidebar shows its maker's logo from their CDN; offline, the packaged icon instead.
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


@functools.cache
def redoc_script() -> bytes:
    script = (DOCS_ASSETS / "redoc.standalone.js").read_text(encoding="utf-8")
    return script.replace(REDOC_LOGO, "/docs/assets/favicon.png").encode()


def install_docs(app: FastAPI) -> None:
    """/docs (Swagger UI) and /redoc (ReDoc) from packaged files, so both work without
    internet access."""

    @app.get("/docs/assets/redoc.standalone.js", include_in_schema=False)
    async def redoc_js() -> Response:
        return Response(redoc_script(), media_type="text/javascript")

    app.mount("/docs/assets", StaticFiles(directory=DOCS_ASSETS), "docs")

    @app.get("/docs", include_in_schema=False)
    async def docs(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title}: API",
            oauth2_redirect_url=f"{root}/docs/oauth2-redirect",
            swagger_js_url=f"{root}/docs/assets/swagger-ui-bundle.js",
            swagger_css_url=f"{root}/docs/assets/swagger-ui.css",
            swagger_favicon_url=f"{root}/docs/assets/favicon.png",
        )

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    async def oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title}: API",
            redoc_js_url=f"{root}/docs/assets/redoc.standalone.js",
            redoc_favicon_url=f"{root}/docs/assets/favicon.png",
            with_google_fonts=False,
        )


def create_app(services: Services) -> FastAPI:
    app = FastAPI(
        title="procureflow",
        version="0.1.0",
        description=(
            "Illinois public procurements run by the law: each procurement is a durable "
            "workflow that enforces the Illinois Procurement Code's steps in order."
        ),
        # The documentation pages are served below from packaged files, not from a CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.state.services = services
    app.add_middleware(BodyLimit, max_bytes=services.settings.max_request_bytes)
    install_docs(app)
    errors.install(app)
    install_observability(app)

    @app.middleware("http")
    async def request_ids(request: Request, call_next: Any) -> Any:
        # Every request carries an id into the audit trail and back to the caller.
        incoming = request.headers.get("X-Request-ID", "")
        request.state.request_id = incoming[:200] if incoming.strip() else uuid.uuid4().hex
        response = await call_next(request)
        response.headers["X-Request-ID"] = request.state.request_id
        return response

    app.include_router(problems.router)
    app.include_router(procurements.router)
    app.include_router(solicitations.router)
    app.include_router(cooperative_routes.router)
    app.include_router(bids.router)
    app.include_router(actions.router)
    app.include_router(reminders_routes.router)
    app.include_router(calendar.router)
    app.include_router(bulletin.router)
    app.include_router(public_bulletin.router)
    app.include_router(schedule.router)
    app.include_router(dashboard.router)
    app.include_router(dashboard_calendar.router)
    if services.simulated is not None:
        # The simulated clock exists only on the time-skipping server; elsewhere these
        # routes are absent, not merely refused.
        app.include_router(dev.router)

    @app.get("/healthz", tags=["operations"], summary="The process is up")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/readyz",
        tags=["operations"],
        summary="PostgreSQL and Temporal answer",
        responses={
            503: {"model": errors.NotReadyProblem, "description": "Not ready: the check named."}
        },
    )
    async def readyz(request: Request) -> Any:
        svc: Services = request.app.state.services
        checks: dict[str, str] = {}
        try:
            await (await svc.db()).fetchval("SELECT 1")
            checks["postgres"] = "ok"
        except (Unavailable, OSError) as exc:
            checks["postgres"] = str(exc)
        try:
            client = await svc.temporal()
            await client.workflow_service.get_system_info(GetSystemInfoRequest())
            checks["temporal"] = "ok"
        except Exception as exc:
            checks["temporal"] = str(exc)
        if any(v != "ok" for v in checks.values()):
            return errors.not_ready(checks)
        return JSONResponse({"ready": True, **checks})

    return app
