"""``Idempotency-Key``: the same key and body get the first answer; a different body, 409.

The first request with a key claims it in PostgreSQL, naming its holder: the database session
that the API process keeps open for as long as it lives (``Services.holder``). Concurrent
retries wait for the holder's answer and return it; if the holder's session is gone (the
process died), the key is free at once and the next retry runs the command. An answer the
service could not give (503: a server was down) is not kept, so the retry runs the command
again. The key also becomes the Temporal update id, so even a command that reached the
workflow twice is applied once.

Bids take their keys elsewhere: a key names the bid it created (``api.intake``), in the bid's
own transaction.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from fastapi import Request
from fastapi.responses import JSONResponse

from api.errors import ApiError
from api.services import Services, Unavailable
from state_machines.models import Principal

KEY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 200
WAIT_SECONDS = 60.0
POLL_SECONDS = 0.05

Produce = Callable[[], Awaitable[tuple[int, Any]]]

# A claim stands while its holder's session lives: a row left 'in_progress' by a session that
# is gone (or by a version of the service that named no holder) is taken over.
_CLAIM = """
    INSERT INTO idempotency_keys (principal_id, key, method, path, body_hash, status,
                                  holder_pid, holder_started)
    VALUES ($1, $2, $3, $4, $5, 'in_progress', $6, $7)
    ON CONFLICT (principal_id, key) DO UPDATE SET
        created_at = now(), holder_pid = EXCLUDED.holder_pid,
        holder_started = EXCLUDED.holder_started
    WHERE idempotency_keys.status = 'in_progress'
      AND idempotency_keys.body_hash = EXCLUDED.body_hash
      AND NOT EXISTS (
          SELECT 1 FROM pg_stat_activity a
          WHERE a.pid = idempotency_keys.holder_pid
            AND a.backend_start = idempotency_keys.holder_started
      )
    RETURNING 1
"""


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


def key_reused() -> ApiError:
    return ApiError(
        409,
        {
            "error": "idempotency_key_reused",
            "code": "idempotency_key_reused",
            "citation": "service rule: one key, one request",
            "reason": f"The {KEY_HEADER} was already used for a different request.",
            "field": f"header.{KEY_HEADER}",
        },
    )


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
    waited = 0.0
    while True:
        pid, started = await services.holder()
        if await pool.fetchval(_CLAIM, principal.id, key, method, path, digest, pid, started):
            return await _answer(pool, principal, key, produce)
        row = await pool.fetchrow(
            "SELECT * FROM idempotency_keys WHERE principal_id = $1 AND key = $2",
            principal.id,
            key,
        )
        if row is None:
            continue  # let go between the two reads: claim it now
        if row["body_hash"] != digest or row["method"] != method or row["path"] != path:
            raise key_reused()
        if row["status"] == "done":
            return JSONResponse(
                row["response_body"],
                status_code=row["response_status"],
                headers={REPLAYED_HEADER: "true"},
            )
        if waited >= WAIT_SECONDS:
            raise Unavailable("the command", "the first request with this key is still running")
        await asyncio.sleep(POLL_SECONDS)
        waited += POLL_SECONDS


async def _answer(
    pool: asyncpg.Pool, principal: Principal, key: str, produce: Produce
) -> JSONResponse:
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
    return JSONResponse(content, status_code=status, headers={REPLAYED_HEADER: "false"})


async def _run(produce: Produce) -> tuple[int, Any]:
    try:
        return await produce()
    except ApiError as exc:
        return exc.status, exc.body
