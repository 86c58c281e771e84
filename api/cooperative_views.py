"""What joint and cooperative purchasing looks like to callers: a member with its documents
and its standing in each program, a contract with its use of its ceiling, an order, and one
contract's line of the report of use.

Pure: each takes rows and records as read and the day it is in Chicago, and returns JSON-ready
data; nothing here reads a database or a clock.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any, Literal

import asyncpg

from cooperative import rules
from cooperative.models import ContractRecord, MemberRecord
from db.cooperative import contract_record
from rules.calendar import local_date

Period = Literal["month", "quarter", "year"]

ORDER_FIELDS = (
    "reference",
    "state",
    "member",
    "member_id",
    "contract",
    "program",
    "vendor",
    "lead",
    "lines",
    "total",
    "delivery",
    "decision",
    "requested_lines",
    "submitted_by",
    "created_at",
    "placed_at",
    "withdrawal",
    "history",
)


def member_view(row: asyncpg.Record, record: MemberRecord, today: date) -> dict[str, Any]:
    return {
        "member_id": row["member_id"],
        "name": row["name"],
        "kind": row["kind"],
        "kind_label": rules.KINDS[row["kind"]].label,
        "created_by_statute": row["created_by_statute"],
        "has_taxing_power": row["has_taxing_power"],
        "purchasing_official": row["purchasing_official"],
        "eligibility": {
            "eligible": True,
            "reason": row["eligibility"],
            "citation": row["citation"],
        },
        "terms": rules.TERMS,
        "documents": [d.model_dump(mode="json") for d in record.documents],
        "programs": {
            program: rules.program_standing(record, program, today)
            for program in ("joint", "cooperative")
        },
        "registered_by": row["registered_by"],
        "registered_at": row["registered_at"].isoformat(),
    }


def contract_view(row: asyncpg.Record, used: Decimal, today: date) -> dict[str, Any]:
    record = contract_record(row)
    program = rules.PROGRAMS[record.program]
    left = rules.remaining(record, used)
    return {
        "reference": record.reference,
        "program": record.program,
        "program_name": program.name,
        "title": record.title,
        "vendor": record.vendor,
        "lead": record.lead,
        "statute": record.statute,
        "starts_on": record.starts_on.isoformat(),
        "ends_on": record.ends_on.isoformat(),
        "in_term": record.starts_on <= today <= record.ends_on,
        "ceiling": None if record.ceiling is None else f"{record.ceiling:.2f}",
        "used": f"{rules.money(used):.2f}",
        "remaining": None if left is None else f"{left:.2f}",
        "items": [i.model_dump(mode="json") for i in record.items],
        "scope": record.scope,
        "open_to": record.open_to,
        "document_required": {
            "kind": program.document,
            "label": rules.DOCUMENTS[program.document].label,
            "citation": program.citation,
        },
        "terms": rules.TERMS,
        "procurement": row["procurement_reference"],
        "award": row["award"],
        "opened_by": row["opened_by"],
        "opened_at": row["opened_at"].isoformat(),
    }


def order_view(row: asyncpg.Record) -> dict[str, Any]:
    snapshot = row["snapshot"]
    view = {name: snapshot.get(name) for name in ORDER_FIELDS}
    view["state"] = row["state"]
    view["updated_at"] = row["updated_at"].isoformat()
    view["allowed_actions"] = ["withdraw"] if row["state"] == "held" else []
    return view


def period_of(day: date, period: Period) -> str:
    if period == "year":
        return f"{day.year}"
    if period == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year}-{day.month:02d}"


def contract_use_line(
    record: ContractRecord,
    used: Decimal,
    shown: list[asyncpg.Record],
    *,
    period: Period,
    start: date | None,
    end: date | None,
    today: date,
) -> dict[str, Any]:
    """One contract's line of the report: ``used``, what all its placed orders total;
    ``shown``, the placed orders the caller may see, totalled by member and period within
    ``start`` and ``end`` (Chicago days, both included)."""
    use: dict[tuple[str, str], list[Decimal]] = defaultdict(list)
    members: dict[str, list[Decimal]] = defaultdict(list)
    for o in shown:
        day = local_date(o["placed_at"])
        if (start and day < start) or (end and day > end):
            continue
        use[(o["member_name"], period_of(day, period))].append(o["total"])
        members[o["member_name"]].append(o["total"])
    # Reminders name every member the caller sees using it, whatever the period asked.
    users = sorted({o["member_name"] for o in shown})
    left = rules.remaining(record, used)
    return {
        "reference": record.reference,
        "title": record.title,
        "program": record.program,
        "vendor": record.vendor,
        "lead": record.lead,
        "starts_on": record.starts_on.isoformat(),
        "ends_on": record.ends_on.isoformat(),
        "ceiling": None if record.ceiling is None else f"{record.ceiling:.2f}",
        "used": f"{rules.money(used):.2f}",
        "remaining": None if left is None else f"{left:.2f}",
        "use": [
            {
                "member": member,
                "period": label,
                "orders": len(totals),
                "total": f"{sum(totals, Decimal('0')):.2f}",
            }
            for (member, label), totals in sorted(use.items(), key=lambda kv: kv[0])
        ],
        "by_member": [
            {
                "member": member,
                "orders": len(totals),
                "total": f"{sum(totals, Decimal('0')):.2f}",
            }
            for member, totals in sorted(members.items())
        ],
        "total": f"{sum((t for ts in members.values() for t in ts), Decimal('0')):.2f}",
        "reminders": [
            {**alert, "members": users} for alert in rules.contract_alerts(record, used, today)
        ],
    }
