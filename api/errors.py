"""Error bodies: every refusal names the field and the rule, and cites the law."""

from __future__ import annotations

from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, JsonValue
from starlette.exceptions import HTTPException as StarletteHTTPException

from api import refusal_codes
from api.services import Unavailable

RETRY_AFTER_SECONDS = 5


class ApiError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body.get("reason") or body.get("error"))
        self.status = status
        self.body = body


class FieldError(BaseModel):
    field: str
    rule: str
    message: str


class ValidationErrorBody(BaseModel):
    error: str = "invalid_request"
    errors: list[FieldError]


class RefusalBody(BaseModel):
    error: str = "refused"
    code: str = Field(
        description="What refused it; one of the codes listed (api.refusal_codes).",
        json_schema_extra={"enum": list[JsonValue](refusal_codes.codes())},
    )
    citation: str
    reason: str
    field: str | None = None


class ErrorBody(BaseModel):
    error: str
    reason: str


# Every route documents the error bodies it may answer with, so a client (and the schema
# checks in the tests) can rely on their shape.
RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "No or bad credentials."},
    403: {"model": ErrorBody, "description": "The wrong role or agency, with the reason."},
    404: {"model": ErrorBody, "description": "Unknown reference."},
    409: {"model": RefusalBody, "description": "Refused, with the rule cited."},
    422: {"model": ValidationErrorBody, "description": "Bad input, with the field named."},
    503: {"model": ErrorBody, "description": "PostgreSQL or Temporal unavailable; retry."},
}


# For creating commands where the same request again answers with what it created.
CREATED_OR_SAME: dict[int | str, dict[str, Any]] = {
    **RESPONSES,
    200: {"description": "The same request again: the resource as it stands."},
}


def invalid_query(field: str, message: str) -> ApiError:
    """422 for a query parameter that passed its type but not its meaning."""
    return ApiError(
        422,
        {
            "error": "invalid_request",
            "errors": [{"field": f"query.{field}", "rule": field, "message": message}],
        },
    )


def refused(refusal: dict[str, Any]) -> ApiError:
    return ApiError(409, {"error": "refused", **refusal})


def not_found(reference: str) -> ApiError:
    return ApiError(404, {"error": "not_found", "reason": f"No procurement {reference}."})


_HTTP_ERRORS = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for err in exc.errors():
            loc = [str(p) for p in err.get("loc", ())]
            errors.append(
                {"field": ".".join(loc), "rule": err.get("type", "invalid"), "message": err["msg"]}
            )
        return JSONResponse(status_code=422, content={"error": "invalid_request", "errors": errors})

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:
            # A body that is not JSON at all is bad input like any other: 422, field named.
            return JSONResponse(
                status_code=422,
                content={
                    "error": "invalid_request",
                    "errors": [{"field": "body", "rule": "json", "message": str(exc.detail)}],
                },
            )
        # The shapes the README lists: an unknown path is not_found like an unknown record.
        kind = _HTTP_ERRORS.get(exc.status_code, "http_error")
        reason = "No such path." if exc.status_code == 404 else str(exc.detail)
        return JSONResponse(
            status_code=exc.status_code,
            content={"error": kind, "reason": reason},
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(status_code=exc.status, content=exc.body)

    @app.exception_handler(Unavailable)
    async def _unavailable(_: Request, exc: Unavailable) -> JSONResponse:
        return unavailable(str(exc))

    # PostgreSQL going away mid-request (stopped, restarting, network): the caller retries.
    for lost in (
        OSError,
        asyncpg.PostgresConnectionError,
        asyncpg.InterfaceError,
        asyncpg.exceptions.OperatorInterventionError,
        asyncpg.exceptions.CannotConnectNowError,
    ):
        app.add_exception_handler(lost, _database_lost)


async def _database_lost(_: Request, exc: Exception) -> JSONResponse:
    return unavailable(f"PostgreSQL is unavailable: {type(exc).__name__}")


def unavailable(reason: str) -> JSONResponse:
    return JSONResponse(
        status_code=503,
        content={"error": "unavailable", "reason": reason, "retry_after": RETRY_AFTER_SECONDS},
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )
