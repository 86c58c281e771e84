"""The sealed-bid store: receipts, replacements and withdrawals written in the caller's
transaction, and the fence each opening closes.

The fence is an advisory lock, one per procurement. Every intake transaction holds it shared
from before it reads the clock for its receipt time until it commits; an opening takes it
exclusively, records the round as closed and takes the bids received before its cutoff. So
the opening waits for every bid already inside its transaction, and a bid that starts after
the opening began finds the round closed and is refused. A receipt exists only once its
transaction has committed, hence: every receipt timed before the cutoff is counted, and none
is issued after the round closed, whatever the clocks of the API and the worker say. An
advisory lock rather than a lock on the read model's row, so a rush of bids never delays the
workflow's own writes, and no bid waits on them.

A vendor's own submissions are serialized by a second advisory lock (per procurement and
vendor), so its caps, its replacements and a retry with the same key are decided one at a time.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from db.sealing import set_digest

OPENING_ROUND = "opening"
# Bids counted at an opening: received in time and not replaced or withdrawn since. A bid
# registered through the workflow before the intake existed (``registered``) counts even if
# its row never left 'pending'.
_COUNTED = """
    SELECT bid_id, digest FROM bids
    WHERE reference = $1
      AND ((status = 'received' AND received_at < $2)
           OR (bid_id = ANY($3::text[]) AND status IN ('received', 'pending')))
    ORDER BY bid_id
"""


def _lock_key(*parts: str) -> int:
    """A signed 64-bit advisory lock key for the parts named."""
    digest = hashlib.sha256("\x1f".join(("procureflow", *parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


async def hold_intake(conn: asyncpg.Connection, reference: str) -> None:
    """Take the procurement's intake lock shared, until the transaction ends."""
    await conn.execute("SELECT pg_advisory_xact_lock_shared($1)", _lock_key("intake", reference))


async def fence_intake(conn: asyncpg.Connection, reference: str) -> None:
    """Take it exclusively: wait until no bid of this procurement is in flight."""
    await conn.execute("SELECT pg_advisory_xact_lock($1)", _lock_key("intake", reference))


async def hold_vendor(conn: asyncpg.Connection, reference: str, vendor: str) -> None:
    await conn.execute("SELECT pg_advisory_xact_lock($1)", _lock_key("vendor", reference, vendor))


def request_key(principal_id: str, key: str) -> str:
    """What an ``Idempotency-Key`` becomes on a bid: one value per caller and key."""
    return hashlib.sha256(f"{principal_id}\x1f{key}".encode()).hexdigest()


async def round_closed(conn: asyncpg.Connection, reference: str, round_: str) -> datetime | None:
    closed: datetime | None = await conn.fetchval(
        "SELECT closed_at FROM bid_openings WHERE reference = $1 AND round = $2",
        reference,
        round_,
    )
    return closed


async def tally(conn: asyncpg.Connection, reference: str, vendor: str) -> tuple[int, int]:
    """A vendor's live bids and all its submissions (replacements and withdrawn bids too)."""
    row = await conn.fetchrow(
        """SELECT count(*) FILTER (WHERE status = 'received') AS live, count(*) AS submitted
           FROM bids WHERE reference = $1 AND vendor = $2""",
        reference,
        vendor,
    )
    return int(row["live"]), int(row["submitted"])


async def by_request_key(conn: asyncpg.Connection, key: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        "SELECT * FROM bids WHERE request_key = $1", key
    )
    return row


async def same_contents(
    conn: asyncpg.Connection, reference: str, vendor: str, content_key: str, replaces: str | None
) -> asyncpg.Record | None:
    """The vendor's live bid with exactly these contents (and the same bid replaced): a
    resubmission of it, not a new bid."""
    row: asyncpg.Record | None = await conn.fetchrow(
        """SELECT * FROM bids
           WHERE reference = $1 AND vendor = $2 AND content_key = $3 AND status = 'received'
             AND replaces IS NOT DISTINCT FROM $4""",
        reference,
        vendor,
        content_key,
        replaces,
    )
    return row


async def own_bid(
    conn: asyncpg.Connection, reference: str, vendor: str, bid_id: str
) -> asyncpg.Record | None:
    """One of the vendor's bids, locked for the rest of the transaction."""
    row: asyncpg.Record | None = await conn.fetchrow(
        "SELECT * FROM bids WHERE bid_id = $1 AND reference = $2 AND vendor = $3 FOR UPDATE",
        bid_id,
        reference,
        vendor,
    )
    return row


async def replacement_of(conn: asyncpg.Connection, bid_id: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        "SELECT * FROM bids WHERE replaces = $1 ORDER BY received_at DESC LIMIT 1", bid_id
    )
    return row


@dataclass(frozen=True)
class NewBid:
    bid_id: str
    reference: str
    vendor: str
    digest: str
    sealed: bytes
    content_key: str
    received_at: datetime
    replaces: str | None
    request_key: str | None


async def insert(conn: asyncpg.Connection, bid: NewBid) -> None:
    """The bid, received; the one it replaces (if any) no longer counts."""
    await conn.execute(
        """
        INSERT INTO bids (bid_id, reference, vendor, amount, bid_credit, documents, digest,
                          status, submitted_at, received_at, claims, sealed, replaces,
                          content_key, request_key)
        VALUES ($1, $2, $3, NULL, 0, '[]'::jsonb, $4, 'received', $5, $5, '{}'::jsonb, $6, $7,
                $8, $9)
        """,
        bid.bid_id,
        bid.reference,
        bid.vendor,
        bid.digest,
        bid.received_at,
        bid.sealed,
        bid.replaces,
        bid.content_key,
        bid.request_key,
    )
    if bid.replaces is not None:
        await conn.execute(
            "UPDATE bids SET status = 'replaced' WHERE bid_id = $1 AND status = 'received'",
            bid.replaces,
        )


async def withdraw(conn: asyncpg.Connection, bid_id: str, at: datetime) -> None:
    await conn.execute(
        """UPDATE bids SET status = 'withdrawn', withdrawn_at = $2
           WHERE bid_id = $1 AND status = 'received'""",
        bid_id,
        at,
    )


async def live_count(pool: asyncpg.Pool | asyncpg.Connection, reference: str) -> int:
    """How many bids a procurement holds now: all a procurement's records may show before the
    opening (20-10(d))."""
    count: int = await pool.fetchval(
        "SELECT count(*) FROM bids WHERE reference = $1 AND status = 'received'", reference
    )
    return count


async def receipts(
    pool: asyncpg.Pool | asyncpg.Connection, reference: str, vendor: str
) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await pool.fetch(
        """SELECT * FROM bids WHERE reference = $1 AND vendor = $2 AND status <> 'pending'
           ORDER BY submitted_at, bid_id""",
        reference,
        vendor,
    )
    return rows


async def bidders(conn: asyncpg.Connection, reference: str) -> list[str]:
    """Who holds a bid in the procurement now (or had one opened): the recipients of every
    notice 'to all bidders'."""
    rows = await conn.fetch(
        """SELECT DISTINCT vendor FROM bids
           WHERE reference = $1 AND status IN ('received', 'opened') ORDER BY vendor""",
        reference,
    )
    return [r["vendor"] for r in rows]


@dataclass(frozen=True)
class Opening:
    """A closed intake round: the bids it counts and their commitments."""

    round: str
    cutoff: datetime
    closed_at: datetime
    bid_ids: list[str]
    commitments: list[str]
    set_digest: str

    def notice(self, reference: str, citation: str) -> dict[str, Any]:
        """The Bulletin's record of what was received, published before anything is opened."""
        return {
            "reference": reference,
            "round": self.round,
            "offers_due_at": self.cutoff.isoformat(),
            "closed_at": self.closed_at.isoformat(),
            "offers_received": len(self.commitments),
            "commitments": self.commitments,
            "set_digest": self.set_digest,
            "citation": citation,
        }


async def close_round(
    conn: asyncpg.Connection,
    reference: str,
    round_: str,
    cutoff: datetime,
    closed_at: datetime,
    registered: list[str],
) -> Opening:
    """Close an intake round, once: wait out the bids in flight, then fix the bids it counts.
    A second call (a retried activity) returns the round as it was closed."""
    await fence_intake(conn, reference)
    row = await conn.fetchrow(
        "SELECT * FROM bid_openings WHERE reference = $1 AND round = $2", reference, round_
    )
    if row is None:
        counted = await conn.fetch(_COUNTED, reference, cutoff, registered)
        commitments = sorted(r["digest"] for r in counted)
        row = await conn.fetchrow(
            """INSERT INTO bid_openings (reference, round, cutoff, closed_at, bid_ids,
                                         commitments, set_digest)
               VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *""",
            reference,
            round_,
            cutoff,
            closed_at,
            [r["bid_id"] for r in counted],
            commitments,
            set_digest(commitments),
        )
    return Opening(
        round=row["round"],
        cutoff=row["cutoff"],
        closed_at=row["closed_at"],
        bid_ids=list(row["bid_ids"]),
        commitments=list(row["commitments"]),
        set_digest=row["set_digest"],
    )
