"""``Idempotency-Key`` as draft-ietf-httpapi-idempotency-key-header has it: the key with
another request is 422, the same request while the first is still being answered is 409, an
answer given is given again, and a key past its lifetime is new."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import asyncpg
import httpx
from temporalio.testing import WorkflowEnvironment

from api import idempotency
from api.services import Services
from db.users import find_by_token
from procure.settings import Settings
from tests.driver import Driver, chicago


async def keyed(pool: asyncpg.Pool, d: Driver) -> tuple[dict[str, str], str, str]:
    """The buyer's headers with a fresh key, the buyer's id, and the key."""
    headers = await d.headers("agency")
    user = await find_by_token(pool, headers["Authorization"].removeprefix("Bearer "))
    assert user is not None
    key = f"key-{uuid.uuid4().hex}"
    return headers | {"Idempotency-Key": key}, user["user_id"], key


async def launched(api: httpx.AsyncClient, env: WorkflowEnvironment, **launch: Any) -> Driver:
    d = Driver(api, env, f"IDEM-{uuid.uuid4().hex[:8].upper()}")
    assert (await d.launch(**launch)).status_code == 201
    return d


async def test_the_key_with_another_request_is_422(
    api: httpx.AsyncClient, env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    d = await launched(api, env)
    headers, _, _ = await keyed(pool, d)
    amend = f"/v1/procurements/{d.reference}/amend"
    assert (await api.post(amend, json={"title": "First"}, headers=headers)).status_code == 200
    for method, path, body in (
        ("POST", amend, {"title": "Second"}),
        ("POST", f"/v1/procurements/{d.reference}/publish", None),
    ):
        reused = await api.request(method, path, json=body, headers=headers)
        assert reused.status_code == 422, reused.text
        assert reused.headers["content-type"] == "application/problem+json"
        problem = reused.json()
        assert problem["type"] == "/problems/idempotency_key_reused"
        assert problem["code"] == "idempotency_key_reused"
        assert problem["field"] == "header.Idempotency-Key"
        assert [e["field"] for e in problem["errors"]] == ["header.Idempotency-Key"]
    view = await d.get()
    assert (view["title"], view["state"]) == ("First", "draft")


async def test_the_same_request_still_in_flight_is_409(
    api: httpx.AsyncClient, env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    d = await launched(api, env)
    headers, user_id, key = await keyed(pool, d)
    amend = f"/v1/procurements/{d.reference}/amend"
    first = await api.post(amend, json={"title": "Once"}, headers=headers)
    assert first.status_code == 200
    # As it stood while the first request was being answered: claimed by this API process,
    # whose session is alive.
    services: Services = api._transport.app.state.services  # type: ignore[attr-defined]
    pid, started = await services.holder()
    await pool.execute(
        """UPDATE idempotency_keys SET status = 'in_progress', holder_pid = $3,
               holder_started = $4
           WHERE principal_id = $1 AND key = $2""",
        user_id,
        key,
        pid,
        started,
    )
    busy = await api.post(amend, json={"title": "Once"}, headers=headers)
    assert busy.status_code == 409, busy.text
    assert busy.headers["content-type"] == "application/problem+json"
    assert busy.headers["retry-after"] == "1"
    problem = busy.json()
    assert problem["type"] == "/problems/idempotency_key_in_flight"
    assert problem["code"] == "idempotency_key_in_flight"
    assert problem["field"] == "header.Idempotency-Key"
    # Answered: the retry gets the first answer.
    await pool.execute(
        "UPDATE idempotency_keys SET status = 'done' WHERE principal_id = $1 AND key = $2",
        user_id,
        key,
    )
    again = await api.post(amend, json={"title": "Once"}, headers=headers)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()


async def test_an_error_answer_is_kept_and_given_again(
    api: httpx.AsyncClient, env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    d = await launched(api, env, opening_at=chicago(2099, 3, 13, 14).isoformat())
    headers, _, _ = await keyed(pool, d)
    publish = f"/v1/procurements/{d.reference}/publish"
    refused = await api.post(publish, headers=headers)
    again = await api.post(publish, headers=headers)
    for answer in (refused, again):
        assert answer.status_code == 409
        assert answer.headers["content-type"] == "application/problem+json"
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == refused.json()
    assert refused.json()["code"] == "opening_too_early"


async def test_a_key_past_its_lifetime_is_new_and_its_record_is_deleted(
    api: httpx.AsyncClient, env: WorkflowEnvironment, pool: asyncpg.Pool, settings: Settings
) -> None:
    d = await launched(api, env)
    headers, user_id, key = await keyed(pool, d)
    amend = f"/v1/procurements/{d.reference}/amend"
    assert (await api.post(amend, json={"title": "First"}, headers=headers)).status_code == 200

    async def first_used_hours_ago(hours: int) -> None:
        await pool.execute(
            """UPDATE idempotency_keys SET created_at = now() - make_interval(hours => $3)
               WHERE principal_id = $1 AND key = $2""",
            user_id,
            key,
            hours,
        )

    await first_used_hours_ago(25)
    # Kept for 48 hours: the key still names the first request.
    settings.idempotency_key_hours = 48
    held = await api.post(amend, json={"title": "Second"}, headers=headers)
    assert held.status_code == 422, held.text
    # Kept for 24 hours, the default: past it, the key is new.
    settings.idempotency_key_hours = 24
    renewed = await api.post(amend, json={"title": "Second"}, headers=headers)
    assert renewed.status_code == 200, renewed.text
    assert renewed.headers["Idempotent-Replayed"] == "false"
    assert renewed.json()["title"] == "Second"

    await first_used_hours_ago(25)
    assert await idempotency.sweep(pool, timedelta(hours=24)) >= 1
    left = await pool.fetchval(
        "SELECT count(*) FROM idempotency_keys WHERE principal_id = $1 AND key = $2",
        user_id,
        key,
    )
    assert left == 0
