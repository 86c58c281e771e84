"""The ``failed_bid_notices`` activity: at an award, which unsuccessful bidders have now
failed 4 consecutive bids for the same services to the agency (30 ILCS 500/20-10(g-5)).

It reads the agency's earlier awards from the read model (each bid's vendor from the
tabulation, the awardee from the award); the pure rule (``rules.failed_bid``) decides. Only
names of bidders go back to the workflow, and only after the award, when the bid records are
open to the public (20-10(d)).
"""

from __future__ import annotations

import asyncpg
from temporalio import activity

from rules import failed_bid, small_purchase
from state_machines.models import FailedBidNotice
from workflows import activity_names
from workflows.payloads import FailedBidRequest


def _fold(name: str | None) -> str:
    return (name or "").strip().casefold()


class FailedBidActivities:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    @activity.defn(name=activity_names.FAILED_BID_NOTICES)
    async def failed_bid_notices(self, request: FailedBidRequest) -> list[FailedBidNotice]:
        losers = sorted({v for v in request.bidders if _fold(v) != _fold(request.awarded_vendor)})
        if not losers:
            return []
        rows = await self.pool.fetch(
            """
            SELECT p.reference, t.vendor, p.description_key,
                   COALESCE(p.snapshot->'spec'->'commodity_codes', '[]'::jsonb) AS codes,
                   p.snapshot->'award'->>'vendor' AS awardee,
                   p.snapshot->'award'->>'decided_at' AS decided_at
            FROM tabulations t JOIN procurements p USING (reference)
            WHERE p.agency = $1 AND p.reference <> $2
              AND jsonb_typeof(p.snapshot->'award') = 'object'
              AND lower(t.vendor) = ANY($3::text[])
            ORDER BY p.snapshot->'award'->>'decided_at', p.reference
            """,
            request.agency,
            request.reference,
            [_fold(v) for v in losers],
        )
        ours = (
            request.description_key,
            frozenset(small_purchase.commodity_type(c) for c in request.commodity_codes),
        )
        owed: list[FailedBidNotice] = []
        for vendor in losers:
            seen: set[str] = set()
            outcomes = []
            for r in rows:
                theirs = (
                    r["description_key"] or "",
                    frozenset(small_purchase.commodity_type(c) for c in r["codes"]),
                )
                if (
                    _fold(r["vendor"]) == _fold(vendor)
                    and r["reference"] not in seen
                    and failed_bid.same_services(ours, theirs)
                ):
                    seen.add(r["reference"])
                    awarded = _fold(r["awardee"]) == _fold(vendor)
                    outcomes.append(failed_bid.Outcome(r["reference"], awarded))
            outcomes.append(failed_bid.Outcome(request.reference, awarded=False))
            references = failed_bid.owed(outcomes)
            if references is not None:
                owed.append(FailedBidNotice(vendor=vendor, references=references))
        return owed
