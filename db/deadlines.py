"""Every statutory date of each procurement, kept beside its read model for the calendar.

``procurement_deadlines`` holds one row per deadline of ``state_machines.schedule.deadlines``,
written in the transaction that writes the procurement's row, so a calendar of any weeks is an
index range over the days instead of recomputing every procurement's schedule on each request.
The rows keep what a deadline's status needs (met, duty, its grace), so the status is worked
out at the moment it is read.

Only the award protest period may move without a write: while bidders have not been notified
it is tolled day by day (15-25(b)), at most 7 days, and its row says ``provisional``. The
calendar recomputes those few from the snapshot.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import asyncpg

from state_machines import schedule
from state_machines.models import Facts

COLUMNS = (
    "reference",
    "agency",
    "method",
    "name",
    "due_at",
    "due_on",
    "last_day",
    "grace_until",
    "met",
    "duty",
    "provisional",
    "citation",
    "description",
)


def facts_of(snapshot: dict[str, Any] | str) -> Facts:
    """The facts a read model's snapshot holds (as ``api.views`` reads them)."""
    data = dict(json.loads(snapshot) if isinstance(snapshot, str) else snapshot)
    data.pop("bids_received", None)  # kept by read models written before the intake
    return Facts.model_validate(data)


def deadline_rows(
    reference: str, agency: str, method: str, facts: Facts, now: datetime
) -> list[tuple[Any, ...]]:
    """The rows of one procurement, in ``COLUMNS`` order. A cancelled procurement has no
    deadline left to plan for, so none."""
    if facts.state == "cancelled":
        return []
    return [
        (
            reference,
            agency,
            method,
            d.name,
            d.at,
            d.due_on,
            d.last_day,
            d.grace_until,
            d.met,
            d.duty,
            d.provisional,
            d.citation,
            d.description,
        )
        for d in schedule.deadlines(facts, now)
    ]


def as_deadline(row: asyncpg.Record | dict[str, Any]) -> schedule.Deadline:
    """A stored row back as the schedule's own deadline, so its status is the schedule's."""
    return schedule.Deadline(
        name=row["name"],
        at=row["due_at"],
        citation=row["citation"],
        description=row["description"],
        met=row["met"],
        provisional=row["provisional"],
        last_day=row["last_day"],
        duty=row["duty"],
        grace_until=row["grace_until"],
    )


INSERT = (
    f"INSERT INTO procurement_deadlines ({', '.join(COLUMNS)}) "
    f"VALUES ({', '.join(f'${i}' for i in range(1, len(COLUMNS) + 1))})"
)


async def replace(
    conn: asyncpg.Connection,
    reference: str,
    agency: str,
    method: str,
    snapshot: dict[str, Any],
    now: datetime,
) -> None:
    """The procurement's deadlines as of this write, in place of those kept before."""
    rows = deadline_rows(reference, agency, method, facts_of(snapshot), now)
    await conn.execute("DELETE FROM procurement_deadlines WHERE reference = $1", reference)
    await conn.executemany(INSERT, rows)
