"""Every error answer is a problem document (RFC 9457), ``application/problem+json``: one test
per status the service answers with, unknown paths and methods included, and the OpenAPI
document that says so."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from fastapi import FastAPI
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.services import Services
from procure.clock import SimulatedClock
from procure.settings import Settings
from tests.driver import Driver, chicago, notice_body


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The body, checked to be a problem document of this status and code."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["code"] == code, body
    assert body["type"].startswith("/problems/") and body["title"] and body["detail"]
    assert body["reason"] == body["detail"]  # for clients written before the standard shape
    assert "error" not in body
    return body


async def test_401_no_credentials(api_without_worker: httpx.AsyncClient) -> None:
    body = problem(await api_without_worker.get("/v1/procurements"), 401, "unauthorized")
    assert body["type"] == "/problems/unauthorized" and body["title"] == "Credentials required"


async def test_403_the_wrong_role(api_without_worker: httpx.AsyncClient) -> None:
    people = api_without_worker.people  # type: ignore[attr-defined]
    vendor = await people.headers_for("Acme Supply")
    refused = await api_without_worker.post(
        "/v1/procurements", json=notice_body("PD-403-1"), headers=vendor
    )
    body = problem(refused, 403, "forbidden")
    assert body["detail"].startswith("Only a State purchasing officer or agency buyer")


async def test_404_unknown_record_and_unknown_path(api_without_worker: httpx.AsyncClient) -> None:
    people = api_without_worker.people  # type: ignore[attr-defined]
    buyer = await people.headers_for("agency")
    record = await api_without_worker.get("/v1/procurements/NO-SUCH-REF", headers=buyer)
    assert problem(record, 404, "not_found")["detail"] == "No procurement NO-SUCH-REF."
    path = await api_without_worker.get("/v1/no-such-thing")
    assert problem(path, 404, "not_found")["detail"] == "No such path."


async def test_405_a_method_the_path_does_not_take(api_without_worker: httpx.AsyncClient) -> None:
    response = await api_without_worker.delete("/v1/bulletin")
    body = problem(response, 405, "method_not_allowed")
    assert "GET" in response.headers["allow"]
    assert body["detail"].startswith("/v1/bulletin does not take DELETE; it takes ")


async def test_409_a_refusal_keeps_code_citation_and_field(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    d = Driver(api, env, f"PD-{uuid.uuid4().hex[:8].upper()}")
    assert (await d.launch(opening_at=chicago(2099, 3, 13, 14).isoformat())).status_code == 201
    body = problem(await d.post("publish"), 409, "opening_too_early")
    assert body["type"] == "/problems/refused" and body["title"] == "Refused under the rules"
    assert body["citation"] == "30 ILCS 500/20-10(c)" and body["field"] == "opening_at"
    assert "2099-03-16" in body["detail"]


async def test_413_a_body_over_the_limit(api_without_worker: httpx.AsyncClient) -> None:
    people = api_without_worker.people  # type: ignore[attr-defined]
    body = notice_body("PD-413-1", description="x" * (2 * 1024 * 1024))
    response = await api_without_worker.post(
        "/v1/procurements", json=body, headers=await people.headers_for("agency")
    )
    assert "1,048,576 bytes" in problem(response, 413, "too_large")["detail"]


async def test_422_bad_input_names_each_field(api_without_worker: httpx.AsyncClient) -> None:
    people = api_without_worker.people  # type: ignore[attr-defined]
    body = notice_body("PD-422-1", opening_at="2099-03-16T14:00:00")  # no time zone
    response = await api_without_worker.post(
        "/v1/procurements", json=body, headers=await people.headers_for("agency")
    )
    problem_body = problem(response, 422, "invalid_request")
    assert problem_body["type"] == "/problems/invalid_request"
    assert [e["field"] for e in problem_body["errors"]] == ["body.opening_at"]
    assert problem_body["detail"].startswith("body.opening_at: ")
    not_json = await api_without_worker.post(
        "/v1/procurements",
        content=b"{not json",
        headers=await people.headers_for("agency") | {"content-type": "application/json"},
    )
    assert problem(not_json, 422, "invalid_request")["errors"][0]["field"].startswith("body")


def unreachable_app(env: WorkflowEnvironment, settings: Settings) -> FastAPI:
    """The API with PostgreSQL nowhere to be found (nothing listens on port 1)."""
    services = Services(
        settings=settings,
        database_url="postgresql://procure@127.0.0.1:1/procure",
        temporal_address="time-skipping",
        clock=SimulatedClock(env),
        client=env.client,
    )
    return create_app(services)


async def test_503_postgresql_unavailable_and_not_ready(
    env: WorkflowEnvironment, settings: Settings
) -> None:
    transport = httpx.ASGITransport(app=unreachable_app(env, settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://procureflow") as client:
        down = await client.get(
            "/v1/procurements", headers={"Authorization": "Bearer pf_any-token"}
        )
        body = problem(down, 503, "unavailable")
        assert body["retry_after"] == 5 and down.headers["retry-after"] == "5"
        ready = await client.get("/readyz")
        body = problem(ready, 503, "not_ready")
        assert body["ready"] is False and body["temporal"] == "ok"
        assert body["postgres"] != "ok" and "postgres: " in body["detail"]


async def test_500_is_a_problem_document_too(env: WorkflowEnvironment, settings: Settings) -> None:
    # Never meant to happen; if it does, the caller still gets the standard shape.
    app = unreachable_app(env, settings)

    @app.get("/v1/broken")
    async def broken() -> None:
        raise RuntimeError("a defect")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://procureflow") as client:
        body = problem(await client.get("/v1/broken"), 500, "server_error")
        assert body["detail"] == "The service failed (RuntimeError)."


async def test_each_type_has_its_page(api_without_worker: httpx.AsyncClient) -> None:
    page = await api_without_worker.get("/problems/refused")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Refused under the rules" in page.text and "HTTP 409" in page.text
    problem(await api_without_worker.get("/problems/no_such_kind"), 404, "not_found")


async def test_the_openapi_document_describes_every_error_as_a_problem(
    api_without_worker: httpx.AsyncClient,
) -> None:
    schema = (await api_without_worker.get("/openapi.json")).json()
    seen = 0
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status[0] in "45":
                    assert list(response.get("content", {})) == ["application/problem+json"], (
                        method,
                        path,
                        status,
                    )
                    seen += 1
    assert seen > 100
    schemas = schema["components"]["schemas"]
    assert {"type", "title", "status", "detail", "code"} <= set(schemas["Problem"]["required"])
    assert {"citation", "code"} <= set(schemas["RefusalProblem"]["required"])
    assert "errors" in schemas["ValidationProblem"]["required"]
    conflict = [ref["$ref"] for ref in schemas["ConflictProblem"]["anyOf"]]
    assert conflict == [
        "#/components/schemas/RefusalProblem",
        "#/components/schemas/InFlightProblem",
    ]
