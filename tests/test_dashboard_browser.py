"""The dashboard in a real browser, against the service run the way a user runs it.

``procure dev --simulated-clock`` starts in a scratch directory on free ports; tokens come
from ``procure users create``; procurements are launched and published through the HTTP API
with openings worked out from the service's clock, which then moves past the first opening
day so those openings are overdue. Debian's Chromium, driven by Playwright, signs in as a
supervisor, filters to the overdue procurements, opens one and reads its timeline.

The calendar's test, last because it moves the clock to fixed days of 2099 (Monday 2 March,
09:00 in Chicago, then to the opening and the award), reads a month and two weeks of one
agency's deadlines and follows one to its procurement's timeline.

With PROCURE_UPDATE_SCREENSHOT=1 the pictures of the dashboard and the calendar in docs/ are
taken again.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, async_playwright, expect

from rules.calendar import CHICAGO, default_rules, is_excluded_day
from rules.periods import earliest_opening
from tests.stack import Service, running_service

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPO = Path(__file__).resolve().parent.parent
SCREENSHOT = REPO / "docs" / "dashboard.png"
CALENDAR_SCREENSHOT = REPO / "docs" / "calendar.png"


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium, installed with apt the first time (the test runs as root in CI)."""
    if not CHROMIUM.exists():
        apt = shutil.which("apt-get")
        if apt is None:
            pytest.fail("Chromium is missing and there is no apt-get to install it with.")
        done = subprocess.run(
            f"{apt} update && {apt} install -y --no-install-recommends chromium",
            shell=True,
            env=os.environ | {"DEBIAN_FRONTEND": "noninteractive"},
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0 or not CHROMIUM.exists():
            pytest.fail(
                "Installing Debian's chromium with apt-get failed (it needs root and the "
                f"Debian mirrors):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
            )
    return CHROMIUM


@pytest.fixture(scope="module")
def service() -> Iterator[Service]:
    # Outside pytest's private temporary root: PostgreSQL runs as its own system user when
    # the tests run as root, and must reach its data directory.
    with (
        tempfile.TemporaryDirectory(prefix="procure-dashboard-", ignore_cleanup_errors=True) as d,
        running_service(Path(d)) as service,
    ):
        yield service


async def supervisor_page(browser: Any) -> tuple[Page, list[str]]:
    """A page as a supervisor's browser shows it (a desktop window, US English, Chicago time),
    and the problems it meets: script errors and answers of 400 or more."""
    context = await browser.new_context(
        viewport={"width": 1440, "height": 1000},
        device_scale_factor=1,
        locale="en-US",
        timezone_id="America/Chicago",
    )
    page = await context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on(
        "response",
        lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )
    return page, problems


# ---- seeding through the API ------------------------------------------------------------------

OVERDUE = ("IFB-0101", "IFB-0302")


def open_day(on_or_after: date) -> date:
    """The first business day on or after a day (openings are set on working days)."""
    rules = default_rules()
    day = on_or_after
    while is_excluded_day(day, rules):
        day += timedelta(days=1)
    return day


def ref(short: str, year: int) -> str:
    """IFB-0101 in the year of the openings: IFB-<year>-0101."""
    prefix, number = short.split("-")
    return f"{prefix}-{year}-{number}"


def at_two(day: date) -> str:
    return datetime.combine(day, clock_time(14), tzinfo=CHICAGO).isoformat()


@dataclass
class Seeded:
    first_opening: date
    after: datetime  # the clock once the first opening day has run
    year: int


def operator(svc: Service) -> dict[str, str]:
    """Only an operator moves the simulated clock."""
    token = svc.token("operator", "--name", "Dev operator", "--role", "operator")
    return {"Authorization": f"Bearer {token}"}


async def seed(client: httpx.AsyncClient, svc: Service) -> Seeded:
    now = datetime.fromisoformat((await client.get("/v1/dev/clock")).json()["now"])
    today = now.astimezone(CHICAGO).date()
    first = open_day(earliest_opening(today, default_rules()))
    year = first.year

    def buyer(agency: str) -> dict[str, str]:
        token = svc.token(
            agency, "--name", f"Buyer, {agency}", "--role", "agency_buyer", "--agency", agency
        )
        return {"Authorization": f"Bearer {token}"}

    dot, dph = "Department of Transportation", "Department of Public Health"
    doc, dnr = "Department of Corrections", "Department of Natural Resources"
    cms = "Department of Central Management Services"
    # (reference, agency, title, method, opening, publish?)
    plan: list[tuple[str, str, str, str, date, bool]] = [
        ("IFB-0101", dot, "Road salt, winter season", "competitive_sealed_bidding", first, True),
        (
            "IFB-0102",
            dot,
            "Bridge deck sealant",
            "competitive_sealed_bidding",
            open_day(first + timedelta(days=10)),
            True,
        ),
        (
            "IFB-0103",
            dot,
            "Snowplow blades",
            "competitive_sealed_bidding",
            open_day(first + timedelta(days=12)),
            True,
        ),
        (
            "RFP-0201",
            dph,
            "Statewide immunization registry",
            "competitive_sealed_proposals",
            open_day(first + timedelta(days=14)),
            True,
        ),
        (
            "IFB-0202",
            dph,
            "Laboratory reagents",
            "competitive_sealed_bidding",
            open_day(first + timedelta(days=7)),
            True,
        ),
        (
            "IFB-0301",
            doc,
            "Correctional food service supplies",
            "competitive_sealed_bidding",
            open_day(first + timedelta(days=28)),
            False,
        ),
        ("IFB-0302", doc, "Perimeter fence repair", "competitive_sealed_bidding", first, True),
        (
            "RA-0401",
            dnr,
            "Park maintenance equipment",
            "reverse_auction",
            open_day(first + timedelta(days=9)),
            True,
        ),
        (
            "IFB-0501",
            cms,
            "Office furniture, Springfield campus",
            "competitive_sealed_bidding",
            open_day(first + timedelta(days=35)),
            False,
        ),
        (
            "RFP-0502",
            cms,
            "Enterprise fleet telematics",
            "competitive_sealed_proposals",
            open_day(first + timedelta(days=21)),
            True,
        ),
    ]
    for suffix, agency, title, method, opening, publish in plan:
        reference = ref(suffix, year)
        body: dict[str, Any] = {
            "reference": reference,
            "title": title,
            "description": f"{title}, delivered as the specifications describe.",
            "agency": agency,
            "method": method,
            "state_purchasing_officer": "Pat Example, SPO",
            "submission_location": f"Illinois BidBuy, solicitation {reference}",
            "documents_info": "Specifications and forms on Illinois BidBuy.",
            "opening_at": at_two(opening),
        }
        if method == "competitive_sealed_proposals":
            body["scoring"] = {"price_points": "30", "other_points": "50"}
        if method == "reverse_auction":
            body["auction_determination"] = "An auction is in the State's best interest."
        launched = await client.post("/v1/procurements", json=body, headers=buyer(agency))
        assert launched.status_code == 201, launched.text
        if publish:
            published = await client.post(
                f"/v1/procurements/{reference}/publish", headers=buyer(agency)
            )
            assert published.status_code == 200, published.text
    # A vendor protests a solicitation; one procurement is cancelled.
    vendor = svc.token(
        "vendor", "--name", "Acme sales", "--role", "vendor", "--vendor", "Acme Supply"
    )
    protest = await client.post(
        f"/v1/procurements/IFB-{year}-0202/protests",
        json={
            "kind": "solicitation",
            "protester": "Acme Supply",
            "grounds": "The specifications name one brand.",
        },
        headers={"Authorization": f"Bearer {vendor}"},
    )
    assert protest.status_code == 200, protest.text
    cancelled = await client.post(
        f"/v1/procurements/IFB-{year}-0103/cancel",
        json={"reason": "The need was met under an existing master contract."},
        headers=buyer(dot),
    )
    assert cancelled.status_code == 200, cancelled.text
    # Past the end of the first opening day: the two openings set for it are overdue.
    after = datetime.combine(first + timedelta(days=1), clock_time(8, 30), tzinfo=CHICAGO)
    moved = await client.post(
        "/v1/dev/clock/advance", json={"to": after.isoformat()}, headers=operator(svc)
    )
    assert moved.status_code == 200, moved.text
    return Seeded(first, after, year)


async def wait_for_overdue(client: httpx.AsyncClient, headers: dict[str, str], count: int) -> None:
    deadline = asyncio.get_running_loop().time() + 60
    while True:
        body = (
            await client.get(
                "/v1/dashboard/procurements", params={"overdue": "true"}, headers=headers
            )
        ).json()
        if len(body["items"]) == count:
            return
        assert asyncio.get_running_loop().time() < deadline, body
        await asyncio.sleep(0.5)


# ---- the browser --------------------------------------------------------------------------------


async def sign_in(page: Page, base: str, token: str) -> None:
    await page.goto(f"{base}/dashboard")
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    await page.get_by_label("Access token").fill(token)
    await page.get_by_role("button", name="Sign in").click()


async def test_supervisor_filters_to_overdue_and_reads_a_timeline(
    chromium: Path, service: Service, tmp_path: Path
) -> None:
    svc = service
    async with httpx.AsyncClient(base_url=svc.base, timeout=60) as client:
        seeded = await seed(client, svc)
        year = seeded.year
        cpo = svc.token("cpo", "--name", "Casey Supervisor", "--role", "cpo")
        await wait_for_overdue(client, {"Authorization": f"Bearer {cpo}"}, len(OVERDUE))

        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
            try:
                page, problems = await supervisor_page(browser)

                await sign_in(page, svc.base, cpo)
                rows = page.locator("#rows tr")
                await expect(rows).to_have_count(10)
                await expect(page.locator("#who")).to_contain_text("chief procurement officer")
                await expect(page.locator("#live")).to_contain_text("Live")
                counts = page.locator("#counts")
                await expect(counts.locator('[data-state="published"] .count-n')).to_have_text("7")
                await expect(counts.locator('[data-state="draft"] .count-n')).to_have_text("2")
                await expect(counts.locator('[data-state="cancelled"] .count-n')).to_have_text("1")
                await expect(counts.locator('[data-state="all"] .count-n')).to_have_text("10")
                # Nearest deadline first: the overdue openings lead the list.
                await expect(rows.nth(0)).to_contain_text("overdue")
                await expect(page.locator(f'tr[data-reference="IFB-{year}-0202"]')).to_contain_text(
                    "protest pending"
                )
                if os.environ.get("PROCURE_UPDATE_SCREENSHOT") == "1":
                    SCREENSHOT.parent.mkdir(exist_ok=True)
                    await page.screenshot(path=str(SCREENSHOT), full_page=True)

                # Only what is overdue.
                await page.get_by_label("Overdue").check()
                await expect(rows).to_have_count(len(OVERDUE))
                for suffix in OVERDUE:
                    reference = ref(suffix, year)
                    row = page.locator(f'tr[data-reference="{reference}"]')
                    await expect(row).to_contain_text("Bid opening")
                    await expect(row).to_contain_text("overdue")
                    await expect(row).to_contain_text("1 day overdue")
                assert "overdue=true" in page.url

                # The list follows the read model without a reload.
                await page.get_by_label("Overdue").uncheck()
                await expect(rows).to_have_count(10)
                await page.evaluate("() => { window.__kept = 'same page'; }")
                buyer = svc.token(
                    "Department of Revenue",
                    "--name",
                    "Buyer, Revenue",
                    "--role",
                    "agency_buyer",
                    "--agency",
                    "Department of Revenue",
                )
                late_comer = await client.post(
                    "/v1/procurements",
                    json={
                        "reference": f"IFB-{year}-0601",
                        "title": "Tax form printing",
                        "agency": "Department of Revenue",
                        "opening_at": at_two(open_day(seeded.after.date() + timedelta(days=20))),
                    },
                    headers={"Authorization": f"Bearer {buyer}"},
                )
                assert late_comer.status_code == 201, late_comer.text
                await expect(page.locator(f'tr[data-reference="IFB-{year}-0601"]')).to_be_visible(
                    timeout=20_000
                )
                assert await page.evaluate("window.__kept") == "same page"

                # One procurement: its timeline, open items and workflow.
                await page.get_by_label("Overdue").check()
                await page.get_by_role("link", name=f"IFB-{year}-0101").click()
                await page.wait_for_url(f"**/dashboard/procurements/IFB-{year}-0101")
                await expect(page.locator("#d-title")).to_have_text("Road salt, winter season")
                timeline = page.locator("#timeline")
                current = timeline.locator('[data-group="current"]')
                await expect(current.locator('[data-name="bid_opening"]')).to_contain_text(
                    "Bid opening"
                )
                await expect(current.locator('[data-name="bid_opening"]')).to_contain_text(
                    "overdue"
                )
                await expect(current).to_contain_text("bid_opening")
                past = timeline.locator('[data-group="past"]')
                await expect(past.locator('[data-name="earliest_opening"]')).to_contain_text("met")
                await expect(
                    past.locator('[data-name="solicitation_protest_closes"]')
                ).to_contain_text("passed")
                await expect(page.locator("#history")).to_contain_text("publish")
                await page.screenshot(path=str(tmp_path / "procurement.png"), full_page=True)
                # The time-skipping server has no Web UI: no link that would go nowhere.
                await expect(
                    page.get_by_role("link", name="Workflow in Temporal UI ↗")
                ).to_have_count(0)
                # Back to the list keeps the filter.
                await page.locator("#back").click()
                await expect(rows).to_have_count(len(OVERDUE))

                # The tab keeps its sign-in: the protested procurement shows its open protest.
                await page.goto(f"{svc.base}/dashboard/procurements/IFB-{year}-0202")
                await expect(page.locator("#open-items")).to_contain_text("Acme Supply")
                await expect(page.locator("#open-items")).to_contain_text("solicitation protest")
                assert problems == [], problems
            finally:
                await browser.close()


async def test_agency_sees_its_own_and_a_vendor_is_told_why_not(
    chromium: Path, service: Service
) -> None:
    svc = service
    agency = "Department of Veterans' Affairs"
    buyer = svc.token(
        agency, "--name", "Buyer, Veterans", "--role", "agency_buyer", "--agency", agency
    )
    vendor = svc.token(
        "vendor-b", "--name", "Bolt sales", "--role", "vendor", "--vendor", "Bolt Industries"
    )
    async with httpx.AsyncClient(base_url=svc.base, timeout=60) as client:
        now = datetime.fromisoformat((await client.get("/v1/dev/clock")).json()["now"])
        opening = open_day(now.astimezone(CHICAGO).date() + timedelta(days=30))
        launched = await client.post(
            "/v1/procurements",
            json={
                "reference": "IFB-VA-0001",
                "title": "Home furnishings",
                "agency": agency,
                "opening_at": at_two(opening),
            },
            headers={"Authorization": f"Bearer {buyer}"},
        )
        assert launched.status_code == 201, launched.text

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            await sign_in(page, svc.base, buyer)
            await expect(page.locator("#rows tr")).to_have_count(1)
            await expect(page.locator("#rows")).to_contain_text("IFB-VA-0001")
            await expect(page.locator("#f-agency")).to_be_disabled()
            await expect(page.locator("#who")).to_contain_text(agency)

            await page.get_by_role("button", name="Sign out").click()
            await page.get_by_label("Access token").fill(vendor)
            await page.get_by_role("button", name="Sign in").click()
            await expect(page.locator("#signin-error")).to_contain_text("vendors read the Bulletin")

            await page.get_by_label("Access token").fill("pf_not-a-token")
            await page.get_by_role("button", name="Sign in").click()
            await expect(page.locator("#signin-error")).to_contain_text("unknown")
        finally:
            await browser.close()


# ---- the calendar ---------------------------------------------------------------------------

CAL_AGENCY = "Department of Innovation and Technology"


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=CHICAGO)


async def seed_calendar(client: httpx.AsyncClient, svc: Service) -> None:
    """From Monday 2 March 2099: IFB-CAL-0001 published, two bids, opened on Monday 16 March
    at 14:00 and awarded on Tuesday 17 March at 10:00, so its Board review window runs
    through Tuesday 31 March (5-30(a)) and its protest period to 17:00 that day; IFB-CAL-0002
    published, opening Monday 23 March at 14:00; RFP-CAL-0003 a draft, opening Thursday
    9 April. The clock stays at the award."""
    clock = datetime.fromisoformat((await client.get("/v1/dev/clock")).json()["now"])
    assert clock < at(2099, 3, 2, 9), "the simulated clock is already past the calendar's days"

    async def advance(to: datetime) -> None:
        moved = await client.post(
            "/v1/dev/clock/advance", json={"to": to.isoformat()}, headers=operator(svc)
        )
        assert moved.status_code == 200, moved.text

    await advance(at(2099, 3, 2, 9))
    token = svc.token(
        CAL_AGENCY, "--name", "Buyer, DoIT", "--role", "agency_buyer", "--agency", CAL_AGENCY
    )
    buyer = {"Authorization": f"Bearer {token}"}
    plan = [
        ("IFB-CAL-0001", "Network switches", "competitive_sealed_bidding", at(2099, 3, 16, 14)),
        ("IFB-CAL-0002", "Laptop computers", "competitive_sealed_bidding", at(2099, 3, 23, 14)),
        ("RFP-CAL-0003", "Case management software", "competitive_sealed_proposals", None),
    ]
    for reference, title, method, opening in plan:
        body: dict[str, Any] = {
            "reference": reference,
            "title": title,
            "agency": CAL_AGENCY,
            "method": method,
            "description": f"{title}, delivered as the specifications describe.",
            "state_purchasing_officer": "Pat Example, SPO",
            "submission_location": f"Illinois BidBuy, solicitation {reference}",
            "documents_info": "Specifications and forms on Illinois BidBuy.",
            "opening_at": (opening or at(2099, 4, 9, 14)).isoformat(),
        }
        if method == "competitive_sealed_proposals":
            body["scoring"] = {"price_points": "30", "other_points": "50"}
        launched = await client.post("/v1/procurements", json=body, headers=buyer)
        assert launched.status_code == 201, launched.text
        if opening is not None:
            published = await client.post(f"/v1/procurements/{reference}/publish", headers=buyer)
            assert published.status_code == 200, published.text
    bids = {}
    for key, vendor, amount in (
        ("vendor", "Acme Supply", "98000.00"),
        ("vendor-b", "Bolt Industries", "91500.50"),
    ):
        token = svc.token(key, "--name", f"{vendor} sales", "--role", "vendor", "--vendor", vendor)
        sent = await client.post(
            "/v1/procurements/IFB-CAL-0001/bids",
            json={"vendor": vendor, "amount": amount, "bid_credit": "0"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert sent.status_code == 201, sent.text
        bids[vendor] = sent.json()["bid_id"]
    await advance(at(2099, 3, 16, 14))
    opened = await client.post(
        "/v1/procurements/IFB-CAL-0001/opening",
        json={"witnesses": ["R. Witness"]},
        headers=buyer,
    )
    assert opened.status_code == 200, opened.text
    await advance(at(2099, 3, 17, 10))
    awarded = await client.post(
        "/v1/procurements/IFB-CAL-0001/award",
        json={"bid_id": bids["Bolt Industries"]},
        headers=buyer,
    )
    assert awarded.status_code == 200, awarded.text


async def wait_for_calendar(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    """Until the read model holds the award's deadlines (the worker writes it)."""
    deadline = asyncio.get_running_loop().time() + 60
    while True:
        body = (
            await client.get(
                "/v1/dashboard/calendar",
                params={"on": "2099-03-17", "agency": CAL_AGENCY},
                headers=headers,
            )
        ).json()
        if any(d["name"] == "review_window_ends" for d in body["deadlines"]):
            return
        assert asyncio.get_running_loop().time() < deadline, body
        await asyncio.sleep(0.5)


async def test_the_api_docs_render_with_the_network_cut_off(
    chromium: Path, service: Service
) -> None:
    """/docs (Swagger UI) and /redoc (ReDoc), with their scripts and styles served by the
    service itself (from the fastapi-offline package): with every request to anywhere else
    refused, both render the API, and nothing was asked of another host."""
    service_host = httpx.URL(service.base).host
    elsewhere: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context()

            async def offline(route: Any) -> None:
                if httpx.URL(route.request.url).host == service_host:
                    await route.continue_()
                else:
                    elsewhere.append(route.request.url)
                    await route.abort("internetdisconnected")

            await context.route("**/*", offline)
            page = await context.new_page()
            await page.goto(f"{service.base}/docs")
            await expect(page.locator(".swagger-ui .info .title")).to_contain_text("procureflow")
            await expect(page.locator(".opblock-tag").first).to_be_visible()
            await page.goto(f"{service.base}/redoc")
            await expect(page.locator("h1").first).to_contain_text("procureflow")
        finally:
            await browser.close()
    assert elsewhere == []


async def test_supervisor_plans_by_month_and_two_weeks(chromium: Path, service: Service) -> None:
    svc = service
    async with httpx.AsyncClient(base_url=svc.base, timeout=60) as client:
        await seed_calendar(client, svc)
        cpo = svc.token("cpo", "--name", "Casey Supervisor", "--role", "cpo")
        await wait_for_calendar(client, {"Authorization": f"Bearer {cpo}"})

        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
            try:
                page, problems = await supervisor_page(browser)

                await sign_in(page, svc.base, cpo)
                await page.get_by_role("link", name="Calendar").click()
                await page.wait_for_url("**/dashboard/calendar")
                # The month of the service's today, Tuesday 17 March 2099.
                await expect(page.locator("#cal-range")).to_have_text("March 2099")
                await page.get_by_label("Agency").select_option(CAL_AGENCY)
                await expect(page.locator("#cal-scope")).to_contain_text(CAL_AGENCY)
                assert "agency=Department" in page.url
                month = page.locator("#month")
                await expect(month.locator('[data-day="2099-03-17"]')).to_have_class(
                    re.compile("is-today")
                )
                # The window runs through 31 March: on that day, not on the midnight after.
                last_day = month.locator('[data-day="2099-03-31"]')
                window = last_day.locator('[data-name="review_window_ends"]')
                await expect(window).to_contain_text("Board review window ends")
                await expect(window).to_contain_text("IFB-CAL-0001")
                await expect(window).not_to_contain_text("12:00")
                await expect(
                    last_day.locator('[data-name="award_protest_closes"]')
                ).to_contain_text("5:00 PM")
                await expect(month.locator('[data-day="2099-04-01"] .cal-item')).to_have_count(0)
                opening = month.locator('[data-day="2099-03-23"] [data-name="bid_opening"]')
                await expect(opening).to_contain_text("IFB-CAL-0002")
                await expect(opening).to_have_attribute("data-status", "upcoming")
                # Offers opened on 16 March: no opening left to wait for, only the first day
                # the notice allowed (met).
                opened_day = month.locator('[data-day="2099-03-16"]')
                await expect(opened_day.locator('[data-name="earliest_opening"]')).to_have_count(2)
                await expect(opened_day.locator('[data-name="bid_opening"]')).to_have_count(0)
                if os.environ.get("PROCURE_UPDATE_SCREENSHOT") == "1":
                    await page.screenshot(path=str(CALENDAR_SCREENSHOT), full_page=True)

                # Two weeks from the Monday of today's week.
                await page.get_by_role("button", name="Two weeks").click()
                agenda = page.locator("#agenda")
                await expect(agenda).to_be_visible()
                await expect(page.locator("#cal-range")).to_have_text(
                    "Mon, Mar 16, 2099 – Sun, Mar 29, 2099"
                )
                monday = agenda.locator('[data-day="2099-03-23"] [data-name="bid_opening"]')
                await expect(monday).to_contain_text("2:00 PM")
                await expect(monday).to_contain_text("6 days")
                await expect(monday).to_contain_text("30 ILCS 500/20-10(d)")
                first = agenda.locator('[data-day="2099-03-16"] [data-name="earliest_opening"]')
                await expect(first.first).to_contain_text("all day")
                await expect(agenda.locator('[data-day="2099-03-31"]')).to_have_count(0)

                # The next two weeks: the window's last day, the draft's opening.
                await page.get_by_role("button", name="Later").click()
                await expect(page.locator("#cal-range")).to_have_text(
                    "Mon, Mar 30, 2099 – Sun, Apr 12, 2099"
                )
                assert "view=agenda" in page.url and "on=2099-03-30" in page.url
                closing = agenda.locator('[data-day="2099-03-31"]')
                await expect(closing.locator('[data-name="review_window_ends"]')).to_contain_text(
                    "all day"
                )
                await expect(closing.locator('[data-name="review_window_ends"]')).to_contain_text(
                    "14 days"
                )
                await expect(closing.locator('[data-name="award_protest_closes"]')).to_contain_text(
                    "5:00 PM"
                )
                await expect(
                    agenda.locator('[data-day="2099-04-09"] [data-name="proposal_opening"]')
                ).to_contain_text("RFP-CAL-0003")

                # The calendar follows the read model: a procurement launched now appears.
                token = svc.token(
                    CAL_AGENCY,
                    "--name",
                    "Buyer, DoIT",
                    "--role",
                    "agency_buyer",
                    "--agency",
                    CAL_AGENCY,
                )
                late_comer = await client.post(
                    "/v1/procurements",
                    json={
                        "reference": "IFB-CAL-0004",
                        "title": "Server racks",
                        "agency": CAL_AGENCY,
                        "opening_at": at(2099, 4, 8, 14).isoformat(),
                    },
                    headers={"Authorization": f"Bearer {token}"},
                )
                assert late_comer.status_code == 201, late_comer.text
                await expect(
                    agenda.locator('[data-day="2099-04-08"] [data-reference="IFB-CAL-0004"]')
                ).to_be_visible(timeout=20_000)

                # From the calendar to the procurement: every step, and its days as days.
                await closing.get_by_role("link", name="IFB-CAL-0001").first.click()
                await page.wait_for_url("**/dashboard/procurements/IFB-CAL-0001")
                timeline = page.locator("#timeline")
                past = timeline.locator('[data-group="past"]')
                for name, text in (
                    ("launch", "Launched"),
                    ("publish", "Notice published in the Bulletin"),
                    ("open_bids", "Offers opened"),
                    ("award", "Awarded"),
                ):
                    await expect(
                        past.locator(f'[data-kind="step"][data-name="{name}"]')
                    ).to_contain_text(text)
                window_item = timeline.locator('[data-name="review_window_ends"]')
                await expect(window_item).to_contain_text("Tue, Mar 31, 2099")
                await expect(window_item).not_to_contain_text("12:00 AM")
                await expect(window_item).not_to_contain_text("Apr 1")
                await expect(window_item).to_contain_text("30 ILCS 500/5-30(a)")
                await expect(
                    timeline.locator('[data-name="award_protest_closes"]')
                ).to_contain_text("5:00 PM")
                await expect(
                    page.get_by_role("link", name="Workflow in Temporal UI ↗")
                ).to_have_count(0)

                # Back to the calendar, on the same days.
                await expect(page.locator("#back")).to_have_text("‹ Calendar of deadlines")
                await page.locator("#back").click()
                await expect(page.locator("#cal-range")).to_have_text(
                    "Mon, Mar 30, 2099 – Sun, Apr 12, 2099"
                )

                # The list names each procurement's last step.
                await page.goto(f"{svc.base}/dashboard?agency={CAL_AGENCY}")
                awarded = page.locator('tr[data-reference="IFB-CAL-0001"] .last-step')
                await expect(awarded).to_contain_text("Awarded")
                await expect(
                    page.locator('tr[data-reference="IFB-CAL-0002"] .last-step')
                ).to_contain_text("Notice published in the Bulletin")
                assert problems == [], problems
            finally:
                await browser.close()
