"""The simulated clock: anyone reads it, only an operator moves it, and an operator acts in no
procurement."""

from __future__ import annotations

import uuid
from datetime import datetime

import httpx
from temporalio.testing import WorkflowEnvironment

from tests.driver import Driver

ADVANCE = "/v1/dev/clock/advance"


async def operator(api: httpx.AsyncClient) -> dict[str, str]:
    people = api.people  # type: ignore[attr-defined]
    return {"Authorization": f"Bearer {await people.token('operator')}"}


async def now(api: httpx.AsyncClient) -> datetime:
    read = await api.get("/v1/dev/clock")  # no credentials: the time is no secret
    assert read.status_code == 200, read.text
    return datetime.fromisoformat(read.json()["now"])


async def test_moving_the_clock_is_refused_without_an_operators_token(
    api_without_worker: httpx.AsyncClient,
) -> None:
    api = api_without_worker
    before = await now(api)
    anonymous = await api.post(ADVANCE, json={"hours": 1})
    assert anonymous.status_code == 401, anonymous.text
    assert "operator" in anonymous.json()["detail"]
    people = api.people  # type: ignore[attr-defined]
    for actor in ("agency", "cpo", "Acme Supply"):
        refused = await api.post(
            ADVANCE, json={"hours": 1}, headers=await people.headers_for(actor)
        )
        assert refused.status_code == 403, (actor, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["code"] == "forbidden"
        assert refused.json()["detail"].startswith("Only an operator moves the simulated clock")
    assert (await now(api) - before).total_seconds() < 60  # only the wall clock's seconds


async def test_an_operator_moves_the_clock(api_without_worker: httpx.AsyncClient) -> None:
    api = api_without_worker
    before = await now(api)
    moved = await api.post(ADVANCE, json={"hours": 20}, headers=await operator(api))
    assert moved.status_code == 200, moved.text
    answered = moved.json()
    moved_by = datetime.fromisoformat(answered["now"]) - datetime.fromisoformat(answered["before"])
    assert 20 * 3600 <= moved_by.total_seconds() < 20 * 3600 + 60
    assert (await now(api) - before).total_seconds() >= 20 * 3600
    backwards = await api.post(
        ADVANCE, json={"to": before.isoformat()}, headers=await operator(api)
    )
    assert backwards.status_code == 409 and backwards.json()["code"] == "clock_backwards"


async def test_an_operator_acts_in_no_procurement(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    d = Driver(api, env, f"OPER-{uuid.uuid4().hex[:8].upper()}")
    assert (await d.launch()).status_code == 201
    as_operator = await operator(api)
    publish = await api.post(f"/v1/procurements/{d.reference}/publish", headers=as_operator)
    assert publish.status_code == 403, publish.text
    assert "operator" in publish.json()["detail"]
    listing = await api.get("/v1/procurements", headers=as_operator)
    assert listing.status_code == 403
    # What the public reads, an operator reads.
    bulletin = await api.get("/v1/bulletin", params={"reference": d.reference}, headers=as_operator)
    assert bulletin.status_code == 200
    assert (await d.get())["state"] == "draft"
