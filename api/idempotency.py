"""``Idempotency-Key``, as draft-ietf-httpapi-idempotency-key-header has it: the same key and
request get the first answer; the key with another request is 422; the same request while
the first is still being answered is 409.

The first request with a key claims it in PostgreSQL, naming its holder: the database session
that the API process keeps open for as long as it lives (``Services.holder``). If the holder's
session is gone (the process died), the key is free at once and the next retry runs the
command. An answer the service could not give (503: a server was down) is not kept, so the
retry runs the command again. The key also becomes the Temporal update id, so even a command
that reached the workflow twice is applied once.

A key lasts ``PROCURE_IDEMPOTENCY_KEY_HOURS`` from its first request: after that it is new
again, and the records past it are deleted as keyed requests come, at most once a minute per
process.

Bids take their keys elsewhere: a key names the bid it created (``api.intake``), in the bid's
own transaction, for as long as the bid is kept.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from fastapi import Request
from fastapi.responses import JSONResponse

from api import problems
from api.errors import ApiError, invalid, problem
from api.services import Services, Unavailable
from state_machines.models import Principal

KEY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 200
DRAFT = "draft-ietf-httpapi-idempotency-key-header"
SWEEP_EVERY_SECONDS = 60.0
SWEEP_BATCH = 1000
IN_FLIGHT_RETRY_SECONDS = 1

Produce = Callable[[], Awaitable[tuple[int, Any]]]

# A claim stands while its holder's session lives and the key has not expired: a row left
# 'in_progress' by a session that is gone (or by a version of the service that named no
# holder) is taken over by the same request, and an expired row by any request. The key's
# first use (created_at) is kept by a takeover, which carries on the same use of the key, and
# renewed by an expired key's new use; with the holder it marks whose the row is, so a holder
# whose row was taken over writes nothing into it.
_CLAIM = """
    INSERT INTO idempotency_keys (principal_id, key, method, path, body_hash, status,
                                  holder_pid, holder_started, created_at)
    VALUES ($1, $2, $3, $4, $5, 'in_progress', $6, $7, clock_timestamp())
    ON CONFLICT (principal_id, key) DO UPDATE SET
        method = EXCLUDED.method, path = EXCLUDED.path, body_hash = EXCLUDED.body_hash,
        status = 'in_progress', response_status = NULL, response_body = NULL,
        completed_at = NULL,
        created_at = CASE WHEN idempotency_keys.created_at <= now() - $8::interval
                          THEN EXCLUDED.created_at ELSE idempotency_keys.created_at END,
        holder_pid = EXCLUDED.holder_pid, holder_started = EXCLUDED.holder_started
    WHERE idempotency_keys.created_at <= now() - $8::interval
       OR (idempotency_keys.status = 'in_progress'
           AND idempotency_keys.method = EXCLUDED.method
           AND idempotency_keys.path = EXCLUDED.path
           AND idempotency_keys.body_hash = EXCLUDED.body_hash
           AND NOT EXISTS (
               SELECT 1 FROM pg_stat_activity a
               WHERE a.pid = idempotency_keys.holder_pid
                 AND a.backend_start = idempotency_keys.holder_started
           ))
    RETURNING created_at
"""

_swept_at = 0.0
# The first use of the key whose command is running, for its Temporal update id.
_first_use: ContextVar[datetime | None] = ContextVar("idempotency_first_use", default=None)


def body_hash(body: Any) -> str:
    return hashlib.sha256(
        json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()
    ).hexdigest()


def key_of(request: Request) -> str | None:
    key = request.headers.get(KEY_HEADER)
    if key is None:
        return None
    if not key.strip() or len(key) > MAX_KEY_LENGTH:
        raise invalid(f"header.{KEY_HEADER}", "length", f"1 to {MAX_KEY_LENGTH} characters")
    return key


def key_reused() -> ApiError:
    return ApiError(
        422,
        {
            "error": "idempotency_key_reused",
            "code": "idempotency_key_reused",
            "citation": f"{DRAFT}, Error Scenarios",
            "reason": f"The {KEY_HEADER} was already used for a different request; a new "
            "request takes a new key.",
            "field": f"header.{KEY_HEADER}",
            "errors": [
                {
                    "field": f"header.{KEY_HEADER}",
                    "rule": "idempotency_key_reused",
                    "message": "already used for a different request",
                }
            ],
        },
    )


def in_flight() -> ApiError:
    return problem(
        "idempotency_key_in_flight",
        f"The first request with this {KEY_HEADER} is still being answered; retry in a "
        "moment to get its answer.",
        citation=f"{DRAFT}, Error Scenarios",
        field=f"header.{KEY_HEADER}",
        headers={"Retry-After": str(IN_FLIGHT_RETRY_SECONDS)},
    )


def update_id(principal: Principal, key: str | None) -> str | None:
    """The Temporal update id of a keyed command: the same for every retry of one use of the
    key, so the workflow applies it once, and another for the key's use after it expired,
    which Temporal would otherwise answer with the earlier use's outcome."""
    if key is None:
        return None
    first = _first_use.get()
    return f"{principal.id}:{key}" + (f"@{first.isoformat()}" if first else "")


def lifetime(services: Services) -> timedelta:
    return timedelta(hours=services.settings.idempotency_key_hours)


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
        return problems.respond(status, content)
    pool = await services.db()
    digest = body_hash(body)
    method, path = request.method, request.url.path
    kept = lifetime(services)
    await _sweep_now_and_then(pool, kept)
    # Two rounds at most: a row let go between the claim and the read is claimed again.
    for _ in range(2):
        pid, started = await services.holder()
        claimed = await pool.fetchval(
            _CLAIM, principal.id, key, method, path, digest, pid, started, kept
        )
        if claimed is not None:
            return await _answer(pool, principal, key, (claimed, pid, started), produce)
        row = await pool.fetchrow(
            "SELECT * FROM idempotency_keys WHERE principal_id = $1 AND key = $2",
            principal.id,
            key,
        )
        if row is None:
            continue
        if row["body_hash"] != digest or row["method"] != method or row["path"] != path:
            raise key_reused()
        if row["status"] == "done":
            return problems.respond(
                row["response_status"], row["response_body"], {REPLAYED_HEADER: "true"}
            )
        raise in_flight()
    raise in_flight()


async def sweep(pool: asyncpg.Pool, kept: timedelta, batch: int = SWEEP_BATCH) -> int:
    """Delete up to ``batch`` records of keys past their lifetime; how many went."""
    result: str = await pool.execute(
        """DELETE FROM idempotency_keys WHERE ctid IN (
               SELECT ctid FROM idempotency_keys WHERE created_at <= now() - $1::interval
               LIMIT $2)""",
        kept,
        batch,
    )
    return int(result.split()[-1])


async def _sweep_now_and_then(pool: asyncpg.Pool, kept: timedelta) -> None:
    global _swept_at
    if time.monotonic() - _swept_at < SWEEP_EVERY_SECONDS:
        return
    _swept_at = time.monotonic()
    await sweep(pool, kept)


async def _answer(
    pool: asyncpg.Pool,
    principal: Principal,
    key: str,
    claim: tuple[datetime, int, datetime],
    produce: Produce,
) -> JSONResponse:
    mine = (
        "principal_id = $1 AND key = $2 AND created_at = $3 AND holder_pid = $4 "
        "AND holder_started = $5"
    )
    first_use = _first_use.set(claim[0])
    try:
        status, content = await _run(produce)
    except (Unavailable, asyncio.CancelledError):
        await pool.execute(f"DELETE FROM idempotency_keys WHERE {mine}", principal.id, key, *claim)
        raise
    finally:
        _first_use.reset(first_use)
    await pool.execute(
        f"""UPDATE idempotency_keys SET status = 'done', response_status = $6,
               response_body = $7, completed_at = now()
           WHERE {mine}""",
        principal.id,
        key,
        *claim,
        status,
        content,
    )
    return problems.respond(status, content, {REPLAYED_HEADER: "false"})


async def _run(produce: Produce) -> tuple[int, Any]:
    try:
        return await produce()
    except ApiError as exc:
        # Kept as the problem document it is answered with, so a replay answers the same.
        return exc.status, problems.document(exc.status, exc.body)
