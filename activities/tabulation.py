"""The ``tabulate_bids`` activity: open the sealed bids and record the tabulation.

30 ILCS 500/20-10(d): the opening records each bidder, the amount of each bid and the
Illinois Works bid credit earned and applied. The evaluated amount is the bid less its
applied credit; equal evaluated amounts share a rank. Only identities and ranks go back to
the workflow, so amounts stay out of its history.
"""

from __future__ import annotations

import asyncpg
from temporalio import activity

from state_machines.models import RankEntry
from workflows.payloads import TabulateRequest, TabulateResult


class TabulationActivities:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    @activity.defn(name="tabulate_bids")
    async def tabulate_bids(self, request: TabulateRequest) -> TabulateResult:
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(
                """
                INSERT INTO tabulations (reference, bid_id, vendor, amount, bid_credit,
                    evaluated_amount, rank, opened_at, witnesses)
                SELECT reference, bid_id, vendor, amount, bid_credit, amount - bid_credit,
                       DENSE_RANK() OVER (ORDER BY amount - bid_credit),
                       $3, $4::jsonb
                FROM bids WHERE reference = $1 AND bid_id = ANY($2::text[])
                ON CONFLICT (reference, bid_id) DO NOTHING
                """,
                request.reference,
                request.bid_ids,
                request.opened_at,
                request.witnesses,
            )
            await conn.execute(
                "UPDATE bids SET status = 'opened' WHERE reference = $1 AND bid_id = ANY($2)",
                request.reference,
                request.bid_ids,
            )
            rows = await conn.fetch(
                """
                SELECT bid_id, vendor, rank FROM tabulations
                WHERE reference = $1 ORDER BY rank, bid_id
                """,
                request.reference,
            )
        return TabulateResult(
            ranking=[
                RankEntry(bid_id=r["bid_id"], vendor=r["vendor"], rank=r["rank"]) for r in rows
            ]
        )
