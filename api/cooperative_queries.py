"""Read queries of joint and cooperative purchasing: members, contracts and orders as the
routes list and show them, and what the report of a contract's use totals.

Rows are returned as PostgreSQL gives them; who may see which is decided by the routes, which
pass the scope in (``party``, ``lead``).
"""

from __future__ import annotations

from decimal import Decimal

import asyncpg


async def member_by_id(pool: asyncpg.Pool, member_id: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await pool.fetchrow(
        "SELECT * FROM members WHERE member_id = $1", member_id
    )
    return row


async def member_by_name(pool: asyncpg.Pool, name: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await pool.fetchrow("SELECT * FROM members WHERE name = $1", name)
    return row


async def members(
    pool: asyncpg.Pool, *, kind: str | None, name: str | None, limit: int
) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await pool.fetch(
        """SELECT * FROM members WHERE ($1::text IS NULL OR kind = $1)
           AND ($2::text IS NULL OR name = $2) ORDER BY name LIMIT $3""",
        kind,
        name,
        limit,
    )
    return rows


async def contract_row(pool: asyncpg.Pool, reference: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await pool.fetchrow(
        "SELECT * FROM cooperative_contracts WHERE reference = $1", reference
    )
    return row


async def contract_exists(pool: asyncpg.Pool, reference: str) -> bool:
    return bool(
        await pool.fetchval("SELECT 1 FROM cooperative_contracts WHERE reference = $1", reference)
    )


async def contracts(
    pool: asyncpg.Pool, *, program: str | None, lead: str | None, limit: int
) -> list[asyncpg.Record]:
    """Those ending last first, as the Bulletin lists master contracts."""
    rows: list[asyncpg.Record] = await pool.fetch(
        """SELECT * FROM cooperative_contracts WHERE ($1::text IS NULL OR program = $1)
           AND ($2::text IS NULL OR lead = $2) ORDER BY ends_on DESC, reference LIMIT $3""",
        program,
        lead,
        limit,
    )
    return rows


async def tabulated_amount(pool: asyncpg.Pool, reference: str, bid_id: str) -> Decimal | None:
    """A bid's amount as the opening tabulated it: the price of an award that names none."""
    amount: Decimal | None = await pool.fetchval(
        "SELECT amount FROM tabulations WHERE reference = $1 AND bid_id = $2",
        reference,
        bid_id,
    )
    return amount


async def order_row(pool: asyncpg.Pool, reference: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await pool.fetchrow(
        "SELECT * FROM orders WHERE reference = $1", reference
    )
    return row


async def held_orders(pool: asyncpg.Pool, member_name: str) -> list[str]:
    """The references of the member's orders held for a document, oldest first."""
    rows = await pool.fetch(
        "SELECT reference FROM orders WHERE member_name = $1 AND state = 'held' "
        "ORDER BY created_at",
        member_name,
    )
    return [r["reference"] for r in rows]


async def orders(
    pool: asyncpg.Pool,
    *,
    state: str | None,
    contract: str | None,
    member: str | None,
    party: str | None,
    lead: str | None,
    limit: int,
) -> list[asyncpg.Record]:
    """Newest first. ``party``: only orders the unit placed or leads the contract of;
    ``lead``: only orders off contracts the agency leads; neither: every order."""
    rows: list[asyncpg.Record] = await pool.fetch(
        """SELECT * FROM orders WHERE ($1::text IS NULL OR state = $1)
           AND ($2::text IS NULL OR contract_reference = $2)
           AND ($3::text IS NULL OR member_name = $3)
           AND ($4::text IS NULL OR member_name = $4 OR lead = $4)
           AND ($5::text IS NULL OR lead = $5)
           ORDER BY created_at DESC, reference DESC LIMIT $6""",
        state,
        contract,
        member,
        party,
        lead,
        limit,
    )
    return rows


async def report_contracts(pool: asyncpg.Pool, contract: str | None) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await pool.fetch(
        """SELECT * FROM cooperative_contracts WHERE ($1::text IS NULL OR reference = $1)
           ORDER BY reference""",
        contract,
    )
    return rows


async def placed_orders(pool: asyncpg.Pool, contract: str | None) -> list[asyncpg.Record]:
    """Placed orders (of one contract, or of all), in the order they were placed."""
    rows: list[asyncpg.Record] = await pool.fetch(
        """SELECT reference, contract_reference, member_name, total, placed_at FROM orders
           WHERE state = 'placed' AND ($1::text IS NULL OR contract_reference = $1)
           ORDER BY placed_at, reference""",
        contract,
    )
    return rows
