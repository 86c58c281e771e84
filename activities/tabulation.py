"""The ``tabulate_bids`` and ``score_proposals`` activities: the sealed prices are read here,
evaluated by the pure rules, recorded, and only identities and ranks go back to the workflow.

30 ILCS 500/20-10(d): the opening records each bidder, the amount of each bid and the Illinois
Works bid credit; preferences (Article 45) and the tie rules (44 Ill. Adm. Code 1.2037) apply
in evaluation. 20-15(d): proposals are opened without disclosing contents to competitors;
20-15(e): the three parts are scored and ranked independently.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import asyncpg
from temporalio import activity

from db.sealing import Sealer, amount_of, bid_digest
from rules.evaluation import (
    BidderClaims,
    BidInput,
    PreferenceSettings,
    evaluate_bids,
)
from rules.proposals import ProposalScores, ScoringPlan, score_proposals
from state_machines.models import RankEntry
from workflows.payloads import ScoreRequest, TabulateRequest, TabulateResult


class TabulationActivities:
    def __init__(self, pool: asyncpg.Pool, sealer: Sealer) -> None:
        self.pool = pool
        self.sealer = sealer

    async def _unseal(self, conn: asyncpg.Connection, reference: str, bid_ids: list[str]) -> None:
        """Open the sealed bids named: decrypt, check each digest against its receipt, and
        write the clear contents (the row is then immutable, see migration 0003)."""
        rows = await conn.fetch(
            """SELECT bid_id, vendor, digest, sealed FROM bids
               WHERE reference = $1 AND bid_id = ANY($2::text[]) AND sealed IS NOT NULL
                 AND status <> 'opened'""",
            reference,
            bid_ids,
        )
        for r in rows:
            contents = self.sealer.open(r["sealed"])
            matches = bid_digest(reference, r["vendor"], contents) == r["digest"]
            await conn.execute(
                """UPDATE bids SET amount = $2, bid_credit = $3, claims = $4, documents = $5,
                       status = 'opened', refusal = $6
                   WHERE bid_id = $1""",
                r["bid_id"],
                amount_of(contents, "amount"),
                amount_of(contents, "bid_credit"),
                contents.get("claims") or {},
                contents.get("documents") or [],
                None if matches else {"digest_mismatch": True},
            )

    @activity.defn(name="tabulate_bids")
    async def tabulate_bids(self, request: TabulateRequest) -> TabulateResult:
        async with self.pool.acquire() as conn, conn.transaction():
            await self._unseal(conn, request.reference, request.bid_ids)
            rows = await conn.fetch(
                """SELECT bid_id, vendor, amount, bid_credit, claims, refusal FROM bids
                   WHERE reference = $1 AND bid_id = ANY($2::text[]) ORDER BY bid_id""",
                request.reference,
                request.bid_ids,
            )
            records: list[tuple[Any, ...]]
            if request.method == "competitive_sealed_proposals":
                # Recorded, ranked by nobody yet: proposals are scored, not opened to compare.
                ranking = [RankEntry(bid_id=r["bid_id"], vendor=r["vendor"], rank=0) for r in rows]
                records = [
                    (r["bid_id"], r["vendor"], r["amount"], r["bid_credit"], r["amount"], 0, [])
                    for r in rows
                ]
            else:
                evaluated = evaluate_bids(
                    [
                        BidInput(
                            bid_id=r["bid_id"],
                            vendor=r["vendor"],
                            amount=r["amount"],
                            bid_credit=r["bid_credit"],
                            claims=BidderClaims.from_dict(r["claims"] or {}),
                        )
                        for r in rows
                    ],
                    PreferenceSettings.from_dict(request.preferences or {}),
                    {k: Decimal(v) for k, v in request.reciprocal_preferences.items()},
                )
                ranking = [
                    RankEntry(
                        bid_id=e.bid_id,
                        vendor=e.vendor,
                        rank=e.rank,
                        resident=e.claims.resident,
                        recycled=any(
                            a.preference == "recycled" and a.applied for a in e.adjustments
                        ),
                    )
                    for e in evaluated
                ]
                records = [
                    (
                        e.bid_id,
                        e.vendor,
                        e.amount,
                        e.bid_credit,
                        e.evaluated_amount,
                        e.rank,
                        [
                            {
                                "preference": a.preference,
                                "citation": a.citation,
                                "applied": a.applied,
                                "effect": str(a.effect),
                                "note": a.note,
                            }
                            for a in e.adjustments
                        ],
                    )
                    for e in evaluated
                ]
            await conn.executemany(
                """
                INSERT INTO tabulations (reference, bid_id, vendor, amount, bid_credit,
                    evaluated_amount, rank, opened_at, witnesses, adjustments)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10::jsonb)
                ON CONFLICT (reference, bid_id) DO NOTHING
                """,
                [
                    (request.reference, *rec[:6], request.opened_at, request.witnesses, rec[6])
                    for rec in records
                ],
            )
            mismatched = [r["bid_id"] for r in rows if (r["refusal"] or {}).get("digest_mismatch")]
            await conn.execute(
                """UPDATE tabulations SET digest_matches = NOT (bid_id = ANY($2::text[]))
                   WHERE reference = $1""",
                request.reference,
                mismatched,
            )
        return TabulateResult(ranking=ranking)

    @activity.defn(name="score_proposals")
    async def score_proposals(self, request: ScoreRequest) -> TabulateResult:
        latest: dict[str, str] = {}
        for bid_id, vendor in request.offers:
            latest[vendor] = bid_id  # a best and final offer replaces the earlier price
        async with self.pool.acquire() as conn, conn.transaction():
            await self._unseal(conn, request.reference, list(latest.values()))
            prices = {
                r["bid_id"]: r["amount"]
                for r in await conn.fetch(
                    "SELECT bid_id, amount FROM bids WHERE reference = $1 AND bid_id = ANY($2)",
                    request.reference,
                    list(latest.values()),
                )
            }
            by_proposal = {p.bid_id: latest[p.vendor] for p in request.proposals}
            plan = ScoringPlan.from_dict(request.plan)
            scored = score_proposals(
                plan,
                {p: prices[offer] for p, offer in by_proposal.items()},
                [
                    ProposalScores(
                        bid_id=s["bid_id"],
                        vendor=next(p.vendor for p in request.proposals if p.bid_id == s["bid_id"]),
                        diversity=Decimal(str(s["diversity"])),
                        other=Decimal(str(s["other"])),
                    )
                    for s in request.scores
                ],
            )
            await conn.executemany(
                """UPDATE tabulations SET scoring = $3::jsonb, rank = $4
                   WHERE reference = $1 AND bid_id = $2""",
                [
                    (
                        request.reference,
                        s.bid_id,
                        {
                            "priced_from_bid_id": by_proposal[s.bid_id],
                            "price": str(s.price),
                            "price_points": str(s.price_points),
                            "diversity_points": str(s.diversity_points),
                            "other_points": str(s.other_points),
                            "price_rank": s.price_rank,
                            "diversity_rank": s.diversity_rank,
                            "other_rank": s.other_rank,
                            "total": str(s.total),
                            "citation": "30 ILCS 500/20-15(e), (e-5)",
                        },
                        s.rank,
                    )
                    for s in scored
                ],
            )
        return TabulateResult(
            ranking=[RankEntry(bid_id=s.bid_id, vendor=s.vendor, rank=s.rank) for s in scored]
        )
