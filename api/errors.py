"""Error answers: every refusal names the field and the rule, and cites the law.

Each is a problem document (RFC 9457, :mod:`api.problems`), for every status the service
answers with, unknown paths and methods included; the OpenAPI document describes them under
``application/problem+json``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, JsonValue, RootModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from api import problems, refusal_codes
from api.problems import ProblemResponse
from api.services import Unavailable

RETRY_AFTER_SECONDS = 5


class ApiError(Exception):
    """An error answer: ``body`` in the problem shape, or in the earlier one, which the
    handler turns into it."""

    def __init__(
        self, status: int, body: dict[str, Any], headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(body.get("detail") or body.get("reason") or body.get("error"))
        self.status = status
        self.body = body
        self.headers = dict(headers) if headers else None


def problem(
    kind: str, detail: str, *, headers: Mapping[str, str] | None = None, **members: Any
) -> ApiError:
    document = problems.make(kind, detail, **members)
    return ApiError(document["status"], document, headers)


# ---- the shapes, for the OpenAPI document --------------------------------------------------


class Problem(BaseModel):
    type: str = Field(
        description="The kind of problem: a URI reference under /problems/, whose page says "
        "what it means.",
        json_schema_extra={"format": "uri-reference"},
    )
    title: str = Field(description="The kind's title, the same for every occurrence.")
    status: int = Field(description="The HTTP status.")
    detail: str = Field(description="What went wrong this time, for a person.")
    code: str = Field(description="The machine key: the kind, or for a refusal the rule.")
    reason: str = Field(
        description="The same as detail, for clients written before the standard shape.",
        json_schema_extra={"deprecated": True},
    )


class FieldError(BaseModel):
    field: str
    rule: str
    message: str


class ValidationProblem(Problem):
    status: Literal[422]
    code: Literal["invalid_request", "idempotency_key_reused"]
    errors: list[FieldError]
    field: str | None = None
    citation: str | None = None


class RefusalProblem(Problem):
    status: Literal[409]
    code: str = Field(
        description="What refused it; one of the codes listed (api.refusal_codes).",
        json_schema_extra={"enum": list[JsonValue](refusal_codes.codes())},
    )
    citation: str
    field: str | None = None


class InFlightProblem(Problem):
    """Not a refusal by a rule: the first request with the same key is not answered yet."""

    status: Literal[409]
    code: Literal["idempotency_key_in_flight"]
    citation: str
    field: str


class ConflictProblem(RootModel[RefusalProblem | InFlightProblem]):
    pass


class UnavailableProblem(Problem):
    status: Literal[503]
    retry_after: int | None = Field(
        default=None,
        description="Seconds to wait, as the Retry-After header says; absent when waiting "
        "will not help (a setting is missing).",
    )


class NotReadyProblem(Problem):
    status: Literal[503]
    ready: Literal[False]
    postgres: str
    temporal: str


# Every route documents the error answers it may give, so a client (and the schema checks in
# the tests) can rely on their shape.
RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "No or bad credentials."},
    403: {"model": Problem, "description": "The wrong role or agency, with the reason."},
    404: {"model": Problem, "description": "Unknown reference."},
    409: {
        "model": ConflictProblem,
        "description": "Refused, with the rule cited; or the same Idempotency-Key in flight.",
    },
    413: {"model": Problem, "description": "The body is over PROCURE_MAX_REQUEST_BYTES."},
    422: {"model": ValidationProblem, "description": "Bad input, with the field named."},
    503: {"model": UnavailableProblem, "description": "PostgreSQL or Temporal unavailable; retry."},
}


# For creating commands where the same request again answers with what it created.
CREATED_OR_SAME: dict[int | str, dict[str, Any]] = {
    **RESPONSES,
    200: {"description": "The same request again: the resource as it stands."},
}


def invalid(field: str, rule: str, message: str, **members: Any) -> ApiError:
    return problem(
        "invalid_request",
        f"{field}: {message}",
        errors=[{"field": field, "rule": rule, "message": message}],
        **members,
    )


def invalid_query(field: str, message: str) -> ApiError:
    """422 for a query parameter that passed its type but not its meaning."""
    return invalid(f"query.{field}", field, message)


def refused(refusal: dict[str, Any]) -> ApiError:
    return ApiError(409, {"error": "refused", **refusal})


def not_found(reference: str) -> ApiError:
    return problem("not_found", f"No procurement {reference}.")


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for err in exc.errors():
            loc = [str(p) for p in err.get("loc", ())]
            errors.append(
                {"field": ".".join(loc), "rule": err.get("type", "invalid"), "message": err["msg"]}
            )
        return _answer(422, {"error": "invalid_request", "errors": errors})

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:
            # A body that is not JSON at all is bad input like any other: 422, field named.
            return _answer(
                422,
                {
                    "error": "invalid_request",
                    "errors": [{"field": "body", "rule": "json", "message": str(exc.detail)}],
                },
            )
        headers = getattr(exc, "headers", None)
        detail = str(exc.detail)
        # The router's own answers: an unknown path is not_found like an unknown record.
        if exc.status_code == 404 and detail == "Not Found":
            detail = "No such path."
        elif exc.status_code == 405:
            allowed = (headers or {}).get("Allow", "")
            detail = f"{request.url.path} does not take {request.method}; it takes {allowed}."
        return _answer(exc.status_code, {"reason": detail}, headers)

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return _answer(exc.status, exc.body, exc.headers)

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
    # Never meant to be reached; if it is, the caller still gets the standard shape, and the
    # server logs the exception as before.
    app.add_exception_handler(Exception, _server_error)
    _document_problems(app)


def _answer(
    status: int, body: Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return problems.respond(status, body, headers)


async def _database_lost(_: Request, exc: Exception) -> JSONResponse:
    return unavailable(f"PostgreSQL is unavailable: {type(exc).__name__}")


async def _server_error(_: Request, exc: Exception) -> JSONResponse:
    return ProblemResponse(
        problems.make("server_error", f"The service failed ({type(exc).__name__})."),
        status_code=500,
    )


def unavailable(reason: str) -> JSONResponse:
    return ProblemResponse(
        problems.make("unavailable", reason, retry_after=RETRY_AFTER_SECONDS),
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def not_ready(checks: Mapping[str, str]) -> JSONResponse:
    """The readiness check's 503: which server does not answer, and why."""
    failing = ", ".join(f"{name}: {why}" for name, why in checks.items() if why != "ok")
    members: dict[str, Any] = {"ready": False, **checks}
    return ProblemResponse(
        problems.make("not_ready", f"Not ready: {failing}.", **members), status_code=503
    )


def _document_problems(app: FastAPI) -> None:
    """Describe every error answer under ``application/problem+json``, the media type it is
    served with, whatever the route's own: FastAPI files a response's model under the route's
    media type (JSON, or HTML for a page)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        schema = generate()
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if str(status)[0] in "45" and problems.MEDIA_TYPE not in content:
                        described = [c for c in content.values() if "schema" in c]
                        if described:
                            response["content"] = {problems.MEDIA_TYPE: described[0]}
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
