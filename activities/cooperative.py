"""Activities of the order workflow: read a member's and a contract's facts, and write each
step of an order (its row, its audit entries, its outbox messages) in one transaction.

Placing an order locks the contract's row and checks its ceiling again against every order
placed, so two orders sent at once never together pass it. Every write is keyed (the order's
revision, the audit step, the outbox key), so a retried activity writes nothing twice.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import asyncpg
from temporalio import activity

from cooperative import rules
from cooperative.models import (
    ContractRecord,
    FactsRequest,
    OrderFacts,
    OrderStep,
    PersistResult,
)
from db import audit
from db.cooperative import contract_record, member_record, placed_total
from workflows import activity_names


class CooperativeActivities:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    @activity.defn(name=activity_names.COOPERATIVE_ORDER_FACTS)
    async def order_facts(self, request: FactsRequest) -> OrderFacts:
        async with self.pool.acquire() as conn:
            member = await member_record(conn, name=request.member_name)
            row = await conn.fetchrow(
                "SELECT * FROM cooperative_contracts WHERE reference = $1",
                request.contract_reference,
            )
            used = await placed_total(conn, request.contract_reference, request.reference)
        return OrderFacts(
            member=member,
            contract=contract_record(row) if row is not None else None,
            placed_total=used,
        )

    @activity.defn(name=activity_names.COOPERATIVE_PERSIST_ORDER)
    async def persist_order(self, step: OrderStep) -> PersistResult:
        async with self.pool.acquire() as conn, conn.transaction():
            contract: ContractRecord | None = None
            used: Decimal | None = None
            if step.place:
                row = await conn.fetchrow(
                    "SELECT * FROM cooperative_contracts WHERE reference = $1 FOR UPDATE",
                    step.contract_reference,
                )
                contract = contract_record(row) if row is not None else None
                stored = await conn.fetchval(
                    "SELECT state FROM orders WHERE reference = $1", step.reference
                )
                others = await placed_total(conn, step.contract_reference, step.reference)
                if contract is not None and stored != "placed":
                    refusal = rules.ceiling_refusal(contract, others, step.total)
                    if refusal is not None:
                        return PersistResult(placed=False, refusal=refusal, used=others)
                used = others + step.total
            await self._write_order(conn, step)
            for event in step.audit:
                await audit.append(
                    conn,
                    audit.AuditEntry(
                        reference=step.reference,
                        at=event.at,
                        actor=event.actor,
                        role=event.role,
                        command=event.command,
                        outcome=event.outcome,
                        from_state=event.from_state,
                        to_state=event.to_state,
                        citation=event.citation,
                        summary=event.summary,
                        step_seq=event.seq,
                        request_id=event.request_id,
                    ),
                )
            messages: list[tuple[Any, ...]] = [
                (m.reference, m.seq, m.kind, m.recipient, m.content, step.updated_at)
                for m in step.messages
            ]
            if contract is not None and used is not None:
                messages += await self._ceiling_reminders(conn, contract, used, step)
            if messages:
                await conn.executemany(
                    """
                    INSERT INTO outbox (reference, seq, kind, recipient, content, created_at)
                    VALUES ($1, $2, $3, $4, $5, $6)
                    ON CONFLICT (reference, seq, kind, recipient) DO NOTHING
                    """,
                    messages,
                )
        return PersistResult(placed=step.place, used=used)

    @staticmethod
    async def _write_order(conn: asyncpg.Connection, step: OrderStep) -> None:
        await conn.execute(
            """
            INSERT INTO orders (reference, member_name, member_id, contract_reference, program,
                vendor, lead, state, total, digest, submitted_by, revision, snapshot,
                created_at, updated_at, placed_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
            ON CONFLICT (reference) DO UPDATE SET
                member_id = EXCLUDED.member_id, program = EXCLUDED.program,
                vendor = EXCLUDED.vendor, lead = EXCLUDED.lead, state = EXCLUDED.state,
                total = EXCLUDED.total, revision = EXCLUDED.revision,
                snapshot = EXCLUDED.snapshot, updated_at = EXCLUDED.updated_at,
                placed_at = EXCLUDED.placed_at
            WHERE orders.revision < EXCLUDED.revision
            """,
            step.reference,
            step.member_name,
            step.member_id,
            step.contract_reference,
            step.program,
            step.vendor,
            step.lead,
            step.state,
            step.total,
            step.digest,
            step.submitted_by,
            step.revision,
            step.snapshot,
            step.created_at,
            step.updated_at,
            step.placed_at,
        )

    @staticmethod
    async def _ceiling_reminders(
        conn: asyncpg.Connection, contract: ContractRecord, used: Decimal, step: OrderStep
    ) -> list[tuple[Any, ...]]:
        """Near or at the ceiling: every member that ordered against the contract, and its
        lead, are told once (keyed by the contract, the reminder and the recipient)."""
        kind = rules.ceiling_reminder(contract.ceiling, used)
        if kind is None:
            return []
        members = await conn.fetch(
            "SELECT DISTINCT member_name FROM orders WHERE contract_reference = $1 "
            "AND state = 'placed' ORDER BY member_name",
            contract.reference,
        )
        recipients = [rules.member_recipient(r["member_name"]) for r in members]
        recipients.append(rules.lead_recipient(contract))
        content = {**rules.reminder_content(kind, contract, used), "order": step.reference}
        return [
            (contract.reference, 0, f"reminder:{kind}", r, content, step.updated_at)
            for r in recipients
        ]
