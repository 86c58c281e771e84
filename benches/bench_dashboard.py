"""The dashboard with 100,000 procurements in the read model: how long its list and its
calendar of deadlines take.

    .venv/bin/python benches/bench_dashboard.py [--rows 100000] [--runs 200]

Starts an embedded PostgreSQL in a scratch directory (or uses DATABASE_URL, which must name
an empty database), applies the migrations, and loads the read model with COPY: procurements
of forty agencies by every method and in every state, with openings, awards, document
requests and protests spread around today, so some are overdue and some have a protest
pending; and the calendar's table with every deadline of each. It then times, ``--runs``
times each:

- the list query and the counts query, straight on PostgreSQL, for several filters and orders;
- the calendar's query for a month and for two weeks, of every agency and of one;
- the pages as a browser gets them, through the ASGI application: the JSON list (query,
  counts and rendering), one procurement, the calendar, and the HTML page;

and prints the median and the 95th percentile in milliseconds, then the plans PostgreSQL
chose (EXPLAIN ANALYZE) for the main queries. A measurement, not a test: nothing fails.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any, cast

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api import dashboard_queries as dq
from api.app import create_app
from api.services import Services
from db.deadlines import COLUMNS as DEADLINE_COLUMNS
from db.deadlines import deadline_rows, facts_of
from db.migrate import upgrade
from db.pool import create_pool
from db.users import create_user
from procure.clock import SystemClock
from procure.settings import Settings
from rules.calendar import CHICAGO, default_rules
from rules.periods import ProtestRules
from state_machines.models import (
    AwardRecord,
    DocumentRequestRecord,
    Facts,
    LaunchSpec,
    ProtestRecord,
    State,
    WrittenExplanation,
)
from workflows.payloads import read_model_snapshot

AGENCIES = [
    "Department of Transportation",
    "Department of Public Health",
    "Department of Corrections",
    "Department of Natural Resources",
    "Department of Central Management Services",
    "Department of Revenue",
    "Department of Human Services",
    "Department of Children and Family Services",
    "Department of Agriculture",
    "Department of Commerce and Economic Opportunity",
    "Department of Employment Security",
    "Department of Financial and Professional Regulation",
    "Department of Healthcare and Family Services",
    "Department of Innovation and Technology",
    "Department of Insurance",
    "Department of Juvenile Justice",
    "Department of Labor",
    "Department of the Lottery",
    "Department of Military Affairs",
    "Department of Veterans' Affairs",
    "Department on Aging",
    "Illinois State Police",
    "Illinois Emergency Management Agency",
    "Illinois Environmental Protection Agency",
    "Illinois Commerce Commission",
    "Illinois Gaming Board",
    "Illinois Arts Council Agency",
    "Illinois Student Assistance Commission",
    "Illinois Housing Development Authority",
    "Illinois Power Agency",
    "Capital Development Board",
    "State Board of Education",
    "State Board of Elections",
    "Board of Higher Education",
    "Guardianship and Advocacy Commission",
    "Office of the State Fire Marshal",
    "Illinois Community College Board",
    "Prisoner Review Board",
    "Historic Preservation Office",
    "Illinois Racing Board",
]
PURCHASES = [
    "Road salt",
    "Laboratory reagents",
    "Office furniture",
    "Vehicle tyres",
    "Janitorial services",
    "Network switches",
    "Body armour",
    "Vaccine cold storage",
    "Printing of tax forms",
    "Bridge deck sealant",
    "Food service supplies",
    "Case management software",
    "Snowplow blades",
    "Laptop computers",
    "Fuel cards",
    "Interpreting services",
    "Roof replacement",
    "Security guard services",
    "Uniforms",
    "Medical supplies",
]
# (method, state, weight): the shape of a read model several years into service.
MIX: list[tuple[str, str, int]] = [
    ("competitive_sealed_bidding", "closed", 300),
    ("competitive_sealed_bidding", "awarded", 60),
    ("competitive_sealed_bidding", "review_window", 30),
    ("competitive_sealed_bidding", "evaluation", 40),
    ("competitive_sealed_bidding", "published", 90),
    ("competitive_sealed_bidding", "draft", 40),
    ("competitive_sealed_bidding", "cancelled", 30),
    ("competitive_sealed_proposals", "closed", 80),
    ("competitive_sealed_proposals", "evaluation", 20),
    ("competitive_sealed_proposals", "published", 30),
    ("competitive_sealed_proposals", "review_window", 10),
    ("competitive_sealed_proposals", "draft", 10),
    ("small_purchase", "closed", 100),
    ("small_purchase", "draft", 10),
    ("reverse_auction", "closed", 20),
    ("reverse_auction", "published", 10),
    ("reverse_auction", "evaluation", 10),
    ("sole_source", "closed", 20),
    ("sole_source", "published", 10),
    ("emergency", "closed", 20),
    ("emergency", "awarded", 10),
]
PREFIXES = {
    "competitive_sealed_proposals": "RFP",
    "reverse_auction": "RA",
    "small_purchase": "SP",
    "sole_source": "SS",
    "emergency": "EM",
}
OPENING_NAMES = {
    "reverse_auction": "auction_ends",
    "competitive_sealed_proposals": "proposal_opening",
    "sole_source": "hearing",
}
COLUMNS = (
    "reference",
    "agency",
    "method",
    "state",
    "title",
    "next_deadline_name",
    "next_deadline_at",
    "launch_digest",
    "revision",
    "snapshot",
    "created_at",
    "updated_at",
    "estimated_value",
    "description_key",
)


# ---- the read model -------------------------------------------------------------------------


def at_two(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 14, tzinfo=CHICAGO)


def end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=CHICAGO)


def procurement(n: int, method: str, state: str, today: date, rng: random.Random) -> tuple:
    """One row of the read model, its snapshot built from real facts."""
    agency = AGENCIES[rng.randrange(len(AGENCIES))]
    title = f"{PURCHASES[rng.randrange(len(PURCHASES))]}, lot {n % 97 + 1}"
    reference = f"{PREFIXES.get(method, 'IFB')}-{n:07d}"
    live = state in ("draft", "published", "evaluation", "review_window", "awarded")
    # Open procurements cluster around today; finished ones reach back five years.
    published_on = today - timedelta(days=rng.randint(15, 40) if live else rng.randint(40, 1800))
    if state == "draft":
        published_on = today - timedelta(days=rng.randint(0, 20))
    opening = published_on + timedelta(days=rng.randint(14, 45))
    if state == "published":
        opening = today + timedelta(days=rng.randint(-3, 45))
        published_on = opening - timedelta(days=rng.randint(14, 30))
    body: dict[str, Any] = {
        "reference": reference,
        "title": title,
        "description": f"{title}, as the specifications describe.",
        "agency": agency,
        "method": method,
        "state_purchasing_officer": "Pat Example, SPO",
        "submission_location": "Illinois BidBuy",
        "documents_info": "Specifications and forms on Illinois BidBuy.",
        "estimated_value": str(Decimal(rng.randint(5_000, 5_000_000))),
    }
    if method in ("competitive_sealed_bidding", "competitive_sealed_proposals", "reverse_auction"):
        body["opening_at"] = at_two(opening).isoformat()
    if method == "competitive_sealed_proposals":
        body["scoring"] = {"price_points": "30", "other_points": "50"}
    if method == "sole_source":
        body["intended_contractor"] = "Acme Supply"
        body["hearing_at"] = at_two(opening).isoformat()
    created = at_two(published_on) - timedelta(days=rng.randint(1, 10))
    facts = Facts.launch(
        LaunchSpec.model_validate(body),
        digest=f"{n:064x}",
        rules_version="bench",
        calendar=CALENDAR,
        protest_rules=PROTEST_RULES,
        created_at=created,
    )
    facts.state = cast(State, state)
    next_name: str | None = None
    next_at: datetime | None = None
    updated = created
    published_at = at_two(published_on) - timedelta(hours=5)
    if state != "draft":
        facts.published_on = published_on
        facts.published_at = published_at
        updated = published_at
    if state == "published":
        if at_two(opening) > datetime.now(UTC):
            next_name = OPENING_NAMES.get(method, "bid_opening")
            next_at = at_two(opening)
        if rng.random() < 0.03:
            facts.protests = [
                ProtestRecord(
                    protest_id="P-1",
                    kind="solicitation",
                    protester="Acme Supply",
                    grounds="The specifications favour one brand.",
                    filed_at=published_at + timedelta(days=2),
                )
            ]
    if state in ("evaluation", "review_window", "awarded", "closed") and method not in (
        "small_purchase",
        "emergency",
        "sole_source",
    ):
        facts.opened_at = at_two(opening)
        updated = facts.opened_at
    if state == "evaluation" and method == "reverse_auction":
        facts.award_due_on = opening + timedelta(days=60)
        next_name, next_at = "award_due", end_of(facts.award_due_on)
    if state in ("review_window", "awarded", "closed"):
        decided = (
            at_two(today - timedelta(days=rng.randint(1, 6)))
            if state == "review_window"
            else at_two(opening + timedelta(days=rng.randint(5, 30)))
        )
        explanation = rng.random() < 0.1
        facts.award = AwardRecord(
            bid_id=f"{n}-b1",
            vendor="Acme Supply",
            lowest=not explanation,
            decided_at=decided,
            notice_on=decided.astimezone(CHICAGO).date(),
            explanation=WrittenExplanation(
                agency_needs="n",
                fair_and_reasonable="f",
                responsive_bidders=["Acme Supply"],
                selected_bidder="Acme Supply",
                total_contract_price=Decimal("1.00"),
            )
            if explanation
            else None,
        )
        facts.bidders_notified_at = decided
        updated = decided
        if state == "review_window":
            next_name = "review_window_ends"
            next_at = end_of(facts.award.notice_on + timedelta(days=14))
            if rng.random() < 0.1:
                facts.document_requests = [
                    DocumentRequestRecord(
                        request_id="R-1",
                        body="PPB",
                        description="The bid file.",
                        received_at=decided + timedelta(days=1),
                        due_on=today + timedelta(days=rng.randint(-3, 7)),
                    )
                ]
            if rng.random() < 0.05:
                facts.protests = [
                    ProtestRecord(
                        protest_id="P-1",
                        kind="award",
                        protester="Bolt Industries",
                        grounds="The lowest bid was not responsive.",
                        filed_at=decided + timedelta(days=2),
                    )
                ]
        if explanation and (state != "review_window" or rng.random() < 0.5):
            facts.explanation_filed_with = ["LAC", "CEI", "PPB"]
        if state == "closed":
            facts.closed_at = decided + timedelta(days=30)
            updated = facts.closed_at
    if method == "emergency" and state == "awarded":
        facts.disclosures = [
            {
                "due_on": (today + timedelta(days=rng.randint(-2, 5))).isoformat(),
                "published_at": None,
            }
        ]
    if state == "cancelled":
        updated = created + timedelta(days=rng.randint(1, 30))
    return (
        reference,
        agency,
        method,
        state,
        title,
        next_name,
        next_at,
        facts.launch_digest,
        rng.randint(2, 12),
        read_model_snapshot(facts),
        created,
        updated,
        Decimal(body["estimated_value"]),
        title.lower().split(",")[0],
    )


CALENDAR = default_rules().to_dict()
PROTEST_RULES = ProtestRules().to_dict()


def rows(count: int, today: date) -> Iterator[tuple]:
    rng = random.Random(20990302)
    shapes = [(m, s) for m, s, _ in MIX]
    weights = [w for _, _, w in MIX]
    for n in range(1, count + 1):
        method, state = rng.choices(shapes, weights)[0]
        yield procurement(n, method, state, today, rng)


def deadlines_of(row: tuple) -> list[tuple]:
    """The calendar's rows of one procurement, as its write would keep them."""
    reference, agency, method = row[0], row[1], row[2]
    return deadline_rows(reference, agency, method, facts_of(row[9]), row[11])


async def load(dsn: str, count: int) -> float:
    today = datetime.now(CHICAGO).date()
    started = time.perf_counter()
    batch: list[tuple] = []
    dates: list[tuple] = []
    conn = await asyncpg.connect(dsn)
    try:
        # COPY sends binary rows: jsonb's binary form is a version byte, then the text.
        await conn.set_type_codec(
            "jsonb",
            encoder=lambda value: b"\x01" + json.dumps(value).encode(),
            decoder=lambda data: json.loads(data[1:]),
            schema="pg_catalog",
            format="binary",
        )

        async def flush() -> None:
            await conn.copy_records_to_table("procurements", records=batch, columns=COLUMNS)
            await conn.copy_records_to_table(
                "procurement_deadlines", records=dates, columns=DEADLINE_COLUMNS
            )
            batch.clear()
            dates.clear()

        for row in rows(count, today):
            batch.append(row)
            dates.extend(deadlines_of(row))
            if len(batch) == 5000:
                await flush()
        if batch:
            await flush()
        await conn.execute("VACUUM ANALYZE procurements")
        await conn.execute("VACUUM ANALYZE procurement_counts")
        await conn.execute("VACUUM ANALYZE procurement_deadlines")
    finally:
        await conn.close()
    return time.perf_counter() - started


# ---- measuring --------------------------------------------------------------------------------


async def measure(runs: int, call: Callable[[], Awaitable[Any]]) -> tuple[float, float]:
    for _ in range(5):  # warm the caches and the prepared statements
        await call()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await call()
        times.append((time.perf_counter() - started) * 1000)
    cuts = statistics.quantiles(times, n=100, method="inclusive")
    return statistics.median(times), cuts[94]


def report(name: str, p50: float, p95: float) -> None:
    print(f"  {name:<58} {p50:8.2f} {p95:8.2f}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()

    server = None
    scratch = None
    dsn = os.environ.get("DATABASE_URL")
    if not dsn:
        import pgserver

        # Outside any private temporary root: PostgreSQL runs as its own user under root.
        scratch = tempfile.TemporaryDirectory(prefix="procure-bench-", ignore_cleanup_errors=True)
        server = pgserver.get_server(Path(scratch.name) / "pg", cleanup_mode="stop")
        dsn = str(server.get_uri())
    try:
        await asyncio.to_thread(upgrade, dsn)
        pool = await create_pool(dsn, max_size=10)
        version = await pool.fetchval("SHOW server_version")
        print(f"PostgreSQL {version}; loading {args.rows:,} procurements with COPY ...")
        seconds = await load(dsn, args.rows)
        total = await pool.fetchval("SELECT count(*) FROM procurements")
        size = await pool.fetchval("SELECT pg_size_pretty(pg_total_relation_size('procurements'))")
        print(f"loaded {total:,} rows in {seconds:.1f} s; table with indexes and TOAST: {size}")
        per_state = await pool.fetch(
            "SELECT state, count(*) AS n FROM procurements GROUP BY state ORDER BY n DESC"
        )
        print("per state: " + ", ".join(f"{r['state']} {r['n']:,}" for r in per_state))
        now = datetime.now(UTC)
        overdue = await pool.fetchval(
            "SELECT count(*) FROM procurements WHERE duty_overdue_at <= $1", now
        )
        pending = await pool.fetchval("SELECT count(*) FROM procurements WHERE protest_pending")
        print(f"overdue now: {overdue:,}; protest pending: {pending:,}")
        kept = await pool.fetchval("SELECT count(*) FROM procurement_deadlines")
        print(f"deadlines kept for the calendar: {kept:,}")

        agency = AGENCY
        cases: list[tuple[str, dq.Filters, str, str]] = [
            ("every agency, nearest deadline first", dq.Filters(), "next_deadline", "asc"),
            ("overdue", dq.Filters(overdue=True), "next_deadline", "asc"),
            ("protest pending", dq.Filters(protest_pending=True), "next_deadline", "asc"),
            ("due within 7 days", dq.Filters(due_within_days=7), "next_deadline", "asc"),
            ("state published", dq.Filters(state="published"), "next_deadline", "asc"),
            ("one agency", dq.Filters(agency=agency), "next_deadline", "asc"),
            (
                "one agency, sealed bidding, published",
                dq.Filters(agency=agency, method="competitive_sealed_bidding", state="published"),
                "next_deadline",
                "asc",
            ),
            ("latest change first", dq.Filters(), "updated", "desc"),
            ("by agency", dq.Filters(), "agency", "asc"),
            ("latest deadline first", dq.Filters(), "next_deadline", "desc"),
        ]
        print(f"\nPostgreSQL, {args.runs} runs each (50 rows a page)       p50 ms   p95 ms")
        for name, filters, sort, order in cases:
            sql, params = dq.list_sql(filters, now, sort, order, 50, None)
            p50, p95 = await measure(args.runs, partial(pool.fetch, sql, *params))
            report(f"list: {name}", p50, p95)
        # The fifth page, by keyset: as fast as the first.
        cursor = None
        for _ in range(4):
            _, cursor = await dq.list_page(
                pool, dq.Filters(), now, sort="next_deadline", order="asc", limit=50, cursor=cursor
            )
        sql, params = dq.list_sql(dq.Filters(), now, "next_deadline", "asc", 50, cursor)
        p50, p95 = await measure(args.runs, partial(pool.fetch, sql, *params))
        report("list: every agency, fifth page (keyset cursor)", p50, p95)
        for name, filters in COUNTS:
            p50, p95 = await measure(args.runs, partial(dq.state_counts, pool, filters, now))
            report(name, p50, p95)
        sql, params = dq.counts_sql(dq.Filters(), now)
        p50, p95 = await measure(args.runs, partial(pool.fetch, sql, *params))
        report("counts per state: every agency, counting the rows", p50, p95)
        for name, days, scope in CALENDARS:
            first = now.astimezone(CHICAGO).date()
            first -= timedelta(days=first.weekday())
            last = first + timedelta(days=days - 1)
            deadlines = partial(dq.calendar_deadlines, pool, first, last, scope, None, 5000)
            p50, p95 = await measure(args.runs, deadlines)
            shown = len((await deadlines())[0])
            report(f"{name} ({shown:,} deadlines)", p50, p95)

        # The pages, through the application as a browser asks for them.
        services = Services(
            settings=Settings(),
            database_url=dsn,
            temporal_address=None,
            clock=SystemClock(),
            pool=pool,
        )
        app = create_app(services)
        token = (await create_user(pool, name="Bench Supervisor", role="cpo")).token
        headers = {"Authorization": f"Bearer {token}"}
        reference = await pool.fetchval(
            "SELECT reference FROM procurements WHERE state = 'review_window' ORDER BY reference LIMIT 1"
        )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

            def get(path: str, **params: Any) -> Callable[[], Awaitable[Any]]:
                async def call() -> None:
                    response = await client.get(path, params=params or None, headers=headers)
                    assert response.status_code == 200, response.text

                return call

            print(
                f"\nThrough the ASGI application, {args.runs} runs each            p50 ms   p95 ms"
            )
            for name, call in (
                ("GET /v1/dashboard/procurements", get("/v1/dashboard/procurements")),
                (
                    "GET /v1/dashboard/procurements?overdue=true",
                    get("/v1/dashboard/procurements", overdue="true"),
                ),
                (
                    "GET /v1/dashboard/procurements?agency=…&state=published",
                    get("/v1/dashboard/procurements", agency=agency, state="published"),
                ),
                (
                    "GET /v1/dashboard/procurements?sort=updated&limit=200",
                    get("/v1/dashboard/procurements", sort="updated", limit=200),
                ),
                (
                    f"GET /v1/dashboard/procurements/{reference}",
                    get(f"/v1/dashboard/procurements/{reference}"),
                ),
                (
                    "GET /v1/dashboard/calendar (a month, every agency)",
                    get("/v1/dashboard/calendar"),
                ),
                (
                    "GET /v1/dashboard/calendar?agency=…",
                    get("/v1/dashboard/calendar", agency=agency),
                ),
                (
                    "GET /v1/dashboard/calendar?view=agenda&agency=…",
                    get("/v1/dashboard/calendar", view="agenda", agency=agency),
                ),
                ("GET /dashboard (the HTML page)", get("/dashboard")),
            ):
                p50, p95 = await measure(args.runs, call)
                report(name, p50, p95)

        print("\nPlans (EXPLAIN ANALYZE, BUFFERS)")
        for name, filters, sort, order in cases[:2] + cases[4:5]:
            sql, params = dq.list_sql(filters, now, sort, order, 50, None)
            await explain(pool, f"list: {name}", sql, params)
        sql, params = dq.summary_counts_sql(dq.Filters())
        await explain(pool, "counts per state: every agency, from the kept totals", sql, params)
        sql, params = dq.counts_sql(dq.Filters(overdue=True), now)
        await explain(pool, "counts per state: overdue, counting the rows", sql, params)
        today = now.astimezone(CHICAGO).date()
        sql, params = dq.calendar_sql(today, today + timedelta(days=41), agency, None, 5000)
        await explain(pool, "calendar: one agency, six weeks", sql, params)
        await pool.close()
    finally:
        if server is not None:
            server.cleanup()
        if scratch is not None:
            scratch.cleanup()


AGENCY = "Department of Transportation"
COUNTS = [
    ("counts per state: every agency", dq.Filters()),
    ("counts per state: one agency", dq.Filters(agency=AGENCY)),
    ("counts per state: sealed bidding", dq.Filters(method="competitive_sealed_bidding")),
    ("counts per state: overdue", dq.Filters(overdue=True)),
    ("counts per state: protest pending", dq.Filters(protest_pending=True)),
    ("counts per state: due within 7 days", dq.Filters(due_within_days=7)),
]
# (name, days shown from this week's Monday, agency): the month grid shows up to six weeks.
CALENDARS: list[tuple[str, int, str | None]] = [
    ("calendar: six weeks, every agency", 42, None),
    ("calendar: six weeks, one agency", 42, AGENCY),
    ("calendar: two weeks, one agency", 14, AGENCY),
]


async def explain(pool: asyncpg.Pool, name: str, sql: str, params: list[Any]) -> None:
    plan = await pool.fetch(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {sql}", *params)
    lines = [r[0] for r in plan]
    seq = any("Seq Scan on procurements " in line for line in lines)
    scans = "a sequential scan of procurements" if seq else "no sequential scan of procurements"
    print(f"\n-- {name} ({scans})")
    print(" ".join(sql.split()))
    for line in lines:
        print("   " + line)


if __name__ == "__main__":
    asyncio.run(main())
