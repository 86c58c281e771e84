"""Reads of the PostgreSQL read model, the Bulletin and the sealed-bid store."""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import asyncpg


async def procurement_row(pool: asyncpg.Pool, reference: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await pool.fetchrow(
        "SELECT * FROM procurements WHERE reference = $1", reference
    )
    return row


def encode_cursor(created_at: datetime, reference: str) -> str:
    raw = json.dumps([created_at.isoformat(), reference]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    padded = cursor + "=" * (-len(cursor) % 4)
    created, reference = json.loads(base64.urlsafe_b64decode(padded.encode()))
    return datetime.fromisoformat(created), str(reference)


async def list_procurements(
    pool: asyncpg.Pool,
    *,
    state: str | None,
    agency: str | None,
    limit: int,
    cursor: tuple[datetime, str] | None,
) -> tuple[list[asyncpg.Record], str | None]:
    """Newest first, paged by a keyset cursor on (created_at, reference)."""
    clauses: list[str] = []
    args: list[object] = []
    if state:
        args.append(state)
        clauses.append(f"state = ${len(args)}")
    if agency:
        args.append(agency)
        clauses.append(f"agency = ${len(args)}")
    if cursor:
        args.extend(cursor)
        clauses.append(f"(created_at, reference) < (${len(args) - 1}, ${len(args)})")
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    args.append(limit + 1)
    rows = await pool.fetch(
        f"""
        SELECT reference, agency, method, state, title, next_deadline_name, next_deadline_at,
               created_at, updated_at
        FROM procurements {where}
        ORDER BY created_at DESC, reference DESC
        LIMIT ${len(args)}
        """,
        *args,
    )
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor(last["created_at"], last["reference"])
    return list(rows), next_cursor


async def small_purchase_limit(pool: asyncpg.Pool, on: date) -> tuple[Decimal, str] | None:
    """The small purchase limit in force on a day (30 ILCS 500/20-20(a),(b))."""
    row = await pool.fetchrow(
        """SELECT amount, citation FROM small_purchase_limits WHERE effective_from <= $1
           ORDER BY effective_from DESC LIMIT 1""",
        on,
    )
    return None if row is None else (row["amount"], row["citation"])


async def small_purchases_since(
    pool: asyncpg.Pool, agency: str, key: str, since: date
) -> list[tuple[str, Decimal]]:
    rows = await pool.fetch(
        """SELECT reference, estimated_value FROM procurements
           WHERE agency = $1 AND method = 'small_purchase' AND description_key = $2
             AND created_at >= $3 AND state <> 'cancelled' AND estimated_value IS NOT NULL
           ORDER BY created_at""",
        agency,
        key,
        datetime.combine(since, datetime.min.time(), tzinfo=UTC),
    )
    return [(r["reference"], r["estimated_value"]) for r in rows]


async def tabulation(pool: asyncpg.Pool, reference: str) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        """
        SELECT bid_id, vendor, amount, bid_credit, evaluated_amount, rank, opened_at, witnesses,
               adjustments, scoring
        FROM tabulations WHERE reference = $1 ORDER BY rank, bid_id
        """,
        reference,
    )
    return [
        {
            "bid_id": r["bid_id"],
            "vendor": r["vendor"],
            "amount": str(r["amount"]),
            "bid_credit": str(r["bid_credit"]),
            "evaluated_amount": str(r["evaluated_amount"]),
            "rank": r["rank"],
            "opened_at": r["opened_at"].isoformat(),
            "witnesses": r["witnesses"],
            "adjustments": r["adjustments"],
            "scoring": r["scoring"],
        }
        for r in rows
    ]


async def bulletin(pool: asyncpg.Pool, reference: str | None, limit: int) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        """
        SELECT notice_id, reference, kind, published_at, content FROM bulletin_notices
        WHERE ($1::text IS NULL OR reference = $1)
        ORDER BY published_at DESC, notice_id DESC LIMIT $2
        """,
        reference,
        limit,
    )
    return [
        {
            "notice_id": r["notice_id"],
            "reference": r["reference"],
            "kind": r["kind"],
            "published_at": r["published_at"].isoformat(),
            "content": r["content"],
        }
        for r in rows
    ]


async def history(pool: asyncpg.Pool, reference: str) -> list[dict[str, Any]]:
    """The steps taken (accepted commands and automatic steps), in order."""
    rows = await pool.fetch(
        """SELECT * FROM audit_trail WHERE reference = $1 AND outcome <> 'refused'
           ORDER BY position""",
        reference,
    )
    return [
        {
            "seq": r["step_seq"],
            "at": r["at"].isoformat(),
            "actor": r["actor"],
            "role": r["role"],
            "trigger": r["command"],
            "from_state": r["from_state"],
            "to_state": r["to_state"],
            "citation": r["citation"],
            "summary": r["summary"],
        }
        for r in rows
    ]


async def audit_trail(pool: asyncpg.Pool, reference: str) -> list[dict[str, Any]]:
    """Every entry, accepted or refused, with its place in the chain."""
    rows = await pool.fetch(
        "SELECT * FROM audit_trail WHERE reference = $1 ORDER BY position", reference
    )
    return [
        {
            "position": r["position"],
            "step_seq": r["step_seq"],
            "request_id": r["request_id"],
            "at": r["at"].isoformat(),
            "actor": r["actor"],
            "role": r["role"],
            "command": r["command"],
            "outcome": r["outcome"],
            "from_state": r["from_state"],
            "to_state": r["to_state"],
            "citation": r["citation"],
            "summary": r["summary"],
            "prev_hash": r["prev_hash"],
            "hash": r["hash"],
        }
        for r in rows
    ]


async def messages_for(pool: asyncpg.Pool, recipient: str) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        """
        SELECT message_id, reference, kind, content, created_at FROM outbox
        WHERE recipient = $1 ORDER BY created_at, message_id
        """,
        recipient,
    )
    return [
        {
            "message_id": r["message_id"],
            "reference": r["reference"],
            "kind": r["kind"],
            "content": r["content"],
            "sent_at": r["created_at"].isoformat(),
        }
        for r in rows
    ]
