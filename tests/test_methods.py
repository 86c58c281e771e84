"""Every source-selection method through its path, on the time-skipping server.

Dates are worked by hand from the anchor, Monday 2 March 2099, 09:00 in Chicago (CDT from
8 March). Each refusal asserts its citation.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date
from typing import Any

import asyncpg
import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from db import reciprocity as stored_reciprocity
from rules import reciprocity
from tests.driver import Driver, chicago, driver, messages, notices
from tests.test_public_bulletin import assert_valid_ocds

# ---- competitive sealed proposals (20-15) ------------------------------------------------


RFP_PLAN = {"price_points": "30", "other_points": "50"}  # diversity points: 20% of 50 = 10


async def rfp_through_opening(d: Driver) -> dict[str, str]:
    launched = await d.launch(method="competitive_sealed_proposals", scoring=RFP_PLAN)
    assert launched.status_code == 201, launched.text
    published = await d.ok("publish")
    assert published["deadlines"][0]["citation"] == "30 ILCS 500/20-15(c)"
    assert (await notices(d))[0]["kind"] == "request_for_proposals"
    ids = {}
    for vendor, price in (("Alpha LLC", "100000.00"), ("Beta Inc", "105000.00")):
        response = await d.bid(vendor, price)
        assert response.status_code == 201, response.text
        ids[vendor] = response.json()["bid_id"]
    await d.advance_to(chicago(2099, 3, 16, 14))
    opened = await d.ok("opening", {"witnesses": ["R. Witness"]})
    assert opened["state"] == "evaluation"
    return ids


async def test_proposals_scored_in_three_parts_where_diversity_decides(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    d = driver(api, env, "RFP")
    ids = await rfp_through_opening(d)
    # Contents are not disclosed to competing offerors before award (20-15(d)).
    sealed = await d.read("/tabulation")
    assert sealed.status_code == 409 and sealed.json()["citation"] == "30 ILCS 500/20-15(d)"
    assert (await d.refused("award", {"bid_id": ids["Beta Inc"], "basis": "x"}))[
        "code"
    ] == "not_scored"

    over_cap = [
        {"bid_id": ids["Alpha LLC"], "diversity": "11", "other": "40"},
        {"bid_id": ids["Beta Inc"], "diversity": "5", "other": "40"},
    ]
    refusal = await d.refused("scores", {"scores": over_cap})
    assert refusal["citation"] == "30 ILCS 500/20-15(e-5)"
    assert "diversity" in refusal["reason"] and "20%" in refusal["reason"]
    missing = await d.refused("scores", {"scores": over_cap[1:]})
    assert missing["code"] == "scores_incomplete"

    # Alpha: price 30.00 (lowest), diversity 2, other 40 = 72.00.
    # Beta: price 100000/105000 x 30 = 28.57, diversity 5, other 40 = 73.57: Beta ranks first.
    scored = await d.ok(
        "scores",
        {
            "scores": [
                {"bid_id": ids["Alpha LLC"], "diversity": "2", "other": "40"},
                {"bid_id": ids["Beta Inc"], "diversity": "5", "other": "40"},
            ]
        },
    )
    ranks = {r["vendor"]: r["rank"] for r in scored["opening"]["ranking"]}
    assert ranks == {"Beta Inc": 1, "Alpha LLC": 2}

    wrong = await d.refused("award", {"bid_id": ids["Alpha LLC"], "basis": "Cheapest."})
    assert wrong["code"] == "not_most_advantageous"
    assert wrong["citation"] == "30 ILCS 500/20-15(g)"
    no_basis = await d.refused("award", {"bid_id": ids["Beta Inc"]})
    assert no_basis["field"] == "bid_id" and "basis" in no_basis["reason"]
    awarded = await d.ok(
        "award", {"bid_id": ids["Beta Inc"], "basis": "Highest total: 73.57 of 90 points."}
    )
    assert awarded["state"] == "review_window"
    assert awarded["award"]["basis"].startswith("Highest total")
    rows = (await d.read("/tabulation")).json()["rows"]
    assert {r["vendor"]: r["amount"] for r in rows} == {
        "Alpha LLC": "100000.00",
        "Beta Inc": "105000.00",
    }


async def test_best_and_final_round_open_to_the_competitive_range(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    d = driver(api, env, "RFP")
    ids = await rfp_through_opening(d)
    scores = {
        "scores": [
            {"bid_id": ids["Alpha LLC"], "diversity": "2", "other": "40"},
            {"bid_id": ids["Beta Inc"], "diversity": "5", "other": "40"},
        ]
    }
    await d.ok("scores", scores)
    due = chicago(2099, 3, 19, 17)
    requested = await d.ok(
        "best-and-final",
        {"competitive_range": [ids["Alpha LLC"], ids["Beta Inc"]], "due_at": due.isoformat()},
    )
    assert requested["best_and_final"]["vendors"] == ["Alpha LLC", "Beta Inc"]
    outsider = await d.bid("Gamma Co", "50000.00")
    assert outsider.status_code == 409 and outsider.json()["code"] == "not_in_competitive_range"
    assert (await d.bid("Alpha LLC", "90000.00")).status_code == 201
    early = await d.refused("scores", scores)
    assert early["citation"] == "30 ILCS 500/20-15(f)"
    refused_award = await d.refused("award", {"bid_id": ids["Beta Inc"], "basis": "x"})
    assert refused_award["code"] == "not_scored"

    await d.advance_to(chicago(2099, 3, 19, 17, 1))
    late = await d.bid("Beta Inc", "80000.00")
    assert late.status_code == 409 and late.json()["citation"] == "30 ILCS 500/20-15(f)"
    # Alpha's best and final price 90,000 is now lowest: 30.00 + 2 + 40 = 72.00;
    # Beta 90000/105000 x 30 = 25.71 + 5 + 40 = 70.71: Alpha ranks first.
    rescored = await d.ok("scores", scores)
    ranks = {r["vendor"]: r["rank"] for r in rescored["opening"]["ranking"]}
    assert ranks == {"Alpha LLC": 1, "Beta Inc": 2}
    assert rescored["best_and_final"]["closed"] is True
    assert (await d.ok("award", {"bid_id": ids["Alpha LLC"], "basis": "72.00 points."}))[
        "state"
    ] == "review_window"


# ---- reverse auction (20-10(j)) -----------------------------------------------------------


async def test_reverse_auction_award_due_in_sixty_days_with_consented_extension(
    api: httpx.AsyncClient, env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    d = driver(api, env, "RA")
    determination = "An auction of road salt is in the best interest of the State: CPO-GS."
    undetermined = await d.launch(method="reverse_auction", category="supplies")
    assert undetermined.status_code == 409
    assert (undetermined.json()["code"], undetermined.json()["field"]) == (
        "auction_determination_missing",
        "auction_determination",
    )
    construction = await d.launch(
        method="reverse_auction", category="construction", auction_determination=determination
    )
    assert construction.status_code == 409
    assert construction.json()["citation"] == "30 ILCS 500/20-10(j)"

    launched = await d.launch(
        method="reverse_auction", category="supplies", auction_determination=determination
    )
    assert launched.status_code == 201
    await d.ok("publish")
    # The CPO "shall publish that determination" in the Bulletin.
    assert (await notices(d))[0]["content"]["auction_determination"] == determination
    bids = {}
    for vendor, amount in (("Acme Supply", "51000.00"), ("Bolt Industries", "49990.00")):
        bids[vendor] = (await d.bid(vendor, amount)).json()["bid_id"]
    await d.advance_to(chicago(2099, 3, 16, 14))
    concluded = await d.ok("opening", {"witnesses": ["Auction system log"]})
    # 16 March + 60 calendar days = Friday 15 May 2099.
    assert concluded["award_due_on"] == "2099-05-15"
    # The record of prices is public at the end of the auction (20-10(j)).
    rows = (await d.read("/tabulation")).json()["rows"]
    assert rows[0]["vendor"] == "Bolt Industries"

    await d.advance_to(chicago(2099, 5, 16, 9))
    overdue = await d.get()
    assert {x["name"]: x["status"] for x in overdue["deadlines"]}["award_due"] == "overdue"
    refusal = await d.refused("award", {"bid_id": bids["Bolt Industries"]})
    assert refusal["citation"] == "30 ILCS 500/20-10(j)" and "2099-05-15" in refusal["reason"]
    reminders = [
        r["content"]["offset"]
        for r in await messages(pool, d.reference, "reminder:")
        if r["content"]["deadline"] == "award_due"
    ]
    # 3 business days before Fri 15 May is Tue 12 May; 1 before is Thu 14 May; then due and
    # overdue: each once.
    assert reminders == ["3_business_days_before", "1_business_day_before", "due", "overdue"]

    backwards = await d.refused(
        "award-date-extensions",
        {"new_due_on": "2099-05-01", "spo_consent": "Pat SPO", "bidder_consent": "Bolt"},
        actor="spo",
    )
    assert backwards["code"] == "extension_not_later"
    await d.ok(
        "award-date-extensions",
        {"new_due_on": "2099-05-29", "spo_consent": "Pat SPO", "bidder_consent": "Bolt"},
        actor="spo",
    )
    # The lowest responsible bidder, or all bids rejected: no explanation opens the award to
    # the higher bid (20-10(j)).
    higher = await d.refused(
        "award",
        {
            "bid_id": bids["Acme Supply"],
            "explanation": {
                "agency_needs": "Salt by the first snow.",
                "fair_and_reasonable": "Within 3% of the lowest.",
                "responsive_bidders": ["Acme Supply", "Bolt Industries"],
                "selected_bidder": "Acme Supply",
                "total_contract_price": "51000.00",
                "reasons": "Better delivery record.",
            },
        },
        actor="spo",
    )
    assert (higher["code"], higher["citation"]) == ("award_not_lowest", "30 ILCS 500/20-10(j)")
    awarded = await d.ok("award", {"bid_id": bids["Bolt Industries"]})
    assert awarded["state"] == "review_window"


# ---- small purchase (20-20; 44 Ill. Adm. Code 1.2020) ------------------------------------


def small(**extra: Any) -> dict[str, Any]:
    return {"method": "small_purchase", "opening_at": None, **extra}


async def test_small_purchase_limit_twelve_months_and_certifications(
    api: httpx.AsyncClient, env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    over = await driver(api, env, "SP").launch(**small(estimated_value="100000.01"))
    assert over.status_code == 409 and over.json()["citation"] == "30 ILCS 500/20-20(a)"
    # 9,000.00 a month counts 108,000.00 over 12 months: over the limit.
    monthly = await driver(api, env, "SP").launch(
        **small(estimated_value="9000.00", pricing="monthly")
    )
    assert monthly.status_code == 409
    assert "108,000.00" in monthly.json()["reason"] and "12 months" in monthly.json()["reason"]
    missing = await driver(api, env, "SP").launch(**small())
    assert missing.status_code == 409 and missing.json()["field"] == "estimated_value"

    d = driver(api, env, "SP")
    launched = await d.launch(**small(estimated_value="60000.00", title="Lab microscopes"))
    assert launched.status_code == 201, launched.text
    assert launched.json()["small_purchase"]["limit"] == "100000.00"
    assert launched.json()["allowed_actions"] == ["amend", "award", "cancel"]
    assert (await d.refused("publish"))["code"] == "not_in_method"
    refusal = await d.refused("award", {"vendor": "Scope Co", "price": "60000.00"})
    assert refusal["citation"] == "30 ILCS 500/20-20(d)"
    await d.ok(
        "award", {"vendor": "Scope Co", "price": "60000.00", "standard_certifications": True}
    )
    assert await env.client.get_workflow_handle(d.reference).result() == "closed"
    assert await notices(d) == []  # no Bulletin notice for a small purchase
    closed = await d.get()
    assert closed["review_window_exemption"].endswith("(30 ILCS 500/5-30(c)).")

    unit = driver(api, env, "SP")
    assert (
        await unit.launch(**small(pricing="unit_price", title="Interpreters"))
    ).status_code == 201
    awarded = await unit.ok(
        "award", {"vendor": "Lingua", "price": "85.00", "standard_certifications": True}
    )
    award_step = next(h for h in awarded["history"] if h["trigger"] == "award")
    assert "not to exceed 100,000.00" in award_step["summary"]


async def test_limit_is_data_with_an_effective_date(
    api: httpx.AsyncClient, env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    await pool.execute(
        "INSERT INTO small_purchase_limits (effective_from, amount, citation) VALUES "
        "('2099-03-01', 104300.00, '30 ILCS 500/20-20(b), CPI adjustment (test)')"
    )
    try:
        d = driver(api, env, "SP")
        launched = await d.launch(**small(estimated_value="104000.00"))
        assert launched.status_code == 201, launched.text
        assert launched.json()["small_purchase"]["limit"] == "104300.00"
    finally:
        await pool.execute("DELETE FROM small_purchase_limits WHERE effective_from = '2099-03-01'")


async def test_divided_need_is_flagged_for_the_spo(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    agency = f"Agency {uuid.uuid4().hex[:6]}"
    first = driver(api, env, "SP")
    assert (
        await first.launch(**small(estimated_value="60000.00", agency=agency, title="Road salt"))
    ).status_code == 201
    second = driver(api, env, "SP")
    launched = await second.launch(
        **small(estimated_value="45000.00", agency=agency, title="Road  SALT")
    )
    assert launched.status_code == 201
    flag = launched.json()["small_purchase"]["split_flag"]
    assert first.reference in flag and "105,000.00" in flag and "20-20(a)" in flag
    refusal = await second.refused("award", {"vendor": "Salt Co", "price": "45000.00"})
    assert refusal["code"] == "split_undetermined"
    await second.ok(
        "split-determination",
        {"decision": "not_divided", "reasons": "Different districts, separate storms."},
        actor="spo",
    )
    await second.ok("award", {"vendor": "Salt Co", "price": "45000.00"})


async def test_divided_need_refused_when_policy_says_so(
    api: httpx.AsyncClient, env: WorkflowEnvironment, settings: Any
) -> None:
    settings.split_policy = "refuse"
    agency = f"Agency {uuid.uuid4().hex[:6]}"
    first = driver(api, env, "SP")
    assert (
        await first.launch(**small(estimated_value="70000.00", agency=agency, title="Toner"))
    ).status_code == 201
    second = await driver(api, env, "SP").launch(
        **small(estimated_value="40000.00", agency=agency, title="Toner")
    )
    assert second.status_code == 409
    assert second.json()["code"] == "divided_purchase"
    assert second.json()["citation"] == "30 ILCS 500/20-20(a)"


async def test_divided_need_counts_a_shared_commodity_code_to_the_cent(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    """Two titles, one type of supply: NIGP class-item 204-45 is shared by 204-45 and the
    detail code 204-45-12-0001; 60,000.00 + 40,000.00 is the 100,000.00 limit itself, so it is
    not over; a cent more is (20-20(a); 1.2020(d))."""
    agency = f"Agency {uuid.uuid4().hex[:6]}"
    first = driver(api, env, "SP")
    assert (
        await first.launch(
            **small(
                estimated_value="60000.00",
                agency=agency,
                title="Laptops, 2099",
                commodity_codes=["204-45"],
            )
        )
    ).status_code == 201
    at_limit = await driver(api, env, "SP").launch(
        **small(
            estimated_value="40000.00",
            agency=agency,
            title="Portable computers",
            commodity_codes=["204-45-12-0001"],
        )
    )
    assert at_limit.status_code == 201, at_limit.text
    assert at_limit.json()["small_purchase"]["split_flag"] is None
    other_class = await driver(api, env, "SP").launch(
        **small(
            estimated_value="40000.01", agency=agency, title="Desks", commodity_codes=["425-60"]
        )
    )
    assert other_class.json()["small_purchase"]["split_flag"] is None
    over = await driver(api, env, "SP").launch(
        **small(
            estimated_value="0.01",
            agency=agency,
            title="Notebook computer",
            commodity_codes=["204"],
        )
    )
    flag = over.json()["small_purchase"]["split_flag"]
    assert flag is not None and "100,000.01" in flag and "commodity code 204-45" in flag
    assert first.reference in flag and "1.2020(d)" in flag
    bad = await driver(api, env, "SP").launch(
        **small(estimated_value="1.00", commodity_codes=["20"])
    )
    assert bad.status_code == 422 and "commodity_codes" in bad.text


async def test_divided_need_counts_the_same_vendor_and_the_award_keeps_it(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    """One supplier, two titles: the second small purchase, launched naming the vendor the
    first was awarded to, is counted with it; its award then goes to that vendor."""
    agency = f"Agency {uuid.uuid4().hex[:6]}"
    first = driver(api, env, "SP")
    assert (
        await first.launch(**small(estimated_value="70000.00", agency=agency, title="Gravel"))
    ).status_code == 201
    await first.ok(
        "award",
        {"vendor": "Prairie Aggregates", "price": "70000.00", "standard_certifications": True},
    )
    second = driver(api, env, "SP")
    launched = await second.launch(
        **small(
            estimated_value="30000.01",
            agency=agency,
            title="Crushed limestone",
            intended_contractor="prairie aggregates ",
        )
    )
    flag = launched.json()["small_purchase"]["split_flag"]
    assert flag is not None and f"{first.reference} (the same vendor)" in flag
    assert "100,000.01" in flag
    await second.ok(
        "split-determination",
        {"decision": "not_divided", "reasons": "A different district's separate need."},
        actor="spo",
    )
    elsewhere = await second.refused("award", {"vendor": "Other Quarry", "price": "30000.01"})
    assert elsewhere["code"] == "not_launched_vendor" and elsewhere["field"] == "vendor"
    assert elsewhere["citation"] == "30 ILCS 500/20-20(a)"
    await second.ok("award", {"vendor": "Prairie Aggregates", "price": "30000.01"})


async def test_an_overrun_after_signing_is_completed_by_sole_source_or_emergency(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    """44 Ill. Adm. Code 1.2020(b)(3): when the actual cost of completing a signed small
    purchase exceeds the small purchase amount and a supplemental procurement is not
    feasible, the SPO follows sole source or emergency procedures to complete it."""
    agency = f"Agency {uuid.uuid4().hex[:6]}"
    sp = driver(api, env, "SP")
    assert (
        await sp.launch(**small(estimated_value="95000.00", agency=agency, title="Roof repair"))
    ).status_code == 201

    def overrun(cost: str, reference: str | None = None) -> dict[str, Any]:
        return {
            "small_purchase": reference or sp.reference,
            "actual_cost": cost,
            "determination": "Rain damage must be stopped this week; rebidding is not practicable.",
        }

    unsigned = await driver(api, env, "EM").launch(
        method="emergency",
        opening_at=None,
        agency=agency,
        completes_small_purchase=overrun("100000.01"),
    )
    assert unsigned.status_code == 409
    assert unsigned.json()["code"] == "overrun_not_signed_small_purchase"
    await sp.ok(
        "award", {"vendor": "Ridge Roofing", "price": "95000.00", "standard_certifications": True}
    )
    wrong_method = await driver(api, env, "SP").launch(
        **small(estimated_value="5000.00", agency=agency),
        completes_small_purchase=overrun("100000.01"),
    )
    assert wrong_method.status_code == 409 and wrong_method.json()["code"] == "overrun_method"
    assert wrong_method.json()["citation"] == "44 Ill. Adm. Code 1.2020(b)(3)"
    within = await driver(api, env, "EM").launch(
        method="emergency",
        opening_at=None,
        agency=agency,
        completes_small_purchase=overrun("100000.00"),
    )
    assert within.status_code == 409 and within.json()["code"] == "overrun_within_limit"
    assert within.json()["field"] == "completes_small_purchase.actual_cost"
    another_agency = await driver(api, env, "EM").launch(
        method="emergency",
        opening_at=None,
        agency=f"{agency} II",
        completes_small_purchase=overrun("100000.01"),
    )
    assert another_agency.json()["code"] == "overrun_not_signed_small_purchase"
    missing = dict(overrun("100000.01"))
    del missing["determination"]
    unjustified = await driver(api, env, "EM").launch(
        method="emergency", opening_at=None, agency=agency, completes_small_purchase=missing
    )
    assert unjustified.status_code == 422 and "determination" in unjustified.text
    em = driver(api, env, "EM")
    completed = await em.launch(
        method="emergency",
        opening_at=None,
        agency=agency,
        completes_small_purchase=overrun("100000.01"),
    )
    assert completed.status_code == 201, completed.text
    view = await sp.get()
    assert view["small_purchase"]["completed_by"] == [
        {
            "reference": em.reference,
            "method": "emergency",
            "state": "draft",
            "actual_cost": "100000.01",
        }
    ]


# ---- renewals, change orders, renegotiations (15-25(a),(b),(b-5),(c-10)) ------------------


async def awarded_contract(d: Driver) -> None:
    """A sealed bid awarded to Bolt Industries on Tuesday 17 March 2099 and entered into on
    Wednesday 1 April, after the review window and the protest period ended on 31 March."""
    bids = await d.through_opening()
    await d.advance_to(chicago(2099, 3, 17, 10))
    await d.ok("award", {"bid_id": bids["Bolt Industries"]})
    await d.advance_to(chicago(2099, 4, 1, 9))
    await d.ok("execute")


def change(original: str, kind: str, determined_on: str) -> dict[str, Any]:
    return {"original": original, "kind": kind, "determined_on": determined_on}


async def test_a_renewal_is_noticed_within_fourteen_days_of_its_determination(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    """15-25(c-10): "Notice of each contract renewal shall be posted in the Bulletin within 14
    calendar days of the determination to execute a renewal". Determined Wednesday 1 April
    2099: the last day is Wednesday 15 April. The notice is in the clearinghouse (15-30) and in
    OCDS as an amendment of the original contract."""
    original = driver(api, env, "IFB")
    await awarded_contract(original)
    renewal = driver(api, env, "REN")
    body: dict[str, Any] = {"method": "contract_renewal", "opening_at": None}
    missing = await renewal.launch(**body)
    assert missing.status_code == 409 and missing.json()["code"] == "contract_missing"
    mismatch = await renewal.launch(
        **body, contract=change(original.reference, "change_order", "2099-04-01")
    )
    assert mismatch.json()["code"] == "contract_kind_mismatch"
    ahead = await renewal.launch(
        **body, contract=change(original.reference, "renewal", "2099-04-02")
    )
    assert ahead.json()["code"] == "determination_in_future"
    unknown = await renewal.launch(**body, contract=change("NO-SUCH-1", "renewal", "2099-04-01"))
    assert unknown.status_code == 409 and unknown.json()["code"] == "contract_unknown"
    elsewhere = await renewal.launch(
        **body,
        agency="Department of Revenue",
        contract=change(original.reference, "renewal", "2099-04-01"),
    )
    assert elsewhere.json()["code"] == "contract_unknown"
    stray = await driver(api, env, "IFB").launch(
        contract=change(original.reference, "renewal", "2099-04-01")
    )
    assert stray.json()["code"] == "contract_not_applicable"
    launched = await renewal.launch(
        **body,
        title="Road salt, renewal for 2100-2101",
        contract=change(original.reference, "renewal", "2099-04-01"),
    )
    assert launched.status_code == 201, launched.text
    due = {x["name"]: x for x in launched.json()["deadlines"]}
    assert due["renewal_notice_due"]["due_on"] == "2099-04-15"
    assert due["renewal_notice_due"]["citation"] == "30 ILCS 500/15-25(c-10)"
    assert launched.json()["contract_change"]["contractor"] == "Bolt Industries"
    other = await renewal.refused("award", {"vendor": "Acme Supply", "price": "93000.00"})
    assert other["code"] == "not_the_contractor" and other["field"] == "vendor"
    await renewal.advance_to(chicago(2099, 4, 15, 16))
    renewed = await renewal.ok("award", {"vendor": "Bolt Industries", "price": "93000.00"})
    step = next(h for h in renewed["history"] if h["trigger"] == "award")
    assert "after it was due" not in step["summary"]
    assert await env.client.get_workflow_handle(renewal.reference).result() == "closed"
    notice = (await notices(renewal))[-1]
    assert notice["kind"] == "contract_renewal"
    assert notice["content"]["contract_of"] == original.reference
    assert notice["content"]["contract_price"] == "93000.00"
    clearinghouse = (await api.get("/v1/clearinghouse", params={"q": "renewal for 2100"})).json()
    assert [(c["reference"], c["contract_price"]) for c in clearinghouse["contracts"]] == [
        (renewal.reference, "93000.00")
    ]
    ocds = (await api.get(f"/v1/procurements/{original.reference}/ocds")).json()
    assert_valid_ocds(ocds)
    amendment = next(r for r in ocds["releases"] if r["tag"] == ["contractAmendment"])
    assert amendment["ocid"].endswith(original.reference)
    assert amendment["contracts"][0]["value"]["amount"] == 93000.0
    assert amendment["contracts"][0]["amendments"][0]["id"] == renewal.reference


async def test_a_late_renewal_notice_is_published_and_says_so(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    original = driver(api, env, "IFB")
    await awarded_contract(original)
    renewal = driver(api, env, "REN")
    assert (
        await renewal.launch(
            method="contract_renewal",
            opening_at=None,
            contract=change(original.reference, "renewal", "2099-04-01"),
        )
    ).status_code == 201
    # Thursday 16 April is a day past the 14.
    await renewal.advance_to(chicago(2099, 4, 16, 9))
    overdue = {x["name"]: x for x in (await renewal.get())["deadlines"]}
    assert overdue["renewal_notice_due"]["status"] == "overdue"
    renewed = await renewal.ok("award", {"vendor": "Bolt Industries", "price": "93000.00"})
    step = next(h for h in renewed["history"] if h["trigger"] == "award")
    assert "after it was due on 2099-04-15" in step["summary"]


async def test_a_nonrenewable_contract_is_not_renewed(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    original = driver(api, env, "SS")
    assert (
        await original.launch(
            method="sole_source",
            opening_at=None,
            renewable=False,
            intended_contractor="Unique Instruments Ltd",
            hearing_at=chicago(2099, 3, 16, 10).isoformat(),
        )
    ).status_code == 201
    await original.ok("publish")
    await original.advance_to(chicago(2099, 3, 16, 10))
    await original.ok("hearing", {"summary": "No objection."})
    await original.ok("award", {"vendor": "Unique Instruments Ltd", "price": "50000.00"})
    await original.advance_to(chicago(2099, 4, 1, 9))
    await original.ok("execute")
    refused = await driver(api, env, "REN").launch(
        method="contract_renewal",
        opening_at=None,
        contract=change(original.reference, "renewal", "2099-03-16"),
    )
    assert refused.status_code == 409 and refused.json()["code"] == "not_renewable"
    assert refused.json()["citation"] == "30 ILCS 500/15-25(c-10)"


async def test_a_change_order_is_noticed_and_waits_out_the_review_window(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    """15-25(a),(b),(b-5): change orders and renegotiated contracts are noticed like any
    contract; the notice of award is posted and sent to the contractor before execution, and
    the Board and the Commission have their 14 days (5-30(a))."""
    original = driver(api, env, "IFB")
    await awarded_contract(original)
    co = driver(api, env, "CO")
    await co.advance_to(chicago(2099, 4, 2, 10))
    launched = await co.launch(
        method="contract_change",
        opening_at=None,
        title="Road salt, added tonnage",
        contract=change(original.reference, "change_order", "2099-04-02"),
    )
    assert launched.status_code == 201, launched.text
    awarded = await co.ok("award", {"vendor": "Bolt Industries", "price": "12000.00"})
    assert awarded["state"] == "review_window"
    # Thursday 2 April + 14 = Thursday 16 April.
    assert awarded["review_window"]["ends_on"] == "2099-04-16"
    held = await co.refused("execute")
    assert held["code"] == "review_window_running"
    names = {x["name"] for x in awarded["deadlines"]}
    assert "award_protest_closes" not in names and "review_window_ends" in names
    notice = (await notices(co))[-1]
    assert (
        notice["kind"] == "change_order_award" and notice["content"]["awardee"] == "Bolt Industries"
    )
    await co.advance_to(chicago(2099, 4, 17, 9))
    executed = await co.ok("execute")
    assert executed["executed_at"] is not None
    assert await env.client.get_workflow_handle(co.reference).result() == "closed"


# ---- sole source (20-25; 15-25(c-15)) -----------------------------------------------------


async def test_sole_source_notice_hearing_award(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    d = driver(api, env, "SS")
    missing = await d.launch(method="sole_source", opening_at=None)
    assert missing.status_code == 409 and missing.json()["field"] == "intended_contractor"
    launched = await d.launch(
        method="sole_source",
        opening_at=None,
        intended_contractor="Unique Instruments Ltd",
        # Thursday 12 March is only 10 days after the notice.
        hearing_at=chicago(2099, 3, 12, 10).isoformat(),
    )
    assert launched.status_code == 201, launched.text
    refusal = await d.refused("publish")
    assert refusal["citation"] == "30 ILCS 500/15-25(c-15)" and refusal["field"] == "hearing_at"
    assert refusal["code"] == "hearing_too_early"
    await d.ok("amend", {"hearing_at": chicago(2099, 3, 16, 10).isoformat()})
    published = await d.ok("publish")
    assert (await notices(d))[0]["content"]["intended_contractor"] == "Unique Instruments Ltd"
    assert {x["name"] for x in published["deadlines"]} >= {"earliest_hearing", "hearing"}

    early = await d.refused("hearing", {"summary": "Early."})
    assert early["citation"] == "30 ILCS 500/20-25"
    await d.advance_to(chicago(2099, 3, 16, 10))
    await d.ok("hearing", {"summary": "No other source was shown."})
    other = await d.refused("award", {"vendor": "Somebody Else", "price": "250000.00"})
    assert other["code"] == "not_intended_contractor"
    awarded = await d.ok("award", {"vendor": "Unique Instruments Ltd", "price": "250000.00"})
    assert awarded["state"] == "review_window"
    # Award notice Mon 16 Mar; 16 + 14 = Mon 30 Mar.
    assert awarded["review_window"]["ends_on"] == "2099-03-30"


# ---- emergency (20-30; 15-25(c)) ------------------------------------------------------------


async def test_emergency_award_first_then_disclosure_within_five_days(
    api: httpx.AsyncClient, env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    d = driver(api, env, "EM")
    assert (await d.launch(method="emergency", opening_at=None)).status_code == 201
    # 20-30: a term of at most 90 days; 91 is refused with the section, as a 409.
    too_long = await d.refused(
        "award", {"vendor": "FloodFix", "price": "80000.00", "reasons": "Flood.", "term_days": 91}
    )
    assert (too_long["code"], too_long["citation"], too_long["field"]) == (
        "emergency_term_too_long",
        "30 ILCS 500/20-30",
        "term_days",
    )
    incomplete = await d.refused("award", {"vendor": "FloodFix"})
    assert incomplete["citation"] == "30 ILCS 500/20-30"
    assert "price" in incomplete["reason"] and "term_days" in incomplete["reason"]
    awarded = await d.ok(
        "award",
        {
            "vendor": "FloodFix",
            "price": "80000.00",
            "reasons": "Levee breach at the Capitol complex.",
            "term_days": 30,
        },
    )
    assert awarded["state"] == "awarded"
    due = {x["name"]: x for x in awarded["deadlines"]}
    # Award Mon 2 Mar; 2 + 5 = Sat 7 Mar, then Sun 8: due Mon 9 Mar (15-45).
    assert due["emergency_disclosure_due:1"]["due_on"] == "2099-03-09"
    assert due["emergency_term_ends"]["due_on"] == "2099-03-31"
    assert awarded["review_window"] is None or awarded["review_window_exemption"]

    await d.advance_to(chicago(2099, 3, 10, 9))
    late = await d.get()
    assert {x["name"]: x["status"] for x in late["deadlines"]}["emergency_disclosure_due:1"] == (
        "overdue"
    )
    sent = [
        r["content"]["offset"]
        for r in await messages(pool, d.reference, "reminder:")
        if r["content"]["deadline"] == "emergency_disclosure_due:1"
    ]
    # 3 business days before Mon 9 Mar is Wed 4 Mar; 1 before is Fri 6 Mar; due; overdue.
    assert sent == ["3_business_days_before", "1_business_day_before", "due", "overdue"]

    disclosed = await d.ok(
        "disclosures",
        {"description": "Levee repair", "total_cost": "80000.00", "cost_is_estimate": True},
    )
    assert "after it was due on 2099-03-09" in disclosed["history"][-1]["summary"]
    assert (await notices(d))[-1]["kind"] == "emergency_disclosure"
    extended = await d.ok(
        "emergency-extensions",
        {"additional_days": 10, "justification": "Second breach.", "approved_by": "CPO-GS"},
        actor="cpo",
    )
    assert extended["emergency"]["term_ends_on"] == "2099-04-10"
    # Extension executed Tue 10 Mar; 10 + 7 = Tue 17 Mar.
    assert extended["emergency"]["disclosures"][-1]["due_on"] == "2099-03-17"
    await d.ok("disclosures", {"description": "Extension", "total_cost": "20000.00"})
    await d.advance_to(chicago(2099, 4, 11, 9))
    assert await env.client.get_workflow_handle(d.reference).result() == "closed"


# ---- 5-30(c) exemption, 5-5(h) recommendation, 20-10(g) filing ----------------------------


@pytest.mark.parametrize(("price", "exempt"), [("19999.99", True), ("20000.00", False)])
async def test_small_professional_services_skip_the_review_window(
    api: httpx.AsyncClient, env: WorkflowEnvironment, price: str, exempt: bool
) -> None:
    # 5-30(c)(ii): nonrenewable, one year or less, "a value of less than $20,000", judged by
    # the contract as awarded: estimated at 19,999.00 either way, a bid of 19,999.99 is
    # exempt and executes at once; one of 20,000.00 waits out the 14-day window.
    d = driver(api, env, "PA")
    assert (
        await d.launch(
            category="professional_artistic",
            renewable=False,
            term_months=12,
            estimated_value="19999.00",
        )
    ).status_code == 201
    await d.ok("publish")
    bid_id = (await d.bid("Muralist", price)).json()["bid_id"]
    await d.advance_to(chicago(2099, 3, 16, 14))
    await d.ok("opening", {"witnesses": ["W"]})
    awarded = await d.ok("award", {"bid_id": bid_id})
    assert awarded["award"]["price"] == price
    if exempt:
        assert "5-30(c)" in awarded["review_window_exemption"]
        assert (await d.ok("execute"))["state"] == "awarded"
    else:
        assert awarded["review_window_exemption"] is None
        held = await d.refused("execute")
        assert held["code"] == "review_window_running"


async def test_board_recommendation_holds_execution_until_decided(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    d = driver(api, env, "BR")
    bids = await d.through_opening()
    await d.advance_to(chicago(2099, 3, 17, 10))
    await d.ok("award", {"bid_id": bids["Bolt Industries"]})
    unnamed = await d.refused(
        "board-recommendations",
        {"action": "reject_bid", "votes_for": 3, "members_serving": 5, "grounds": "Conflict."},
        actor="ppb",
    )
    assert unnamed["code"] == "review_body_missing" and unnamed["field"] == "body"
    weak = await d.refused(
        "board-recommendations",
        {
            "action": "reject_bid",
            "votes_for": 2,
            "members_serving": 5,
            "grounds": "Conflict.",
            "body": "PPB",
        },
        actor="ppb",
    )
    assert weak["citation"] == "30 ILCS 500/5-5(h)"
    made = await d.ok(
        "board-recommendations",
        {
            "action": "reject_bid",
            "votes_for": 3,
            "members_serving": 5,
            "grounds": "Conflict.",
            "body": "PPB",
        },
        actor="ppb",
    )
    # Tue 17 Mar + 15 = Wed 1 Apr.
    assert made["board_recommendation"]["response_due_on"] == "2099-04-01"
    await d.advance_to(chicago(2099, 4, 1, 9))
    held = await d.refused("execute")
    assert held["code"] == "recommendation_open"
    early = await d.refused(
        "board-recommendations/decision", {"decision": "decline", "reasons": "x"}, actor="cpo"
    )
    assert early["code"] == "decision_too_early"
    await d.ok(
        "board-recommendations/response",
        {"summary": "No conflict: see affidavit."},
        actor="Bolt Industries",
    )
    await d.ok(
        "board-recommendations/decision",
        {"decision": "decline", "reasons": "Affidavit answers it."},
        actor="cpo",
    )
    # The protest period ended on 31 March: once executed, the procurement may close at once.
    executed = await d.ok("execute")
    assert executed["state"] in ("awarded", "closed")
    assert executed["executed_at"] is not None


def cei(**extra: Any) -> dict[str, Any]:
    return {
        "action": "reject_bid",
        "votes_for": 3,
        "members_serving": 5,
        "grounds": "Utilization plan not met.",
        "body": "CEI",
        **extra,
    }


async def test_commission_recommends_within_seven_days_of_the_opening(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    """5-7(e): the Commission's recommendation "shall be delivered ... within 7 calendar days
    after the proposal due date, bid opening date, or determination of a Code violation".
    Opened Monday 16 March 2099: the last day is Monday 23 March."""
    d = driver(api, env, "CEI")
    await d.through_opening()
    await d.advance_to(chicago(2099, 3, 24, 10))
    late = await d.refused("board-recommendations", cei(), actor="cei")
    assert late["code"] == "recommendation_late"
    assert late["citation"] == "30 ILCS 500/5-7(e)"
    assert "2099-03-16" in late["reason"] and "2099-03-23" in late["reason"]
    future = await d.refused(
        "board-recommendations", cei(violation_determined_on="2099-03-25"), actor="cei"
    )
    assert future["code"] == "recommendation_late"
    board_member = await d.post(
        "board-recommendations", cei(violation_determined_on="2099-03-17"), actor="ppb"
    )
    assert board_member.status_code == 403
    # A violation determined on Tuesday 17 March: 7 days end today, Tuesday 24 March.
    made = await d.ok(
        "board-recommendations", cei(violation_determined_on="2099-03-17"), actor="cei"
    )
    rec = made["board_recommendation"]
    assert rec["body"] == "CEI" and rec["citation"] == "30 ILCS 500/5-7(e)"
    kinds = [n["kind"] for n in await notices(d)]
    assert "cei_recommendation" in kinds


async def test_a_hearing_on_request_then_the_commissions_recommendation_within_seven_days(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    """5-7(e): the vendor has 15 calendar days to respond; a hearing is held on its request no
    later than 15 calendar days after the request; within 7 days after the hearing the
    Commission delivers its recommendation. The officer decides only after all of that."""
    d = driver(api, env, "CEI")
    bids = await d.through_opening()
    await d.advance_to(chicago(2099, 3, 17, 10))
    await d.ok("award", {"bid_id": bids["Bolt Industries"]})
    await d.ok("board-recommendations", cei(), actor="cei")
    assert (
        await d.post("board-recommendations/hearing-request", actor="Acme Supply")
    ).status_code == 403
    # Tuesday 17 March + 15 = Wednesday 1 April.
    await d.ok("board-recommendations/hearing-request", actor="Bolt Industries")
    asked = await d.get()
    assert asked["board_recommendation"]["hearing"] == {
        "requested_on": "2099-03-17",
        "due_on": "2099-04-01",
    }
    again = await d.refused("board-recommendations/hearing-request", actor="Bolt Industries")
    assert again["code"] == "no_hearing_to_request"
    await d.ok(
        "board-recommendations/response",
        {"summary": "Plan met; see exhibits."},
        actor="Bolt Industries",
    )
    pending = await d.refused(
        "board-recommendations/decision", {"decision": "follow", "reasons": "r"}, actor="cpo"
    )
    assert pending["code"] == "hearing_pending" and "2099-04-01" in pending["reason"]
    early_final = await d.refused(
        "board-recommendations/final", {"maintained": True, "reasons": "r"}, actor="cei"
    )
    assert early_final["code"] == "no_final_recommendation_owed"
    assert (
        await d.post("board-recommendations/hearing", {"summary": "Heard."}, actor="ppb")
    ).status_code == 403
    await d.advance_to(chicago(2099, 3, 20, 10))
    held = await d.ok(
        "board-recommendations/hearing", {"summary": "Heard both sides."}, actor="cei"
    )
    # Friday 20 March + 7 = Friday 27 March.
    assert held["board_recommendation"]["hearing"]["final_due_on"] == "2099-03-27"
    due = {x["name"]: x for x in held["deadlines"]}
    assert due["cei_recommendation_after_hearing_due"]["due_on"] == "2099-03-27"
    assert due["recommendation_hearing_due"]["status"] == "met"
    await d.advance_to(chicago(2099, 3, 27, 16))
    waiting = await d.refused(
        "board-recommendations/decision", {"decision": "follow", "reasons": "r"}, actor="cpo"
    )
    assert waiting["code"] == "hearing_pending" and "2099-03-27" in waiting["reason"]
    withdrawn = await d.ok(
        "board-recommendations/final",
        {"maintained": False, "reasons": "Exhibits show the plan met."},
        actor="cei",
    )
    assert withdrawn["board_recommendation"]["decision"] == "withdrawn"
    # Withdrawn, it holds nothing: no decision is left to take.
    none_left = await d.refused(
        "board-recommendations/decision", {"decision": "follow", "reasons": "r"}, actor="cpo"
    )
    assert none_left["code"] == "no_recommendation"


async def test_the_officer_decides_once_the_commissions_seven_days_after_the_hearing_pass(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    d = driver(api, env, "CEI")
    bids = await d.through_opening()
    await d.advance_to(chicago(2099, 3, 17, 10))
    await d.ok("award", {"bid_id": bids["Bolt Industries"]})
    await d.ok("board-recommendations", cei(), actor="cei")
    await d.ok("board-recommendations/hearing-request", actor="Bolt Industries")
    await d.ok("board-recommendations/hearing", {"summary": "Heard."}, actor="cei")
    # Held Tuesday 17 March: the Commission's 7 days end Tuesday 24 March; the vendor's 15 on
    # Wednesday 1 April. On 2 April the officer decides without either.
    await d.advance_to(chicago(2099, 4, 2, 9))
    decided = await d.ok(
        "board-recommendations/decision",
        {"decision": "decline", "reasons": "No basis."},
        actor="cpo",
    )
    assert decided["board_recommendation"]["decision"] == "decline"
    late_final = await d.refused(
        "board-recommendations/final", {"maintained": True, "reasons": "r"}, actor="cei"
    )
    assert late_final["code"] == "no_final_recommendation_owed"


async def test_an_emergency_contracts_documents_within_ten_days(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    """5-30(c): no review window for an emergency contract, but on the Board's or the
    Commission's written request the agency transmits a copy of the contract and its
    documents within 10 calendar days; until then the procurement does not close."""
    d = driver(api, env, "EM")
    assert (await d.launch(method="emergency", opening_at=None)).status_code == 201
    await d.ok(
        "award",
        {
            "vendor": "Flood Pumps Inc",
            "price": "48000.00",
            "reasons": "Levee breach.",
            "term_days": 10,
        },
    )
    asked = await d.ok(
        "document-requests", {"body": "CEI", "description": "Contract and invoices."}, actor="cei"
    )
    request = asked["document_requests"][0]
    # Monday 2 March + 10 = Thursday 12 March.
    assert request["due_on"] == "2099-03-12"
    due = {x["name"]: x for x in asked["deadlines"]}
    assert due["documents_due:DR-1"]["citation"] == "30 ILCS 500/5-30(c)"
    await d.ok("disclosures", {"description": "Pumps for the levee.", "total_cost": "48000.00"})
    # The 10-day term ended on 11 March; the documents are still owed, so it stays open.
    await d.advance_to(chicago(2099, 3, 13, 9))
    assert (await d.get())["state"] == "awarded"
    answered = await d.post(
        f"document-requests/{request['request_id']}/answer", {"summary": "Sent by e-mail."}
    )
    assert answered.status_code == 200, answered.text
    assert await env.client.get_workflow_handle(d.reference).result() == "closed"


async def test_four_failed_bids_to_transportation_owe_the_reasons_within_the_quarter(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    """20-10(g-5): Acme Supply and Cobalt Corp bid for the same services (NIGP 988-45) in four
    invitations of the Department of Transportation and lose each to Bolt Industries. The 4th
    award, on Tuesday 17 March 2099, owes each of them the written reasons by certified copy
    by 31 March, the end of that calendar quarter; the procurement does not close until then."""
    agency = f"Department of Transportation {uuid.uuid4().hex[:6]}"
    ds = [driver(api, env, "DOT") for _ in range(4)]
    for i, d in enumerate(ds):
        launched = await d.launch(
            agency=agency,
            chief_procurement_office="CPO-DOT",
            title=f"Roadside mowing, district {i + 1}",
            commodity_codes=["988-45"],
        )
        assert launched.status_code == 201, launched.text
        await d.ok("publish")
        for vendor, amount in (
            ("Acme Supply", "98000.00"),
            ("Bolt Industries", "91500.50"),
            ("Cobalt Corp", "104250.00"),
        ):
            assert (await d.bid(vendor, amount)).status_code == 201
    await ds[0].advance_to(chicago(2099, 3, 16, 14))
    awards = []
    for d in ds:
        await d.ok("opening", {"witnesses": ["R. Witness"]})
        rows = (await d.read("/tabulation")).json()["rows"]
        awards.append(next(r["bid_id"] for r in rows if r["vendor"] == "Bolt Industries"))
    for hour, (d, bid_id) in enumerate(zip(ds, awards, strict=True)):
        await d.advance_to(chicago(2099, 3, 17, 9 + hour))
        awarded = await d.ok("award", {"bid_id": bid_id})
        if d is not ds[-1]:
            assert awarded["failed_bid_notices"] == []
    fourth = ds[-1]
    view = await fourth.get()
    owed = {n["vendor"]: n for n in view["failed_bid_notices"]}
    assert sorted(owed) == ["Acme Supply", "Cobalt Corp"]
    assert owed["Acme Supply"]["references"] == [d.reference for d in ds]
    assert owed["Acme Supply"]["due_on"] == "2099-03-31"
    due = {x["name"]: x for x in view["deadlines"]}
    assert due["failed_bid_notice_due:1"]["due_on"] == "2099-03-31"
    assert due["failed_bid_notice_due:1"]["citation"] == "30 ILCS 500/20-10(g-5)"
    step = next(h for h in view["history"] if h["trigger"] == "record_failed_bids")
    assert "2099-03-31" in step["summary"]
    winner = await fourth.refused(
        "failed-bid-notices",
        {"vendor": "Bolt Industries", "means": "certified_copy", "reasons": "r"},
    )
    assert winner["code"] == "no_failed_bid_notice_owed"
    await fourth.advance_to(chicago(2099, 4, 2, 9))
    held = (await fourth.get())["state"]
    assert held == "awarded" or held == "review_window"
    for vendor in ("Acme Supply", "Cobalt Corp"):
        await fourth.ok(
            "failed-bid-notices",
            {
                "vendor": vendor,
                "means": "certified_copy",
                "reasons": "Each bid was higher than the lowest responsive and responsible bid.",
            },
        )
    if held == "review_window":
        await fourth.ok("execute")
    assert await env.client.get_workflow_handle(fourth.reference).result() == "closed"


async def test_written_explanation_filed_before_closing(
    api: httpx.AsyncClient, env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    d = driver(api, env, "WE")
    bids = await d.through_opening()
    await d.advance_to(chicago(2099, 3, 17, 10))
    explanation = {
        "agency_needs": "48-hour delivery.",
        "fair_and_reasonable": "Within 7% of the lowest.",
        "responsive_bidders": ["Acme Supply", "Bolt Industries", "Cobalt Corp"],
        "selected_bidder": "Acme Supply",
        "total_contract_price": "98000.00",
        "reasons": "Only Acme guarantees 48-hour delivery.",
    }
    awarded = await d.ok(
        "award", {"bid_id": bids["Acme Supply"], "explanation": explanation}, actor="spo"
    )
    # Decision Tue 17 Mar + 14 = Tue 31 Mar (20-10(g)).
    due = {x["name"]: x for x in awarded["deadlines"]}["written_explanation_filing"]
    assert due["due_on"] == "2099-03-31"
    await d.ok("explanation-filings", {"bodies": ["LAC", "PPB"]})
    await d.advance_to(chicago(2099, 4, 1, 9))
    await d.ok("execute")
    waiting = await d.get()
    assert waiting["state"] == "awarded"  # the CEI filing is still missing
    assert {x["name"]: x["status"] for x in waiting["deadlines"]}[
        "written_explanation_filing"
    ] == "overdue"
    offsets = [
        r["content"]["offset"]
        for r in await messages(pool, d.reference, "reminder:")
        if r["content"]["deadline"] == "written_explanation_filing"
    ]
    assert offsets == ["3_business_days_before", "1_business_day_before", "due", "overdue"]
    await d.ok("explanation-filings", {"bodies": ["CEI"]})
    assert await env.client.get_workflow_handle(d.reference).result() == "closed"


# ---- evaluation through the opening: preferences and ties ---------------------------------


async def test_reciprocal_preference_changes_the_winner(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    d = driver(api, env, "PREF")
    prefs = {"enabled": ["resident_reciprocity"]}
    assert (await d.launch(preferences=prefs)).status_code == 201
    await d.ok("publish")
    resident = await d.post(
        "bids",
        {"vendor": "Prairie Supply", "amount": "102000.00", "claims": {"resident": True}},
        actor="Prairie Supply",
    )
    wyoming = await d.post(
        "bids",
        {"vendor": "Cheyenne Co", "amount": "100000.00", "claims": {"home_state": "WY"}},
        actor="Cheyenne Co",
    )
    assert resident.status_code == wyoming.status_code == 201
    await d.advance_to(chicago(2099, 3, 16, 14))
    opened = await d.ok("opening", {"witnesses": ["W"]})
    # Wyoming gives its residents 5% (data table): 100,000.00 evaluates at 105,000.00, above
    # the Illinois resident's 102,000.00 (30 ILCS 500/45-10(a)).
    ranks = {r["vendor"]: r["rank"] for r in opened["opening"]["ranking"]}
    assert ranks == {"Prairie Supply": 1, "Cheyenne Co": 2}
    rows = (await d.read("/tabulation")).json()["rows"]
    cheyenne = next(r for r in rows if r["vendor"] == "Cheyenne Co")
    assert cheyenne["evaluated_amount"] == "105000.00"
    applied = [a for a in cheyenne["adjustments"] if a["applied"]]
    assert applied[0]["citation"].startswith("30 ILCS 500/45-10")


async def test_the_reciprocity_table_is_the_one_in_force_at_the_first_advertisement(
    api: httpx.AsyncClient, env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    """45-10(b): residency is fixed "on the date when any bid ... is first advertised", and so
    is the table of other states' preferences the opening applies. Both procurements are
    launched on Monday 2 March 2099 under the shipped table (Wyoming 5%); a version giving
    Wyoming 1% takes effect on Tuesday 3 March. The one published on 2 March keeps 5% and the
    Illinois resident wins; the one published on 3 March applies 1% and Wyoming's lower bid
    wins."""
    prefs = {"enabled": ["resident_reciprocity"]}
    early, late = driver(api, env, "PREF"), driver(api, env, "PREF")
    assert (await early.launch(preferences=prefs)).status_code == 201
    later_opening = chicago(2099, 3, 17, 14).isoformat()
    assert (await late.launch(preferences=prefs, opening_at=later_opening)).status_code == 201
    await early.ok("publish")
    table = reciprocity.parse(
        {
            "effective_from": "2099-03-03",
            "source": "Test: a state changes its preference",
            "read_on": "2099-03-01",
            "states": {"WY": {"percent": "1", "law": "Wyo. Stat. (test)"}},
        }
    )
    try:
        await stored_reciprocity.load(pool, table)
        await late.advance_to(chicago(2099, 3, 3, 9))
        published = await late.ok("publish")
        assert published["reciprocity"]["effective_from"] == "2099-03-03"
        assert published["reciprocity"]["states"] == {"WY": "1"}
        assert (await early.get())["reciprocity"]["effective_from"] == "2026-01-01"
        for d in (early, late):
            for vendor, amount, claims in (
                ("Prairie Supply", "102000.00", {"resident": True}),
                ("Cheyenne Co", "100000.00", {"home_state": "WY"}),
            ):
                placed = await d.post(
                    "bids", {"vendor": vendor, "amount": amount, "claims": claims}, actor=vendor
                )
                assert placed.status_code == 201, placed.text
        await early.advance_to(chicago(2099, 3, 17, 14))
        winners = {}
        for d in (early, late):
            opened = await d.ok("opening", {"witnesses": ["W"]})
            winners[d.reference] = next(
                r["vendor"] for r in opened["opening"]["ranking"] if r["rank"] == 1
            )
        assert winners == {early.reference: "Prairie Supply", late.reference: "Cheyenne Co"}
        rows = (await late.read("/tabulation")).json()["rows"]
        cheyenne = next(r for r in rows if r["vendor"] == "Cheyenne Co")
        assert cheyenne["evaluated_amount"] == "101000.00"
    finally:
        await pool.execute("DELETE FROM reciprocal_preferences WHERE effective_from = '2099-03-03'")


async def test_illinois_coal_wins_at_ten_percent_with_its_transportation(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    # Coal for fuel (555/1), a duty without being enabled. Egypt Mine: 100,000.00 + 10,000.00
    # freight = 110,000.00; Powder River: 95,000.00 + 5,000.00 = 100,000.00, x 1.10 =
    # 110,000.00. At the boundary the Illinois coal is bought; it is not a tie.
    d = driver(api, env, "COAL")
    launched = await d.launch(title="Stoker coal", preferences={"purchases": ["coal"]})
    assert launched.status_code == 201, launched.text
    await d.ok("publish")
    for vendor, amount, freight, claims in (
        ("Egypt Mine", "100000.00", "10000.00", {"illinois_coal": True}),
        ("Powder River", "95000.00", "5000.00", {}),
    ):
        body = {"vendor": vendor, "amount": amount, "freight": freight, "claims": claims}
        assert (await d.post("bids", body, actor=vendor)).status_code == 201
    await d.advance_to(chicago(2099, 3, 16, 14))
    opened = await d.ok("opening", {"witnesses": ["W"]})
    assert opened.get("tie") is None
    rows = (await d.read("/tabulation")).json()["rows"]
    assert [(r["vendor"], r["rank"], r["freight"]) for r in rows] == [
        ("Egypt Mine", 1, "10000.00"),
        ("Powder River", 2, "5000.00"),
    ]
    coal = next(a for a in rows[0]["adjustments"] if a["preference"] == "illinois_coal")
    assert coal["applied"] and coal["citation"] == "30 ILCS 555/1"


async def test_tie_broken_by_residency(api: httpx.AsyncClient, env: WorkflowEnvironment) -> None:
    d = driver(api, env, "TIE")
    assert (await d.launch()).status_code == 201
    await d.ok("publish")
    ids = {}
    for vendor, claims in (
        ("Out Of State Co", {"home_state": "IN"}),
        ("Illini Co", {"resident": True}),
    ):
        response = await d.post(
            "bids", {"vendor": vendor, "amount": "50000.00", "claims": claims}, actor=vendor
        )
        ids[vendor] = response.json()["bid_id"]
    await d.advance_to(chicago(2099, 3, 16, 14))
    await d.ok("opening", {"witnesses": ["W"]})
    refusal = await d.refused("award", {"bid_id": ids["Out Of State Co"]})
    assert refusal["citation"] == "44 Ill. Adm. Code 1.2037"
    # The only resident "shall be given the award" (1.2037(b)(1)): the SPO's best-interest
    # determination applies only "in all other situations" (1.2037(b)(2)).
    decided = await d.refused(
        "award",
        {
            "bid_id": ids["Out Of State Co"],
            "tie_decision": {"kind": "best_interest", "reasons": "Faster delivery record."},
        },
        actor="spo",
    )
    assert decided["code"] == "tie_decided_by_rule"
    assert "only one Illinois resident vendor" in decided["reason"]
    assert "1.2037(b)(1)" in decided["reason"]
    awarded = await d.ok("award", {"bid_id": ids["Illini Co"]})
    assert awarded["award"]["tie"]["rule"] == "resident"


async def test_tie_by_lot_is_reproducible_and_spo_may_decide_otherwise(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    d = driver(api, env, "LOT")
    assert (await d.launch()).status_code == 201
    await d.ok("publish")
    ids = {}
    for vendor in ("North Co", "South Co", "East Co"):
        response = await d.post(
            "bids",
            {"vendor": vendor, "amount": "75000.00", "claims": {"home_state": "IN"}},
            actor=vendor,
        )
        ids[response.json()["bid_id"]] = vendor
    await d.advance_to(chicago(2099, 3, 16, 14))
    opened = await d.ok("opening", {"witnesses": ["W"]})
    tie = opened["tie"]
    assert tie["rule"] == "lot" and sorted(tie["tied"]) == sorted(ids)
    assert tie["citation"] == "44 Ill. Adm. Code 1.2037(b)(2)" or "1.2037" in tie["citation"]
    # Drawn from a seed the opening fixed: asking again gives the same draw.
    assert (await d.get())["tie"] == tie
    losers = [b for b in ids if b != tie["winner"]]
    for loser in losers:
        refusal = await d.refused("award", {"bid_id": loser})
        assert refusal["code"] == "tie_decided_by_rule"
        assert ids[tie["winner"]] in refusal["reason"]
    decided = await d.ok(
        "award",
        {
            "bid_id": losers[0],
            "tie_decision": {"kind": "best_interest", "reasons": "Faster delivery record."},
        },
        actor="spo",
    )
    tie = decided["award"]["tie"]
    assert tie["rule"] == "lot" and tie["winner"] not in losers
    assert tie["draw"]["seed"].startswith(d.reference)
    assert tie["spo_decision"]["kind"] == "best_interest"


# ---- the schedule preview -------------------------------------------------------------


async def test_schedule_preview(api: httpx.AsyncClient) -> None:
    response = await api.post(
        "/v1/schedule",
        json={"method": "competitive_sealed_bidding", "publication_date": "2026-12-11"},
    )
    assert response.status_code == 200
    dates = {x["name"]: x["date"] for x in response.json()["dates"]}
    # 11 Dec + 14 = Fri 25 Dec (Christmas), Sat, Sun: Mon 28 Dec; award then, + 14 = Mon 11 Jan.
    assert dates["earliest_opening"] == "2026-12-28"
    assert dates["review_window_ends"] == "2027-01-11"
    assert dates["award_protest_closes"] == "2027-01-11"
    assert dates["written_explanation_filing_if_not_lowest"] == "2027-01-11"
    emergency = await api.post(
        "/v1/schedule", json={"method": "emergency", "publication_date": "2099-03-02"}
    )
    assert {x["name"]: x["date"] for x in emergency.json()["dates"]}[
        "emergency_disclosure_due"
    ] == "2099-03-09"
    auction = await api.post(
        "/v1/schedule", json={"method": "reverse_auction", "publication_date": "2099-03-02"}
    )
    assert {x["name"]: x["date"] for x in auction.json()["dates"]}[
        "award_due_after_auction"
    ] == "2099-05-15"
    bad = await api.post("/v1/schedule", json={"method": "barter", "publication_date": "x"})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"body.method", "body.publication_date"}


def test_schedule_cli(capsys: pytest.CaptureFixture[str]) -> None:
    from procure.cli import main

    assert main(["schedule", "--method", "sole_source", "--publish", "2099-03-02"]) == 0
    out = capsys.readouterr().out
    assert "2099-03-16  earliest_hearing  (30 ILCS 500/15-25(c-15))" in out
    assert date(2099, 3, 16).isoformat() in out


async def test_emergency_recorded_after_the_fact_counts_from_its_award(
    api: httpx.AsyncClient, env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    d = driver(api, env, "EM")
    assert (await d.launch(method="emergency", opening_at=None)).status_code == 201
    future = await d.refused(
        "award",
        {
            "vendor": "FloodFix",
            "price": "1.00",
            "reasons": "Flood.",
            "term_days": 10,
            "awarded_on": "2099-03-03",
        },
    )
    assert future["citation"] == "30 ILCS 500/20-30"
    # Awarded Mon 23 Feb, recorded Mon 2 Mar: 23 Feb + 5 = Sat 28 Feb, then Sun 1 Mar: the
    # disclosure was due Mon 2 Mar, today, and the agency is reminded at once.
    awarded = await d.ok(
        "award",
        {
            "vendor": "FloodFix",
            "price": "1.00",
            "reasons": "Flood.",
            "term_days": 10,
            "awarded_on": "2099-02-23",
        },
    )
    due = {x["name"]: x for x in awarded["deadlines"]}["emergency_disclosure_due:1"]
    assert due["due_on"] == "2099-03-02"
    assert awarded["emergency"]["term_ends_on"] == "2099-03-04"
    await d.advance_to(chicago(2099, 3, 2, 9, 1))
    offsets = [
        r["content"]["offset"]
        for r in await messages(pool, d.reference, "reminder:")
        if r["content"]["deadline"] == "emergency_disclosure_due:1"
    ]
    assert offsets == ["due"]


# ---- each office's protest rules (20-75; 10-20) -------------------------------------------


async def test_an_office_whose_protest_rule_is_not_loaded_says_so(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    # Only 44 Ill. Adm. Code 1.5550 (general services) is loaded; for higher education its
    # periods stand in, provisionally, and the view says whose rule it is not.
    general = driver(api, env, "GS")
    view = (await general.launch()).json()
    assert view["protest_rules"]["provisional"] is False
    assert view["protest_rules"]["citation"] == "44 Ill. Adm. Code 1.5550"
    higher = driver(api, env, "HE")
    launched = await higher.launch(chief_procurement_office="CPO-HE")
    assert launched.status_code == 201, launched.text
    rules = launched.json()["protest_rules"]
    assert (rules["office"], rules["provisional"], rules["own_rule"]) == (
        "CPO-HE",
        True,
        "44 Ill. Adm. Code 4.5550",
    )
    assert "until its own rule (44 Ill. Adm. Code 4.5550) is loaded" in rules["citation"]
    published = await higher.ok("publish")
    protest = {x["name"]: x for x in published["deadlines"]}["solicitation_protest_closes"]
    assert "applied for CPO-HE" in protest["citation"]


# ---- the procurement file for public inspection (20-10(d)) --------------------------------


async def test_the_procurement_file_is_public_after_the_award(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    d = driver(api, env, "FILE")
    bids = await d.through_opening()
    url = f"/v1/procurements/{d.reference}/file"
    # Before the award the record is the agency's: not public (20-10(d)).
    assert (await api.get(url)).status_code == 401
    assert (await api.get(f"/procurements/{d.reference}/file")).status_code == 401
    kept = await api.get(url, headers=await d.headers("agency"))
    assert kept.status_code == 200 and kept.json()["public"] is False
    await d.advance_to(chicago(2099, 3, 17, 10))
    await d.ok("award", {"bid_id": bids["Bolt Industries"]})

    record = (await api.get(url)).json()  # no credentials: open to public inspection
    assert record["public"] is True
    assert record["notices"][0]["kind"] == "invitation_for_bids"
    assert [(r["vendor"], r["amount"]) for r in record["tabulation"]] == [
        ("Bolt Industries", "91500.50"),
        ("Acme Supply", "98000.00"),
        ("Cobalt Corp", "104250.00"),
    ]
    assert record["award"]["vendor"] == "Bolt Industries"
    assert record["award"]["price"] == "91500.50"
    assert [s["trigger"] for s in record["steps"]] == ["launch", "publish", "open_bids", "award"]
    assert record["audit"]["verification"]["intact"] is True
    assert len(record["audit"]["entries"]) >= 7  # 4 steps and 3 bids received

    exported = await api.get(url, params={"format": "csv"})
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[0] == ["section", "position", "at", "who", "what", "citation", "detail"]
    sections = [r[0] for r in rows[1:]]
    assert sections.count("tabulation") == 3 and sections.count("award") == 1
    assert sections.count("audit") == len(record["audit"]["entries"])

    page = await api.get(f"/procurements/{d.reference}/file")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Bolt Industries" in page.text and "open to public inspection" in page.text
