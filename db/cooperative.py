"""Joint and cooperative purchasing in PostgreSQL: the records the API keeps without a
workflow (a member, a document it put on file, a contract opened to joint or cooperative use)
and the read model read back from them: a contract's row, a member with the documents it has
on file, and what a contract's placed orders already total. The order workflow's activities
and the API's routes both read them.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg

from cooperative.models import (
    ContractItem,
    ContractOpening,
    ContractRecord,
    DocumentFiling,
    DocumentRecord,
    Kind,
    MemberRecord,
    MemberRegistration,
)
from cooperative.rules import Eligibility
from state_machines.models import Principal


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


async def insert_member(
    conn: asyncpg.Connection,
    body: MemberRegistration,
    *,
    member_id: str,
    flags: tuple[bool, bool],
    eligibility: Eligibility,
    digest: str,
    by: Principal,
    at: datetime,
) -> str | None:
    """The new member's id, or None when a member of that name is registered already.
    ``flags``: whether it was created by statute and can tax, as the registration records."""
    created: str | None = await conn.fetchval(
        """INSERT INTO members (member_id, name, kind, created_by_statute,
               has_taxing_power, purchasing_official, eligibility, citation, digest,
               registered_by, registered_role, registered_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
           ON CONFLICT (name) DO NOTHING RETURNING member_id""",
        member_id,
        body.name,
        body.kind,
        *flags,
        body.purchasing_official,
        eligibility.reason,
        eligibility.citation,
        digest,
        by.name,
        by.role,
        at,
    )
    return created


async def insert_document(
    conn: asyncpg.Connection, member_id: str, body: DocumentFiling, *, by: Principal, at: datetime
) -> int | None:
    """The document's id, or None when the same document (kind, date, board) is on file."""
    created: int | None = await conn.fetchval(
        """INSERT INTO member_documents (member_id, kind, dated, governing_board,
               identifier, recorded_by, recorded_role, recorded_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (member_id, kind, dated, governing_board) DO NOTHING
           RETURNING document_id""",
        member_id,
        body.kind,
        body.dated,
        body.governing_board,
        body.identifier,
        by.name,
        by.role,
        at,
    )
    return created


async def insert_contract(
    conn: asyncpg.Connection,
    body: ContractOpening,
    *,
    vendor: str,
    lead: str,
    statute: str,
    open_to: list[Kind],
    award: dict[str, Any],
    digest: str,
    by: Principal,
    at: datetime,
) -> str | None:
    """The contract's reference, or None when a contract of that reference is open already."""
    created: str | None = await conn.fetchval(
        """INSERT INTO cooperative_contracts (reference, program, title, vendor, lead,
               statute, starts_on, ends_on, ceiling, items, scope, open_to,
               procurement_reference, award, digest, opened_by, opened_role, opened_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
               $16, $17, $18)
           ON CONFLICT (reference) DO NOTHING RETURNING reference""",
        body.reference,
        body.program,
        body.title,
        vendor,
        lead,
        statute,
        body.starts_on,
        body.ends_on,
        body.ceiling,
        [i.model_dump(mode="json") for i in body.items],
        body.scope,
        open_to,
        body.procurement,
        award,
        digest,
        by.name,
        by.role,
        at,
    )
    return created
