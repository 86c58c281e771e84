"""The reciprocity table's versions in PostgreSQL (30 ILCS 500/45-10(a); 44 Ill. Adm. Code
1.4510(c)): the one in force on a day, every version, and loading a new one."""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg

from rules.reciprocity import Table


async def in_force(pool: asyncpg.Pool, on: date) -> tuple[date | None, dict[str, str]]:
    """The version in force on a day: its effective date and each state's percent, as text;
    (None, {}) before the first."""
    rows = await pool.fetch(
        """SELECT effective_from, state, percent FROM reciprocal_preferences
           WHERE effective_from = (SELECT max(effective_from) FROM reciprocal_preferences
                                   WHERE effective_from <= $1)
           ORDER BY state""",
        on,
    )
    if not rows:
        return None, {}
    return rows[0]["effective_from"], {
        r["state"]: format(r["percent"].normalize(), "f") for r in rows
    }


async def versions(pool: asyncpg.Pool) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        """SELECT effective_from, state, percent, law, source, read_on
           FROM reciprocal_preferences ORDER BY effective_from, state"""
    )
    return [dict(r) for r in rows]


async def load(pool: asyncpg.Pool, table: Table) -> int:
    """Record a version; a version already loaded for that day is replaced whole."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "DELETE FROM reciprocal_preferences WHERE effective_from = $1", table.effective_from
        )
        await conn.executemany(
            """INSERT INTO reciprocal_preferences
                   (effective_from, state, percent, law, source, read_on)
               VALUES ($1, $2, $3, $4, $5, $6)""",
            [
                (table.effective_from, e.state, e.percent, e.law, e.source, e.read_on)
                for e in table.entries
            ],
        )
    return len(table.entries)
