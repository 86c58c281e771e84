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


async def small_purchase_limit(pool: asyncpg.Pool, on: date) -> tuple[Decimal, str] | None:
    """The small purchase limit in force on a day (30 ILCS 500/20-20(a),(b))."""
    row = await pool.fetchrow(
        """SELECT amount, citation FROM small_purchase_limits WHERE effective_from <= $1
           ORDER BY effective_from DESC LIMIT 1""",
        on,
    )
    return None if row is None else (row["amount"], row["citation"])


async def small_purchases_since(
    pool: asyncpg.Pool, agency: str, since: date
) -> list[asyncpg.Record]:
    """An agency's small purchases launched since a day, with what the divided-need check
    compares (20-20(a)): description, commodity codes and vendor (awarded, else as launched)."""
    rows: list[asyncpg.Record] = await pool.fetch(
        """SELECT reference, estimated_value, description_key,
                  COALESCE(snapshot->'spec'->'commodity_codes', '[]'::jsonb) AS codes,
                  COALESCE(snapshot->'award'->>'vendor',
                           snapshot->'notice'->>'intended_contractor') AS vendor
           FROM procurements
           WHERE agency = $1 AND method = 'small_purchase' AND created_at >= $2
             AND state <> 'cancelled' AND estimated_value IS NOT NULL
           ORDER BY created_at""",
        agency,
        datetime.combine(since, datetime.min.time(), tzinfo=UTC),
    )
    return rows


async def award_notice_seq(pool: asyncpg.Pool, reference: str) -> int | None:
    """The step of a procurement's last notice of award (or emergency award disclosure): the
    award its contract's OCDS identifiers name."""
    seq: int | None = await pool.fetchval(
        """SELECT seq FROM bulletin_notices
           WHERE reference = $1 AND (kind = 'notice_of_intent_to_award'
                 OR (kind = 'emergency_disclosure' AND content->>'kind' = 'award'))
           ORDER BY seq DESC LIMIT 1""",
        reference,
    )
    return seq


async def overrun_completions(pool: asyncpg.Pool, reference: str) -> list[dict[str, Any]]:
    """The sole source or emergency procurements launched to complete a small purchase whose
    cost overran the limit (44 Ill. Adm. Code 1.2020(b)(3))."""
    rows = await pool.fetch(
        """SELECT reference, method, state,
                  snapshot->'spec'->'completes_small_purchase'->>'actual_cost' AS actual_cost
           FROM procurements
           WHERE snapshot->'spec'->'completes_small_purchase' IS NOT NULL
             AND snapshot->'spec'->'completes_small_purchase'->>'small_purchase' = $1
           ORDER BY created_at""",
        reference,
    )
    return [dict(r) for r in rows]


async def tabulation(pool: asyncpg.Pool, reference: str) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        """
        SELECT bid_id, vendor, amount, bid_credit, freight, evaluated_amount, rank, opened_at,
               witnesses, adjustments, scoring, digest_matches, commitment, nonce, contents
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
            "freight": None if r["freight"] is None else str(r["freight"]),
            "evaluated_amount": str(r["evaluated_amount"]),
            "rank": r["rank"],
            "opened_at": r["opened_at"].isoformat(),
            "witnesses": r["witnesses"],
            "adjustments": r["adjustments"],
            "scoring": r["scoring"],
            # What anyone can check the row against: the commitment in the list the Bulletin
            # published at the opening, recomputed from the contents and the nonce.
            "digest_matches": r["digest_matches"],
            "commitment": r["commitment"],
            "nonce": r["nonce"],
            "contents": r["contents"],
        }
        for r in rows
    ]


async def technical_offers(
    pool: asyncpg.Pool, reference: str, snapshot: dict[str, Any]
) -> list[dict[str, Any]]:
    """Multi-step sealed bidding's first opening, unpriced, each offer with its latest
    qualification (20-10(h))."""
    rows = await pool.fetch(
        """SELECT bid_id, vendor, opened_at, witnesses, documents, digest_matches, commitment,
                  nonce, contents
           FROM technical_offers WHERE reference = $1 ORDER BY vendor, bid_id""",
        reference,
    )
    latest = {q["bid_id"]: q for q in snapshot.get("qualifications") or []}
    return [
        dict(r)
        | {
            "opened_at": r["opened_at"].isoformat(),
            "qualification": {k: latest[r["bid_id"]][k] for k in ("qualified", "reason")}
            if r["bid_id"] in latest
            else None,
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
    """The steps the workflow took (accepted commands and automatic steps), in order; the
    bids the intake received are in the audit trail, not here."""
    rows = await pool.fetch(
        """SELECT * FROM audit_trail
           WHERE reference = $1 AND outcome <> 'refused' AND step_seq IS NOT NULL
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


async def messages_for(pool: asyncpg.Pool, recipient: str, *, own: bool) -> list[dict[str, Any]]:
    """The notices sent to a recipient. Read by anyone else (``own`` false), a notice sent to
    it as a bidder of a procurement not yet opened is left out: it would tell who bid."""
    rows = await pool.fetch(
        """
        SELECT message_id, reference, kind, content, created_at FROM outbox o
        WHERE recipient = $1
          AND ($2 OR NOT to_bidder OR EXISTS (
                SELECT 1 FROM procurements p
                WHERE p.reference = o.reference AND p.snapshot->>'opened_at' IS NOT NULL))
        ORDER BY created_at, message_id
        """,
        recipient,
        own,
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


# The public Bulletin (15-25), its clearinghouse (15-30) and the Open Contracting releases.

# A notice that ends an award: the award is rescinded (bids return to evaluation) or the
# procurement is cancelled after it.
AWARD_ENDING_KINDS = ("award_rescinded", "cancellation")

_NOTICE_COLUMNS = """
    n.notice_id, n.reference, n.seq, n.kind, n.published_at, n.content,
    p.state AS procurement_state, p.method AS procurement_method, p.agency AS procurement_agency,
    p.snapshot->'spec'->>'category' AS category,
    p.snapshot->>'executed_at' AS executed_at,
    p.snapshot->'award'->>'vendor' AS award_vendor,
    p.snapshot->'award'->>'price' AS award_price,
    EXISTS (
        SELECT 1 FROM bulletin_notices later
        WHERE later.reference = n.reference AND later.seq > n.seq
          AND later.kind = ANY($1::text[])
    ) AS superseded,
    (
        SELECT max(a.seq) FROM bulletin_notices a
        WHERE a.reference = n.reference AND a.seq < n.seq
          AND (a.kind = 'notice_of_intent_to_award'
               OR (a.kind = 'emergency_disclosure' AND a.content->>'kind' = 'award'))
    ) AS prior_award_seq
"""


def encode_position(values: list[Any]) -> str:
    """An opaque keyset cursor."""
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_position(cursor: str) -> list[Any]:
    """The values of a cursor from ``encode_position``; ValueError when it is not one."""
    padded = cursor + "=" * (-len(cursor) % 4)
    try:
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError("unknown cursor") from exc
    if not isinstance(values, list):
        raise ValueError("unknown cursor")
    return values


def encode_notice_cursor(published_at: datetime, notice_id: int) -> str:
    return encode_position([published_at.isoformat(), notice_id])


def decode_notice_cursor(cursor: str) -> tuple[datetime, int]:
    values = decode_position(cursor)
    if len(values) != 2 or not isinstance(values[0], str) or type(values[1]) is not int:
        raise ValueError("unknown cursor")
    if not 0 < values[1] < 2**63:
        raise ValueError("unknown cursor")
    published_at = datetime.fromisoformat(values[0])
    if published_at.tzinfo is None:
        raise ValueError("unknown cursor")
    return published_at, values[1]


def _public_notice(r: asyncpg.Record) -> dict[str, Any]:
    procurement = None
    if r["procurement_state"] is not None:
        procurement = {
            "state": r["procurement_state"],
            "method": r["procurement_method"],
            "agency": r["procurement_agency"],
            "category": r["category"],
            "executed_at": r["executed_at"],
            "award_vendor": r["award_vendor"],
            "award_price": r["award_price"],
        }
    return {
        "notice_id": r["notice_id"],
        "reference": r["reference"],
        "seq": r["seq"],
        "kind": r["kind"],
        "published_at": r["published_at"],
        "content": dict(r["content"]),
        "superseded": r["superseded"],
        "prior_award_seq": r["prior_award_seq"],
        "procurement": procurement,
    }


async def public_notices(
    pool: asyncpg.Pool,
    *,
    reference: str | None,
    limit: int,
    before: tuple[datetime, int] | None,
) -> tuple[list[dict[str, Any]], bool]:
    """Notices newest first, each with its procurement's public facts; and whether more follow.

    Paged by a keyset on the unique pair (published_at, notice_id), compared as a row: a page
    resumes strictly after the last notice shown, so notices sharing a publication instant, or
    whose ids were drawn in another order than their publication, are neither skipped nor
    repeated.
    """
    args: list[object] = [list(AWARD_ENDING_KINDS)]
    clauses: list[str] = []
    if reference is not None:
        args.append(reference)
        clauses.append(f"n.reference = ${len(args)}")
    if before is not None:
        args.extend(before)
        clauses.append(f"(n.published_at, n.notice_id) < (${len(args) - 1}, ${len(args)})")
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    args.append(limit + 1)
    rows = await pool.fetch(
        f"""
        SELECT {_NOTICE_COLUMNS}
        FROM bulletin_notices n LEFT JOIN procurements p ON p.reference = n.reference
        {where}
        ORDER BY n.published_at DESC, n.notice_id DESC
        LIMIT ${len(args)}
        """,
        *args,
    )
    return [_public_notice(r) for r in rows[:limit]], len(rows) > limit


async def public_notice(pool: asyncpg.Pool, notice_id: int) -> dict[str, Any] | None:
    row = await pool.fetchrow(
        f"""
        SELECT {_NOTICE_COLUMNS}
        FROM bulletin_notices n LEFT JOIN procurements p ON p.reference = n.reference
        WHERE n.notice_id = $2
        """,
        list(AWARD_ENDING_KINDS),
        notice_id,
    )
    return None if row is None else _public_notice(row)


async def procurement_notices(pool: asyncpg.Pool, reference: str) -> list[dict[str, Any]]:
    """One procurement's notices in the order they were published."""
    rows = await pool.fetch(
        f"""
        SELECT {_NOTICE_COLUMNS}
        FROM bulletin_notices n LEFT JOIN procurements p ON p.reference = n.reference
        WHERE n.reference = $2 OR (n.content ? 'contract_of' AND n.content->>'contract_of' = $2)
        ORDER BY n.published_at, n.seq, n.notice_id
        """,
        list(AWARD_ENDING_KINDS),
        reference,
    )
    return [_public_notice(r) for r in rows]


# The clearinghouse's sort keys (15-30(b)), each an expression over its rows.
CLEARINGHOUSE_SORTS: dict[str, tuple[str, str]] = {
    # name: (expression, the type a cursor's key is cast to)
    "awardee": ("lower(awardee)", "text"),
    "price": ("price", "numeric"),
    "supply": ("lower(supply)", "text"),
    "agency": ("lower(agency)", "text"),
    "date_first_offered": ("date_first_offered", "date"),
}

_MONEY = r"^[0-9]+(\.[0-9]+)?$"
_DAY = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"

# One row per contract awarded: each award notice that no later notice rescinded or cancelled,
# and each disclosure of an emergency purchase (not of its extensions).
_CLEARINGHOUSE = f"""
    WITH awarded AS (
        SELECT n.notice_id, n.reference, n.kind AS source, n.published_at,
               n.content->>'awardee' AS awardee,
               COALESCE(
                   n.content->>'contract_price',
                   CASE WHEN p.snapshot->'award'->>'vendor' = n.content->>'awardee'
                        THEN p.snapshot->'award'->>'price' END
               ) AS price_text,
               n.content->>'title' AS supply,
               n.content->>'description' AS description,
               n.content->>'agency' AS agency,
               n.content->>'date_first_offered' AS first_offered_text,
               n.content->>'method' AS method,
               EXISTS (
                   SELECT 1 FROM bulletin_notices v
                   WHERE v.reference = n.reference AND v.seq > n.seq AND v.kind = 'contract_voided'
               ) AS voided
        FROM bulletin_notices n LEFT JOIN procurements p ON p.reference = n.reference
        WHERE n.kind = 'notice_of_intent_to_award'
          AND NOT EXISTS (
              SELECT 1 FROM bulletin_notices later
              WHERE later.reference = n.reference AND later.seq > n.seq
                AND later.kind = ANY($1::text[])
          )
        UNION ALL
        SELECT n.notice_id, n.reference, n.kind, n.published_at,
               n.content->>'contractor',
               n.content->>'total_cost',
               COALESCE(p.title, n.content->>'description'),
               n.content->>'description',
               n.content->>'agency',
               to_char(n.published_at AT TIME ZONE 'America/Chicago', 'YYYY-MM-DD'),
               $2::text,
               false
        FROM bulletin_notices n LEFT JOIN procurements p ON p.reference = n.reference
        WHERE n.kind = 'emergency_disclosure' AND n.content->>'kind' = 'award'
        UNION ALL
        -- 15-30(a): renewals (15-25(c-10)) and change orders (15-25(b)) are in it as well.
        SELECT n.notice_id, n.reference, n.kind, n.published_at,
               n.content->>'awardee',
               n.content->>'contract_price',
               n.content->>'title',
               n.content->>'description',
               n.content->>'agency',
               n.content->>'date_first_offered',
               n.content->>'method',
               false
        FROM bulletin_notices n
        WHERE n.kind IN ('contract_renewal', 'change_order_award')
    ),
    typed AS (
        SELECT *,
               CASE WHEN price_text ~ '{_MONEY}' THEN price_text::numeric END AS price,
               CASE WHEN first_offered_text ~ '{_DAY}' THEN first_offered_text::date END
                   AS date_first_offered
        FROM awarded
    )
"""


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def clearinghouse(
    pool: asyncpg.Pool,
    *,
    q: str | None,
    awardee: str | None,
    agency: str | None,
    sort: str,
    descending: bool,
    limit: int,
    after: tuple[str | None, int] | None,
    offset: int,
    emergency_method: str,
) -> tuple[list[dict[str, Any]], tuple[str | None, int] | None]:
    """Contracts awarded, filtered and sorted (30 ILCS 500/15-30(b)); and, when more follow, the
    keyset position (the sort key as text, or None, and the notice id) of the last row.

    Rows without a sort key (a price not yet known) come last in either order; ties are broken
    by the notice id, so the order is total and a cursor resumes exactly after its row.
    """
    expression, key_type = CLEARINGHOUSE_SORTS[sort]
    args: list[object] = [list(AWARD_ENDING_KINDS), emergency_method]
    clauses: list[str] = []
    if q:
        args.append(_like(q))
        n = len(args)
        clauses.append(
            f"(awardee ILIKE ${n} OR supply ILIKE ${n} OR description ILIKE ${n} "
            f"OR agency ILIKE ${n})"
        )
    if awardee:
        args.append(awardee)
        clauses.append(f"lower(awardee) = lower(${len(args)})")
    if agency:
        args.append(agency)
        clauses.append(f"lower(agency) = lower(${len(args)})")
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    direction = "DESC" if descending else "ASC"
    further = "<" if descending else ">"
    keyset = ""
    if after is not None:
        key, notice_id = after
        args.append(notice_id)
        id_arg = f"${len(args)}"
        if key is None:
            keyset = f"WHERE sort_key IS NULL AND notice_id {further} {id_arg}"
        else:
            args.append(key)
            key_arg = f"${len(args)}::{key_type}"
            keyset = (
                f"WHERE sort_key IS NULL OR sort_key {further} {key_arg} "
                f"OR (sort_key = {key_arg} AND notice_id {further} {id_arg})"
            )
    args.append(limit + 1)
    limit_arg = f"${len(args)}"
    args.append(offset)
    rows = await pool.fetch(
        f"""
        {_CLEARINGHOUSE}
        SELECT * FROM (SELECT *, {expression} AS sort_key FROM typed {where}) ranked
        {keyset}
        ORDER BY (sort_key IS NULL), sort_key {direction}, notice_id {direction}
        LIMIT {limit_arg} OFFSET ${len(args)}
        """,
        *args,
    )
    page = [
        {
            "notice_id": r["notice_id"],
            "reference": r["reference"],
            "source": r["source"],
            "awardee": r["awardee"],
            "contract_price": None if r["price"] is None else f"{r['price']:.2f}",
            "supply_or_service": r["supply"],
            "description": r["description"],
            "agency": r["agency"],
            "date_first_offered": (
                None if r["date_first_offered"] is None else r["date_first_offered"].isoformat()
            ),
            "method": r["method"],
            "status": "voided" if r["voided"] else "awarded",
            "published_at": r["published_at"],
        }
        for r in rows[:limit]
    ]
    position = None
    if len(rows) > limit:
        last = rows[limit - 1]
        key = last["sort_key"]
        position = (None if key is None else str(key), last["notice_id"])
    return page, position


async def open_procurements(
    pool: asyncpg.Pool, agency: str | None, limit: int
) -> list[asyncpg.Record]:
    """Procurements still running (their reminders may still be due), soonest deadline first."""
    rows: list[asyncpg.Record] = await pool.fetch(
        """SELECT * FROM procurements
           WHERE state NOT IN ('closed', 'cancelled') AND ($1::text IS NULL OR agency = $1)
           ORDER BY next_deadline_at NULLS LAST, reference LIMIT $2""",
        agency,
        limit,
    )
    return rows


async def reminders_sent(pool: asyncpg.Pool, reference: str) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        """SELECT kind, recipient, content, created_at, status, delivered_at FROM outbox
           WHERE reference = $1 AND kind LIKE 'reminder:%' ORDER BY created_at, message_id""",
        reference,
    )
    return [
        {
            "reference": reference,
            "deadline": r["content"].get("deadline"),
            "due_at": r["content"].get("due_at"),
            "offset": r["content"].get("offset"),
            "at": r["created_at"].isoformat(),
            "recipient": r["recipient"],
            "delivery": r["status"],
            "delivered_at": r["delivered_at"].isoformat() if r["delivered_at"] else None,
            "citation": r["content"].get("citation"),
        }
        for r in rows
    ]
