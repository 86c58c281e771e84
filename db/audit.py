"""The audit trail: append-only, hash-chained per procurement.

Each entry's hash is SHA-256 over the previous entry's hash and the entry's canonical JSON, so
changing, removing or reordering any row breaks every hash after it. Appends take the chain's
head row with ``FOR UPDATE``, so the workflow's steps and the API's refusals, written by
different processes, still form one chain. A step already recorded (same ``step_seq``) is not
appended again, which makes a retried write harmless.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg

from state_machines.models import Principal

GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditEntry:
    reference: str
    at: datetime
    actor: str
    role: str
    command: str
    outcome: str  # "accepted", "refused" or "automatic"
    from_state: str
    to_state: str
    citation: str
    summary: str
    step_seq: int | None = None
    request_id: str | None = None


def canonical(entry: AuditEntry, position: int) -> bytes:
    fields = asdict(entry)
    fields["at"] = entry.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    fields["position"] = position
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(prev_hash: str, entry: AuditEntry, position: int) -> str:
    return hashlib.sha256(prev_hash.encode() + b"|" + canonical(entry, position)).hexdigest()


async def append(conn: asyncpg.Connection, entry: AuditEntry) -> int | None:
    """Append one entry in the caller's transaction; returns its position (None if the step
    was already recorded)."""
    await conn.execute(
        "INSERT INTO audit_heads (reference, position, hash) VALUES ($1, 0, $2) "
        "ON CONFLICT (reference) DO NOTHING",
        entry.reference,
        GENESIS,
    )
    head = await conn.fetchrow(
        "SELECT position, hash FROM audit_heads WHERE reference = $1 FOR UPDATE",
        entry.reference,
    )
    if entry.step_seq is not None:
        exists = await conn.fetchval(
            "SELECT 1 FROM audit_trail WHERE reference = $1 AND step_seq = $2",
            entry.reference,
            entry.step_seq,
        )
        if exists:
            return None
    position = head["position"] + 1
    digest = entry_hash(head["hash"], entry, position)
    await conn.execute(
        """
        INSERT INTO audit_trail (reference, position, step_seq, request_id, at, actor, role,
            command, outcome, from_state, to_state, citation, summary, prev_hash, hash)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
        """,
        entry.reference,
        position,
        entry.step_seq,
        entry.request_id,
        entry.at,
        entry.actor,
        entry.role,
        entry.command,
        entry.outcome,
        entry.from_state,
        entry.to_state,
        entry.citation,
        entry.summary,
        head["hash"],
        digest,
    )
    await conn.execute(
        "UPDATE audit_heads SET position = $2, hash = $3 WHERE reference = $1",
        entry.reference,
        position,
        digest,
    )
    return position


async def record(
    conn: asyncpg.Connection,
    *,
    reference: str,
    at: datetime,
    principal: Principal,
    command: str,
    outcome: str,
    state: str,
    citation: str,
    summary: str,
    request_id: str | None,
) -> int | None:
    """Append an entry the API writes itself, in the caller's transaction: a refused command,
    or a record kept without a workflow (a member registered, a document put on file, a
    contract opened). Neither moves anything to another state, so it is from and to ``state``."""
    return await append(
        conn,
        AuditEntry(
            reference=reference,
            at=at,
            actor=principal.name,
            role=principal.role,
            command=command,
            outcome=outcome,
            from_state=state,
            to_state=state,
            citation=citation,
            summary=summary,
            request_id=request_id,
        ),
    )


@dataclass(frozen=True)
class Verification:
    reference: str
    entries: int
    intact: bool
    first_broken: int | None
    problem: str | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def entry_from_row(row: asyncpg.Record) -> AuditEntry:
    return AuditEntry(
        reference=row["reference"],
        at=row["at"],
        actor=row["actor"],
        role=row["role"],
        command=row["command"],
        outcome=row["outcome"],
        from_state=row["from_state"],
        to_state=row["to_state"],
        citation=row["citation"],
        summary=row["summary"],
        step_seq=row["step_seq"],
        request_id=row["request_id"],
    )


async def rows(pool: asyncpg.Pool | asyncpg.Connection, reference: str) -> list[asyncpg.Record]:
    result: list[asyncpg.Record] = await pool.fetch(
        "SELECT * FROM audit_trail WHERE reference = $1 ORDER BY position", reference
    )
    return result


async def verify(pool: asyncpg.Pool | asyncpg.Connection, reference: str) -> Verification:
    """Recompute the chain from the first entry and compare with what is stored."""
    stored = await rows(pool, reference)
    head = await pool.fetchrow(
        "SELECT position, hash FROM audit_heads WHERE reference = $1", reference
    )
    prev = GENESIS
    for expected_position, row in enumerate(stored, start=1):
        if row["position"] != expected_position:
            return Verification(
                reference, len(stored), False, expected_position, "an entry is missing"
            )
        if row["prev_hash"] != prev:
            return Verification(
                reference,
                len(stored),
                False,
                row["position"],
                "the link to the previous entry is broken",
            )
        digest = entry_hash(prev, entry_from_row(row), row["position"])
        if digest != row["hash"]:
            return Verification(
                reference,
                len(stored),
                False,
                row["position"],
                "the entry's content does not match its hash",
            )
        prev = digest
    if head is not None and (head["position"] != len(stored) or head["hash"] != prev):
        return Verification(
            reference, len(stored), False, len(stored), "entries after the last one were removed"
        )
    return Verification(reference, len(stored), True, None, None)
