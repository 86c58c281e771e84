"""The public Bulletin end to end: pages, the Atom feed, the 15-30 clearinghouse and the Open
Contracting releases, read without credentials after real procurements reach their awards.

Dates (from the anchor, Monday 2 March 2099, 09:00 in Chicago): every invitation is published
on 2 March; the bids open on Monday 16 March at 14:00 (2 + 14 days, 20-10(c)); the awards are
made on 17 March; the Board review window ends on 31 March (5-30(a)), so a contract may be
entered into from 1 April.
"""

from __future__ import annotations

import json
import re
import tempfile
import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlparse

import asyncpg
import httpx
import pytest
from libcoveocds.api import ocds_json_output
from libcoveocds.config import LibCoveOCDSConfig
from temporalio.testing import WorkflowEnvironment

from tests.conftest import REPO
from tests.driver import Driver, chicago

# OCDS 1.1.5 schemas, copied unchanged (see tests/ocds/README.md).
OCDS = REPO / "tests" / "ocds"
ATOM = "{http://www.w3.org/2005/Atom}"


# The standard as libcoveocds reads it, offline (tests/ocds/README.md).
STANDARD_ZIP = OCDS / "standard-1__1__5.zip"


def ocds_review(package: dict[str, Any]) -> dict[str, Any]:
    """libcoveocds's review of a release package against the shipped OCDS 1.1.5."""
    config = LibCoveOCDSConfig(
        {"standard_zip": STANDARD_ZIP.as_uri(), "context": "api", "additional_checks": "none"}
    )
    with tempfile.TemporaryDirectory() as out:
        result: dict[str, Any] = ocds_json_output(
            out, json_data=package, schema_version="1.1", lib_cove_ocds_config=config
        )
    return result


def test_the_ocds_check_refuses_a_field_the_standard_does_not_have() -> None:
    release = {
        "ocid": "ocds-abc123-IFB-1",
        "id": "1",
        "date": "2099-03-02T15:00:00+00:00",
        "tag": ["tender"],
        "initiationType": "tender",
        "tender": {"id": "IFB-1"},
    }
    package = {
        "uri": "https://example.gov/ocds",
        "version": "1.1",
        "publishedDate": "2099-03-02T15:00:00+00:00",
        "publisher": {"name": "Illinois"},
        "releases": [release],
    }
    assert_valid_ocds(package)
    with pytest.raises(AssertionError, match="next_cursor"):
        assert_valid_ocds(package | {"next_cursor": "x"})
    with pytest.raises(AssertionError, match="lots_total"):
        assert_valid_ocds(
            package | {"releases": [release | {"tender": {"id": "I", "lots_total": 2}}]}
        )
    # A value outside a closed codelist (the tender's status) and a release without its ocid.
    with pytest.raises(AssertionError, match="pending_review"):
        assert_valid_ocds(
            package | {"releases": [release | {"tender": {"id": "I", "status": "pending_review"}}]}
        )
    with pytest.raises(AssertionError, match="ocid"):
        assert_valid_ocds(
            package | {"releases": [{k: v for k, v in release.items() if k != "ocid"}]}
        )


def assert_valid_ocds(package: dict[str, Any]) -> None:
    """No error, no field the standard does not have, no value outside a closed codelist."""
    review = ocds_review(package)
    problems = {
        "errors": review["validation_errors"],
        "additional fields": review["additional_fields"],
        "closed codelist values": review["additional_closed_codelist_values"],
    }
    assert not any(problems.values()), json.dumps(problems, default=str)[:3000]


def tagged(package: dict[str, Any], tag: str) -> list[dict[str, Any]]:
    return [r for r in package["releases"] if tag in r["tag"]]


def near(stamp: str, moment: datetime) -> bool:
    """The instant, give or take the seconds the server's clock moves while a step runs."""
    return abs(datetime.fromisoformat(stamp) - moment) < timedelta(minutes=1)


def tag() -> str:
    return uuid.uuid4().hex[:8].upper()


async def public(api: httpx.AsyncClient, path: str, **params: Any) -> httpx.Response:
    """A request with no credentials at all."""
    response = await api.get(path, params=params or None)
    assert "authorization" not in {k.lower() for k in response.request.headers}
    return response


async def run_to_awards(
    api: httpx.AsyncClient, env: WorkflowEnvironment, plans: list[dict[str, Any]]
) -> list[Driver]:
    """Launch and publish each planned procurement on 2 March, take its bids, open them all on
    16 March at 14:00 and award each to its lowest bid on 17 March."""
    drivers = []
    for plan in plans:
        d = Driver(api, env, plan["reference"])
        launched = await d.launch(title=plan["title"], agency=plan["agency"])
        assert launched.status_code == 201, launched.text
        await d.ok("publish")
        plan["bid_ids"] = {}
        for vendor, amount in plan["bids"]:
            response = await d.bid(vendor, amount)
            assert response.status_code == 201, response.text
            plan["bid_ids"][vendor] = response.json()["bid_id"]
        drivers.append(d)
    plans[0]["before_award"] = await before_award(drivers[0])
    await drivers[0].advance_to(chicago(2099, 3, 16, 14))
    for d in drivers:
        await d.ok("opening", {"witnesses": ["R. Witness"]})
    await drivers[0].advance_to(chicago(2099, 3, 17, 10))
    for d, plan in zip(drivers, plans, strict=True):
        winner = min(plan["bids"], key=lambda b: Decimal(b[1]))[0]
        awarded = await d.ok("award", {"bid_id": plan["bid_ids"][winner]})
        assert awarded["state"] == "review_window"
    return drivers


async def before_award(d: Driver) -> dict[str, Any]:
    """What the public sees of a published procurement before its award."""
    clearing = await public(d.api, "/v1/clearinghouse", agency=d.agency)
    assert clearing.status_code == 200, clearing.text
    ocds = await public(d.api, f"/v1/procurements/{d.reference}/ocds")
    assert ocds.status_code == 200, ocds.text
    return {"clearinghouse": clearing.json(), "ocds": ocds.json()}


@pytest.fixture
def agency() -> str:
    return f"Department of Public Notice {tag()}"


async def test_pages_feed_and_clearinghouse_list_the_awards(
    api: httpx.AsyncClient, env: WorkflowEnvironment, agency: str
) -> None:
    t = tag()
    acme, bolt, cobalt = f"Acme {t}", f"Bolt {t}", f"Cobalt {t}"
    plans: list[dict[str, Any]] = [
        {
            "reference": f"IFB-A-{t}",
            "title": 'Road salt <script>alert("x")</script>',
            "agency": agency,
            "bids": [(acme, "50000.00"), (bolt, "60000.00")],
        },
        {
            "reference": f"IFB-B-{t}",
            "title": f"Snowplow blades lot {t}",
            "agency": agency,
            "bids": [(bolt, "75000.00"), (cobalt, "80000.00")],
        },
        {
            "reference": f"IFB-C-{t}",
            "title": "Traffic cones",
            "agency": agency,
            "bids": [(cobalt, "12000.50"), (acme, "13000.00")],
        },
    ]
    a, b, c = (p["reference"] for p in plans)
    await run_to_awards(api, env, plans)

    # Before the award the clearinghouse does not list the procurement, and its releases are
    # the tender alone.
    assert plans[0]["before_award"]["clearinghouse"]["contracts"] == []
    assert [r["tag"] for r in plans[0]["before_award"]["ocds"]["releases"]] == [["tender"]]
    after = (await public(api, f"/v1/procurements/{a}/ocds")).json()
    assert_valid_ocds(after)
    assert [r["tag"] for r in after["releases"]] == [["tender"], ["tenderUpdate"], ["award"]]
    # The opening tells how many offers came in, and only then.
    assert after["releases"][1]["tender"]["numberOfTenderers"] == 2
    assert after["releases"][2]["awards"][0]["suppliers"][0]["name"] == acme

    # The Bulletin's page lists the invitation and the award with their 15-25 content.
    page = await public(api, "/bulletin", reference=a)
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "<script" not in html and "&lt;script&gt;" in html
    assert html.count("<article") == 3  # with the commitments listed at the opening
    for text in (
        "Invitation for bids",
        "Notice of intent to award",
        "30 ILCS 500/15-25(a)",
        "30 ILCS 500/15-25(b-5)",
        "Date first offered",
        "Monday 2 March 2099",
        "Offers due",
        "Monday 16 March 2099, 14:00 CDT",
        "Purchasing State agency",
        agency,
        "Responsible State purchasing officer",
        "Method of source selection",
        "Competitive sealed bidding (30 ILCS 500/20-10)",
        "Successful responsible bidder or offeror",
        acme,
        "Contract price",
        "$50,000.00",
        "Number of unsuccessful bidders or offerors",
        "Hiring encouragement",
    ):
        assert text in html, text
    # Newest first: the award above the invitation.
    assert html.index("Notice of intent to award") < html.index("Invitation for bids:")

    # One notice a page: the keyset cursor walks the three notices, then stops.
    pages = [await public(api, "/bulletin", reference=a, limit=1)]
    while older := re.search(r'href="([^"]+)" rel="next"', pages[-1].text):
        cursor = parse_qs(urlparse(older.group(1).replace("&amp;", "&")).query)["cursor"][0]
        pages.append(await public(api, "/bulletin", reference=a, limit=1, cursor=cursor))
    assert [p.text.count("<article") for p in pages] == [1, 1, 1]
    assert "Notice of intent to award:" in pages[0].text
    assert "Offers received: their commitments" in pages[1].text
    assert "Invitation for bids:" in pages[2].text
    bad = await public(api, "/bulletin", cursor="not-a-cursor")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "query.cursor"

    notices = (await public(api, "/v1/bulletin", reference=a)).json()["notices"]
    award_id = next(n["notice_id"] for n in notices if n["kind"] == "notice_of_intent_to_award")
    one = await public(api, f"/bulletin/{award_id}")
    assert one.status_code == 200
    assert "<h1" in one.text and "Notice of intent to award" in one.text
    assert "<script" not in one.text and acme in one.text
    assert f"/v1/procurements/{a}/ocds" in one.text
    missing = await public(api, "/bulletin/999999999")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"

    # The Atom feed: well-formed, one entry per notice, each linking to its page.
    feed = await public(api, "/v1/bulletin/feed.atom", reference=a)
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(feed.content)
    assert root.tag == f"{ATOM}feed"
    assert root.findtext(f"{ATOM}id", "").startswith("tag:")
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 3
    titles = [e.findtext(f"{ATOM}title") for e in entries]
    assert titles[0] == f"Notice of intent to award: {plans[0]['title']}"
    assert titles[1] == f"Offers received: their commitments, published before the opening: {a}"
    assert titles[2] == f"Invitation for bids: {plans[0]['title']}"
    for entry in entries:
        assert (entry.findtext(f"{ATOM}id") or "").startswith(
            f"tag:procureflow.example,2099:bulletin/{a}/"
        )
        updated = entry.findtext(f"{ATOM}updated") or ""
        assert datetime.fromisoformat(updated).year == 2099
        link = entry.find(f"{ATOM}link")
        assert link is not None and re.fullmatch(
            r"http://procureflow/bulletin/\d+", link.get("href", "")
        )
        assert (await public(api, urlparse(link.get("href", "")).path)).status_code == 200
        assert "30 ILCS 500/" in (entry.findtext(f"{ATOM}summary") or "")
    assert "30 ILCS 500/20-10(d)" in (entries[1].findtext(f"{ATOM}summary") or "")
    assert acme in (entries[0].findtext(f"{ATOM}summary") or "")
    everything = await public(api, "/v1/bulletin/feed.atom", limit=200)
    assert ET.fromstring(everything.content).tag == f"{ATOM}feed"

    # The clearinghouse: one row per award, found by text, by awardee; sorted by price.
    ascending = await public(api, "/v1/clearinghouse", agency=agency, sort="price", order="asc")
    assert ascending.status_code == 200, ascending.text
    body = ascending.json()
    assert body["citation"] == "30 ILCS 500/15-30"
    rows = body["contracts"]
    assert [(r["reference"], r["awardee"], r["contract_price"]) for r in rows] == [
        (c, cobalt, "12000.50"),
        (a, acme, "50000.00"),
        (b, bolt, "75000.00"),
    ]
    row = rows[1]
    assert row["supply_or_service"] == plans[0]["title"]
    assert row["agency"] == agency
    assert row["date_first_offered"] == "2099-03-02"
    assert row["method"] == "Competitive sealed bidding (30 ILCS 500/20-10)"
    assert row["currency"] == "USD" and row["status"] == "awarded"
    descending = await public(api, "/v1/clearinghouse", agency=agency, sort="price", order="desc")
    assert [r["reference"] for r in descending.json()["contracts"]] == [b, a, c]
    by_awardee = await public(api, "/v1/clearinghouse", agency=agency, sort="awardee", order="asc")
    assert [r["awardee"] for r in by_awardee.json()["contracts"]] == [acme, bolt, cobalt]

    found = await public(api, "/v1/clearinghouse", q=f"LOT {t.lower()}")
    assert [r["reference"] for r in found.json()["contracts"]] == [b]
    found = await public(api, "/v1/clearinghouse", awardee=bolt.upper())
    assert [(r["reference"], r["contract_price"]) for r in found.json()["contracts"]] == [
        (b, "75000.00")
    ]
    assert (await public(api, "/v1/clearinghouse", q="100%_ of nothing")).json()["contracts"] == []

    # Paged by a cursor, and by an offset, in the same order.
    seen, cursor_value = [], None
    while True:
        params: dict[str, Any] = {"agency": agency, "sort": "price", "order": "desc", "limit": 1}
        if cursor_value:
            params["cursor"] = cursor_value
        page_json = (await public(api, "/v1/clearinghouse", **params)).json()
        seen += [r["reference"] for r in page_json["contracts"]]
        cursor_value = page_json["next_cursor"]
        if cursor_value is None:
            break
    assert seen == [b, a, c]
    skipped = await public(
        api, "/v1/clearinghouse", agency=agency, sort="price", order="desc", limit=1, offset=1
    )
    assert [r["reference"] for r in skipped.json()["contracts"]] == [a]

    # Bad parameters are refused with the field named.
    for params, name in (
        ({"sort": "bogus"}, "query.sort"),
        ({"order": "up"}, "query.order"),
        ({"limit": 0}, "query.limit"),
        ({"offset": 10_001}, "query.offset"),
        ({"cursor": "%%%"}, "query.cursor"),
        ({"q": "salt\x00"}, "query.q"),
        ({"agency": "x" * 201}, "query.agency"),
    ):
        refused = await public(api, "/v1/clearinghouse", **params)
        assert refused.status_code == 422, (params, refused.text)
        assert refused.json()["code"] == "invalid_request"
        assert name in [e["field"] for e in refused.json()["errors"]], refused.text
    mixed = (await public(api, "/v1/clearinghouse", agency=agency, sort="price", limit=1)).json()
    refused = await public(api, "/v1/clearinghouse", sort="awardee", cursor=mixed["next_cursor"])
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "query.cursor"

    # The clearinghouse page: the citation, the rows, escaped, with sortable columns.
    page = await public(api, "/clearinghouse", agency=agency, sort="price", order="desc")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "30 ILCS 500/15-30" in page.text
    assert "<script" not in page.text and "&lt;script&gt;" in page.text
    assert page.text.count("<tr>") == 4  # the header and three contracts
    assert (
        page.text.index("$75,000.00")
        < page.text.index("$50,000.00")
        < page.text.index("$12,000.50")
    )
    assert 'aria-sort="descending"' in page.text
    refused = await public(api, "/clearinghouse", sort="bogus")
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "query.sort"


async def test_ocds_release_package_follows_the_procurement(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    t = tag()
    d = Driver(api, env, f"IFB-OCDS-{t}")
    assert (await public(api, f"/v1/procurements/{d.reference}/ocds")).status_code == 404
    assert (await d.launch()).status_code == 201
    # A draft is not published: nothing to release yet.
    assert (await public(api, f"/v1/procurements/{d.reference}/ocds")).status_code == 404
    await d.ok("publish")

    # Published, not yet awarded: only the tender release.
    tender_only = (await public(api, f"/v1/procurements/{d.reference}/ocds")).json()
    assert_valid_ocds(tender_only)
    assert [r["tag"] for r in tender_only["releases"]] == [["tender"]]
    release = tender_only["releases"][0]
    assert release["ocid"] == f"ocds-prcflw-{d.reference}"
    assert release["initiationType"] == "tender"
    assert release["buyer"]["name"] == "Department of Transportation"
    assert release["parties"][0]["roles"] == ["buyer", "procuringEntity"]
    tender = release["tender"]
    assert tender["id"] == d.reference and tender["title"] == "Road salt, 2099-2100 season"
    assert tender["procurementMethod"] == "open"
    assert "30 ILCS 500/20-10" in tender["procurementMethodDetails"]
    assert "30 ILCS 500/15-25(a)" in tender["procurementMethodDetails"]
    assert tender["mainProcurementCategory"] == "goods"
    assert datetime.fromisoformat(tender["tenderPeriod"]["endDate"]) == chicago(2099, 3, 16, 14)
    assert near(tender["tenderPeriod"]["startDate"], chicago(2099, 3, 2, 9))
    assert tender_only["publisher"]["name"] and tender_only["version"] == "1.1"
    assert tender_only["uri"] == f"http://procureflow/v1/procurements/{d.reference}/ocds"

    bids = {}
    for vendor, amount in (
        ("Acme Supply", "98000.00"),
        ("Bolt Industries", "91500.50"),
        ("Cobalt Corp", "104250.00"),
    ):
        response = await d.bid(vendor, amount)
        assert response.status_code == 201, response.text
        bids[vendor] = response.json()["bid_id"]
    await d.advance_to(chicago(2099, 3, 16, 14))
    await d.ok("opening", {"witnesses": ["R. Witness"]})
    await d.advance_to(chicago(2099, 3, 17, 10))
    await d.ok("award", {"bid_id": bids["Bolt Industries"]})

    awarded = (await public(api, f"/v1/procurements/{d.reference}/ocds")).json()
    assert_valid_ocds(awarded)
    assert [r["tag"] for r in awarded["releases"]] == [["tender"], ["tenderUpdate"], ["award"]]
    award_release = tagged(awarded, "award")[0]
    (award,) = award_release["awards"]
    assert award["status"] == "pending"
    assert award["suppliers"] == [{"id": "supplier-bolt-industries", "name": "Bolt Industries"}]
    assert award["value"] == {"amount": 91500.5, "currency": "USD"}
    assert award_release["tender"]["numberOfTenderers"] == 3
    assert "supplier" in award_release["parties"][1]["roles"]
    assert "contracts" not in award_release

    # After the review window the contract is entered into: a contract release follows.
    await d.advance_to(chicago(2099, 4, 1, 0, 1))
    await d.ok("execute")
    executed = (await public(api, f"/v1/procurements/{d.reference}/ocds")).json()
    assert_valid_ocds(executed)
    (contract_release,) = tagged(executed, "contract")
    (contract,) = contract_release["contracts"]
    assert contract["awardID"] == award["id"] and contract["status"] == "active"
    assert contract["value"] == {"amount": 91500.5, "currency": "USD"}
    assert near(contract["dateSigned"], chicago(2099, 4, 1, 0, 1))
    assert datetime.fromisoformat(executed["publishedDate"]) >= chicago(2099, 4, 1, 0, 1)

    # Every release in the Bulletin, paged: the same releases, valid as a package.
    everything = (await public(api, "/v1/bulletin/ocds", reference=d.reference)).json()
    assert_valid_ocds(everything)  # as served: paging is links.next, nothing at the root
    assert sorted(r["id"] for r in everything["releases"]) == sorted(
        r["id"] for r in executed["releases"]
    )
    pages = [(await public(api, "/v1/bulletin/ocds", reference=d.reference, limit=1)).json()]
    assert "next_cursor" not in pages[0]
    assert pages[0]["links"]["next"].startswith("http://procureflow/")
    while (pages[-1].get("links") or {}).get("next"):
        following = pages[-1]["links"]["next"].removeprefix("http://procureflow")
        pages.append((await api.get(following)).json())
    # One notice a page: the invitation, the commitments at the opening, the award.
    assert len(pages) == 3
    assert {r["id"] for p in pages for r in p["releases"]} == {
        r["id"] for r in executed["releases"]
    }
    assert (await public(api, "/v1/procurements/not a reference/ocds")).status_code == 422


async def test_clearinghouse_drops_rescinded_awards_and_lists_emergency_purchases(
    api: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    """Notices as the persist step writes them: an award rescinded and made again, and an
    emergency purchase disclosed under 15-25(c) (with a later extension)."""
    t = tag()
    agency = f"Department of Rescission {t}"
    reference, emergency = f"IFB-R-{t}", f"EM-{t}"
    at = datetime(2099, 5, 4, 15, tzinfo=UTC)
    invitation = {
        "reference": reference,
        "title": "Salt domes",
        "description": "Two salt domes.",
        "agency": agency,
        "date_first_offered": "2099-04-06",
        "method": "Competitive sealed bidding (30 ILCS 500/20-10)",
        "citation": "30 ILCS 500/15-25(a)",
    }
    rows = [
        (reference, 2, "invitation_for_bids", invitation),
        (
            reference,
            8,
            "notice_of_intent_to_award",
            invitation
            | {
                "awardee": f"First {t}",
                "contract_price": "500.00",
                "unsuccessful_bidders": 1,
                "citation": "30 ILCS 500/15-25(b-5)",
            },
        ),
        (
            reference,
            9,
            "award_rescinded",
            {"reference": reference, "rescinded_awardee": f"First {t}"},
        ),
        (
            reference,
            12,
            "notice_of_intent_to_award",
            invitation
            | {
                "awardee": f"Second {t}",
                "contract_price": "650.00",
                "unsuccessful_bidders": 1,
                "citation": "30 ILCS 500/15-25(b-5)",
            },
        ),
        (
            emergency,
            3,
            "emergency_disclosure",
            {
                "reference": emergency,
                "kind": "award",
                "description": "Levee repair",
                "reasons": "Flooding",
                "total_cost": "80000.00",
                "cost_is_estimate": True,
                "contractor": f"Levee Works {t}",
                "agency": agency,
                "citation": "30 ILCS 500/15-25(c)",
            },
        ),
        (
            emergency,
            6,
            "emergency_disclosure",
            {
                "reference": emergency,
                "kind": "extension",
                "description": "Extension",
                "reasons": "Still flooding",
                "total_cost": "20000.00",
                "cost_is_estimate": False,
                "contractor": f"Levee Works {t}",
                "agency": agency,
                "citation": "30 ILCS 500/15-25(c)",
            },
        ),
    ]
    for i, (ref, seq, kind, content) in enumerate(rows):
        await pool.execute(
            """INSERT INTO bulletin_notices (reference, seq, kind, published_at, content)
               VALUES ($1, $2, $3, $4, $5)""",
            ref,
            seq,
            kind,
            at.replace(hour=15 + i),
            content,
        )

    listed = (
        await public(api, "/v1/clearinghouse", agency=agency.lower(), sort="price", order="asc")
    ).json()["contracts"]
    assert [
        (r["reference"], r["awardee"], r["contract_price"], r["notice_kind"]) for r in listed
    ] == [
        (reference, f"Second {t}", "650.00", "notice_of_intent_to_award"),
        (emergency, f"Levee Works {t}", "80000.00", "emergency_disclosure"),
    ]
    levee = listed[1]
    assert levee["method"] == "Emergency purchase (30 ILCS 500/20-30)"
    assert levee["date_first_offered"] == "2099-05-04"
    assert levee["supply_or_service"] == "Levee repair"
    assert (await public(api, "/v1/clearinghouse", awardee=f"First {t}")).json()["contracts"] == []

    page = await public(api, "/bulletin", reference=reference)
    assert "Award rescinded" in page.text and "later rescinded" in page.text

    # The rescission and the emergency purchase as OCDS releases.
    package = (await public(api, f"/v1/procurements/{reference}/ocds")).json()
    assert_valid_ocds(package)
    assert [r["tag"] for r in package["releases"]] == [
        ["tender"],
        ["award"],
        ["awardCancellation"],
        ["award"],
    ]
    assert package["releases"][2]["awards"] == [{"id": "award-8", "status": "cancelled"}]
    disclosed = (await public(api, f"/v1/procurements/{emergency}/ocds")).json()
    assert_valid_ocds(disclosed)
    assert [r["tag"] for r in disclosed["releases"]] == [["award"], ["contractAmendment"]]
    assert disclosed["releases"][0]["tender"]["procurementMethod"] == "direct"
    assert disclosed["releases"][0]["awards"][0]["value"] == {"amount": 80000.0, "currency": "USD"}
    amendment = disclosed["releases"][1]["contracts"][0]
    assert (
        amendment["id"] == "contract-3"
        and amendment["amendments"][0]["rationale"] == "Still flooding"
    )
