"""``Idempotency-Key``: the same key and body get the first answer; a different body, 409.

The first request with a key claims it in PostgreSQL; concurrent retries wait for its answer
and return it. An answer the service could not give (503: a server was down) is not kept, so
the retry runs the command again. The key also becomes the Temporal update id, so even a
command that reached the workflow twice is applied once.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from api.errors import ApiError
from api.services import Services, Unavailable
from state_machines.models import Principal

KEY_HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200
WAIT_SECONDS = 60.0
POLL_SECONDS = 0.05
# A claim older than this, never answered, belonged to a process that died: take it over.
STALE_SECONDS = 120

Produce = Callable[[], Awaitable[tuple[int, Any]]]


def body_hash(body: Any) -> str:
    return hashlib.sha256(
        json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()
    ).hexdigest()


def key_of(request: Request) -> str | None:
    key = request.headers.get(KEY_HEADER)
    if key is None:
        return None
    if not key.strip() or len(key) > MAX_KEY_LENGTH:
        raise ApiError(
            422,
            {
                "error": "invalid_request",
                "errors": [
                    {
                        "field": f"header.{KEY_HEADER}",
                        "rule": "length",
                        "message": f"1 to {MAX_KEY_LENGTH} characters",
                    }
                ],
            },
        )
    return key


async def once(
    services: Services,
    request: Request,
    principal: Principal,
    body: Any,
    produce: Produce,
) -> JSONResponse:
    key = key_of(request)
    if key is None:
        status, content = await _run(produce)
        return JSONResponse(content, status_code=status)
    pool = await services.db()
    digest = body_hash(body)
    method, path = request.method, request.url.path
    claimed = await pool.fetchval(
        """INSERT INTO idempotency_keys (principal_id, key, method, path, body_hash, status)
           VALUES ($1, $2, $3, $4, $5, 'in_progress')
           ON CONFLICT (principal_id, key) DO UPDATE SET created_at = now()
               WHERE idempotency_keys.status = 'in_progress'
                 AND idempotency_keys.created_at < now() - make_interval(secs => $6)
                 AND idempotency_keys.body_hash = EXCLUDED.body_hash
           RETURNING 1""",
        principal.id,
        key,
        method,
        path,
        digest,
        STALE_SECONDS,
    )
    if not claimed:
        return await _replay(services, principal, key, method, path, digest)
    try:
        status, content = await _run(produce)
    except (Unavailable, asyncio.CancelledError):
        await pool.execute(
            "DELETE FROM idempotency_keys WHERE principal_id = $1 AND key = $2", principal.id, key
        )
        raise
    await pool.execute(
        """UPDATE idempotency_keys SET status = 'done', response_status = $3,
               response_body = $4, completed_at = now()
           WHERE principal_id = $1 AND key = $2""",
        principal.id,
        key,
        status,
        content,
    )
    return JSONResponse(content, status_code=status, headers={"Idempotent-Replayed": "false"})


async def _run(produce: Produce) -> tuple[int, Any]:
    try:
        return await produce()
    except ApiError as exc:
        return exc.status, exc.body


async def _replay(
    services: Services, principal: Principal, key: str, method: str, path: str, digest: str
) -> JSONResponse:
    pool = await services.db()
    waited = 0.0
    while True:
        row = await pool.fetchrow(
            "SELECT * FROM idempotency_keys WHERE principal_id = $1 AND key = $2",
            principal.id,
            key,
        )
        if row is None:
            # The first attempt could not be answered (a server was down) and let go of the
            # key: this request is the retry, and the caller should send it again.
            raise Unavailable("the command", "its first attempt failed; send it again")
        if row["body_hash"] != digest or row["method"] != method or row["path"] != path:
            raise ApiError(
                409,
                {
                    "error": "idempotency_key_reused",
                    "code": "idempotency_key_reused",
                    "citation": "service rule: one key, one request",
                    "reason": f"The {KEY_HEADER} was already used for a different request.",
                    "field": f"header.{KEY_HEADER}",
                },
            )
        if row["status"] == "done":
            return JSONResponse(
                row["response_body"],
                status_code=row["response_status"],
                headers={"Idempotent-Replayed": "true"},
            )
        if waited >= WAIT_SECONDS:
            raise Unavailable("the command", "the first request with this key is still running")
        await asyncio.sleep(POLL_SECONDS)
        waited += POLL_SECONDS
