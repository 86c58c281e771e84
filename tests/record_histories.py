"""Record workflow histories for the replay test: ``python -m tests.record_histories``.

Runs a few procurements through the API on a time-skipping server and writes each history
to ``tests/histories/NAME.json``. Histories already recorded are kept as they are: they are
exactly what guards procurements that started under older code.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pgserver
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.services import Services
from db.migrate import upgrade
from db.pool import create_pool
from db.sealing import Sealer
from procure import binaries
from procure.clock import SimulatedClock
from procure.search_attributes import register as register_search_attributes
from procure.settings import Settings
from procure.temporal_client import DATA_CONVERTER
from procure.worker import create_worker
from tests.conftest import ANCHOR, BID_KEY, TASK_QUEUE
from tests.driver import Driver, chicago
from tests.people import People

OUT = Path(__file__).parent / "histories"


async def closed_happy_path(d: Driver) -> None:
    bids = await d.through_opening()
    await d.advance_to(chicago(2099, 3, 17, 10))
    await d.ok("award", {"bid_id": bids["Bolt Industries"]})
    await d.ok(
        "document-requests", {"body": "CEI", "description": "Utilization plan."}, actor="cei"
    )
    await d.advance_to(chicago(2099, 4, 1, 9))
    await d.ok("document-requests/DR-1/answer", {"summary": "Plan sent."})
    await d.ok("execute")
    await d.env.client.get_workflow_handle(d.reference).result()


async def protest_and_waivers(d: Driver) -> None:
    bids = await d.through_opening()
    await d.advance_to(chicago(2099, 3, 17, 10))
    await d.ok("award", {"bid_id": bids["Bolt Industries"]})
    await d.ok(
        "protests",
        {"kind": "award", "protester": "Acme Supply", "grounds": "Bond."},
        actor="Acme Supply",
    )
    await d.ok(
        "protests/P-1/decision",
        {"decision": "upheld", "remedy": "reevaluate", "reasons": "Bond missing."},
        actor="cpo",
    )
    await d.ok(
        "determinations",
        {
            "bid_id": bids["Bolt Industries"],
            "responsive": False,
            "responsible": True,
            "reason": "No bid bond.",
        },
    )
    await d.ok("award", {"bid_id": bids["Acme Supply"]})
    await d.ok("waivers", {"body": "PPB"}, actor="ppb")
    await d.ok("waivers", {"body": "CEI"}, actor="cei")
    await d.ok("execute")
    # The protest period of the second award runs to Tue 31 Mar, 17:00.
    await d.advance_to(chicago(2099, 4, 1, 9))
    await d.env.client.get_workflow_handle(d.reference).result()


async def manual_notice_tolled(d: Driver) -> None:
    assert (await d.launch(bidder_notice="manual")).status_code == 201
    await d.ok("publish")
    bid = (await d.bid("Acme Supply", "1000.00")).json()["bid_id"]
    await d.advance_to(chicago(2099, 3, 16, 14))
    await d.ok("opening", {"witnesses": ["W"]})
    await d.ok("award", {"bid_id": bid})
    await d.advance_to(chicago(2099, 3, 20, 9))
    await d.ok("bidder-notice")
    await d.advance_to(chicago(2099, 4, 6, 9))
    await d.ok("execute")
    await d.env.client.get_workflow_handle(d.reference).result()


async def cancelled_after_publication(d: Driver) -> None:
    assert (await d.launch()).status_code == 201
    await d.ok("publish")
    await d.ok("cancel", {"reason": "Requirement withdrawn."})
    await d.env.client.get_workflow_handle(d.reference).result()


async def proposals_with_best_and_final(d: Driver) -> None:
    plan = {"price_points": "30", "other_points": "50"}
    assert (await d.launch(method="competitive_sealed_proposals", scoring=plan)).status_code == 201
    await d.ok("publish")
    ids = {}
    for vendor, price in (("Alpha LLC", "100000.00"), ("Beta Inc", "105000.00")):
        ids[vendor] = (await d.bid(vendor, price)).json()["bid_id"]
    await d.advance_to(chicago(2099, 3, 16, 14))
    await d.ok("opening", {"witnesses": ["W"]})
    scores = {
        "scores": [
            {"bid_id": ids["Alpha LLC"], "diversity": "2", "other": "40"},
            {"bid_id": ids["Beta Inc"], "diversity": "5", "other": "40"},
        ]
    }
    await d.ok("scores", scores)
    await d.ok(
        "best-and-final",
        {"competitive_range": list(ids.values()), "due_at": chicago(2099, 3, 19, 17).isoformat()},
    )
    await d.bid("Alpha LLC", "90000.00")
    await d.advance_to(chicago(2099, 3, 20, 9))
    await d.ok("scores", scores)
    await d.ok("award", {"bid_id": ids["Alpha LLC"], "basis": "Most points."})
    await d.advance_to(chicago(2099, 4, 4, 9))
    await d.ok("execute")
    await d.advance_to(chicago(2099, 4, 5, 9))
    await d.env.client.get_workflow_handle(d.reference).result()


async def emergency_with_extension(d: Driver) -> None:
    assert (await d.launch(method="emergency", opening_at=None)).status_code == 201
    await d.ok(
        "award", {"vendor": "FloodFix", "price": "80000.00", "reasons": "Flood.", "term_days": 30}
    )
    await d.advance_to(chicago(2099, 3, 10, 9))
    await d.ok("disclosures", {"description": "Levee", "total_cost": "80000.00"})
    await d.ok(
        "emergency-extensions",
        {"additional_days": 10, "justification": "More.", "approved_by": "CPO"},
    )
    await d.ok("disclosures", {"description": "Extension", "total_cost": "20000.00"})
    await d.advance_to(chicago(2099, 4, 11, 9))
    await d.env.client.get_workflow_handle(d.reference).result()


async def tie_by_lot_with_spo_decision(d: Driver) -> None:
    assert (await d.launch()).status_code == 201
    await d.ok("publish")
    for vendor in ("North Co", "South Co"):
        await d.post("bids", {"vendor": vendor, "amount": "75000.00"}, actor=vendor)
    await d.advance_to(chicago(2099, 3, 16, 14))
    opened = await d.ok("opening", {"witnesses": ["W"]})
    loser = next(b for b in opened["tie"]["tied"] if b != opened["tie"]["winner"])
    await d.ok(
        "award",
        {"bid_id": loser, "tie_decision": {"kind": "best_interest", "reasons": "Delivery record."}},
        actor="spo",
    )
    await d.advance_to(chicago(2099, 4, 1, 9))
    await d.ok("execute")
    await d.env.client.get_workflow_handle(d.reference).result()


async def held_order_then_placed(d: Driver) -> str:
    """A school district's first cooperative order, held until its MICPA is recorded."""
    people: People = d.api.people  # type: ignore[attr-defined]

    async def headers(unit: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {await people.token('member', agency=unit)}"}

    lead, district = "Springfield School District 186", "Maple Grove CUSD 42"
    for unit in (lead, district):
        registered = await d.api.post(
            "/v1/members",
            json={"name": unit, "kind": "school_district"},
            headers=await headers(unit),
        )
        assert registered.status_code == 201, registered.text
    opened = await d.api.post(
        "/v1/contracts",
        headers=await headers(lead),
        json={
            "reference": "IT-2099-FURN",
            "program": "cooperative",
            "title": "Classroom furniture",
            "lead": lead,
            "award": {
                "vendor": "Cobalt Corp",
                "awarded_on": "2099-01-20",
                "solicitation": "SSD186-RFP-2099-03",
            },
            "starts_on": "2099-02-01",
            "ends_on": "2100-01-31",
            "ceiling": "250000.00",
            "items": [
                {"code": "DESK-S", "description": "Desk", "unit": "each", "unit_price": "145.00"}
            ],
        },
    )
    assert opened.status_code == 201, opened.text
    order = "MG42-PO-0001"
    held = await d.api.post(
        "/v1/orders",
        headers=await headers(district),
        json={
            "reference": order,
            "contract": "IT-2099-FURN",
            "lines": [{"item": "DESK-S", "quantity": "30"}],
        },
    )
    assert held.json()["state"] == "held", held.text
    await d.advance_to(chicago(2099, 3, 4, 10))
    member_id = registered.json()["member_id"]
    recorded = await d.api.post(
        f"/v1/members/{member_id}/documents",
        headers=await headers(district),
        json={"kind": "micpa", "dated": "2099-03-03", "governing_board": "Board of Education"},
    )
    assert recorded.status_code == 201, recorded.text
    placed = await d.api.get(f"/v1/orders/{order}", headers=await headers(district))
    assert placed.json()["state"] == "placed", placed.text
    # Past the term's end, so the run completes with its reminders sent.
    await d.advance_to(chicago(2100, 2, 2, 10))
    await d.env.client.get_workflow_handle(order).result()
    return order


SCENARIOS: dict[str, Callable[[Driver], Awaitable[str | None]]] = {
    "sealed_bid_closed": closed_happy_path,
    "protest_upheld_then_waivers": protest_and_waivers,
    "manual_notice_tolled": manual_notice_tolled,
    "cancelled_after_publication": cancelled_after_publication,
    "proposals_with_best_and_final": proposals_with_best_and_final,
    "emergency_with_extension": emergency_with_extension,
    "tie_by_lot_with_spo_decision": tie_by_lot_with_spo_decision,
    "cooperative_order_held_then_placed": held_order_then_placed,
}


async def order_continued_as_new(d: Driver) -> str:
    """A district's first cooperative order with the history length pinned low (20 events):
    held across daily looks, it continues as new while held, is placed in a later run when
    the MICPA is recorded, and continues as new again on the way to its term reminders. The
    recorder keeps the last run, whose input carries the order; the first run, which ended
    in continue-as-new, is written here beside it."""
    # The recorder's own API, whose services this one shares, but for the pinned setting.
    services: Services = d.api._transport.app.state.services  # type: ignore[attr-defined]
    pinned = Services(
        settings=services.settings.model_copy(update={"continue_as_new_events": 20}),
        database_url=services.database_url,
        clock=services.clock,
        pool=services.pool,
        client=services.client,
    )
    transport = httpx.ASGITransport(app=create_app(pinned))
    async with httpx.AsyncClient(transport=transport, base_url="http://procureflow") as api:
        people: People = d.api.people  # type: ignore[attr-defined]

        async def headers(unit: str) -> dict[str, str]:
            return {"Authorization": f"Bearer {await people.token('member', agency=unit)}"}

        lead, district = "Evergreen Park School District 124", "Oak Lawn CUSD 7"
        for unit in (lead, district):
            registered = await api.post(
                "/v1/members",
                json={"name": unit, "kind": "school_district"},
                headers=await headers(unit),
            )
            assert registered.status_code == 201, registered.text
        opened = await api.post(
            "/v1/contracts",
            headers=await headers(lead),
            json={
                "reference": "IT-2099-PAPER",
                "program": "cooperative",
                "title": "Copy paper",
                "lead": lead,
                "award": {
                    "vendor": "Cobalt Corp",
                    "awarded_on": "2099-01-20",
                    "solicitation": "EP124-IFB-2099-01",
                },
                "starts_on": "2099-02-01",
                "ends_on": "2099-05-31",
                "items": [
                    {"code": "PAPER", "description": "Case", "unit": "each", "unit_price": "38.00"}
                ],
            },
        )
        assert opened.status_code == 201, opened.text
        order = "OL7-PO-0001"
        held = await api.post(
            "/v1/orders",
            headers=await headers(district),
            json={
                "reference": order,
                "contract": "IT-2099-PAPER",
                "lines": [{"item": "PAPER", "quantity": "12"}],
            },
        )
        assert held.json()["state"] == "held", held.text
        await d.advance_to(chicago(2099, 3, 6, 10))
        recorded = await api.post(
            f"/v1/members/{registered.json()['member_id']}/documents",
            headers=await headers(district),
            json={"kind": "micpa", "dated": "2099-03-03", "governing_board": "Board of Education"},
        )
        assert recorded.json()["orders_rechecked"][0]["state"] == "placed", recorded.text
        # Past the term's end, so the last run completes with both reminders sent.
        await d.advance_to(chicago(2099, 6, 2, 10))
        await d.env.client.get_workflow_handle(order).result()
    # Back from the newest run to the first, through each start event's previous run.
    run_id: str | None = None
    while True:
        history = await d.env.client.get_workflow_handle(order, run_id=run_id).fetch_history()
        previous = history.events[0].workflow_execution_started_event_attributes
        if not previous.continued_execution_run_id:
            break
        run_id = previous.continued_execution_run_id
    assert run_id is not None, "the order never continued as new"
    first = OUT / "cooperative_order_continued_as_new_first_run.json"
    if not first.exists():
        first.write_text(
            json.dumps({"workflow_id": order, "history": json.loads(history.to_json())}, indent=1)
        )
    return order


SCENARIOS["cooperative_order_continued_as_new"] = order_continued_as_new


async def procurement_continued_as_new(d: Driver) -> None:
    """A sealed-bid procurement with the history length pinned low (20 events): amended in
    draft, published, its bids received, replaced and withdrawn by the intake, amended again
    (a notice to every bidder), opened, awarded and executed, continuing as new on the way.
    The recorder keeps the last run; the first, which ended in continue-as-new, is written
    here beside it."""
    services: Services = d.api._transport.app.state.services  # type: ignore[attr-defined]
    services.settings.continue_as_new_events = 20  # pinned at launch
    assert (await d.launch()).status_code == 201
    services.settings.continue_as_new_events = None
    for n in range(3):
        await d.ok("amend", {"title": f"Road salt, 2099-2100 season (draft {n})"})
    await d.ok("publish")
    acme = (await d.bid("Acme Supply", "98000.00")).json()["bid_id"]
    bolt = (await d.bid("Bolt Industries", "91500.50")).json()["bid_id"]
    cobalt = (await d.bid("Cobalt Corp", "104250.00")).json()["bid_id"]
    replaced = await d.api.put(
        f"/v1/procurements/{d.reference}/bids/{acme}",
        json={"vendor": "Acme Supply", "amount": "95000.00"},
        headers=await d.headers("Acme Supply"),
    )
    assert replaced.status_code == 201, replaced.text
    withdrawn = await d.api.post(
        f"/v1/procurements/{d.reference}/bids/{cobalt}/withdraw",
        json={},
        headers=await d.headers("Cobalt Corp"),
    )
    assert withdrawn.status_code == 200, withdrawn.text
    await d.ok("amend", {"documents_info": "Addendum 1 on Illinois BidBuy."})
    await d.advance_to(chicago(2099, 3, 16, 14))
    await d.ok("opening", {"witnesses": ["W"]})
    await d.advance_to(chicago(2099, 3, 17, 10))
    await d.ok("award", {"bid_id": bolt})
    await d.advance_to(chicago(2099, 4, 1, 9))
    await d.ok("execute")
    assert await d.env.client.get_workflow_handle(d.reference).result() == "closed"
    run_id: str | None = None
    while True:
        history = await d.env.client.get_workflow_handle(d.reference, run_id=run_id).fetch_history()
        previous = history.events[0].workflow_execution_started_event_attributes
        if not previous.continued_execution_run_id:
            break
        run_id = previous.continued_execution_run_id
    assert run_id is not None, "the procurement never continued as new"
    first = OUT / "procurement_continued_as_new_first_run.json"
    if not first.exists():
        first.write_text(
            json.dumps(
                {"workflow_id": d.reference, "history": json.loads(history.to_json())}, indent=1
            )
        )


# Recorded since bids are received by the intake, persist steps are local activities, launches
# are one round trip and procurements continue as new.
SCENARIOS["sealed_bid_intake_closed"] = closed_happy_path
SCENARIOS["proposals_intake_best_and_final"] = proposals_with_best_and_final
SCENARIOS["procurement_continued_as_new"] = procurement_continued_as_new


async def cei_recommendation_heard(d: Driver) -> None:
    """The Commission's recommendation, the vendor's hearing, its withdrawal after it (5-7(e))."""
    bids = await d.through_opening()
    await d.advance_to(chicago(2099, 3, 17, 10))
    await d.ok("award", {"bid_id": bids["Bolt Industries"]})
    await d.ok(
        "board-recommendations",
        {"action": "reject_bid", "votes_for": 3, "grounds": "Plan not met.", "body": "CEI"},
        actor="cei",
    )
    await d.ok("board-recommendations/hearing-request", actor="Bolt Industries")
    await d.ok("board-recommendations/response", {"summary": "Met."}, actor="Bolt Industries")
    await d.advance_to(chicago(2099, 3, 20, 10))
    await d.ok("board-recommendations/hearing", {"summary": "Heard."}, actor="cei")
    await d.ok("board-recommendations/final", {"maintained": False, "reasons": "Met."}, actor="cei")
    await d.advance_to(chicago(2099, 4, 2, 9))
    await d.ok("execute")


async def failed_bid_notice_given(d: Driver) -> None:
    """The 4th of four Department of Transportation awards to one bidder owes the others the
    reasons within the quarter (20-10(g-5))."""
    earlier = [Driver(d.api, d.env, f"{d.reference}-{i}") for i in (1, 2, 3)]
    drivers = [*earlier, d]
    for i, each in enumerate(drivers):
        await each.launch(
            agency="Department of Transportation",
            chief_procurement_office="CPO-DOT",
            title=f"Roadside mowing, district {i + 1}",
            commodity_codes=["988-45"],
        )
        await each.ok("publish")
        for vendor, amount in (("Acme Supply", "98000.00"), ("Bolt Industries", "91500.50")):
            await each.bid(vendor, amount)
    await d.advance_to(chicago(2099, 3, 16, 14))
    for each in drivers:
        await each.ok("opening", {"witnesses": ["R. Witness"]})
    for hour, each in enumerate(drivers):
        await each.advance_to(chicago(2099, 3, 17, 9 + hour))
        rows = (await each.read("/tabulation")).json()["rows"]
        bolt = next(r["bid_id"] for r in rows if r["vendor"] == "Bolt Industries")
        await each.ok("award", {"bid_id": bolt})
    await d.ok(
        "failed-bid-notices",
        {"vendor": "Acme Supply", "means": "certified_copy", "reasons": "Higher each time."},
    )
    await d.advance_to(chicago(2099, 4, 2, 9))
    await d.ok("execute")


async def multi_step_awarded(d: Driver) -> None:
    """Unpriced technical offers, one not qualified, bids from the qualified alone (20-10(h))."""
    document = {"name": "technical.pdf", "sha256": "ab" * 32, "size": 2048}
    await d.launch(
        method="multi_step_sealed_bidding",
        multi_step={"impracticable": "Design unknown.", "criteria": "Hosted in the US."},
    )
    await d.ok("publish")
    for vendor in ("Acme Supply", "Bolt Industries", "Cobalt Corp"):
        await d.post("technical-offers", {"vendor": vendor, "documents": [document]}, vendor)
    await d.advance_to(chicago(2099, 3, 16, 14))
    opened = await d.ok("opening", {"witnesses": ["R. Witness"]})
    for entry in opened["opening"]["ranking"]:
        qualified = entry["vendor"] != "Cobalt Corp"
        await d.ok(
            "qualifications",
            {"bid_id": entry["bid_id"], "qualified": qualified, "reason": "Hosted abroad."},
        )
    await d.ok("priced-invitation", {"opening_at": chicago(2099, 3, 30, 14).isoformat()})
    await d.bid("Acme Supply", "98000.00")
    bolt = (await d.bid("Bolt Industries", "91500.50")).json()["bid_id"]
    await d.advance_to(chicago(2099, 3, 30, 14))
    await d.ok("opening", {"witnesses": ["S. Clerk"]})
    await d.ok("award", {"bid_id": bolt})
    await d.advance_to(chicago(2099, 4, 15, 9))
    await d.ok("execute")


SCENARIOS["cei_recommendation_heard"] = cei_recommendation_heard
# Recorded again once the reciprocity table was pinned at the first advertisement.
SCENARIOS["sealed_bid_reciprocity_pinned"] = closed_happy_path
SCENARIOS["failed_bid_notice_given"] = failed_bid_notice_given
SCENARIOS["multi_step_awarded"] = multi_step_awarded


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = pgserver.get_server(Path(tmp) / "pg", cleanup_mode="stop")
        url = str(server.get_uri())
        await asyncio.to_thread(upgrade, url)
        pool = await create_pool(url)
        OUT.mkdir(exist_ok=True)
        for name, scenario in SCENARIOS.items():
            if (OUT / f"{name}.json").exists():
                # A recorded history is a fixture of the past: never overwritten, so it keeps
                # guarding the procurements that ran under the code that recorded it.
                print(f"kept {name}")
                continue
            env = await WorkflowEnvironment.start_time_skipping(
                data_converter=DATA_CONVERTER,
                test_server_existing_path=binaries.temporal_test_server(),
            )
            await register_search_attributes(env.client)
            await env.sleep(ANCHOR - await env.get_current_time())
            services = Services(
                settings=Settings(task_queue=TASK_QUEUE, bid_key=BID_KEY),
                database_url=url,
                clock=SimulatedClock(env),
                pool=pool,
                client=env.client,
            )
            transport = httpx.ASGITransport(app=create_app(services))
            async with (
                create_worker(env.client, pool, TASK_QUEUE, sealer=Sealer(BID_KEY)),
                httpx.AsyncClient(transport=transport, base_url="http://procureflow") as api,
            ):
                api.people = People(pool)  # type: ignore[attr-defined]
                reference = f"HIST-{name.upper().replace('_', '-')}"
                # A scenario that runs another workflow than the procurement names it.
                reference = await scenario(Driver(api, env, reference)) or reference
                history = await env.client.get_workflow_handle(reference).fetch_history()
            (OUT / f"{name}.json").write_text(
                json.dumps(
                    {"workflow_id": reference, "history": json.loads(history.to_json())}, indent=1
                )
            )
            print(f"recorded {name}")
            await env.shutdown()
        await pool.close()


if __name__ == "__main__":
    asyncio.run(main())
