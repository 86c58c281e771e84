"""A procurement that continues as new lives the same life as one that does not.

On the time-skipping server the same sealed-bid procurement runs twice, from the anchor
(Monday 2 March 2099, 09:00 in Chicago) to ``closed``: once with the history length at which a
run hands over pinned low (20 events, the least the settings allow), so it continues as new
many times, and once with the default. Through the API the two are indistinguishable: the same
steps, audit trail, Bulletin notices, messages and reminders, each exactly once.
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx
from temporalio.testing import WorkflowEnvironment

from procure.settings import Settings
from procure.temporal_client import DATA_CONVERTER
from tests.driver import Driver, chicago
from workflows.payloads import LaunchInput


async def runs(env: WorkflowEnvironment, reference: str) -> list[LaunchInput]:
    """The input of every run of the procurement's workflow, first to last."""
    found: list[LaunchInput] = []
    run_id: str | None = None
    while True:
        history = await env.client.get_workflow_handle(reference, run_id=run_id).fetch_history()
        started = history.events[0].workflow_execution_started_event_attributes
        (launch,) = await DATA_CONVERTER.decode(started.input.payloads, [LaunchInput])
        found.append(launch)
        run_id = started.continued_execution_run_id
        if not run_id:
            return found[::-1]


async def lives(settings: Settings, handing_over: Driver, staying: Driver) -> None:
    """Both procurements, step by step on the same clock: amendments in draft, publication,
    bids, the opening, an award, a Board request and its answer, execution; each workflow
    closes its procurement by itself."""
    both = (handing_over, staying)
    settings.continue_as_new_events = 20  # pinned at launch
    assert (await handing_over.launch()).status_code == 201
    settings.continue_as_new_events = None
    assert (await staying.launch()).status_code == 201
    for n in range(4):
        for d in both:
            await d.ok("amend", {"title": f"Road salt, 2099-2100 season (draft {n})"})
    bids: dict[str, dict[str, str]] = {}
    for d in both:
        await d.ok("publish")
        bids[d.reference] = {
            vendor: (await d.bid(vendor, amount)).json()["bid_id"]
            for vendor, amount in (("Acme Supply", "98000.00"), ("Bolt Industries", "91500.50"))
        }
    await staying.advance_to(chicago(2099, 3, 16, 14))
    for d in both:
        await d.ok("opening", {"witnesses": ["R. Witness"]})
    await staying.advance_to(chicago(2099, 3, 17, 10))
    for d in both:
        await d.ok("award", {"bid_id": bids[d.reference]["Bolt Industries"]})
        await d.ok("document-requests", {"body": "CEI", "description": "Plan."}, actor="cei")
    await staying.advance_to(chicago(2099, 4, 1, 9))
    for d in both:
        await d.ok("document-requests/DR-1/answer", {"summary": "Plan sent."})
        await d.ok("execute")
    for d in both:
        assert await d.env.client.get_workflow_handle(d.reference).result() == "closed"


async def seen(d: Driver, pool: asyncpg.Pool) -> dict[str, Any]:
    """All a caller or a recipient can see of the procurement, without its reference and
    the ids and instants that differ between any two procurements."""
    view = await d.get()
    trail = (await d.read("/audit")).json()
    notices = (await d.api.get("/v1/bulletin", params={"reference": d.reference})).json()
    outbox = await pool.fetch(
        "SELECT seq, kind, recipient, content FROM outbox WHERE reference = $1 ORDER BY message_id",
        d.reference,
    )
    return {
        "state": view["state"],
        "steps": [
            (h["seq"], h["trigger"], h["from_state"], h["to_state"]) for h in view["history"]
        ],
        "trail": [(e["command"], e["outcome"], e["actor"]) for e in trail["entries"]],
        "intact": trail["verification"]["intact"],
        "notices": [n["kind"] for n in notices["notices"]],
        "messages": [
            (
                m["seq"],
                m["kind"],
                m["recipient"],
                m["content"].get("deadline"),
                m["content"].get("offset"),
            )
            for m in outbox
        ],
        "deadlines": [(x["name"], x["due_on"]) for x in view["deadlines"]],
        "ranking": [(r["vendor"], r["rank"]) for r in view["opening"]["ranking"]],
    }


async def test_continued_as_new_procurement_is_indistinguishable(
    api: httpx.AsyncClient, env: WorkflowEnvironment, pool: asyncpg.Pool, settings: Settings
) -> None:
    handing_over = Driver(api, env, f"CAN-{uuid.uuid4().hex[:8].upper()}")
    staying = Driver(api, env, f"ONE-{uuid.uuid4().hex[:8].upper()}")
    await lives(settings, handing_over, staying)

    chain = await runs(env, handing_over.reference)
    assert len(chain) >= 5, len(chain)
    assert chain[0].carried is None and all(r.carried is not None for r in chain[1:])
    # Each run starts where the last one stood, its steps already written.
    seqs = [r.carried.facts.seq for r in chain[1:] if r.carried]
    assert seqs == sorted(seqs) and all(not r.carried.facts.history for r in chain[1:] if r.carried)
    assert len(await runs(env, staying.reference)) == 1

    expected = await seen(staying, pool)
    assert expected["intact"] and expected["state"] == "closed"
    assert await seen(handing_over, pool) == expected
