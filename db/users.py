"""Identities issued by ``procure users create``: a token printed once, only its hash kept."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass

import asyncpg

TOKEN_PREFIX = "pf_"
# Who runs the service rather than a procurement: moves the simulated clock, and otherwise
# reads only what the public reads. Not a role of the Procurement Code, so no workflow sees it.
OPERATOR = "operator"


def token_hash(token: str) -> str:
    # The tokens are 256 random bits, so a plain SHA-256 cannot be guessed backwards.
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedUser:
    user_id: str
    token: str


async def create_user(
    conn: asyncpg.Pool | asyncpg.Connection,
    *,
    name: str,
    role: str,
    agency: str | None = None,
    vendor: str | None = None,
) -> IssuedUser:
    if role in ("agency_buyer", "spo") and not agency:
        raise ValueError(f"a {role} acts for an agency: give --agency")
    if role == "vendor" and not vendor:
        raise ValueError("a vendor user acts for a vendor: give --vendor")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    user_id = "u_" + uuid.uuid4().hex[:12]
    await conn.execute(
        """INSERT INTO users (user_id, name, role, agency, vendor, token_hash)
           VALUES ($1, $2, $3, $4, $5, $6)""",
        user_id,
        name,
        role,
        agency,
        vendor,
        token_hash(token),
    )
    return IssuedUser(user_id, token)


async def find_by_token(pool: asyncpg.Pool, token: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await pool.fetchrow(
        "SELECT * FROM users WHERE token_hash = $1 AND disabled_at IS NULL", token_hash(token)
    )
    return row


async def disable(conn: asyncpg.Pool | asyncpg.Connection, user_id: str) -> bool:
    result = await conn.execute(
        "UPDATE users SET disabled_at = now() WHERE user_id = $1 AND disabled_at IS NULL", user_id
    )
    return bool(result.endswith(" 1"))
