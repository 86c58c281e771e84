"""The read model of joint and cooperative purchasing, read back from PostgreSQL: a
contract's row, a member with the documents it has on file, and what a contract's placed
orders already total. The order workflow's activities and the API's routes both read them.
"""

from __future__ import annotations

from decimal import Decimal

import asyncpg

from cooperative.models import ContractItem, ContractRecord, DocumentRecord, MemberRecord


def contract_record(row: asyncpg.Record) -> ContractRecord:
    return ContractRecord(
        reference=row["reference"],
        program=row["program"],
        title=row["title"],
        vendor=row["vendor"],
        lead=row["lead"],
        statute=row["statute"],
        starts_on=row["starts_on"],
        ends_on=row["ends_on"],
        ceiling=row["ceiling"],
        items=[ContractItem.model_validate(i) for i in row["items"]],
        scope=row["scope"],
        open_to=list(row["open_to"]),
    )


def document_record(row: asyncpg.Record) -> DocumentRecord:
    return DocumentRecord(
        kind=row["kind"],
        dated=row["dated"],
        governing_board=row["governing_board"],
        identifier=row["identifier"],
        recorded_by=row["recorded_by"],
        recorded_role=row["recorded_role"],
        recorded_at=row["recorded_at"],
    )


async def member_record(
    conn: asyncpg.Pool | asyncpg.Connection,
    *,
    name: str | None = None,
    member_id: str | None = None,
) -> MemberRecord | None:
    row = await conn.fetchrow(
        "SELECT * FROM members WHERE ($1::text IS NULL OR name = $1) "
        "AND ($2::text IS NULL OR member_id = $2)",
        name,
        member_id,
    )
    if row is None:
        return None
    docs = await conn.fetch(
        "SELECT * FROM member_documents WHERE member_id = $1 ORDER BY dated, document_id",
        row["member_id"],
    )
    return MemberRecord(
        member_id=row["member_id"],
        name=row["name"],
        kind=row["kind"],
        created_by_statute=row["created_by_statute"],
        has_taxing_power=row["has_taxing_power"],
        documents=[document_record(d) for d in docs],
    )


async def placed_total(
    conn: asyncpg.Pool | asyncpg.Connection, contract: str, excluding: str | None = None
) -> Decimal:
    total: Decimal = await conn.fetchval(
        "SELECT COALESCE(sum(total), 0) FROM orders WHERE contract_reference = $1 "
        "AND state = 'placed' AND ($2::text IS NULL OR reference <> $2)",
        contract,
        excluding,
    )
    return total
