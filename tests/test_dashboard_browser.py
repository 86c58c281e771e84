"""The dashboard in a real browser, against the service run the way a user runs it.

``procure dev --simulated-clock`` starts in a scratch directory on free ports; tokens come
from ``procure users create``; procurements are launched and published through the HTTP API
with openings worked out from the service's clock, which then moves past the first opening
day so those openings are overdue. Debian's Chromium, driven by Playwright, signs in as a
supervisor, filters to the overdue procurements, opens one and reads its timeline.

With PROCURE_UPDATE_SCREENSHOT=1 the dashboard's picture in docs/ is taken again.
"""

from __future__ import annotations

import asyncio
import os
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
    moved = await client.post("/v1/dev/clock/advance", json={"to": after.isoformat()})
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
