"""Multi-step sealed bidding (30 ILCS 500/20-10(h)) on the time-skipping server.

"An invitation for bids may be issued requesting the submission of unpriced offers to be
followed by an invitation for bids limited to those bidders whose offers have been qualified
under the criteria set forth in the first solicitation." Dates are worked by hand: the first
invitation is published on Monday 2 March 2099 and its technical offers open on Monday
16 March (2 + 14, 20-10(c)); the second invitation is published on 16 March, so its bids open
no earlier than Monday 30 March (16 + 14).
"""

from __future__ import annotations

import json
import logging
from typing import Any

import asyncpg
import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from tests.driver import Driver, chicago, driver, notices

STEP = "30 ILCS 500/20-10(h)"
TERMS = {
    "impracticable": "The data platform's architecture is not known until vendors propose one.",
    "criteria": "Hosts in the United States; meets the State's accessibility standard.",
}
DOCUMENT_SHA256 = "ab" * 32
DOCUMENT: dict[str, Any] = {"name": "technical.pdf", "sha256": DOCUMENT_SHA256, "size": 2048}


async def offer(d: Driver, vendor: str) -> httpx.Response:
    return await d.post("technical-offers", {"vendor": vendor, "documents": [DOCUMENT]}, vendor)


async def through_technical_opening(d: Driver) -> dict[str, str]:
    launched = await d.launch(method="multi_step_sealed_bidding", multi_step=TERMS)
    assert launched.status_code == 201, launched.text
    published = await d.ok("publish")
    assert published["state"] == "published"
    ids = {}
    for vendor in ("Acme Data", "Bolt Systems", "Cobalt Cloud"):
        response = await offer(d, vendor)
        assert response.status_code == 201, response.text
        assert "amount" not in response.json()
        ids[vendor] = response.json()["bid_id"]
    await d.advance_to(chicago(2099, 3, 16, 14))
    opened = await d.ok("opening", {"witnesses": ["R. Witness"]})
    assert opened["state"] == "evaluation"
    return ids


async def test_unpriced_offers_then_bids_from_the_qualified_alone(
    api: httpx.AsyncClient, env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    d = driver(api, env, "MSB")
    launched = await d.launch(method="multi_step_sealed_bidding", multi_step=TERMS)
    assert launched.status_code == 201, launched.text
    await d.ok("publish")
    first = (await notices(d))[0]
    assert first["kind"] == "invitation_for_bids"
    assert first["content"]["multi_step"]["step"] == 1
    assert first["content"]["multi_step"]["qualification_criteria"] == TERMS["criteria"]

    # The first step takes no price.
    priced = await d.bid("Acme Data", "98000.00")
    assert priced.status_code == 409, priced.text
    assert priced.json()["code"] == "technical_offer_required"
    assert priced.json()["citation"] == STEP
    ids = {}
    for vendor in ("Acme Data", "Bolt Systems", "Cobalt Cloud"):
        response = await offer(d, vendor)
        assert response.status_code == 201, response.text
        ids[vendor] = response.json()["bid_id"]
    # A technical offer is replaced like a bid: only the latest is opened.
    replaced = await d.api.put(
        f"/v1/procurements/{d.reference}/technical-offers/{ids['Bolt Systems']}",
        json={"vendor": "Bolt Systems", "documents": [DOCUMENT | {"name": "technical-v2.pdf"}]},
        headers=await d.headers("Bolt Systems"),
    )
    assert replaced.status_code == 201, replaced.text
    assert replaced.json()["replaces"] == ids["Bolt Systems"]
    ids["Bolt Systems"] = replaced.json()["bid_id"]
    # Sealed until the opening, like a bid: nobody reads the offers or who made them.
    sealed = await d.read("/technical-offers/opened")
    assert sealed.status_code == 409 and sealed.json()["code"] == "sealed"

    await d.advance_to(chicago(2099, 3, 16, 14))
    opened = await d.ok("opening", {"witnesses": ["R. Witness"]})
    assert opened["state"] == "evaluation"
    record = (await d.read("/technical-offers/opened")).json()["rows"]
    assert {r["vendor"] for r in record} == set(ids)
    assert {r["bid_id"] for r in record} == set(ids.values())
    assert all(r["digest_matches"] for r in record)
    documents = {r["vendor"]: r["documents"][0]["name"] for r in record}
    assert documents["Bolt Systems"] == "technical-v2.pdf"
    assert documents["Acme Data"] == "technical.pdf"

    # Nothing is awarded on unpriced offers; bids are invited only once each is qualified.
    early_award = await d.refused("award", {"bid_id": ids["Bolt Systems"]})
    assert early_award["code"] == "technical_step" and early_award["citation"] == STEP
    await d.ok("qualifications", {"bid_id": ids["Acme Data"], "qualified": True})
    await d.ok("qualifications", {"bid_id": ids["Bolt Systems"], "qualified": True})
    too_soon = await d.refused(
        "priced-invitation", {"opening_at": chicago(2099, 3, 30, 14).isoformat()}
    )
    assert too_soon["code"] == "offers_not_qualified" and ids["Cobalt Cloud"] in too_soon["detail"]
    unreasoned = await d.refused(
        "qualifications", {"bid_id": ids["Cobalt Cloud"], "qualified": False}
    )
    assert unreasoned["code"] == "reason_required" and unreasoned["field"] == "reason"
    await d.ok(
        "qualifications",
        {"bid_id": ids["Cobalt Cloud"], "qualified": False, "reason": "Hosts outside the US."},
    )

    # 16 March + 14 = Monday 30 March: the 29th is one day short.
    short = await d.refused(
        "priced-invitation", {"opening_at": chicago(2099, 3, 29, 14).isoformat()}
    )
    assert short["code"] == "opening_too_early" and short["citation"] == "30 ILCS 500/20-10(c)"
    assert "2099-03-30" in short["detail"] and short["field"] == "opening_at"
    invited = await d.ok("priced-invitation", {"opening_at": chicago(2099, 3, 30, 14).isoformat()})
    assert invited["state"] == "published"
    second = (await notices(d))[-1]
    assert second["kind"] == "invitation_for_bids"
    assert second["content"]["multi_step"]["step"] == 2
    # Limited to the two qualified, named to no one: a bidder learns no competitor from the
    # invitation, and the one not qualified learns no one's name from its refusal.
    assert second["content"]["multi_step"]["qualified_bidders"] == 2
    assert second["content"]["offers_due_at"] == chicago(2099, 3, 30, 14).isoformat()
    sent = await pool.fetch(
        "SELECT kind, recipient, content FROM outbox WHERE reference = $1 "
        "AND kind IN ('invitation_for_bids', 'offer_not_qualified') ORDER BY recipient",
        d.reference,
    )
    assert [(m["kind"], m["recipient"]) for m in sent] == [
        ("invitation_for_bids", "Acme Data"),
        ("invitation_for_bids", "Bolt Systems"),
        ("offer_not_qualified", "Cobalt Cloud"),
    ]
    assert sent[2]["content"]["reason"] == "Hosts outside the US."
    for m in sent:
        others = {"Acme Data", "Bolt Systems", "Cobalt Cloud"} - {m["recipient"]}
        assert not any(name in json.dumps(m["content"]) for name in others)
    assert not any(name in json.dumps(second["content"]) for name in ids)
    deadlines = {x["name"]: x for x in (await d.get())["deadlines"]}
    assert deadlines["earliest_opening"]["due_at"].startswith("2099-03-30")
    assert deadlines["bid_opening"]["citation"] == "30 ILCS 500/20-10(d)"

    # The second invitation is limited to the qualified, and takes prices only.
    outsider = await d.bid("Cobalt Cloud", "80000.00")
    assert outsider.status_code == 409, outsider.text
    assert outsider.json()["code"] == "not_qualified" and outsider.json()["citation"] == STEP
    assert "Acme" not in outsider.text and "Bolt" not in outsider.text
    # The second invitation's opening is amended under its own 14 days, counted from the
    # invitation on 16 March, not from the first notice on 2 March.
    moved = await d.refused("amend", {"opening_at": chicago(2099, 3, 27, 14).isoformat()})
    assert moved["code"] == "opening_too_early" and "2099-03-30" in moved["detail"]
    unpriced = await offer(d, "Acme Data")
    assert unpriced.status_code == 409 and unpriced.json()["code"] == "priced_bid_required"
    a = await d.bid("Acme Data", "98000.00")
    b = await d.bid("Bolt Systems", "91500.50")
    assert a.status_code == b.status_code == 201

    await d.advance_to(chicago(2099, 3, 30, 14))
    opened = await d.ok("opening", {"witnesses": ["S. Clerk"]})
    ranks = {r["vendor"]: r["rank"] for r in opened["opening"]["ranking"]}
    assert ranks == {"Bolt Systems": 1, "Acme Data": 2}
    # The tabulation holds the priced bids alone; the technical offers keep their own record.
    rows = (await d.read("/tabulation")).json()["rows"]
    assert sorted((r["vendor"], r["amount"]) for r in rows) == [
        ("Acme Data", "98000.00"),
        ("Bolt Systems", "91500.50"),
    ]
    record = (await d.read("/technical-offers/opened")).json()["rows"]
    verdicts = {r["vendor"]: r["qualification"]["qualified"] for r in record}
    assert verdicts == {"Acme Data": True, "Bolt Systems": True, "Cobalt Cloud": False}
    awarded = await d.ok("award", {"bid_id": b.json()["bid_id"]})
    assert awarded["state"] == "review_window"
    # After the award both steps' records are open to public inspection (20-10(d)).
    public = (await api.get(f"/v1/procurements/{d.reference}/file")).json()
    assert [r["vendor"] for r in public["technical_offers"]] == [
        "Acme Data",
        "Bolt Systems",
        "Cobalt Cloud",
    ]
    assert public["technical_offers"][2]["qualification"]["reason"] == "Hosts outside the US."
    assert len(public["tabulation"]) == 2
    page = (await api.get(f"/procurements/{d.reference}/file")).text
    assert "Technical offers" in page and "Hosts outside the US." in page


async def test_no_qualified_offer_means_no_second_invitation(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    d = driver(api, env, "MSB")
    ids = await through_technical_opening(d)
    for bid_id in ids.values():
        await d.ok("qualifications", {"bid_id": bid_id, "qualified": False, "reason": "No."})
    refused = await d.refused(
        "priced-invitation", {"opening_at": chicago(2099, 3, 30, 14).isoformat()}
    )
    assert refused["code"] == "no_offer_qualified" and refused["citation"] == STEP
    # A later decision stands: one offer found qualified on review opens the second step.
    await d.ok("qualifications", {"bid_id": ids["Bolt Systems"], "qualified": True})
    invited = await d.ok("priced-invitation", {"opening_at": chicago(2099, 3, 30, 14).isoformat()})
    assert invited["state"] == "published"
    # The first step is closed: its qualifications stand as the invitation recorded them.
    again = await d.refused("qualifications", {"bid_id": ids["Acme Data"], "qualified": True})
    assert again["code"] == "illegal_transition"


async def test_the_launch_states_why_and_the_criteria(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    d = driver(api, env, "MSB")
    missing = await d.launch(method="multi_step_sealed_bidding")
    assert missing.status_code == 409, missing.text
    assert missing.json()["code"] == "multi_step_terms_missing"
    assert missing.json()["citation"] == STEP and missing.json()["field"] == "multi_step"
    other = await d.launch(multi_step=TERMS)
    assert other.status_code == 409 and other.json()["code"] == "multi_step_not_applicable"


async def test_no_one_learns_who_offered_before_the_technical_opening(
    api: httpx.AsyncClient,
    env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Sealed means sealed in the first step too: before the opening, no agency or oversight
    reader, Bulletin reader, operator with the workflow's history or log reader learns who
    offered or what (the document's hash), and the vendor's receipt names only its own."""
    caplog.set_level(logging.DEBUG)
    d = driver(api, env, "MSB")
    launched = await d.launch(method="multi_step_sealed_bidding", multi_step=TERMS)
    assert launched.status_code == 201, launched.text
    await d.ok("publish")
    vendors = ("Quasar Analytics", "Zephyr Hosting")
    receipts = {}
    for vendor in vendors:
        response = await offer(d, vendor)
        assert response.status_code == 201, response.text
        receipts[vendor] = response.json()
        own = (await d.read("/bids", actor=vendor)).json()["receipts"]
        assert [r["vendor"] for r in own] == [vendor]
    seen: list[str] = []
    for actor in ("agency", "spo", "cpo", "ppb", "cei"):
        for path in ("", "/audit", "/tabulation", "/technical-offers/opened"):
            seen.append((await d.read(path, actor=actor)).text)
    seen.append((await api.get("/v1/procurements", headers=await d.headers("cpo"))).text)
    seen.append((await api.get("/v1/bulletin", params={"reference": d.reference})).text)
    handle = env.client.get_workflow_handle(d.reference)
    seen.append((await handle.fetch_history()).to_json())
    seen.append(repr((await handle.describe()).typed_search_attributes))
    seen.extend(str(r.__dict__) for r in caplog.records if not r.name.startswith("httpx"))
    rows = await pool.fetch("SELECT documents FROM bids WHERE reference = $1", d.reference)
    assert all(r["documents"] == [] for r in rows)  # encrypted at rest until the opening
    for text in seen:
        for vendor in vendors:
            assert vendor.split()[0] not in text
        assert DOCUMENT_SHA256 not in text
        for receipt in receipts.values():
            assert receipt["commitment"] not in text
