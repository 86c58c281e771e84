"""The supervisors' dashboard: its list (filters, counts per state, sorting, paging, the last
step), one procurement's timeline (every step and date) and open items, the calendar of
deadlines (a month, two weeks), who may look, the pages, and the event stream.

Procurements are launched through the API on the time-skipping server from the anchor,
Monday 2 March 2099, 09:00 in Chicago; the clock then moves to Tuesday 17 March, 00:30, so
the bid opening set for Monday 16 March at 14:00 and never held has been overdue since the
end of its day. Each test works in an agency of its own, so rows of other tests never count.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from api.routes import dashboard
from db.deadlines import COLUMNS as DEADLINE_COLUMNS
from db.deadlines import deadline_rows
from db.migrate import upgrade
from db.pool import create_pool
from rules.calendar import CalendarRules, DeclaredClosure, default_rules, is_excluded_day
from state_machines import schedule
from state_machines.models import (
    AwardRecord,
    DocumentRequestRecord,
    Facts,
    WrittenExplanation,
)
from tests.driver import Driver, chicago, pure_facts
from tests.people import People
from workflows.payloads import read_model_snapshot

LIST = "/v1/dashboard/procurements"
NOW = chicago(2099, 3, 17, 0, 30)


@dataclass
class Seeded:
    agency: str
    overdue: str  # published, opening 16 March 14:00, never opened
    protest: str  # published, opening 23 March, a solicitation protest pending
    draft: str  # sealed proposals, a draft, opening 9 April
    later: str  # published, opening 30 March


def people(api: httpx.AsyncClient) -> People:
    found: People = api.people  # type: ignore[attr-defined]
    return found


async def as_role(api: httpx.AsyncClient, role: str, agency: str | None = None) -> dict[str, str]:
    if role in ("agency_buyer", "spo"):
        token = await people(api).token(role, agency=agency)
    elif role == "vendor":
        token = await people(api).token("vendor", vendor="Acme Supply")
    else:
        token = await people(api).token(role)
    return {"Authorization": f"Bearer {token}"}


async def eventually(check: Any) -> Any:
    """The read model is written by the workflows' activities: wait for it to catch up."""
    for _ in range(150):
        result = await check()
        if result:
            return result
        await asyncio.sleep(0.2)
    raise AssertionError("the read model did not reach the expected state in 30 s")


@pytest.fixture
async def seeded(api: httpx.AsyncClient, env: WorkflowEnvironment) -> Seeded:
    tag = uuid.uuid4().hex[:6].upper()
    agency = f"Department of Public Health {tag}"
    s = Seeded(agency, f"DPH-{tag}-A", f"DPH-{tag}-B", f"DPH-{tag}-C", f"DPH-{tag}-D")

    overdue = Driver(api, env, s.overdue)
    assert (await overdue.launch(agency=agency, title="Vaccine cold storage")).status_code == 201
    await overdue.ok("publish")

    protest = Driver(api, env, s.protest)
    launched = await protest.launch(
        agency=agency, title="Laboratory reagents", opening_at=chicago(2099, 3, 23, 14).isoformat()
    )
    assert launched.status_code == 201, launched.text
    await protest.ok("publish")
    filed = await protest.post(
        "protests",
        {"kind": "solicitation", "protester": "Acme Supply", "grounds": "Specs favour one brand."},
        actor="Acme Supply",
    )
    assert filed.status_code == 200, filed.text

    draft = Driver(api, env, s.draft)
    launched = await draft.launch(
        agency=agency,
        title="Epidemiology consulting",
        method="competitive_sealed_proposals",
        scoring={"price_points": "30", "other_points": "50"},
        opening_at=chicago(2099, 4, 9, 14).isoformat(),
    )
    assert launched.status_code == 201, launched.text

    later = Driver(api, env, s.later)
    launched = await later.launch(
        agency=agency, title="Ambulance tyres", opening_at=chicago(2099, 3, 30, 14).isoformat()
    )
    assert launched.status_code == 201, launched.text
    await later.ok("publish")

    await overdue.advance_to(NOW)
    return s


async def listing(api: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = await api.get(LIST, params=params, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def refs(body: dict[str, Any]) -> list[str]:
    return [row["reference"] for row in body["items"]]


async def test_list_filters_counts_sorting_and_paging(
    api: httpx.AsyncClient, seeded: Seeded
) -> None:
    s = seeded
    cpo = await as_role(api, "cpo")

    async def settled() -> dict[str, Any] | None:
        body = await listing(api, cpo, agency=s.agency)
        return body if len(body["items"]) == 4 else None

    everything = await eventually(settled)
    # Nearest deadline first; the draft's opening is the furthest.
    assert refs(everything) == [s.overdue, s.protest, s.later, s.draft]
    assert everything["counts"] == {"published": 3, "draft": 1}
    assert everything["total"] == 4
    assert datetime.fromisoformat(everything["as_of"]) >= NOW
    assert everything["viewer"]["role"] == "cpo" and everything["viewer"]["sees_every_agency"]

    rows = {row["reference"]: row for row in everything["items"]}
    late = rows[s.overdue]
    assert late["agency"] == s.agency and late["method"] == "competitive_sealed_bidding"
    assert late["state"] == "published" and late["overdue"] is True
    assert late["next_deadline"] == {
        "name": "bid_opening",
        "label": "Bid opening",
        "due_at": chicago(2099, 3, 16, 14).isoformat(),
        "due_on": "2099-03-16",
        "date_only": False,
        "days_left": -1,
        "status": "overdue",
    }
    # The list names the last step, not only when it was taken.
    assert late["last_step"]["name"] == "publish"
    assert late["last_step"]["label"] == "Notice published in the Bulletin"
    assert datetime.fromisoformat(late["last_step"]["at"]) < NOW
    assert rows[s.draft]["last_step"]["name"] == "launch"
    assert rows[s.protest]["last_step"]["name"] == "file_protest"
    assert late["page_url"] == f"/dashboard/procurements/{s.overdue}"
    assert rows[s.protest]["protest_pending"] is True and rows[s.protest]["overdue"] is False
    assert rows[s.protest]["next_deadline"]["days_left"] == 6  # Monday 23 March
    assert rows[s.protest]["next_deadline"]["status"] == "upcoming"
    assert rows[s.later]["next_deadline"]["days_left"] == 13
    assert rows[s.draft]["next_deadline"]["name"] == "proposal_opening"
    assert rows[s.draft]["method_name"].startswith("Competitive sealed proposals")

    # Filters, each alone.
    assert refs(await listing(api, cpo, agency=s.agency, overdue="true")) == [s.overdue]
    assert refs(await listing(api, cpo, agency=s.agency, protest_pending="true")) == [s.protest]
    assert refs(await listing(api, cpo, agency=s.agency, due_within_days=7)) == [s.protest]
    assert refs(await listing(api, cpo, agency=s.agency, due_within_days=14)) == [
        s.protest,
        s.later,
    ]
    assert refs(await listing(api, cpo, agency=s.agency, due_within_days=0)) == []
    proposals = await listing(api, cpo, agency=s.agency, method="competitive_sealed_proposals")
    assert refs(proposals) == [s.draft] and proposals["counts"] == {"draft": 1}

    # The state filter narrows the rows, not the counts, which serve to switch states.
    published = await listing(api, cpo, agency=s.agency, state="published")
    assert refs(published) == [s.overdue, s.protest, s.later]
    assert published["counts"] == {"published": 3, "draft": 1}
    assert published["total"] == 3
    both = await listing(api, cpo, agency=s.agency, state="draft", overdue="true")
    assert refs(both) == [] and both["counts"] == {"published": 1} and both["total"] == 0

    # Sorting, both ways.
    desc = await listing(api, cpo, agency=s.agency, sort="next_deadline", order="desc")
    assert refs(desc) == [s.draft, s.later, s.protest, s.overdue]
    by_ref = await listing(api, cpo, agency=s.agency, sort="reference")
    assert refs(by_ref) == sorted(refs(by_ref)) and len(by_ref["items"]) == 4
    by_ref_desc = await listing(api, cpo, agency=s.agency, sort="reference", order="desc")
    assert refs(by_ref_desc) == list(reversed(refs(by_ref)))
    by_state = await listing(api, cpo, agency=s.agency, sort="state")
    assert [r["state"] for r in by_state["items"]] == [
        "draft",
        "published",
        "published",
        "published",
    ]
    by_update = await listing(api, cpo, agency=s.agency, sort="updated")
    stamps = [r["updated_at"] for r in by_update["items"]]
    assert stamps == sorted(stamps, reverse=True)

    # Paging: one row a page, by keyset, in the same order as one page of all.
    for sort, order in (("next_deadline", "asc"), ("next_deadline", "desc"), ("agency", "asc")):
        seen: list[str] = []
        cursor = None
        for _ in range(10):
            params: dict[str, Any] = {"agency": s.agency, "sort": sort, "order": order, "limit": 1}
            if cursor:
                params["cursor"] = cursor
            page = await listing(api, cpo, **params)
            seen += refs(page)
            assert page["total"] == 4
            cursor = page["next_cursor"]
            if cursor is None:
                break
        whole = await listing(api, cpo, agency=s.agency, sort=sort, order=order)
        assert seen == refs(whole) and len(seen) == 4, (sort, order)

    # A cursor only fits the order it was made for.
    first = await listing(api, cpo, agency=s.agency, limit=1)
    other = await api.get(
        LIST,
        params={"agency": s.agency, "sort": "reference", "cursor": first["next_cursor"]},
        headers=cpo,
    )
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "query.cursor"


async def test_programs_get_the_same_filters_over_the_procurements_list(
    api: httpx.AsyncClient, seeded: Seeded
) -> None:
    s = seeded
    cpo = await as_role(api, "cpo")
    buyer = await as_role(api, "agency_buyer", s.agency)

    async def programs(headers: dict[str, str], **params: Any) -> dict[str, Any]:
        response = await api.get("/v1/procurements", params=params, headers=headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def settled() -> dict[str, Any] | None:
        body = await programs(cpo, agency=s.agency)
        return body if len(body["items"]) == 4 else None

    everything = await eventually(settled)
    # Newest first by default: the order of the launches, reversed.
    assert refs(everything) == [s.later, s.draft, s.protest, s.overdue]
    rows = {row["reference"]: row for row in everything["items"]}
    assert rows[s.overdue]["overdue"] is True and rows[s.protest]["protest_pending"] is True
    # The opening passed unheld: no longer the next deadline, still the one to watch.
    watch = rows[s.overdue]["watch"]
    assert watch["name"] == "bid_opening"
    assert datetime.fromisoformat(watch["due_at"]) == chicago(2099, 3, 16, 14)
    assert rows[s.protest]["next_deadline"]["name"] == "bid_opening"

    for params in (
        {"overdue": "true"},
        {"protest_pending": "true"},
        {"due_within_days": 14},
        {"method": "competitive_sealed_proposals"},
        {"state": "published", "sort": "next_deadline"},
        {"sort": "next_deadline", "order": "desc"},
    ):
        same = await listing(api, cpo, agency=s.agency, **params)
        ordered = {"sort": "next_deadline", **params}
        assert refs(await programs(cpo, agency=s.agency, **ordered)) == refs(same), params
    # A buyer's list is its own agency's, with or without naming it.
    assert set(refs(await programs(buyer, overdue="true"))) == {s.overdue}
    other = await api.get("/v1/procurements", params={"agency": "Elsewhere"}, headers=buyer)
    assert other.status_code == 403

    seen: list[str] = []
    cursor = None
    for _ in range(10):
        query: dict[str, Any] = {"agency": s.agency, "limit": 1, "sort": "created", "order": "asc"}
        if cursor:
            query["cursor"] = cursor
        page = await programs(cpo, **query)
        seen += refs(page)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [s.overdue, s.protest, s.draft, s.later]
    bad = await api.get("/v1/procurements", params={"due_within_days": -1}, headers=cpo)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "query.due_within_days"


async def test_agencies_see_their_own_and_vendors_and_the_public_nothing(
    api: httpx.AsyncClient, seeded: Seeded
) -> None:
    s = seeded
    own = await as_role(api, "agency_buyer", s.agency)
    mine = await listing(api, own)
    assert set(refs(mine)) == {s.overdue, s.protest, s.draft, s.later}
    assert mine["viewer"] == {
        "name": f"agency_buyer of {s.agency}",
        "role": "agency_buyer",
        "role_name": "agency buyer",
        "agency": s.agency,
        "sees_every_agency": False,
    }
    assert refs(await listing(api, own, overdue="true")) == [s.overdue]
    elsewhere = await api.get(LIST, params={"agency": "Department of Revenue"}, headers=own)
    assert elsewhere.status_code == 403
    assert s.agency in elsewhere.json()["reason"]

    spo_other = await as_role(api, "spo", "Department of Revenue")
    theirs = await listing(api, spo_other)
    assert not set(refs(theirs)) & {s.overdue, s.protest, s.draft, s.later}
    refused = await api.get(f"{LIST}/{s.overdue}", headers=spo_other)
    assert refused.status_code == 403 and s.agency in refused.json()["reason"]

    for oversight in ("ppb", "cei"):
        seen = await listing(api, await as_role(api, oversight), agency=s.agency)
        assert len(seen["items"]) == 4

    vendor = await as_role(api, "vendor")
    for path in (
        LIST,
        f"{LIST}/{s.overdue}",
        "/v1/dashboard/agencies",
        "/v1/dashboard/events",
        "/v1/dashboard/calendar",
    ):
        response = await api.get(path, headers=vendor)
        assert response.status_code == 403, path
        assert "vendors" in response.json()["reason"].lower()
        public = await api.get(path)
        assert public.status_code == 401, path
        assert public.json()["code"] == "unauthorized"

    agencies = (await api.get("/v1/dashboard/agencies", headers=await as_role(api, "cpo"))).json()
    assert s.agency in agencies["agencies"]
    assert agencies["agencies"] == sorted(agencies["agencies"])
    assert (await api.get("/v1/dashboard/agencies", headers=own)).json() == {"agencies": [s.agency]}


async def test_procurement_timeline_history_and_open_items(
    api: httpx.AsyncClient, seeded: Seeded
) -> None:
    s = seeded
    cpo = await as_role(api, "cpo")
    response = await api.get(f"{LIST}/{s.overdue}", headers=cpo)
    assert response.status_code == 200, response.text
    late = response.json()
    assert late["state"] == "published" and late["agency"] == s.agency
    timeline = late["timeline"]
    # The steps taken, then the notice's 14 days, which ran on 16 March (a day, not a
    # moment), and solicitation protests, closed at the opening.
    assert [(d["kind"], d["name"], d["status"]) for d in timeline["past"]] == [
        ("step", "launch", "done"),
        ("step", "publish", "done"),
        ("deadline", "earliest_opening", "met"),
        ("deadline", "solicitation_protest_closes", "passed"),
    ]
    earliest = timeline["past"][2]
    assert earliest["date_only"] is True and earliest["due_on"] == "2099-03-16"
    assert timeline["past"][3]["date_only"] is False
    assert timeline["past"][1]["label"] == "Notice published in the Bulletin"
    assert timeline["past"][1]["citation"] == "30 ILCS 500/20-10(c)"
    assert [(d["name"], d["status"]) for d in timeline["current"]] == [("bid_opening", "overdue")]
    assert timeline["coming"] == []
    opening = timeline["current"][0]
    assert opening["label"] == "Bid opening" and opening["days_left"] == -1
    assert opening["date_only"] is False
    assert opening["citation"] and opening["description"]
    assert late["open_items"] == {"document_requests": [], "protests": [], "filings_due": []}
    assert [h["trigger"] for h in late["history"]][:2] == ["launch", "publish"]
    assert late["workflow_url"].endswith(f"/namespaces/default/workflows/{s.overdue}")
    assert late["record_url"] == f"/v1/procurements/{s.overdue}"

    # The list and the procurement agree on what is overdue.
    rows = {r["reference"]: r for r in (await listing(api, cpo, agency=s.agency))["items"]}
    for reference in (s.overdue, s.protest, s.draft, s.later):
        detail = (await api.get(f"{LIST}/{reference}", headers=cpo)).json()
        statuses = [d["status"] for group in detail["timeline"].values() for d in group]
        assert rows[reference]["overdue"] == ("overdue" in statuses), reference

    protested = (await api.get(f"{LIST}/{s.protest}", headers=cpo)).json()
    [pending] = protested["open_items"]["protests"]
    assert pending["protest_id"] == "P-1" and pending["status"] == "pending"
    assert pending["kind"] == "solicitation" and pending["protester"] == "Acme Supply"
    assert [d["name"] for d in protested["timeline"]["current"]] == ["bid_opening"]
    assert protested["timeline"]["current"][0]["status"] == "upcoming"
    assert protested["next_deadline"]["days_left"] == 6

    draft = (await api.get(f"{LIST}/{s.draft}", headers=cpo)).json()
    assert draft["state"] == "draft"
    assert [d["name"] for d in draft["timeline"]["current"]] == ["proposal_opening"]

    missing = await api.get(f"{LIST}/DPH-NO-SUCH-ONE", headers=cpo)
    assert missing.status_code == 404
    bad = await api.get(f"{LIST}/not a reference", headers=cpo)
    assert bad.status_code == 422


CALENDAR = "/v1/dashboard/calendar"


async def calendar(
    api: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> dict[str, Any]:
    response = await api.get(CALENDAR, params=params, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def on_days(body: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(d["reference"], d["name"], d["due_on"]) for d in body["deadlines"]}


async def through_award(
    api: httpx.AsyncClient, env: WorkflowEnvironment, agency: str, reference: str, **launch: Any
) -> tuple[Driver, str]:
    """Launched and published on Monday 2 March, two bids, opened on 16 March at 14:00,
    awarded to the lowest on Tuesday 17 March at 10:00: the Board review window's last day is
    Tuesday 31 March (17 + 14), and so is the award protest period's, to 17:00."""
    proc = Driver(api, env, reference)
    assert (await proc.launch(agency=agency, **launch)).status_code == 201
    await proc.ok("publish")
    bids = {}
    for vendor, amount in (("Acme Supply", "98000.00"), ("Bolt Industries", "91500.50")):
        response = await proc.bid(vendor, amount)
        assert response.status_code == 201, response.text
        bids[vendor] = response.json()["bid_id"]
    await proc.advance_to(chicago(2099, 3, 16, 14))
    await proc.ok("opening", {"witnesses": ["R. Witness"]})
    await proc.advance_to(chicago(2099, 3, 17, 10))
    await proc.ok("award", {"bid_id": bids["Bolt Industries"]})
    return proc, bids["Bolt Industries"]


async def test_a_closed_procurement_shows_every_step_and_its_days_as_days(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    tag = uuid.uuid4().hex[:6].upper()
    agency = f"Department of Public Health {tag}"
    reference = f"DPH-{tag}-Z"
    proc, _ = await through_award(api, env, agency, reference)
    cpo = await as_role(api, "cpo")

    async def detail() -> dict[str, Any]:
        response = await api.get(f"{LIST}/{reference}", headers=cpo)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    # In the review window: its end is the day the API gives, 31 March, a whole day; the
    # protest period closes at a moment of that day.
    record = await proc.get()
    assert record["review_window"]["ends_on"] == "2099-03-31"
    shown = await detail()
    dates = {
        d["name"]: d
        for group in ("current", "coming")
        for d in shown["timeline"][group]
        if d["kind"] == "deadline"
    }
    window = dates["review_window_ends"]
    assert window["due_on"] == "2099-03-31" and window["on"] == "2099-03-31"
    assert window["date_only"] is True
    assert window["due_at"] == "2099-04-01T00:00:00-05:00"  # kept as the instant it has run
    assert window["citation"] == "30 ILCS 500/5-30(a)" and window["days_left"] == 14
    protests = dates["award_protest_closes"]
    assert protests["due_at"] == "2099-03-31T17:00:00-05:00" and protests["date_only"] is False
    # The calendar puts the window on its last day, never on the midnight after it.
    month = await calendar(api, cpo, on="2099-03-17", agency=agency)
    assert (reference, "review_window_ends", "2099-03-31") in on_days(month)
    assert not [d for d in month["deadlines"] if d["due_on"] == "2099-04-01"]
    [kept] = [d for d in month["deadlines"] if d["name"] == "review_window_ends"]
    assert kept["date_only"] is True and kept["status"] == "upcoming"

    await proc.advance_to(chicago(2099, 4, 1, 0, 1))
    await proc.ok("execute")
    assert await env.client.get_workflow_handle(reference).result() == "closed"

    async def closed() -> dict[str, Any] | None:
        body = await detail()
        return body if body["state"] == "closed" else None

    timeline = (await eventually(closed))["timeline"]
    assert timeline["current"] == [] and timeline["coming"] == []
    assert [(d["kind"], d["name"], d["status"]) for d in timeline["past"]] == [
        ("step", "launch", "done"),
        ("step", "publish", "done"),
        ("deadline", "earliest_opening", "met"),
        ("step", "open_bids", "done"),
        ("step", "award", "done"),
        ("deadline", "award_protest_closes", "met"),
        ("deadline", "review_window_ends", "met"),
        ("step", "execute", "done"),
        ("step", "close", "done"),
    ]
    past = {d["name"]: d for d in timeline["past"]}
    assert past["open_bids"]["label"] == "Offers opened"
    assert chicago(2099, 3, 16, 14) <= datetime.fromisoformat(past["open_bids"]["at"])
    assert datetime.fromisoformat(past["open_bids"]["at"]) < chicago(2099, 3, 16, 14, 1)
    assert past["award"]["from_state"] == "evaluation"
    assert past["award"]["to_state"] == "review_window"
    assert past["execute"]["label"] == "Contract executed"
    assert past["execute"]["citation"] == "30 ILCS 500/5-30(b)"
    assert past["close"]["actor"] == "system" and past["close"]["to_state"] == "closed"
    assert past["review_window_ends"]["due_on"] == "2099-03-31"
    assert past["review_window_ends"]["date_only"] is True
    assert all(d["citation"] for d in timeline["past"])

    row = (await listing(api, cpo, agency=agency))["items"][0]
    assert row["last_step"]["name"] == "close" and row["last_step"]["label"] == "Closed"
    # Still on the calendar of March, as what was met.
    month = await calendar(api, cpo, on="2099-03-01", agency=agency)
    assert {(d["name"], d["status"]) for d in month["deadlines"]} == {
        ("earliest_opening", "met"),
        ("award_protest_closes", "met"),
        ("review_window_ends", "met"),
    }


async def test_calendar_month_and_two_weeks_in_the_callers_scope(
    api: httpx.AsyncClient, seeded: Seeded
) -> None:
    s = seeded
    mine = {s.overdue, s.protest, s.draft, s.later}
    cpo = await as_role(api, "cpo")

    async def settled() -> dict[str, Any] | None:
        body = await calendar(api, cpo, on="2099-03-17", agency=s.agency)
        return body if {d["reference"] for d in body["deadlines"]} == mine - {s.draft} else None

    month = await eventually(settled)
    # March 2099 in whole weeks, Monday to Sunday: 1 March is a Sunday, 31 March a Tuesday.
    assert (month["view"], month["on"], month["starts_on"], month["ends_on"]) == (
        "month",
        "2099-03-17",
        "2099-02-23",
        "2099-04-05",
    )
    assert (month["today"], month["previous"], month["next"]) == (
        "2099-03-17",
        "2099-02-01",
        "2099-04-01",
    )
    assert month["truncated"] is False and month["viewer"]["role"] == "cpo"
    # Every deadline the procurements' own records give for these days, and nothing else.
    expected = set()
    for reference in mine:
        view = (await api.get(f"/v1/procurements/{reference}", headers=cpo)).json()
        for d in view["deadlines"]:
            if "2099-02-23" <= d["due_on"] <= "2099-04-05":
                expected.add((reference, d["name"], d["due_on"], d["due_at"], d["status"]))
    got = {
        (d["reference"], d["name"], d["due_on"], d["due_at"], d["status"])
        for d in month["deadlines"]
    }
    assert got == expected
    keys = [(d["due_on"], datetime.fromisoformat(d["due_at"])) for d in month["deadlines"]]
    assert keys == sorted(keys)
    by_key = {(d["reference"], d["name"]): d for d in month["deadlines"]}
    opening = by_key[(s.overdue, "bid_opening")]
    assert opening["due_on"] == "2099-03-16" and opening["status"] == "overdue"
    assert opening["days_left"] == -1 and opening["date_only"] is False
    assert opening["label"] == "Bid opening" and opening["citation"] == "30 ILCS 500/20-10(d)"
    assert opening["agency"] == s.agency and opening["title"] == "Vaccine cold storage"
    assert opening["page_url"] == f"/dashboard/procurements/{s.overdue}"
    earliest = by_key[(s.later, "earliest_opening")]
    assert earliest["date_only"] is True and earliest["due_on"] == "2099-03-16"
    assert by_key[(s.later, "bid_opening")]["due_on"] == "2099-03-30"
    assert by_key[(s.protest, "bid_opening")]["status"] == "upcoming"

    # Two weeks: the week of the day asked for (from its Monday) and the next.
    agenda = await calendar(api, cpo, view="agenda", on="2099-03-18", agency=s.agency)
    assert (agenda["starts_on"], agenda["ends_on"]) == ("2099-03-16", "2099-03-29")
    assert (agenda["previous"], agenda["next"]) == ("2099-03-02", "2099-03-30")
    assert (s.protest, "bid_opening", "2099-03-23") in on_days(agenda)
    assert (s.later, "bid_opening", "2099-03-30") not in on_days(agenda)
    assert on_days(agenda) == {k for k in on_days(month) if "2099-03-16" <= k[2] <= "2099-03-29"}
    following = await calendar(api, cpo, view="agenda", on=agenda["next"], agency=s.agency)
    assert on_days(following) == {
        (s.later, "bid_opening", "2099-03-30"),
        (s.draft, "proposal_opening", "2099-04-09"),
    }
    # Without a day: the service's today.
    assert (await calendar(api, cpo, agency=s.agency))["on"] == "2099-03-17"

    proposals = await calendar(
        api, cpo, on="2099-04-01", agency=s.agency, method="competitive_sealed_proposals"
    )
    assert on_days(proposals) == {(s.draft, "proposal_opening", "2099-04-09")}

    # The list's scope: a buyer sees its own agency's without naming it, no other.
    buyer = await as_role(api, "agency_buyer", s.agency)
    own = await calendar(api, buyer, on="2099-03-17")
    assert {d["agency"] for d in own["deadlines"]} == {s.agency}
    assert on_days(own) == on_days(month)
    assert own["viewer"]["sees_every_agency"] is False
    elsewhere = await api.get(CALENDAR, params={"agency": "Department of Revenue"}, headers=buyer)
    assert elsewhere.status_code == 403 and s.agency in elsewhere.json()["reason"]
    spo_other = await as_role(api, "spo", "Department of Revenue")
    theirs = await calendar(api, spo_other, on="2099-03-17")
    assert not {d["reference"] for d in theirs["deadlines"]} & mine
    everyone = await calendar(api, cpo, on="2099-03-17")
    assert on_days(month) <= on_days(everyone)
    vendor = await api.get(CALENDAR, headers=await as_role(api, "vendor"))
    assert vendor.status_code == 403 and "vendors" in vendor.json()["reason"].lower()
    assert (await api.get(CALENDAR)).status_code == 401

    for params, field in (
        ({"view": "year"}, "query.view"),
        ({"on": "1899-12-31"}, "query.on"),
        ({"on": "17 March"}, "query.on"),
        ({"method": "barter"}, "query.method"),
        ({"agency": ""}, "query.agency"),
    ):
        bad = await api.get(CALENDAR, params=params, headers=cpo)
        assert bad.status_code == 422, (params, bad.text)
        assert [e["field"] for e in bad.json()["errors"]] == [field], params


async def test_calendar_works_out_a_tolled_protest_period_as_of_now(
    api: httpx.AsyncClient, env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    """Bidders not yet notified: the award protest period is tolled day by day (15-25(b)), so
    its close moves without a step; the calendar gives it as the procurement's record does."""
    tag = uuid.uuid4().hex[:6].upper()
    agency = f"Department of Public Health {tag}"
    reference = f"DPH-{tag}-T"
    proc, _ = await through_award(api, env, agency, reference, bidder_notice="manual")
    await proc.advance_to(chicago(2099, 3, 21, 12))
    cpo = await as_role(api, "cpo")
    view = await proc.get()
    [closes] = [d for d in view["deadlines"] if d["name"] == "award_protest_closes"]
    assert closes["provisional"] is True
    kept = await pool.fetchrow(
        "SELECT due_at, provisional FROM procurement_deadlines WHERE reference = $1 "
        "AND name = 'award_protest_closes'",
        reference,
    )
    # Kept as of the award (the period's end if bidders were notified that day): 31 March;
    # tolled 4 days since, it now ends on Monday 6 April, past the grid of March.
    assert kept["provisional"] is True
    assert kept["due_at"] == chicago(2099, 3, 31, 17)
    assert closes["due_at"] == "2099-04-06T17:00:00-05:00"
    march = await calendar(api, cpo, on="2099-03-21", agency=agency)
    assert march["ends_on"] == "2099-04-05"
    assert not [d for d in march["deadlines"] if d["name"] == "award_protest_closes"]
    april = await calendar(api, cpo, on="2099-04-01", agency=agency)
    [shown] = [d for d in april["deadlines"] if d["name"] == "award_protest_closes"]
    assert (shown["due_at"], shown["due_on"]) == (closes["due_at"], closes["due_on"])
    assert shown["provisional"] is True and shown["status"] == "upcoming"


async def counts_now(pool: asyncpg.Pool) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The kept totals and the rows' own counts, read in one snapshot."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
        kept = await conn.fetch(
            "SELECT agency, method, state, n FROM procurement_counts WHERE n > 0 ORDER BY 1, 2, 3"
        )
        actual = await conn.fetch(
            "SELECT agency, method, state, count(*) FROM procurements GROUP BY 1, 2, 3 "
            "ORDER BY 1, 2, 3"
        )
    return [tuple(r) for r in kept], [tuple(r) for r in actual]


async def test_counts_kept_by_the_writes_match_the_rows(
    api: httpx.AsyncClient, seeded: Seeded, pool: asyncpg.Pool
) -> None:
    s = seeded
    kept, actual = await counts_now(pool)
    assert kept == actual
    assert s.agency in {row[0] for row in kept}
    cpo = await as_role(api, "cpo")
    assert (await listing(api, cpo, agency=s.agency))["counts"] == {"published": 3, "draft": 1}
    # A row that leaves the read model leaves the totals.
    await pool.execute("DELETE FROM procurements WHERE reference = $1", s.draft)
    kept, actual = await counts_now(pool)
    assert kept == actual
    assert (await listing(api, cpo, agency=s.agency))["counts"] == {"published": 3}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"sort": "title"}, "query.sort"),
        ({"order": "sideways"}, "query.order"),
        ({"state": "pending"}, "query.state"),
        ({"method": "barter"}, "query.method"),
        ({"limit": 0}, "query.limit"),
        ({"limit": 201}, "query.limit"),
        ({"due_within_days": -1}, "query.due_within_days"),
        ({"due_within_days": "soon"}, "query.due_within_days"),
        ({"overdue": "perhaps"}, "query.overdue"),
        ({"protest_pending": "perhaps"}, "query.protest_pending"),
        ({"cursor": "not-a-cursor"}, "query.cursor"),
        ({"cursor": "WyJ4Il0"}, "query.cursor"),
    ],
)
async def test_bad_parameters_are_refused_naming_the_field(
    api: httpx.AsyncClient, params: dict[str, Any], field: str
) -> None:
    response = await api.get(LIST, params=params, headers=await as_role(api, "cpo"))
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "invalid_request"
    assert [e["field"] for e in body["errors"]] == [field]


async def test_pages_and_assets(api: httpx.AsyncClient) -> None:
    page = await api.get("/dashboard")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    html = page.text
    assert 'id="signin-form"' in html and "Access token" in html
    assert "/dashboard/assets/dashboard.js?v=" in html and "<script>" not in html
    assert 'value="competitive_sealed_proposals"' in html and 'value="review_window"' in html

    month = await api.get("/dashboard/calendar")
    assert month.status_code == 200 and 'data-page="calendar"' in month.text
    assert (
        'id="view-agenda"' in month.text
        and "script-src 'self'" in month.headers["content-security-policy"]
    )
    assert 'href="/dashboard/calendar"' in html

    detail = await api.get("/dashboard/procurements/DPH-123-A")
    assert detail.status_code == 200 and 'data-reference="DPH-123-A"' in detail.text
    assert (await api.get("/dashboard/procurements/<script>")).status_code == 422

    script = await api.get("/dashboard/assets/dashboard.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith(
        "text/javascript"
    )
    assert "sessionStorage" in script.text and "innerHTML" not in script.text
    style = await api.get("/dashboard/assets/dashboard.css")
    assert style.status_code == 200 and style.headers["content-type"].startswith("text/css")
    assert (await api.get("/dashboard/assets/secrets.txt")).status_code == 404

    # The pages and the stream are not API operations.
    paths = (await api.get("/openapi.json")).json()["paths"]
    assert (
        "/v1/dashboard/procurements" in paths and "/v1/dashboard/procurements/{reference}" in paths
    )
    assert {"view", "on", "agency", "method"} == {
        p["name"] for p in paths["/v1/dashboard/calendar"]["get"]["parameters"]
    }
    assert "/dashboard" not in paths and "/v1/dashboard/events" not in paths
    assert "/dashboard/calendar" not in paths


async def test_events_announce_each_change_and_end_with_the_client(
    api: httpx.AsyncClient, env: WorkflowEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dashboard, "POLL_SECONDS", 0.1)
    tag = uuid.uuid4().hex[:6].upper()
    agency = f"Department of Public Health {tag}"
    first = Driver(api, env, f"DPH-{tag}-E1")
    assert (await first.launch(agency=agency)).status_code == 201
    token = (await as_role(api, "agency_buyer", agency))["Authorization"]

    app = api._transport.app  # type: ignore[attr-defined]
    received: asyncio.Queue[bytes] = asyncio.Queue()
    started: list[int] = []
    gone = asyncio.Event()
    asked = False

    async def receive() -> dict[str, Any]:
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            started.append(message["status"])
            headers = dict(message["headers"])
            assert headers[b"content-type"].startswith(b"text/event-stream")
        elif message["type"] == "http.response.body" and message.get("body"):
            await received.put(message["body"])

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/v1/dashboard/events",
        "raw_path": b"/v1/dashboard/events",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"procureflow"), (b"authorization", token.encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("procureflow", 80),
    }
    running = asyncio.create_task(app(scope, receive, send))

    async def next_event() -> str:
        while True:
            chunk = (await asyncio.wait_for(received.get(), 30)).decode()
            if chunk.startswith("event: "):
                return chunk.split("\n", 1)[0].removeprefix("event: ")

    try:
        assert await next_event() == "ready"
        assert started == [200]
        # A procurement of the agency changes: the stream says so.
        await first.ok("publish")
        assert await next_event() == "change"
        second = Driver(api, env, f"DPH-{tag}-E2")
        assert (await second.launch(agency=agency)).status_code == 201
        assert await next_event() == "change"
    finally:
        gone.set()
        await asyncio.wait_for(running, 10)
    assert running.done() and running.exception() is None


# ---- the columns PostgreSQL computes, against the rules they mirror --------------------------


def facts_for(**overrides: Any) -> Facts:
    return pure_facts("DPH-PURE-1", **overrides)


def awarded(decided: datetime, *, explanation: bool, calendar: CalendarRules) -> Facts:
    facts = facts_for()
    facts.calendar = calendar.to_dict()
    facts.state = "review_window"
    facts.published_on = date(2099, 3, 2)
    facts.opened_at = chicago(2099, 3, 16, 14)
    facts.award = AwardRecord(
        bid_id="b1",
        vendor="Acme Supply",
        lowest=not explanation,
        decided_at=decided,
        notice_on=decided.date(),
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
    return facts


def variants() -> list[Facts]:
    out = [facts_for()]  # a draft: no duty yet
    published = facts_for()
    published.state, published.published_on = "published", date(2099, 3, 2)
    out.append(published)
    opened = published.model_copy(deep=True)
    opened.state, opened.opened_at = "evaluation", chicago(2099, 3, 16, 14)
    out.append(opened)
    for method in ("competitive_sealed_proposals", "reverse_auction"):
        other = facts_for(method=method)
        other.state, other.published_on = "published", date(2099, 3, 2)
        out.append(other)
    auction = facts_for(method="reverse_auction")
    auction.state, auction.opened_at = "evaluation", chicago(2099, 3, 16, 14)
    auction.award_due_on = date(2099, 5, 15)
    out.append(auction)
    sole = facts_for(
        method="sole_source",
        opening_at=None,
        intended_contractor="Acme Supply",
        hearing_at=chicago(2099, 3, 17, 10).isoformat(),
    )
    sole.state = "published"
    out.append(sole)
    emergency = facts_for(method="emergency", opening_at=None)
    emergency.state = "awarded"
    emergency.disclosures = [
        {"due_on": "2099-03-09", "published_at": "2099-03-05T10:00:00-06:00"},
        {"due_on": "2099-03-20", "published_at": None},
    ]
    out.append(emergency)
    asked = awarded(chicago(2099, 3, 18, 10), explanation=False, calendar=default_rules())
    asked.document_requests = [
        DocumentRequestRecord(
            request_id="R-1",
            body="PPB",
            description="The bid file.",
            received_at=chicago(2099, 3, 19, 9),
            due_on=date(2099, 3, 26),
            answered_at=chicago(2099, 3, 20, 9),
        ),
        DocumentRequestRecord(
            request_id="R-2",
            body="CEI",
            description="Subcontracting plans.",
            received_at=chicago(2099, 3, 19, 9),
            due_on=date(2099, 3, 27),
        ),
    ]
    out.append(asked)
    # Written explanations decided on every day of a year, under three calendars: the
    # 14th day lands on weekends, named holidays, observed days and a declared closure.
    closure = DeclaredClosure(date(2099, 8, 17), "Declared closure", "Governor")
    calendars = (
        default_rules(),
        CalendarRules(observed_days=True),
        CalendarRules(declared_closures=(closure,)),
    )
    for offset in range(0, 366):
        decided = chicago(2099, 1, 1, 11) + timedelta(days=offset)
        out.append(awarded(decided, explanation=True, calendar=calendars[offset % 3]))
    filed = awarded(chicago(2099, 6, 1, 11), explanation=True, calendar=default_rules())
    filed.explanation_filed_with = ["LAC", "CEI", "PPB"]
    out.append(filed)
    return out


def first_duty(facts: Facts) -> tuple[str, datetime, datetime] | None:
    duties = [d for d in schedule.deadlines(facts, facts.created_at) if d.duty and not d.met]
    if not duties:
        return None
    first = min(duties, key=lambda d: (d.at, d.name))
    return first.name, first.at, first.overdue_at


async def test_computed_duty_matches_the_schedule(pool: asyncpg.Pool) -> None:
    cases = variants()
    rows = await pool.fetch(
        """SELECT (procure_first_duty(s)).name, (procure_first_duty(s)).due_at,
                  (procure_first_duty(s)).overdue_at
           FROM unnest($1::jsonb[]) WITH ORDINALITY AS t(s, n) ORDER BY n""",
        [read_model_snapshot(f) for f in cases],
    )
    kinds = set()
    for facts, row in zip(cases, rows, strict=True):
        expected = first_duty(facts)
        got = None if row["name"] is None else (row["name"], row["due_at"], row["overdue_at"])
        assert got == expected, (facts.method, facts.state, facts.award)
        if expected:
            kinds.add(expected[0].split(":")[0])
    assert kinds == {
        "bid_opening",
        "proposal_opening",
        "auction_ends",
        "award_due",
        "hearing",
        "emergency_disclosure_due",
        "documents_due",
        "written_explanation_filing",
    }


async def test_the_migration_fills_the_calendar_from_the_read_model(
    pool: asyncpg.Pool, database_url: str
) -> None:
    """Procurements already in the read model when migration 0011 runs get every deadline,
    as of their last write, as that write would have kept them; a cancelled one none."""
    name = f"procure_fill_{uuid.uuid4().hex[:8]}"
    await pool.execute(f'CREATE DATABASE "{name}"')
    url = urlunsplit(urlsplit(database_url)._replace(path=f"/{name}"))
    cases = variants()[:40]
    cancelled = cases[1].model_copy(deep=True)
    cancelled.state = "cancelled"
    cases.append(cancelled)
    try:
        await asyncio.to_thread(upgrade, url, "0010")
        other = await create_pool(url)
        try:
            written = [
                (f"R-{i:03d}", f, f.created_at + timedelta(days=20)) for i, f in enumerate(cases)
            ]
            await other.executemany(
                """INSERT INTO procurements (reference, agency, method, state, title,
                       launch_digest, revision, snapshot, created_at, updated_at)
                   VALUES ($1, $2, $3, $4, 't', 'x', 1, $5, $6, $7)""",
                [
                    (
                        r,
                        f.notice.agency,
                        f.method,
                        f.state,
                        read_model_snapshot(f),
                        f.created_at,
                        at,
                    )
                    for r, f, at in written
                ],
            )
            await asyncio.to_thread(upgrade, url, "0011")
            kept = await other.fetch(
                f"SELECT {', '.join(DEADLINE_COLUMNS)} FROM procurement_deadlines"
            )
        finally:
            await other.close()
    finally:
        await pool.execute(f'DROP DATABASE "{name}"')
    expected = [
        row for r, f, at in written for row in deadline_rows(r, f.notice.agency, f.method, f, at)
    ]
    assert sorted(tuple(k) for k in kept) == sorted(expected)
    assert len(expected) > 40 and not [k for k in kept if k["reference"] == "R-040"]


async def test_excluded_days_match_the_calendar(pool: asyncpg.Pool) -> None:
    closure = DeclaredClosure(date(2099, 8, 17), "Declared closure", "Governor")
    for rules in (
        default_rules(),
        CalendarRules(observed_days=True),
        CalendarRules(declared_closures=(closure,)),
    ):
        excluded = await pool.fetch(
            """SELECT d::date AS day FROM generate_series('2024-01-01'::date, '2101-12-31'::date,
                   interval '1 day') AS d WHERE procure_excluded_day(d::date, $1::jsonb)""",
            rules.to_dict(),
        )
        start = date(2024, 1, 1)
        expected = [
            start + timedelta(days=i)
            for i in range((date(2101, 12, 31) - start).days + 1)
            if is_excluded_day(start + timedelta(days=i), rules)
        ]
        assert [r["day"] for r in excluded] == expected
