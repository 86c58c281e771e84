"""Lots: one solicitation let in several lots, each lot a procurement of its own.

A lot is launched with its solicitation number and lot number (``LaunchSpec.lot``). Every lot
of one solicitation shares the invitation and the opening (the agency, office, method, opening
time and place: ``state_machines.launch.LOT_SHARED``); everything decided on offers is the
lot's own: its bids, tabulation and tie rules (44 Ill. Adm. Code 1.2037), award, Board review
window (30 ILCS 500/5-30) and protests. A lot's launch is checked against the lots already
launched while holding the solicitation's lock, so two launches of one lot number cannot both
pass.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from api.errors import refused
from api.services import Services
from state_machines.launch import lot_refusal
from state_machines.models import LaunchSpec

_LOTS = """
    SELECT reference, state, title, method, snapshot
    FROM procurements
    WHERE snapshot->'spec'->'lot'->>'solicitation' = $1
    ORDER BY (snapshot->'spec'->'lot'->>'number')::int, reference
"""


def _lock_key(solicitation: str) -> int:
    digest = hashlib.sha256(f"procureflow\x1fsolicitation\x1f{solicitation}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@asynccontextmanager
async def claimed(services: Services, spec: LaunchSpec) -> AsyncIterator[None]:
    """Check a lot against its solicitation's other lots and hold the solicitation until the
    launch is written; nothing for a procurement that is not a lot."""
    if spec.lot is None:
        yield
        return
    pool = await services.db()
    async with pool.acquire() as conn:
        # A session lock, released when the launch is written (or fails) and the block ends.
        await conn.execute("SELECT pg_advisory_lock($1)", _lock_key(spec.lot.solicitation))
        try:
            for row in await conn.fetch(_LOTS, spec.lot.solicitation):
                if row["reference"] == spec.reference:
                    continue
                sibling = LaunchSpec.model_validate(row["snapshot"]["spec"])
                refusal = lot_refusal(spec, sibling, row["reference"])
                if refusal is not None:
                    raise refused(refusal.as_dict())
            yield
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _lock_key(spec.lot.solicitation))


async def solicitation(pool: asyncpg.Pool, number: str) -> list[dict[str, Any]]:
    """The lots of a solicitation, in lot order: each one's state, its opening and, once
    awarded, its awardee and price (public after the award, 20-10(d))."""
    lots = []
    for row in await pool.fetch(_LOTS, number):
        snapshot = row["snapshot"]
        award = snapshot.get("award")
        lots.append(
            {
                "lot": snapshot["spec"]["lot"]["number"],
                "reference": row["reference"],
                "title": row["title"],
                "method": row["method"],
                "state": row["state"],
                "agency": snapshot["spec"]["agency"],
                "opening_at": snapshot["notice"].get("opening_at"),
                "award": {"vendor": award["vendor"], "price": award.get("price")}
                if award
                else None,
            }
        )
    return lots
