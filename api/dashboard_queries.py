"""The supervisors' dashboard over the read model: the filtered, sorted, keyset-paged list, the
counts per state, the agencies, the last step of each procurement listed, the calendar of
deadlines, and a fingerprint that changes whenever the read model does.

Every filter and every order is served by an index of migration 0005; "overdue" and "protest
pending" are columns PostgreSQL computes when the read model is written, so the list stays
an index range however many procurements there are, and the counts per state come from the
totals the same writes keep.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

import asyncpg

from rules.calendar import CHICAGO

Sort = Literal["next_deadline", "updated", "created", "reference", "agency", "state"]
Order = Literal["asc", "desc"]

# The order each sort takes when none is asked for: the nearest deadline, the latest change.
DEFAULT_ORDER: dict[str, Order] = {
    "next_deadline": "asc",
    "updated": "desc",
    "created": "desc",
    "reference": "asc",
    "agency": "asc",
    "state": "asc",
}

# (SQL expression, its type for the cursor) of each sort. A procurement with nothing to watch
# sorts last in both directions: the sentinel differs with the direction.
_SORT_KEYS: dict[tuple[str, str], tuple[str, str]] = {
    ("next_deadline", "asc"): ("COALESCE(watch_at, 'infinity'::timestamptz)", "timestamptz"),
    ("next_deadline", "desc"): ("COALESCE(watch_at, '-infinity'::timestamptz)", "timestamptz"),
    ("updated", "asc"): ("updated_at", "timestamptz"),
    ("updated", "desc"): ("updated_at", "timestamptz"),
    ("created", "asc"): ("created_at", "timestamptz"),
    ("created", "desc"): ("created_at", "timestamptz"),
    ("reference", "asc"): ("reference", "text"),
    ("reference", "desc"): ("reference", "text"),
    ("agency", "asc"): ("agency", "text"),
    ("agency", "desc"): ("agency", "text"),
    ("state", "asc"): ("state", "text"),
    ("state", "desc"): ("state", "text"),
}

LIST_COLUMNS = """reference, title, agency, method, state, watch_name, watch_at, duty_due_at,
    duty_overdue_at, next_deadline_name, next_deadline_at, protest_pending, updated_at,
    created_at, estimated_value"""


@dataclass(frozen=True)
class Filters:
    state: str | None = None
    agency: str | None = None
    method: str | None = None
    due_within_days: int | None = None
    overdue: bool = False
    protest_pending: bool = False


@dataclass(frozen=True)
class Cursor:
    sort: str
    order: str
    key: str
    reference: str

    def encode(self) -> str:
        raw = json.dumps([self.sort, self.order, self.key, self.reference]).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        """Raises ValueError for anything this module did not write."""
        try:
            padded = token + "=" * (-len(token) % 4)
            sort, order, key, reference = json.loads(base64.urlsafe_b64decode(padded.encode()))
        except (binascii.Error, UnicodeDecodeError, json.JSONDecodeError, TypeError) as exc:
            raise ValueError("unreadable cursor") from exc
        if (sort, order) not in _SORT_KEYS or not all(isinstance(v, str) for v in (key, reference)):
            raise ValueError("unreadable cursor")
        return cls(sort, order, key, reference)


def _where(filters: Filters, now: datetime, *, with_state: bool) -> tuple[list[str], list[Any]]:
    clauses: list[str] = []
    args: list[Any] = []

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    if with_state and filters.state:
        clauses.append(f"state = {arg(filters.state)}")
    if filters.agency:
        clauses.append(f"agency = {arg(filters.agency)}")
    if filters.method:
        clauses.append(f"method = {arg(filters.method)}")
    if filters.overdue:
        clauses.append(f"duty_overdue_at <= {arg(now)}")
    if filters.protest_pending:
        clauses.append("protest_pending")
    if filters.due_within_days is not None:
        # What falls due from now until the end of the Nth day from today, in Chicago.
        until = _end_of_day(
            now.astimezone(CHICAGO).date() + timedelta(days=filters.due_within_days)
        )
        clauses.append(
            f"COALESCE(watch_at, 'infinity'::timestamptz) >= {arg(now)} "
            f"AND COALESCE(watch_at, 'infinity'::timestamptz) < {arg(until)}"
        )
    return clauses, args


def _end_of_day(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=CHICAGO)


def list_sql(
    filters: Filters, now: datetime, sort: str, order: str, limit: int, cursor: Cursor | None
) -> tuple[str, list[Any]]:
    """The list query and its arguments (the benchmark EXPLAINs exactly this)."""
    key, key_type = _SORT_KEYS[(sort, order)]
    clauses, args = _where(filters, now, with_state=True)
    direction = "ASC" if order == "asc" else "DESC"
    if cursor is not None:
        args.extend([cursor.key, cursor.reference])
        op = ">" if order == "asc" else "<"
        clauses.append(
            f"({key}, reference) {op} (${len(args) - 1}::text::{key_type}, ${len(args)}::text)"
        )
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    args.append(limit + 1)
    sql = f"""
        SELECT {LIST_COLUMNS}, ({key})::text AS sort_key
        FROM procurements {where}
        ORDER BY {key} {direction}, reference {direction}
        LIMIT ${len(args)}
    """
    return sql, args


def counts_sql(filters: Filters, now: datetime) -> tuple[str, list[Any]]:
    clauses, args = _where(filters, now, with_state=False)
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    return f"SELECT state, count(*)::int AS n FROM procurements {where} GROUP BY state", args


async def list_page(
    pool: asyncpg.Pool,
    filters: Filters,
    now: datetime,
    *,
    sort: str,
    order: str,
    limit: int,
    cursor: Cursor | None,
) -> tuple[list[asyncpg.Record], Cursor | None]:
    sql, args = list_sql(filters, now, sort, order, limit, cursor)
    rows = list(await pool.fetch(sql, *args))
    following = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        following = Cursor(sort, order, last["sort_key"], last["reference"])
    return rows, following


def summary_counts_sql(filters: Filters) -> tuple[str, list[Any]]:
    """Counts per state from the totals the writes keep, for filters on agency and method."""
    clauses: list[str] = []
    args: list[Any] = []
    if filters.agency:
        args.append(filters.agency)
        clauses.append(f"agency = ${len(args)}")
    if filters.method:
        args.append(filters.method)
        clauses.append(f"method = ${len(args)}")
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    return (
        f"""SELECT state, sum(n)::int AS n FROM procurement_counts {where}
            GROUP BY state HAVING sum(n) > 0""",
        args,
    )


async def state_counts(pool: asyncpg.Pool, filters: Filters, now: datetime) -> dict[str, int]:
    """Per state, under every filter but the state. Filters that depend on the time, or on
    what a procurement's record says, count its rows (few: an index range); the others add
    up the kept totals."""
    if filters.overdue or filters.protest_pending or filters.due_within_days is not None:
        sql, args = counts_sql(filters, now)
    else:
        sql, args = summary_counts_sql(filters)
    return {r["state"]: r["n"] for r in await pool.fetch(sql, *args)}


async def agencies(pool: asyncpg.Pool) -> list[str]:
    """Every agency with a procurement: one index probe per agency, not a scan of the rows."""
    rows = await pool.fetch(
        """
        WITH RECURSIVE a(agency) AS (
            (SELECT agency FROM procurements ORDER BY agency LIMIT 1)
            UNION ALL
            SELECT (SELECT p.agency FROM procurements p WHERE p.agency > a.agency
                    ORDER BY p.agency LIMIT 1)
            FROM a WHERE a.agency IS NOT NULL
        )
        SELECT agency FROM a WHERE agency IS NOT NULL
        """
    )
    return [r["agency"] for r in rows]


async def fingerprint(pool: asyncpg.Pool, agency: str | None) -> tuple[Any, ...]:
    """Changes whenever a procurement (of the agency, if given) is written: every write sets
    ``updated_at`` to the workflow's present, which only moves forward, and raises the row's
    revision."""
    scope, args = ("WHERE agency = $1", [agency]) if agency else ("", [])
    latest = await pool.fetchval(f"SELECT max(updated_at) FROM procurements {scope}", *args)
    if latest is None:
        return (None,)
    more = "AND agency = $2" if agency else ""
    rows = await pool.fetch(
        f"""SELECT reference, revision FROM procurements WHERE updated_at = $1 {more}
            ORDER BY reference""",
        latest,
        *args,
    )
    return (latest.isoformat(), *((r["reference"], r["revision"]) for r in rows))


async def last_steps(pool: asyncpg.Pool, references: list[str]) -> dict[str, asyncpg.Record]:
    """The latest step of each procurement of a page: one probe of the audit trail's
    (reference, step_seq) index each."""
    rows = await pool.fetch(
        """
        SELECT r.reference, s.command, s.at
        FROM unnest($1::text[]) AS r(reference)
        CROSS JOIN LATERAL (
            SELECT a.command, a.at FROM audit_trail a
            WHERE a.reference = r.reference AND a.step_seq IS NOT NULL
            ORDER BY a.step_seq DESC LIMIT 1
        ) s
        """,
        references,
    )
    return {r["reference"]: r for r in rows}


# ---- the calendar -----------------------------------------------------------------------------

CALENDAR_COLUMNS = """d.reference, d.agency, d.method, d.name, d.due_at, d.due_on, d.last_day,
    d.grace_until, d.met, d.duty, d.provisional, d.citation, d.description, p.title, p.state"""


def calendar_sql(
    first: date, last: date, agency: str | None, method: str | None, limit: int
) -> tuple[str, list[Any]]:
    """The deadlines that fall due from ``first`` to ``last`` (Chicago days, both included),
    in time order, but for the provisional ones (read apart): an index range over the days,
    per agency when the caller sees one (the benchmark EXPLAINs exactly this)."""
    args: list[Any] = [first, last]
    clauses = ["d.due_on BETWEEN $1 AND $2", "NOT d.provisional"]
    if agency:
        args.append(agency)
        clauses.append(f"d.agency = ${len(args)}")
    if method:
        args.append(method)
        clauses.append(f"d.method = ${len(args)}")
    args.append(limit + 1)
    sql = f"""
        SELECT {CALENDAR_COLUMNS}
        FROM procurement_deadlines d JOIN procurements p ON p.reference = d.reference
        WHERE {" AND ".join(clauses)}
        ORDER BY d.due_on, d.due_at, d.reference, d.name
        LIMIT ${len(args)}
    """
    return sql, args


# How much later than its row says a provisional period may close: the tolling of 15-25(b)
# runs at most 7 days.
PROVISIONAL_SLACK = timedelta(days=7)


async def calendar_deadlines(
    pool: asyncpg.Pool,
    first: date,
    last: date,
    agency: str | None,
    method: str | None,
    limit: int,
) -> tuple[list[asyncpg.Record], list[asyncpg.Record]]:
    """(the kept deadlines in the range, at most ``limit`` + 1 of them; the procurements
    whose provisional periods may fall in it, with their snapshots, to be worked out now)."""
    sql, args = calendar_sql(first, last, agency, method, limit)
    scope: list[str] = []
    scope_args: list[Any] = []
    if agency:
        scope_args.append(agency)
        scope.append(f"AND d.agency = ${len(scope_args) + 2}")
    if method:
        scope_args.append(method)
        scope.append(f"AND d.method = ${len(scope_args) + 2}")
    kept, moving = await asyncio.gather(
        pool.fetch(sql, *args),
        pool.fetch(
            f"""
            SELECT p.reference, p.agency, p.method, p.title, p.state, p.snapshot,
                   array_agg(d.name) AS names
            FROM procurement_deadlines d JOIN procurements p ON p.reference = d.reference
            WHERE d.provisional AND d.due_on BETWEEN $1 AND $2 {" ".join(scope)}
            GROUP BY p.reference
            """,
            first - PROVISIONAL_SLACK,
            last,
            *scope_args,
        ),
    )
    return list(kept), list(moving)
