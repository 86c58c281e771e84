"""Competitive sealed bidding (30 ILCS 500/20-10) end to end, on the time-skipping server.

Every date below was worked by hand from the anchor, Monday 2 March 2099, 09:00 in Chicago:
- notice published Mon 2 Mar; 2 + 14 = Mon 16 Mar, a business day: earliest opening (20-10(c));
- award notice Tue 17 Mar; 17 + 14 = Tue 31 Mar: last day of the Board review window
  (5-30(a)) and, with bidders notified the same day, of the award protest period, which
  closes at 17:00 (44 Ill. Adm. Code 1.5550). Chicago is on CDT (UTC-5) from 8 Mar 2099.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg
import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from tests.driver import HAPPY_PATH_STEPS, HAPPY_PATH_TRIGGERS, Driver, chicago, notice_body


@pytest.fixture
def proc(api: httpx.AsyncClient, env: WorkflowEnvironment) -> Driver:
    return Driver(api, env, f"IFB-{uuid.uuid4().hex[:10].upper()}")


async def test_happy_path_to_closed(
    proc: Driver, env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    launched = await proc.launch()
    assert launched.status_code == 201, launched.text
    assert launched.json()["state"] == "draft"
    assert {"publish", "amend", "cancel"} <= set(launched.json()["allowed_actions"])

    published = await proc.ok("publish")
    assert published["state"] == "published"
    assert published["published_on"] == "2099-03-02"
    deadlines = {d["name"]: d for d in published["deadlines"]}
    assert deadlines["earliest_opening"]["due_on"] == "2099-03-16"
    assert deadlines["bid_opening"]["due_at"] == "2099-03-16T14:00:00-05:00"

    amounts = {"Acme Supply": "98000.00", "Bolt Industries": "91500.50", "Cobalt Corp": "104250.00"}
    receipts, commitments = {}, {}
    for vendor, amount in amounts.items():
        response = await proc.bid(vendor, amount)
        assert response.status_code == 201, response.text
        receipt = response.json()
        assert receipt["sealed"] is True and len(receipt["commitment"]) == 64
        assert amount not in response.text
        receipts[vendor] = receipt["bid_id"]
        commitments[vendor] = receipt["commitment"]

    before_opening = await proc.read()
    assert before_opening.json()["bids_received"] == 3
    assert before_opening.json()["opening"] is None
    for amount in amounts.values():
        assert amount not in before_opening.text
    sealed = await proc.read("/tabulation")
    assert sealed.status_code == 409
    assert sealed.json()["citation"] == "30 ILCS 500/20-10(d)"

    await proc.advance_to(chicago(2099, 3, 16, 14))
    opened = await proc.ok("opening", {"witnesses": ["R. Witness"]})
    assert opened["state"] == "evaluation"
    ranking = {r["vendor"]: r["rank"] for r in opened["opening"]["ranking"]}
    assert ranking == {"Bolt Industries": 1, "Acme Supply": 2, "Cobalt Corp": 3}
    tabulation = (await proc.read("/tabulation")).json()
    assert [(r["vendor"], r["amount"]) for r in tabulation["rows"]] == [
        ("Bolt Industries", "91500.50"),
        ("Acme Supply", "98000.00"),
        ("Cobalt Corp", "104250.00"),
    ]

    await proc.advance_to(chicago(2099, 3, 17, 10))
    awarded = await proc.ok("award", {"bid_id": receipts["Bolt Industries"]})
    assert awarded["state"] == "review_window"
    assert awarded["review_window"]["ends_on"] == "2099-03-31"
    by_name = {d["name"]: d for d in awarded["deadlines"]}
    # The window runs through the whole of its last day; it has expired at midnight after.
    assert by_name["review_window_ends"]["due_on"] == "2099-03-31"
    assert by_name["review_window_ends"]["due_at"] == "2099-04-01T00:00:00-05:00"
    assert by_name["award_protest_closes"]["due_at"] == "2099-03-31T17:00:00-05:00"
    assert awarded["next_deadline"]["name"] == "award_protest_closes"
    assert awarded["protest_period"] == {
        "starts_on": "2099-03-17",
        "ends_on": "2099-03-31",
        "closes_at": "2099-03-31T17:00:00-05:00",
        "tolled_days": 0,
        "final": True,
    }
    notice = (await proc.api.get("/v1/bulletin", params={"reference": proc.reference})).json()
    kinds = [n["kind"] for n in notice["notices"]]
    assert kinds == ["notice_of_intent_to_award", "bid_commitments", "invitation_for_bids"]
    # At the opening, before anything was decrypted: the commitment of every bid received.
    listed = notice["notices"][1]
    listed_at = datetime.fromisoformat(listed["published_at"])
    assert chicago(2099, 3, 16, 14) <= listed_at < chicago(2099, 3, 16, 14, 1)
    assert listed["content"]["offers_due_at"] == "2099-03-16T19:00:00+00:00"
    assert listed["content"]["offers_received"] == 3
    assert listed["content"]["commitments"] == sorted(commitments.values())
    award_notice = notice["notices"][0]["content"]
    assert award_notice["awardee"] == "Bolt Industries"
    assert award_notice["contract_price"] == "91500.50"
    assert award_notice["unsuccessful_bidders"] == 2
    for vendor in amounts:
        inbox = (
            await proc.api.get(
                "/v1/bulletin/messages",
                params={"recipient": vendor},
                headers=await proc.headers(vendor),
            )
        ).json()
        mine = [m for m in inbox["messages"] if m["reference"] == proc.reference]
        assert [m["kind"] for m in mine] == ["award_notice"]

    # Still inside the window on its last day: no contract yet (5-30(b)).
    await proc.advance_to(chicago(2099, 3, 31, 23, 59))
    refusal = await proc.refused("execute")
    assert refusal["citation"] == "30 ILCS 500/5-30(b)" and "2099-03-31" in refusal["reason"]

    await proc.advance_to(chicago(2099, 4, 1, 0, 1))
    executed = await proc.ok("execute")
    assert executed["state"] in ("awarded", "closed")
    final = await env.client.get_workflow_handle(proc.reference).result()
    assert final == "closed"

    closed = await proc.get()
    assert closed["state"] == "closed"
    assert closed["allowed_actions"] == []
    triggers = [h["trigger"] for h in closed["history"]]
    assert triggers == HAPPY_PATH_STEPS
    states = [
        (h["from_state"], h["to_state"])
        for h in closed["history"]
        if h["from_state"] != h["to_state"]
    ]
    assert states == [
        ("draft", "published"),
        ("published", "evaluation"),
        ("evaluation", "review_window"),
        ("review_window", "awarded"),
        ("awarded", "closed"),
    ]
    assert all(h["citation"] for h in closed["history"])
    assert closed["history"][-1]["actor"] == "system"

    trail = (await proc.read("/audit")).json()
    assert trail["verification"]["intact"] is True
    steps = [a for a in trail["entries"] if a["outcome"] != "refused"]
    assert [a["command"] for a in steps] == HAPPY_PATH_TRIGGERS
    # The receipts in the trail name no vendor: the bid is an opaque id until the opening.
    receipts_logged = [a for a in steps if a["command"] == "register_bid"]
    assert {a["actor"] for a in receipts_logged} == {"sealed bidder"}
    assert sorted(a["summary"].split()[2] for a in receipts_logged) == sorted(receipts.values())
    assert [a["outcome"] for a in trail["entries"] if a["command"] == "execute"] == [
        "refused",
        "accepted",
    ]
    # Exactly once: one notice per step and the list of commitments at the opening, one
    # award notice per bidder, and the agency's
    # reminders of the opening on Wed 11 Mar and Fri 13 Mar (3 and 1 business days before)
    # and on Mon 16 Mar itself; then of the ends of the protest period and of the Board
    # review window, both on Tue 31 Mar: Thu 26 Mar, Mon 30 Mar and the day itself, with no
    # overdue notice, since a period binds no one to act.
    counts = await pool.fetchval(
        "SELECT count(*) FROM bulletin_notices WHERE reference = $1", proc.reference
    )
    assert counts == 3
    messages = await pool.fetch(
        """SELECT kind, recipient, content FROM outbox WHERE reference = $1
           ORDER BY message_id""",
        proc.reference,
    )
    award_notices = sorted(m["recipient"] for m in messages if m["kind"] == "award_notice")
    assert award_notices == sorted(amounts)
    reminders = [
        (m["content"]["deadline"], m["content"]["offset"], m["recipient"])
        for m in messages
        if m["kind"].startswith("reminder:")
    ]
    agency = "agency:Department of Transportation"
    assert reminders == [
        ("bid_opening", "3_business_days_before", agency),
        ("bid_opening", "1_business_day_before", agency),
        ("bid_opening", "due", agency),
        ("award_protest_closes", "3_business_days_before", agency),
        ("review_window_ends", "3_business_days_before", agency),
        ("award_protest_closes", "1_business_day_before", agency),
        ("review_window_ends", "1_business_day_before", agency),
        ("award_protest_closes", "due", agency),
        ("review_window_ends", "due", agency),
    ]
    assert len(messages) == 12


async def test_publication_refused_until_notice_complete_and_period_respected(proc: Driver) -> None:
    assert (
        await proc.launch(state_purchasing_officer=None, documents_info="  ")
    ).status_code == 201
    refusal = await proc.refused("publish")
    assert refusal["citation"] == "30 ILCS 500/15-25(a)"
    assert "state_purchasing_officer" in refusal["reason"] and "documents_info" in refusal["reason"]

    # Friday 13 March is 11 days after 2 March: too early (20-10(c)).
    await proc.ok(
        "amend",
        {
            "state_purchasing_officer": "Pat Example, SPO",
            "documents_info": "On BidBuy.",
            "opening_at": chicago(2099, 3, 13, 14).isoformat(),
        },
    )
    refusal = await proc.refused("publish")
    assert refusal["citation"] == "30 ILCS 500/20-10(c)"
    assert refusal["field"] == "opening_at"
    assert "2099-03-13" in refusal["reason"] and "2099-03-16" in refusal["reason"]

    await proc.ok("amend", {"opening_at": chicago(2099, 3, 16, 9).isoformat()})
    assert (await proc.ok("publish"))["state"] == "published"
    # Once published, the opening may move later but never inside the 14 days.
    refusal = await proc.refused("amend", {"opening_at": chicago(2099, 3, 15, 9).isoformat()})
    assert refusal["citation"] == "30 ILCS 500/20-10(c)"


async def test_bids_only_before_opening_and_opening_not_before_its_time(proc: Driver) -> None:
    assert (await proc.launch()).status_code == 201
    await proc.ok("publish")
    assert (await proc.bid("Acme Supply", "1000.00")).status_code == 201

    await proc.advance_to(chicago(2099, 3, 16, 13, 59))
    refusal = await proc.refused("opening", {"witnesses": ["R. Witness"]})
    assert refusal["citation"] == "30 ILCS 500/20-10(d)"
    assert (await proc.bid("Bolt Industries", "900.00")).status_code == 201

    await proc.advance_to(
        chicago(
            2099,
            3,
            16,
            14,
            0,
        )
    )
    late = await proc.bid("Late Vendor", "500.00")
    assert late.status_code == 409
    assert late.json()["citation"] == "30 ILCS 500/20-10(d)"
    assert "only before the opening" in late.json()["reason"]

    opened = await proc.ok("opening", {"witnesses": ["R. Witness"]})
    assert [r["vendor"] for r in opened["opening"]["ranking"]] == ["Bolt Industries", "Acme Supply"]
    # After opening, no bid can be added by any path.
    assert (await proc.bid("Another", "1.00")).status_code == 409


async def test_award_to_other_than_lowest_needs_full_written_explanation(proc: Driver) -> None:
    bids = await proc.through_opening()
    refusal = await proc.refused("award", {"bid_id": bids["Acme Supply"]})
    assert refusal["citation"] == "30 ILCS 500/20-10(g)"
    assert refusal["field"] == "explanation"

    partial = {
        "agency_needs": "Delivery within 48 hours to every district garage.",
        "responsive_bidders": ["Bolt Industries"],
        "selected_bidder": "Acme Supply",
        "reasons": "Only Acme guarantees 48-hour delivery.",
    }
    refusal = await proc.refused(
        "award", {"bid_id": bids["Acme Supply"], "explanation": partial}, actor="spo"
    )
    assert (
        "(2) a determination that the anticipated cost will be fair and reasonable"
        in refusal["reason"]
    )
    assert "missing: Acme Supply, Cobalt Corp" in refusal["reason"]
    assert "total contract price" in refusal["reason"]

    complete = partial | {
        "fair_and_reasonable": "Within 7% of the lowest bid and of last season's price.",
        "responsive_bidders": ["Acme Supply", "Bolt Industries", "Cobalt Corp"],
        "total_contract_price": "98000.00",
    }
    awarded = await proc.ok(
        "award", {"bid_id": bids["Acme Supply"], "explanation": complete}, actor="spo"
    )
    assert awarded["award"]["lowest"] is False
    assert awarded["award"]["explanation"]["selected_bidder"] == "Acme Supply"
    names = {d["name"] for d in awarded["deadlines"]}
    assert "written_explanation_filing" in names
    notices = (await proc.api.get("/v1/bulletin", params={"reference": proc.reference})).json()
    award_notice = notices["notices"][0]["content"]
    assert award_notice["written_explanation"]["reasons"] == complete["reasons"]


async def test_non_responsive_lowest_moves_award_to_next(proc: Driver) -> None:
    bids = await proc.through_opening()
    refusal = await proc.refused(
        "determinations",
        {"bid_id": bids["Bolt Industries"], "responsive": False, "responsible": True},
    )
    assert refusal["field"] == "reason"
    await proc.ok(
        "determinations",
        {
            "bid_id": bids["Bolt Industries"],
            "responsive": False,
            "responsible": True,
            "reason": "No delivery schedule, which the invitation requires.",
        },
    )
    refusal = await proc.refused("award", {"bid_id": bids["Bolt Industries"]})
    assert refusal["code"] == "bid_not_eligible"
    awarded = await proc.ok("award", {"bid_id": bids["Acme Supply"]})
    assert awarded["award"]["lowest"] is True


async def test_execution_refused_while_protest_pending(
    proc: Driver, env: WorkflowEnvironment
) -> None:
    bids = await proc.through_opening()
    await proc.advance_to(chicago(2099, 3, 17, 10))
    await proc.ok("award", {"bid_id": bids["Bolt Industries"]})

    await proc.advance_to(chicago(2099, 3, 30, 16))
    filed = await proc.ok(
        "protests",
        {"kind": "award", "protester": "Acme Supply", "grounds": "Bolt's bid lacked a bond."},
        actor="Acme Supply",
    )
    protest_id = filed["result"]["protest_id"]

    await proc.advance_to(chicago(2099, 4, 2, 9))
    refusal = await proc.refused("execute")
    assert refusal["code"] == "protest_pending"
    assert refusal["citation"] == "44 Ill. Adm. Code 1.5550"

    await proc.ok(
        f"protests/{protest_id}/decision",
        {"decision": "denied", "reasons": "The bond was included on page 4."},
        actor="cpo",
    )
    await proc.ok("execute")
    assert await env.client.get_workflow_handle(proc.reference).result() == "closed"


async def test_waivers_from_both_bodies_end_the_window_early(proc: Driver) -> None:
    bids = await proc.through_opening()
    await proc.advance_to(chicago(2099, 3, 17, 10))
    await proc.ok("award", {"bid_id": bids["Bolt Industries"]})

    requested = await proc.ok(
        "document-requests", {"body": "PPB", "description": "The bid tabulation."}, actor="ppb"
    )
    # Received Tue 17 Mar; 17 + 7 = Tue 24 Mar (5-30(a)).
    assert requested["result"] == {
        "summary": requested["result"]["summary"],
        "request_id": "DR-1",
        "due_on": "2099-03-24",
    }

    await proc.ok("waivers", {"body": "PPB"}, actor="ppb")
    refusal = await proc.refused("execute")
    assert "Procurement Policy Board" in refusal["reason"]  # waived so far by one body only
    refusal = await proc.refused("waivers", {"body": "PPB"}, actor="ppb")
    assert refusal["code"] == "already_waived"

    await proc.ok("waivers", {"body": "CEI"}, actor="cei")
    executed = await proc.ok("execute")
    assert executed["state"] == "awarded"
    assert executed["executed_at"].startswith("2099-03-17")
    # The protest period still runs after an early execution; closing waits for it.
    assert executed["protest_period"]["ends_on"] == "2099-03-31"
    answered = await proc.ok("document-requests/DR-1/answer", {"summary": "Sent the tabulation."})
    assert answered["document_requests"][0]["answered_at"] is not None


@pytest.mark.parametrize(
    ("notify_on", "tolled", "ends_on"),
    [
        # Notified the day of the award notice (Tue 17 Mar): no tolling, ends Tue 31 Mar.
        ((2099, 3, 17, 11), 0, "2099-03-31"),
        # Notified 3 days late (Fri 20 Mar): period starts 20 Mar, 20 + 14 = Fri 3 Apr.
        ((2099, 3, 20, 11), 3, "2099-04-03"),
        # Notified 10 days late (Fri 27 Mar): tolling stops at 7, starts Tue 24 Mar,
        # 24 + 14 = Tue 7 Apr.
        ((2099, 3, 27, 11), 7, "2099-04-07"),
        # Never notified: the same 7-day cap.
        (None, 7, "2099-04-07"),
    ],
)
async def test_bidder_notice_tolls_the_protest_period(
    proc: Driver,
    env: WorkflowEnvironment,
    notify_on: tuple[int, ...] | None,
    tolled: int,
    ends_on: str,
) -> None:
    assert (await proc.launch(bidder_notice="manual")).status_code == 201
    await proc.ok("publish")
    response = await proc.bid("Acme Supply", "98000.00")
    bid_id = response.json()["bid_id"]
    await proc.advance_to(chicago(2099, 3, 16, 14))
    await proc.ok("opening", {"witnesses": ["R. Witness"]})
    await proc.advance_to(chicago(2099, 3, 17, 10))
    awarded = await proc.ok("award", {"bid_id": bid_id})
    assert awarded["bidders_notified_at"] is None
    assert awarded["protest_period"]["final"] is False

    if notify_on is not None:
        await proc.advance_to(chicago(*notify_on))
        noted = await proc.ok("bidder-notice")
        assert noted["protest_period"]["final"] is True
        assert (await proc.refused("bidder-notice"))["code"] == "bidder_notice_recorded"

    # A protest received at 16:59 on the last day is in time; at 17:00 it is late.
    year, month, day = (int(x) for x in ends_on.split("-"))
    await proc.advance_to(chicago(year, month, day, 16, 59))
    view = await proc.get()
    assert view["protest_period"]["tolled_days"] == tolled
    assert view["protest_period"]["ends_on"] == ends_on
    assert view["protest_period"]["final"] is True
    in_time = await proc.post(
        "protests",
        {"kind": "award", "protester": "Acme Supply", "grounds": "Timely."},
        actor="Acme Supply",
    )
    assert in_time.status_code == 200, in_time.text
    await proc.ok(
        "protests/P-1/decision", {"decision": "denied", "reasons": "No merit."}, actor="cpo"
    )
    await proc.advance_to(chicago(year, month, day, 17, 0))
    late = await proc.refused(
        "protests",
        {"kind": "award", "protester": "Bolt Industries", "grounds": "Too late."},
        actor="Bolt Industries",
    )
    assert late["code"] == "protest_period_closed"
    assert "30 ILCS 500/15-25(b)" in late["reason"] and f"tolled {tolled} days" in late["reason"]


async def test_protest_upheld_rescinds_award_back_to_evaluation(proc: Driver) -> None:
    bids = await proc.through_opening()
    await proc.advance_to(chicago(2099, 3, 17, 10))
    await proc.ok("award", {"bid_id": bids["Bolt Industries"]})
    await proc.ok(
        "protests",
        {"kind": "award", "protester": "Acme Supply", "grounds": "No bond."},
        actor="Acme Supply",
    )
    decided = await proc.ok(
        "protests/P-1/decision",
        {"decision": "upheld", "remedy": "reevaluate", "reasons": "Bond missing."},
        actor="cpo",
    )
    assert decided["state"] == "evaluation"
    assert decided["award"] is None
    assert [h["trigger"] for h in decided["history"]][-2:] == ["decide_protest", "rescind_award"]


async def test_solicitation_protest_stays_the_opening(proc: Driver) -> None:
    assert (await proc.launch()).status_code == 201
    await proc.ok("publish")
    await proc.ok(
        "protests",
        {"kind": "solicitation", "protester": "Dune Co", "grounds": "Specs favour one brand."},
        actor="Dune Co",
    )
    await proc.advance_to(chicago(2099, 3, 16, 14))
    refusal = await proc.refused("opening", {"witnesses": ["R. Witness"]})
    assert refusal["code"] == "protest_pending"
    await proc.ok(
        "protests/P-1/decision",
        {"decision": "denied", "reasons": "Specs are generic."},
        actor="cpo",
    )
    assert (await proc.ok("opening", {"witnesses": ["R. Witness"]}))["state"] == "evaluation"


async def test_cancel_with_reason_before_award_only(proc: Driver, env: WorkflowEnvironment) -> None:
    assert (await proc.launch()).status_code == 201
    await proc.ok("publish")
    blank = await proc.post("cancel", {"reason": ""})
    assert blank.status_code == 422
    assert blank.json()["errors"][0]["field"] == "body.reason"
    cancelled = await proc.ok("cancel", {"reason": "Need met by a State master contract."})
    assert cancelled["state"] == "cancelled"
    assert await env.client.get_workflow_handle(proc.reference).result() == "cancelled"
    notices = (await proc.api.get("/v1/bulletin", params={"reference": proc.reference})).json()
    assert notices["notices"][0]["kind"] == "cancellation"
    again = await proc.refused("cancel", {"reason": "Twice."})
    assert again["code"] == "procurement_finished"


async def test_cancel_refused_after_execution(proc: Driver) -> None:
    bids = await proc.through_opening()
    await proc.advance_to(chicago(2099, 3, 17, 10))
    await proc.ok("award", {"bid_id": bids["Bolt Industries"]})
    await proc.ok("waivers", {"body": "PPB"}, actor="ppb")
    await proc.ok("waivers", {"body": "CEI"}, actor="cei")
    await proc.ok("execute")
    refusal = await proc.refused("cancel", {"reason": "Changed our mind."})
    assert refusal["code"] == "illegal_transition"
    assert "awarded" in refusal["reason"]


async def test_repeated_launch_is_idempotent_and_a_different_body_is_refused(proc: Driver) -> None:
    first = await proc.launch()
    assert first.status_code == 201
    again = await proc.launch()
    assert again.status_code == 200
    assert again.json()["history"] == first.json()["history"]
    different = await proc.launch(title="Something else")
    assert different.status_code == 409
    assert different.json()["code"] == "reference_in_use"
    assert different.json()["field"] == "reference"


async def test_bad_input_names_the_field_and_unknown_reference_is_404(proc: Driver) -> None:
    agency = await proc.headers("agency")
    bad = await proc.api.post(
        "/v1/procurements",
        json=notice_body("bad ref", opening_at="2099-03-16T14:00:00"),
        headers=agency,
    )
    assert bad.status_code == 422
    fields = {e["field"] for e in bad.json()["errors"]}
    assert fields == {"body.reference", "body.opening_at"}
    assert (await proc.api.get("/v1/procurements/IFB-NOPE", headers=agency)).status_code == 404
    assert (
        await proc.api.post("/v1/procurements/IFB-NOPE/publish", headers=agency)
    ).status_code == 404
    assert (await proc.launch()).status_code == 201
    await proc.ok("publish")
    money = await proc.post("bids", {"vendor": "Acme", "amount": "12.345"}, actor="Acme")
    assert money.status_code == 422
    assert money.json()["errors"][0]["field"] == "body.amount"


async def test_list_filters_by_state_and_agency(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    tag = uuid.uuid4().hex[:6].upper()
    for i, agency in enumerate(("Agency A " + tag, "Agency B " + tag, "Agency A " + tag)):
        driver = Driver(api, env, f"LIST-{tag}-{i}")
        assert (await driver.launch(agency=agency)).status_code == 201
        if i == 0:
            await driver.ok("publish")
    cpo = await api.people.headers_for("cpo")  # type: ignore[attr-defined]
    a = (
        await api.get("/v1/procurements", headers=cpo, params={"agency": "Agency A " + tag})
    ).json()
    assert sorted(i["reference"] for i in a["items"]) == [f"LIST-{tag}-0", f"LIST-{tag}-2"]
    published = (
        await api.get(
            "/v1/procurements",
            headers=cpo,
            params={"agency": "Agency A " + tag, "state": "published"},
        )
    ).json()
    assert [i["reference"] for i in published["items"]] == [f"LIST-{tag}-0"]
    page = (
        await api.get(
            "/v1/procurements", headers=cpo, params={"agency": "Agency A " + tag, "limit": 1}
        )
    ).json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = (
        await api.get(
            "/v1/procurements",
            headers=cpo,
            params={"agency": "Agency A " + tag, "limit": 1, "cursor": page["next_cursor"]},
        )
    ).json()
    assert {page["items"][0]["reference"], rest["items"][0]["reference"]} == {
        f"LIST-{tag}-0",
        f"LIST-{tag}-2",
    }
    bad = await api.get("/v1/procurements", headers=cpo, params={"state": "nonsense"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "query.state"


async def test_calendar_endpoint(api: httpx.AsyncClient) -> None:
    # Christmas 2026 is a Friday: 11 Dec + 14 = Fri 25 Dec, then Sat, Sun: Mon 28 Dec.
    response = await api.get("/v1/calendar/deadline", params={"start": "2026-12-11", "days": 14})
    assert response.status_code == 200
    body = response.json()
    assert (body["start"], body["days"], body["deadline"]) == ("2026-12-11", 14, "2026-12-28")
    bad = await api.get("/v1/calendar/deadline", params={"start": "2026-13-01", "days": -1})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"query.start", "query.days"}


async def test_small_answers_are_right(api: httpx.AsyncClient) -> None:
    # A deadline past the last date there is: a 422 naming the field, not a 500.
    beyond = await api.get("/v1/calendar/deadline", params={"start": "9999-12-31", "days": 14})
    assert beyond.status_code == 422, beyond.text
    assert beyond.json()["errors"][0]["field"] == "query.start"
    # An unknown path is a problem document like an unknown record (RFC 9457).
    unknown = await api.get("/v1/no-such-thing")
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    assert unknown.json() == {
        "type": "/problems/not_found",
        "title": "Not found",
        "status": 404,
        "detail": "No such path.",
        "code": "not_found",
        "reason": "No such path.",
    }
    # A vendor refused a launch reads good English: "Only a State purchasing officer ...".
    people = api.people  # type: ignore[attr-defined]
    vendor = await people.headers_for("Acme Supply")
    refused = await api.post("/v1/procurements", json=notice_body("GRAMMAR-1"), headers=vendor)
    assert refused.status_code == 403
    assert refused.json()["reason"].startswith("Only a State purchasing officer or agency buyer")


async def test_the_docs_need_no_internet(api: httpx.AsyncClient) -> None:
    # /docs and /redoc load Swagger UI and ReDoc from files the service serves itself, never
    # from a CDN (the browser test renders them with the network cut off).
    for path in ("/docs", "/redoc"):
        page = await api.get(path)
        assert page.status_code == 200
        assert "cdn" not in page.text.lower() and "https://" not in page.text, path
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js"):
        served = await api.get(f"/docs/assets/{asset}")
        assert served.status_code == 200 and len(served.content) > 10_000


async def test_a_body_over_the_limit_is_a_413(api: httpx.AsyncClient) -> None:
    # 1 MiB by default (PROCURE_MAX_REQUEST_BYTES): refused before it is read in full.
    people = api.people  # type: ignore[attr-defined]
    headers = await people.headers_for("agency")
    body = notice_body("BIG-BODY-1", description="x" * (2 * 1024 * 1024))
    refused = await api.post("/v1/procurements", json=body, headers=headers)
    assert refused.status_code == 413, refused.text[:200]
    assert refused.json()["code"] == "too_large"
