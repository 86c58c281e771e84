"""Deadline reminders: at their offsets, moved with their deadline, cancelled when it is met,
never sent twice, even across worker restarts. On the time-skipping server from Monday
2 March 2099 (Chicago on CDT, UTC-5, from 8 March).

The opening on Monday 16 March at 14:00 is reminded 3 business days before its day (Wednesday
11 March), 1 business day before (Friday 13 March), on the day (00:00 on 16 March) and, if it
has not happened by the end of its day, as overdue (00:00 on 17 March).
"""

from __future__ import annotations

import uuid
from collections import Counter

import asyncpg
import httpx
from temporalio.testing import WorkflowEnvironment

from db.sealing import Sealer
from procure.worker import create_worker
from tests.conftest import BID_KEY, TASK_QUEUE
from tests.driver import Driver, chicago


async def sent(pool: asyncpg.Pool, reference: str) -> list[tuple[str, str, str]]:
    rows = await pool.fetch(
        """SELECT kind, content FROM outbox WHERE reference = $1 AND kind LIKE 'reminder:%'
           ORDER BY message_id""",
        reference,
    )
    return [
        (r["content"]["deadline"], r["content"]["offset"], r["content"]["due_at"]) for r in rows
    ]


def published(api: httpx.AsyncClient, env: WorkflowEnvironment) -> Driver:
    return Driver(api, env, f"REM-{uuid.uuid4().hex[:8].upper()}")


async def test_scheduled_at_the_offsets_and_listed(
    api: httpx.AsyncClient, env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    d = published(api, env)
    assert (await d.launch()).status_code == 201
    await d.ok("publish")
    listing = await api.get(
        "/v1/reminders", params={"reference": d.reference}, headers=await d.headers("agency")
    )
    assert listing.status_code == 200
    scheduled = [
        (r["deadline"], r["offset"], r["at"])
        for r in listing.json()["reminders"]
        if r["status"] == "scheduled" and r["deadline"] == "bid_opening"
    ]
    assert scheduled == [
        ("bid_opening", "3_business_days_before", "2099-03-11T00:00:00-05:00"),
        ("bid_opening", "1_business_day_before", "2099-03-13T00:00:00-05:00"),
        ("bid_opening", "due", "2099-03-16T00:00:00-05:00"),
        ("bid_opening", "overdue", "2099-03-17T00:00:00-05:00"),
    ]
    await d.advance_to(chicago(2099, 3, 17, 9))  # never opened: overdue
    assert [(x[0], x[1]) for x in await sent(pool, d.reference)] == [
        ("bid_opening", "3_business_days_before"),
        ("bid_opening", "1_business_day_before"),
        ("bid_opening", "due"),
        ("bid_opening", "overdue"),
    ]
    after = await api.get(
        "/v1/reminders",
        params={"reference": d.reference, "status": "sent"},
        headers=await d.headers("cpo"),
    )
    assert [r["offset"] for r in after.json()["reminders"]][-1] == "overdue"
    vendor = await api.get("/v1/reminders", headers=await d.headers("Acme Supply"))
    assert vendor.status_code == 403


async def test_the_window_and_the_protest_period_are_reminded_until_they_end(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    d = published(api, env)
    bids = await d.through_opening()
    await d.advance_to(chicago(2099, 3, 17, 10))
    await d.ok("award", {"bid_id": bids["Bolt Industries"]})

    async def scheduled() -> list[tuple[str, str, str]]:
        listing = await api.get(
            "/v1/reminders",
            params={"reference": d.reference, "status": "scheduled"},
            headers=await d.headers("agency"),
        )
        assert listing.status_code == 200, listing.text
        return [(r["deadline"], r["offset"], r["at"]) for r in listing.json()["reminders"]]

    # Award notice Tue 17 March: the window (5-30(a)) and the protest period (1.5550) both end
    # on Tue 31 March; 3 business days before is Thu 26, 1 before is Mon 30. A period binds
    # no one to act, so it has no overdue notice.
    days = [
        ("3_business_days_before", "2099-03-26T00:00:00-05:00"),
        ("1_business_day_before", "2099-03-30T00:00:00-05:00"),
        ("due", "2099-03-31T00:00:00-05:00"),
    ]
    assert await scheduled() == [
        (name, offset, at)
        for offset, at in days
        for name in ("award_protest_closes", "review_window_ends")
    ]
    # Both bodies waive: the window is over, its reminders go; the protest period's stay.
    await d.ok("waivers", {"body": "PPB"}, actor="ppb")
    await d.ok("waivers", {"body": "CEI"}, actor="cei")
    assert [r[0] for r in await scheduled()] == ["award_protest_closes"] * 3


async def test_a_moved_deadline_moves_its_reminders(
    api: httpx.AsyncClient, env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    d = published(api, env)
    assert (await d.launch()).status_code == 201
    await d.ok("publish")
    # Moved to Monday 23 March before any reminder: 3 business days before is Wednesday 18,
    # 1 before is Friday 20, then 23 itself.
    await d.ok("amend", {"opening_at": chicago(2099, 3, 23, 14).isoformat()})
    await d.advance_to(chicago(2099, 3, 23, 9))
    reminders = await sent(pool, d.reference)
    assert [(x[1], x[2]) for x in reminders] == [
        ("3_business_days_before", "2099-03-23T14:00:00-05:00"),
        ("1_business_day_before", "2099-03-23T14:00:00-05:00"),
        ("due", "2099-03-23T14:00:00-05:00"),
    ]


async def test_a_met_deadline_cancels_its_reminders(
    api: httpx.AsyncClient, env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    d = published(api, env)
    bids = await d.through_opening()  # opened at its time: no overdue notice
    await d.advance_to(chicago(2099, 3, 17, 10))
    await d.ok("award", {"bid_id": bids["Bolt Industries"]})
    # Requested Tue 17 March: due Tue 24 March; 3 business days before is Thu 19 March.
    await d.ok("document-requests", {"body": "PPB", "description": "Tabulation."}, actor="ppb")
    await d.advance_to(chicago(2099, 3, 18, 10))
    await d.ok("document-requests/DR-1/answer", {"summary": "Sent."})
    await d.advance_to(chicago(2099, 3, 26, 10))
    deadlines = Counter((x[0], x[1]) for x in await sent(pool, d.reference))
    assert ("bid_opening", "overdue") not in deadlines
    assert not [k for k in deadlines if k[0].startswith("documents_due")]


async def test_a_worker_restart_sends_none_twice(
    api_without_worker: httpx.AsyncClient, env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    """Workers are replaced around each reminder's moment; the new one replays the history,
    knows what was sent, and sends only what was not."""
    d = published(api_without_worker, env)
    sealer = Sealer(BID_KEY)
    stops = [chicago(2099, 3, 11, 0, 1), chicago(2099, 3, 13, 0, 1), chicago(2099, 3, 17, 9)]
    # No workflow cache anywhere: the time-skipping server never moves a task off a stopped
    # worker's sticky queue (the real server does), and cache 0 asks for none.
    async with create_worker(env.client, pool, TASK_QUEUE, sealer=sealer, cache_size=0):
        assert (await d.launch()).status_code == 201
        await d.ok("publish")
    for stop in stops:
        # Every workflow task replays the whole history on the new worker.
        async with create_worker(env.client, pool, TASK_QUEUE, sealer=sealer, cache_size=0):
            await d.advance_to(stop)
    reminders = await sent(pool, d.reference)
    counts = Counter(reminders)
    assert all(n == 1 for n in counts.values()), counts
    assert [x[1] for x in reminders] == [
        "3_business_days_before",
        "1_business_day_before",
        "due",
        "overdue",
    ]
