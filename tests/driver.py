"""A small driver for end-to-end tests: launch a procurement through the API and move the
time-skipping server's clock to hand-worked instants."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
from temporalio.testing import WorkflowEnvironment

from rules.calendar import default_rules
from rules.periods import ProtestRules
from state_machines.models import Facts, LaunchSpec
from tests.people import DEFAULT_AGENCY, People

CHICAGO = ZoneInfo("America/Chicago")


# The audit trail of an undisturbed sealed-bid procurement with three bids, in order: the
# workflow's steps and, between them, the three receipts of the bid intake.
HAPPY_PATH_TRIGGERS = [
    "launch",
    "publish",
    "register_bid",
    "register_bid",
    "register_bid",
    "open_bids",
    "award",
    "execute",
    "close",
]
# Its history: the workflow's own steps (bids are received by the intake, not the workflow).
HAPPY_PATH_STEPS = [t for t in HAPPY_PATH_TRIGGERS if t != "register_bid"]


def chicago(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=CHICAGO)


def notice_body(reference: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "reference": reference,
        "title": "Road salt, 2099-2100 season",
        "description": "Bulk rock salt delivered to district garages.",
        "agency": "Department of Transportation",
        "state_purchasing_officer": "Pat Example, SPO",
        "submission_location": "Illinois BidBuy, solicitation " + reference,
        "documents_info": "Specifications and forms on Illinois BidBuy.",
        # Monday 16 March 2099, 14:00 in Chicago: the first day 20-10(c) allows after a
        # notice published on Monday 2 March (2 + 14 = 16, a Monday, not a holiday).
        "opening_at": chicago(2099, 3, 16, 14).isoformat(),
    }
    body.update(overrides)
    return body


@dataclass
class Driver:
    api: httpx.AsyncClient
    env: WorkflowEnvironment
    reference: str
    agency: str = DEFAULT_AGENCY

    async def headers(self, actor: str) -> dict[str, str]:
        people: People = self.api.people  # type: ignore[attr-defined]
        return await people.headers_for(actor, self.agency)

    async def launch(self, actor: str = "agency", **overrides: Any) -> httpx.Response:
        body = notice_body(self.reference, **overrides)
        self.agency = body["agency"]
        return await self.api.post("/v1/procurements", json=body, headers=await self.headers(actor))

    async def post(self, action: str, json: Any = None, actor: str = "agency") -> httpx.Response:
        return await self.api.post(
            f"/v1/procurements/{self.reference}/{action}",
            json=json,
            headers=await self.headers(actor),
        )

    async def read(self, path: str = "", actor: str = "agency", **params: Any) -> httpx.Response:
        return await self.api.get(
            f"/v1/procurements/{self.reference}{path}",
            params=params or None,
            headers=await self.headers(actor),
        )

    async def get(self) -> dict[str, Any]:
        response = await self.read()
        assert response.status_code == 200, response.text
        return response.json()

    async def bid(self, vendor: str, amount: str, credit: str = "0") -> httpx.Response:
        return await self.post(
            "bids", {"vendor": vendor, "amount": amount, "bid_credit": credit}, actor=vendor
        )

    async def now(self) -> datetime:
        return await self.env.get_current_time()

    async def advance_to(self, moment: datetime) -> None:
        delta = moment - await self.now()
        assert delta > timedelta(0), f"the clock is already past {moment.isoformat()}"
        await self.env.sleep(delta)

    async def ok(self, action: str, json: Any = None, actor: str = "agency") -> dict[str, Any]:
        response = await self.post(action, json, actor)
        assert response.status_code == 200, response.text
        return response.json()

    async def refused(self, action: str, json: Any = None, actor: str = "agency") -> dict[str, Any]:
        response = await self.post(action, json, actor)
        assert response.status_code == 409, response.text
        body = response.json()
        assert body["type"] == "/problems/refused" and body["citation"] and body["detail"]
        return body

    async def through_opening(self) -> dict[str, str]:
        """Launch, publish on 2 March, take three bids, open on 16 March at 14:00."""
        assert (await self.launch()).status_code == 201
        await self.ok("publish")
        bids = {}
        for vendor, amount in (
            ("Acme Supply", "98000.00"),
            ("Bolt Industries", "91500.50"),
            ("Cobalt Corp", "104250.00"),
        ):
            response = await self.bid(vendor, amount)
            assert response.status_code == 201, response.text
            bids[vendor] = response.json()["bid_id"]
        await self.advance_to(chicago(2099, 3, 16, 14))
        await self.ok("opening", {"witnesses": ["R. Witness", "S. Clerk"]})
        return bids


def driver(api: httpx.AsyncClient, env: WorkflowEnvironment, prefix: str) -> Driver:
    """A driver for a new procurement whose reference starts with ``prefix``."""
    return Driver(api, env, f"{prefix}-{uuid.uuid4().hex[:8].upper()}")


async def messages(pool: asyncpg.Pool, reference: str, prefix: str = "") -> list[asyncpg.Record]:
    """The procurement's outbox messages whose kind starts with ``prefix``, in order."""
    rows: list[asyncpg.Record] = await pool.fetch(
        "SELECT kind, recipient, content FROM outbox WHERE reference = $1 AND kind LIKE $2 "
        "ORDER BY message_id",
        reference,
        prefix + "%",
    )
    return rows


async def notices(d: Driver) -> list[dict[str, Any]]:
    """The procurement's notices in the public Bulletin, oldest first."""
    body = (await d.api.get("/v1/bulletin", params={"reference": d.reference})).json()
    return list(reversed(body["notices"]))


# The pure tests' launch: Monday 2 March 2099, 09:00 in Chicago.
T0 = datetime(2099, 3, 2, 15, 0, tzinfo=UTC)


def pure_facts(reference: str, **overrides: Any) -> Facts:
    """A procurement's facts as launched at ``T0`` under the default calendar and protest
    rules, for tests of the pure machine without a server."""
    return Facts.launch(
        LaunchSpec.model_validate(notice_body(reference, **overrides)),
        digest="x",
        rules_version="test",
        calendar=default_rules().to_dict(),
        protest_rules=ProtestRules().to_dict(),
        created_at=T0,
    )
