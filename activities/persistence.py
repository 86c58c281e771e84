"""The ``persist_step`` activity: one step's read model (with its calendar of deadlines),
audit, Bulletin and outbox writes.

All four are written in one transaction, each keyed by (reference, seq, ...), so a retried
activity writes nothing twice and a notice never leaves without the state it reports.
"""

from __future__ import annotations

import asyncpg
from temporalio import activity

from db import audit, bids, deadlines
from state_machines.effects import BIDDERS
from state_machines.procurement import SYSTEM_ACTOR
from workflows import activity_names
from workflows.payloads import PersistStep


class PersistActivities:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    @activity.defn(name=activity_names.PERSIST_STEP)
    async def persist_step(self, step: PersistStep) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            written = await conn.execute(
                """
                INSERT INTO procurements (reference, agency, method, state, title,
                    next_deadline_name, next_deadline_at, launch_digest, revision, snapshot,
                    created_at, updated_at, estimated_value, description_key)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::numeric, $14)
                ON CONFLICT (reference) DO UPDATE SET
                    agency = EXCLUDED.agency, method = EXCLUDED.method,
                    state = EXCLUDED.state, title = EXCLUDED.title,
                    next_deadline_name = EXCLUDED.next_deadline_name,
                    next_deadline_at = EXCLUDED.next_deadline_at,
                    revision = EXCLUDED.revision, snapshot = EXCLUDED.snapshot,
                    updated_at = EXCLUDED.updated_at
                WHERE procurements.revision < EXCLUDED.revision
                """,
                step.reference,
                step.agency,
                step.method,
                step.state,
                step.title,
                step.next_deadline_name,
                step.next_deadline_at,
                step.launch_digest,
                step.revision,
                step.snapshot,
                step.created_at,
                step.updated_at,
                step.estimated_value,
                step.description_key,
            )
            if written == "INSERT 0 1":
                # Only a newer step than the one kept rewrites its calendar of deadlines.
                await deadlines.replace(
                    conn, step.reference, step.agency, step.method, step.snapshot, step.updated_at
                )
            for a in step.audit:
                automatic = a.actor == SYSTEM_ACTOR
                await audit.append(
                    conn,
                    audit.AuditEntry(
                        reference=step.reference,
                        at=a.at,
                        actor=a.actor,
                        role=a.role or ("system" if automatic else "unrecorded"),
                        command=a.trigger,
                        outcome="automatic" if automatic else "accepted",
                        from_state=a.from_state,
                        to_state=a.to_state,
                        citation=a.citation,
                        summary=a.summary,
                        step_seq=a.seq,
                        request_id=a.request_id,
                    ),
                )
            for notice in step.notices:
                content = dict(notice.content)
                if notice.kind == "notice_of_intent_to_award" and content.get("bid_id"):
                    # 15-25(b-5): the notice carries the contract price, read from the sealed
                    # record here so the amount never passes through workflow history.
                    price = await conn.fetchval(
                        "SELECT amount FROM tabulations WHERE reference = $1 AND bid_id = $2",
                        step.reference,
                        content.get("bid_id"),
                    )
                    content["contract_price"] = None if price is None else str(price)
                await conn.execute(
                    """
                    INSERT INTO bulletin_notices (reference, seq, kind, published_at, content)
                    VALUES ($1, $2, $3, $4, $5)
                    ON CONFLICT (reference, seq, kind) DO NOTHING
                    """,
                    step.reference,
                    notice.seq,
                    notice.kind,
                    notice.published_at,
                    content,
                )
            if step.messages:
                await conn.executemany(
                    """
                    INSERT INTO outbox (reference, seq, kind, recipient, content, created_at,
                                        to_bidder)
                    VALUES ($1, $2, $3, $4, $5, $6, $7)
                    ON CONFLICT (reference, seq, kind, recipient) DO NOTHING
                    """,
                    [
                        (step.reference, m.seq, m.kind, recipient, m.content, step.updated_at, to)
                        for m in step.messages
                        for recipient, to in await _recipients(conn, step.reference, m.recipient)
                    ],
                )


async def _recipients(
    conn: asyncpg.Connection, reference: str, recipient: str
) -> list[tuple[str, bool]]:
    """Who a message goes to, and whether as a bidder: "every bidder" is read from the
    sealed-bid store at the moment of writing, so no bidder is named outside PostgreSQL."""
    if recipient != BIDDERS:
        return [(recipient, False)]
    return [(vendor, True) for vendor in await bids.bidders(conn, reference)]
