"""The ``tabulate_bids`` and ``score_proposals`` activities: an intake round is closed, its
commitments published, and only then are the sealed prices read, evaluated by the pure rules
and recorded; only identities and ranks go back to the workflow.

30 ILCS 500/20-10(d): the opening records each bidder, the amount of each bid and the Illinois
Works bid credit; preferences (Article 45) and the tie rules (44 Ill. Adm. Code 1.2037) apply
in evaluation. 20-15(d): proposals are opened without disclosing contents to competitors;
20-15(e): the three parts are scored and ranked independently.

A round closes in its own transaction, which commits before any bid is decrypted: it waits out
the bids still being received (``db.bids.close_round``), fixes the set counted, and publishes
in the Bulletin the commitment of every bid in it. Anyone can then check each row of the
tabulation against that list: nothing was added after the deadline, and every vendor's bid was
opened as received.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg
from temporalio import activity

from db import bids, reciprocity
from db.sealing import Sealer, amount_of, matches
from rules import citations
from rules.evaluation import (
    BidderClaims,
    BidInput,
    PreferenceSettings,
    evaluate_bids,
)
from rules.proposals import ProposalScores, ScoringPlan, score_proposals
from state_machines.intake import OPENING_ROUND, TECHNICAL_ROUND
from state_machines.models import RankEntry, ReciprocityPinned
from workflows import activity_names
from workflows.payloads import ReciprocityRequest, ScoreRequest, TabulateRequest, TabulateResult

COMMITMENTS_NOTICE = "bid_commitments"


class TabulationActivities:
    def __init__(self, pool: asyncpg.Pool, sealer: Sealer) -> None:
        self.pool = pool
        self.sealer = sealer

    @activity.defn(name=activity_names.RECIPROCAL_TABLE)
    async def reciprocal_table(self, request: ReciprocityRequest) -> ReciprocityPinned:
        """The other states' preferences in force on the day of the first advertisement
        (30 ILCS 500/45-10(a),(b)): data, not about any bid."""
        effective_from, states = await reciprocity.in_force(self.pool, request.on)
        return ReciprocityPinned(effective_from=effective_from, states=states, pinned_on=request.on)

    async def _close(
        self,
        reference: str,
        round_: str,
        cutoff: datetime,
        at: datetime,
        registered: list[str],
        seq: int,
        citation: str,
    ) -> bids.Opening:
        """Close the round and publish what it holds, committed before anything is opened."""
        async with self.pool.acquire() as conn, conn.transaction():
            opening = await bids.close_round(conn, reference, round_, cutoff, at, registered)
            await conn.execute(
                """INSERT INTO bulletin_notices (reference, seq, kind, published_at, content)
                   VALUES ($1, $2, $3, $4, $5)
                   ON CONFLICT (reference, seq, kind) DO NOTHING""",
                reference,
                seq,
                COMMITMENTS_NOTICE,
                opening.closed_at,
                opening.notice(reference, citation),
            )
        return opening

    async def _unseal(
        self, conn: asyncpg.Connection, reference: str, bid_ids: list[str]
    ) -> dict[str, Unsealed]:
        """Open the sealed bids named: decrypt, check each commitment against its receipt, and
        write the clear contents (the row is then immutable, see migration 0003)."""
        rows = await conn.fetch(
            """SELECT bid_id, vendor, digest, sealed FROM bids
               WHERE reference = $1 AND bid_id = ANY($2::text[]) AND sealed IS NOT NULL
                 AND status <> 'opened'""",
            reference,
            bid_ids,
        )
        unsealed: dict[str, Unsealed] = {}
        for r in rows:
            contents, nonce = self.sealer.open(r["sealed"])
            verified = matches(r["digest"], nonce, reference, r["vendor"], contents)
            unsealed[r["bid_id"]] = Unsealed(verified, nonce.hex() if nonce else None, contents)
            await conn.execute(
                """UPDATE bids SET amount = $2, bid_credit = $3, claims = $4, documents = $5,
                       status = 'opened', refusal = $6, freight = $7
                   WHERE bid_id = $1""",
                r["bid_id"],
                # An unpriced technical offer (20-10(h)) has no amount; nothing stands for one.
                None if contents.get("amount") is None else amount_of(contents, "amount"),
                amount_of(contents, "bid_credit"),
                contents.get("claims") or {},
                contents.get("documents") or [],
                None if verified else {"digest_mismatch": True},
                None if contents.get("freight") is None else amount_of(contents, "freight"),
            )
        return unsealed

    @asynccontextmanager
    async def _opening(
        self, request: TabulateRequest, round_: str, citation: str
    ) -> AsyncIterator[tuple[asyncpg.Connection, bids.Opening, dict[str, Unsealed]]]:
        """The round closed and published, then, in one transaction, its bids unsealed: the
        caller records what the opening found in the same transaction."""
        opening = await self._close(
            request.reference,
            round_,
            request.cutoff or request.opened_at,
            request.opened_at,
            request.bid_ids,
            request.seq,
            citation,
        )
        async with self.pool.acquire() as conn, conn.transaction():
            yield conn, opening, await self._unseal(conn, request.reference, opening.bid_ids)

    async def _open_technical(self, request: TabulateRequest) -> TabulateResult:
        """20-10(h): the technical offers are opened and recorded, unpriced and unranked;
        each is then qualified, or not, under the first solicitation's criteria."""
        async with self._opening(request, TECHNICAL_ROUND, citations.MULTI_STEP) as (
            conn,
            opening,
            unsealed,
        ):
            rows = await conn.fetch(
                """SELECT bid_id, vendor, documents, digest FROM bids
                   WHERE reference = $1 AND bid_id = ANY($2::text[]) ORDER BY bid_id""",
                request.reference,
                opening.bid_ids,
            )
            await conn.executemany(
                """
                INSERT INTO technical_offers (reference, bid_id, vendor, opened_at, witnesses,
                    documents, digest_matches, commitment, nonce, contents)
                VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7, $8, $9, $10::jsonb)
                ON CONFLICT (reference, bid_id) DO NOTHING
                """,
                [
                    (
                        request.reference,
                        r["bid_id"],
                        r["vendor"],
                        request.opened_at,
                        request.witnesses,
                        r["documents"],
                        *_checks(unsealed.get(r["bid_id"]), r["digest"]),
                    )
                    for r in rows
                ],
            )
        return TabulateResult(
            ranking=[RankEntry(bid_id=r["bid_id"], vendor=r["vendor"], rank=0) for r in rows],
            commitments_digest=opening.set_digest,
        )

    @activity.defn(name=activity_names.TABULATE_BIDS)
    async def tabulate_bids(self, request: TabulateRequest) -> TabulateResult:
        if request.technical:
            return await self._open_technical(request)
        proposals = request.method == "competitive_sealed_proposals"
        citation = citations.PROPOSAL_OPENING if proposals else citations.BID_OPENING
        async with self._opening(request, OPENING_ROUND, citation) as (conn, opening, unsealed):
            rows = await conn.fetch(
                """SELECT bid_id, vendor, amount, bid_credit, freight, claims, digest FROM bids
                   WHERE reference = $1 AND bid_id = ANY($2::text[]) ORDER BY bid_id""",
                request.reference,
                opening.bid_ids,
            )
            records: list[tuple[Any, ...]]
            if proposals:
                # Recorded, ranked by nobody yet: proposals are scored, not opened to compare.
                ranking = [
                    RankEntry(bid_id=r["bid_id"], vendor=r["vendor"], rank=0, price=r["amount"])
                    for r in rows
                ]
                records = [
                    (
                        r["bid_id"],
                        r["vendor"],
                        r["amount"],
                        r["bid_credit"],
                        r["amount"],
                        0,
                        [],
                        r["freight"],
                    )
                    for r in rows
                ]
            else:
                freights = {r["bid_id"]: r["freight"] for r in rows}
                evaluated = evaluate_bids(
                    [
                        BidInput(
                            bid_id=r["bid_id"],
                            vendor=r["vendor"],
                            amount=r["amount"],
                            bid_credit=r["bid_credit"],
                            claims=BidderClaims.from_dict(r["claims"] or {}),
                            freight=r["freight"] or Decimal("0"),
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
                        price=e.amount,
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
                        freights[e.bid_id],
                    )
                    for e in evaluated
                ]
            digests = {r["bid_id"]: r["digest"] for r in rows}
            await conn.executemany(
                """
                INSERT INTO tabulations (reference, bid_id, vendor, amount, bid_credit,
                    evaluated_amount, rank, opened_at, witnesses, adjustments, digest_matches,
                    commitment, nonce, contents, freight)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10::jsonb, $11, $12, $13,
                        $14::jsonb, $15)
                ON CONFLICT (reference, bid_id) DO NOTHING
                """,
                [
                    (
                        request.reference,
                        *rec[:6],
                        request.opened_at,
                        request.witnesses,
                        rec[6],
                        *_checks(unsealed.get(rec[0]), digests[rec[0]]),
                        rec[7],
                    )
                    for rec in records
                ],
            )
        return TabulateResult(ranking=ranking, commitments_digest=opening.set_digest)

    @activity.defn(name=activity_names.SCORE_PROPOSALS)
    async def score_proposals(self, request: ScoreRequest) -> TabulateResult:
        latest = await self._latest_offers(request)
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
            plan = ScoringPlan.as_launched(request.plan)
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

    async def _latest_offers(self, request: ScoreRequest) -> dict[str, str]:
        """Each offeror's latest offer (a best and final offer replaces the first price): the
        proposal opened, or the offer of the round that closes now."""
        latest: dict[str, str] = {}
        if request.offers:  # registered through the workflow, oldest first
            for bid_id, vendor in request.offers:
                latest[vendor] = bid_id
            return latest
        for proposal in request.proposals:
            latest[proposal.vendor] = proposal.bid_id
        if request.round is None or request.cutoff is None:
            return latest
        opening = await self._close(
            request.reference,
            request.round,
            request.cutoff,
            request.at or request.cutoff,
            [],
            request.seq,
            citations.BEST_AND_FINAL,
        )
        offered = await self.pool.fetch(
            """SELECT bid_id, vendor FROM bids WHERE bid_id = ANY($1::text[])
               ORDER BY received_at, bid_id""",
            opening.bid_ids,
        )
        for r in offered:
            if r["vendor"] in latest:
                latest[r["vendor"]] = r["bid_id"]
        return latest


@dataclass(frozen=True)
class Unsealed:
    """What lets anyone check a tabulated bid: whether it matched its receipt, the nonce of
    its commitment and the contents opened."""

    verified: bool
    nonce: str | None
    contents: dict[str, Any]


def _checks(
    unsealed: Unsealed | None, commitment: str
) -> tuple[bool, str, str | None, dict[str, Any] | None]:
    if unsealed is None:  # opened by an earlier attempt, whose rows stand
        return True, commitment, None, None
    return unsealed.verified, commitment, unsealed.nonce, unsealed.contents
