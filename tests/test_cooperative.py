"""Joint and cooperative purchasing end to end, on the time-skipping server.

Every test starts on Monday 2 March 2099, 09:00 in Chicago. Contracts run through the whole
of their last day; a contract ending on 31 March has expired on 1 April. Names carry a
suffix so tests sharing one database never meet.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from activities.cooperative import CooperativeActivities
from cooperative.models import DocumentsRecorded, OrderStep, Withdrawal
from db import audit
from state_machines.models import Principal
from tests.driver import Driver, chicago
from tests.people import People
from workflows.errors import FORBIDDEN, REFUSED
from workflows.order import OrderWorkflow

CMS = "Department of Central Management Services"
JOINT = "CMS Joint Purchasing Program (30 ILCS 525)"
MICPA = "Illinois Together MICPA (30 ILCS 525)"


class Coop:
    """Members, contracts and orders through the API, with unique names per test."""

    def __init__(self, api: httpx.AsyncClient, env: WorkflowEnvironment) -> None:
        self.api = api
        self.env = env
        self.tag = uuid.uuid4().hex[:6].upper()

    def name(self, base: str) -> str:
        return f"{base} {self.tag}"

    def ref(self, base: str) -> str:
        return f"{base}-{self.tag}"

    async def headers(self, actor: str, agency: str = CMS) -> dict[str, str]:
        people: People = self.api.people  # type: ignore[attr-defined]
        return await people.headers_for(actor, agency)

    async def register(
        self, name: str, kind: str, actor: str | None = None, **extra: Any
    ) -> httpx.Response:
        return await self.api.post(
            "/v1/members",
            json={"name": name, "kind": kind, **extra},
            headers=await self.headers(actor or f"member:{name}"),
        )

    async def member(self, name: str, kind: str) -> str:
        response = await self.register(name, kind)
        assert response.status_code == 201, response.text
        member_id: str = response.json()["member_id"]
        return member_id

    async def document(
        self,
        member_id: str,
        name: str,
        kind: str,
        dated: str = "2099-02-10",
        actor: str | None = None,
    ) -> httpx.Response:
        return await self.api.post(
            f"/v1/members/{member_id}/documents",
            json={"kind": kind, "dated": dated, "governing_board": f"Board of {name}"},
            headers=await self.headers(actor or f"member:{name}"),
        )

    async def open_contract(
        self, actor: str = "spo", agency: str = CMS, **fields: Any
    ) -> httpx.Response:
        body: dict[str, Any] = {
            "reference": self.ref("CMS-SALT"),
            "program": "joint",
            "title": "Rock salt, statewide master contract",
            "lead": CMS,
            "award": {
                "vendor": "Bolt Industries",
                "awarded_on": "2098-12-15",
                "solicitation": "IFB-2098-0117",
            },
            "starts_on": "2099-01-01",
            "ends_on": "2099-12-31",
            "items": [
                {
                    "code": "SALT",
                    "description": "Bulk rock salt",
                    "unit": "ton",
                    "unit_price": "80.00",
                }
            ],
        }
        body.update(fields)
        return await self.api.post(
            "/v1/contracts", json=body, headers=await self.headers(actor, agency)
        )

    async def contract(self, **fields: Any) -> str:
        response = await self.open_contract(**fields)
        assert response.status_code == 201, response.text
        reference: str = response.json()["reference"]
        return reference

    async def order(
        self, name: str, contract: str, tons: str, reference: str | None = None, **headers: str
    ) -> httpx.Response:
        body = {
            "reference": reference or self.ref("PO-" + uuid.uuid4().hex[:4].upper()),
            "contract": contract,
            "lines": [{"item": "SALT", "quantity": tons}],
            "delivery": "Public works garage",
        }
        return await self.api.post(
            "/v1/orders", json=body, headers={**await self.headers(f"member:{name}"), **headers}
        )

    async def read(self, reference: str, actor: str, agency: str = CMS) -> httpx.Response:
        return await self.api.get(
            f"/v1/orders/{reference}", headers=await self.headers(actor, agency)
        )

    async def advance_to(self, moment: Any) -> None:
        await self.env.sleep(moment - await self.env.get_current_time())


@pytest.fixture
def coop(api: httpx.AsyncClient, env: WorkflowEnvironment) -> Coop:
    return Coop(api, env)


async def outbox(pool: asyncpg.Pool, **where: str) -> list[asyncpg.Record]:
    clauses = " AND ".join(f"{k} = ${i}" for i, k in enumerate(where, start=1))
    return list(
        await pool.fetch(
            f"SELECT * FROM outbox WHERE {clauses} ORDER BY message_id", *where.values()
        )
    )


# ---- placed, refused, held -------------------------------------------------------------------


async def test_municipality_with_resolution_orders_off_a_state_master_contract(
    coop: Coop, pool: asyncpg.Pool
) -> None:
    village = coop.name("Village of Oak Glen")
    member_id = await coop.member(village, "municipality")
    recorded = await coop.document(member_id, village, "participation_resolution")
    assert recorded.status_code == 201, recorded.text
    doc = recorded.json()["document"]
    assert doc["recorded_by"] == f"member of {village}" and doc["recorded_role"] == "member"
    assert recorded.json()["member"]["programs"]["joint"]["ready"] is True
    contract = await coop.contract()

    response = await coop.order(village, contract, "25", reference=coop.ref("PO-1"))
    assert response.status_code == 201, response.text
    order = response.json()
    assert order["state"] == "placed"
    assert order["total"] == "2000.00" and order["vendor"] == "Bolt Industries"
    assert order["lines"][0]["unit_price"] == "80.00"
    assert order["placed_at"] is not None

    sent = await outbox(pool, reference=order["reference"], kind="purchase_order")
    assert [(m["recipient"], m["status"]) for m in sent] == [("Bolt Industries", "pending")]
    assert sent[0]["content"]["buyer"] == village and sent[0]["content"]["total"] == "2000.00"
    lead = await outbox(pool, reference=order["reference"], kind="order_placed")
    assert {m["recipient"] for m in lead} == {f"member:{village}", f"agency:{CMS}"}

    chain = await audit.verify(pool, order["reference"])
    assert chain.intact and chain.entries == 1
    trail = await audit.rows(pool, order["reference"])
    assert [(r["command"], r["from_state"], r["to_state"], r["outcome"]) for r in trail] == [
        ("submit", "received", "placed", "accepted")
    ]
    assert trail[0]["actor"] == f"member of {village}" and trail[0]["citation"] == JOINT

    contract_view = (await coop.api.get(f"/v1/contracts/{contract}")).json()
    assert contract_view["used"] == "2000.00" and contract_view["remaining"] is None


async def test_unit_without_resolution_is_refused_with_the_reason(
    coop: Coop, pool: asyncpg.Pool
) -> None:
    county = coop.name("Example County")
    await coop.member(county, "county")
    contract = await coop.contract()
    response = await coop.order(county, contract, "10")
    assert response.status_code == 409, response.text
    body = response.json()
    assert body["type"] == "/problems/refused"
    assert body["code"] == "participation_resolution_missing"
    assert body["citation"] == JOINT and body["field"] == "documents.participation_resolution"
    assert "passed by the unit's governing board" in body["reason"]
    reference = body["order"]["reference"]
    stored = (await coop.read(reference, f"member:{county}")).json()
    assert stored["state"] == "refused" and stored["decision"]["code"] == body["code"]
    assert await outbox(pool, reference=reference, kind="purchase_order") == []
    trail = await audit.rows(pool, reference)
    assert [(r["command"], r["outcome"], r["to_state"]) for r in trail] == [
        ("submit", "refused", "refused")
    ]


async def test_district_first_order_is_held_until_the_micpa_then_placed_once(
    coop: Coop, pool: asyncpg.Pool, env: WorkflowEnvironment
) -> None:
    lead = coop.name("Springfield School District 186")
    district = coop.name("Maple Grove School District 42")
    await coop.member(lead, "school_district")
    member_id = await coop.member(district, "school_district")
    contract = await coop.contract(
        reference=coop.ref("IT-SALT"),
        program="cooperative",
        lead=lead,
        actor=f"member:{lead}",
    )
    reference = coop.ref("PO-MG-1")
    held = await coop.order(district, contract, "40", reference=reference)
    assert held.status_code == 201, held.text
    order = held.json()
    assert order["state"] == "held"
    assert order["decision"]["code"] == "micpa_missing" and order["decision"]["citation"] == MICPA
    assert "Record the MICPA" in order["decision"]["next_step"]
    assert f"/v1/members/{member_id}/documents" in order["decision"]["next_step"]
    assert order["allowed_actions"] == ["withdraw"]
    assert await outbox(pool, reference=reference, kind="purchase_order") == []
    notices = await outbox(pool, reference=reference, kind="order_held")
    assert notices[0]["recipient"] == f"member:{district}"

    # A day later the order is still held, not lost; the same order sent again is the same.
    await env.sleep(timedelta(days=1, hours=2))
    again = await coop.order(district, contract, "40", reference=reference)
    assert again.status_code == 200 and again.json()["state"] == "held"

    recorded = await coop.document(member_id, district, "micpa", dated="2099-03-03")
    assert recorded.status_code == 201, recorded.text
    assert recorded.json()["orders_rechecked"] == [
        {
            "reference": reference,
            "state": "placed",
            "total": "3200.00",
            "code": None,
            "citation": MICPA,
            "reason": recorded.json()["orders_rechecked"][0]["reason"],
            "field": None,
            "next_step": None,
        }
    ]
    placed = (await coop.read(reference, f"member:{district}")).json()
    assert placed["state"] == "placed" and placed["reference"] == reference
    assert [(h["command"], h["from_state"], h["to_state"]) for h in placed["history"]] == [
        ("submit", "received", "held"),
        ("documents_recorded", "held", "placed"),
    ]
    sent = await outbox(pool, reference=reference, kind="purchase_order")
    assert len(sent) == 1 and sent[0]["recipient"] == "Bolt Industries"

    # Sent once more, recorded once more: still one order, one purchase order.
    assert (await coop.order(district, contract, "40", reference=reference)).json()[
        "state"
    ] == "placed"
    assert (
        await coop.document(member_id, district, "micpa", dated="2099-03-03")
    ).status_code == 200
    assert len(await outbox(pool, reference=reference, kind="purchase_order")) == 1
    assert (await audit.verify(pool, reference)).intact


async def test_a_held_order_lapses_when_the_contract_ends_and_can_be_withdrawn(
    coop: Coop, pool: asyncpg.Pool
) -> None:
    lead = coop.name("Lead District")
    district = coop.name("Waiting District")
    await coop.member(lead, "school_district")
    await coop.member(district, "school_district")
    contract = await coop.contract(
        reference=coop.ref("IT-PAPER"),
        program="cooperative",
        lead=lead,
        actor=f"member:{lead}",
        ends_on="2099-03-10",
    )
    lapsing = (await coop.order(district, contract, "1")).json()
    withdrawn = (await coop.order(district, contract, "2")).json()
    assert lapsing["state"] == withdrawn["state"] == "held"

    other = await coop.api.post(
        f"/v1/orders/{withdrawn['reference']}/withdraw",
        json={"reason": "Bought elsewhere"},
        headers=await coop.headers(f"member:{lead}"),
    )
    assert other.status_code == 403, other.text
    response = await coop.api.post(
        f"/v1/orders/{withdrawn['reference']}/withdraw",
        json={"reason": "The board prefers to wait for next season."},
        headers=await coop.headers(f"member:{district}"),
    )
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "withdrawn" and response.json()["allowed_actions"] == []

    await coop.advance_to(chicago(2099, 3, 11, 0, 30))
    lapsed = (await coop.read(lapsing["reference"], f"member:{district}")).json()
    assert lapsed["state"] == "refused"
    assert lapsed["decision"]["code"] == "contract_expired"
    assert lapsed["history"][-1]["command"] == "recheck"
    assert lapsed["history"][-1]["actor"] == "system"
    assert (await audit.verify(pool, lapsing["reference"])).intact


# ---- term and ceiling --------------------------------------------------------------------------


async def test_expired_and_not_yet_started_contracts_are_refused(coop: Coop) -> None:
    village = coop.name("Village of Late")
    member_id = await coop.member(village, "municipality")
    await coop.document(member_id, village, "participation_resolution")
    ending = await coop.contract(reference=coop.ref("CMS-END"), ends_on="2099-03-31")
    future = await coop.contract(reference=coop.ref("CMS-NEXT"), starts_on="2099-07-01")

    early = await coop.order(village, future, "1")
    assert early.status_code == 409 and early.json()["code"] == "contract_not_in_term"

    await coop.advance_to(chicago(2099, 3, 31, 16))
    last_day = await coop.order(village, ending, "1")
    assert last_day.status_code == 201 and last_day.json()["state"] == "placed"

    await coop.advance_to(chicago(2099, 4, 1, 9))
    expired = await coop.order(village, ending, "1")
    assert expired.status_code == 409, expired.text
    body = expired.json()
    assert body["code"] == "contract_expired" and body["citation"] == "30 ILCS 525/2"
    assert body["field"] == "contract" and "2099-03-31" in body["reason"]


async def test_ceiling_exceeded_refused_exact_fit_accepted_and_members_reminded(
    coop: Coop, pool: asyncpg.Pool
) -> None:
    first, second = coop.name("Village of First"), coop.name("City of Second")
    ids = {}
    for name in (first, second):
        ids[name] = await coop.member(name, "municipality")
        await coop.document(ids[name], name, "participation_resolution")
    contract = await coop.contract(ceiling="10000.00")

    assert (await coop.order(first, contract, "100")).json()["state"] == "placed"  # 8000
    assert await outbox(pool, reference=contract, kind="reminder:contract_near_ceiling") == []
    near = await coop.order(second, contract, "12.5")  # 1000: 9000 of 10000 used
    assert near.json()["state"] == "placed"
    reminded = await outbox(pool, reference=contract, kind="reminder:contract_near_ceiling")
    assert {m["recipient"] for m in reminded} == {
        f"member:{first}",
        f"member:{second}",
        f"agency:{CMS}",
    }
    assert reminded[0]["content"]["remaining"] == "1000.00"
    inbox = await coop.api.get(
        f"/v1/members/{ids[first]}/messages", headers=await coop.headers(f"member:{first}")
    )
    assert "reminder:contract_near_ceiling" in [m["kind"] for m in inbox.json()["messages"]]

    over = await coop.order(second, contract, "12.51")  # 1000.80 > 1000.00
    assert over.status_code == 409, over.text
    assert over.json()["code"] == "ceiling_exceeded" and over.json()["field"] == "lines"
    assert "1000.00" in over.json()["reason"]

    exact = await coop.order(second, contract, "12.5")
    assert exact.status_code == 201 and exact.json()["state"] == "placed"
    view = (await coop.api.get(f"/v1/contracts/{contract}")).json()
    assert view["used"] == "10000.00" and view["remaining"] == "0.00"
    reached = await outbox(pool, reference=contract, kind="reminder:contract_ceiling_reached")
    assert f"member:{second}" in {m["recipient"] for m in reached}
    assert (await coop.order(first, contract, "0.01")).json()["code"] == "ceiling_exceeded"


async def test_two_orders_at_once_never_pass_the_ceiling_together(
    coop: Coop, pool: asyncpg.Pool
) -> None:
    first, second = coop.name("Village of Race"), coop.name("City of Race")
    for name in (first, second):
        member_id = await coop.member(name, "municipality")
        await coop.document(member_id, name, "participation_resolution")
    contract = await coop.contract(ceiling="1000.00")
    answers = await asyncio.gather(
        coop.order(first, contract, "10"), coop.order(second, contract, "10")
    )  # 800.00 each: both fit alone, not together
    states = sorted(a.json().get("state") or a.json()["code"] for a in answers)
    assert states == ["ceiling_exceeded", "placed"], [a.text for a in answers]
    view = (await coop.api.get(f"/v1/contracts/{contract}")).json()
    assert view["used"] == "800.00" and view["remaining"] == "200.00"
    for answer in answers:
        reference = answer.json().get("reference") or answer.json()["order"]["reference"]
        assert (await audit.verify(pool, reference)).intact


async def test_placing_checks_the_ceiling_again_under_the_contracts_lock(
    coop: Coop, pool: asyncpg.Pool
) -> None:
    """An order checked against a stale total is refused by the write itself, which writes
    nothing; the workflow then records the refusal instead."""
    village = coop.name("Village of Stale")
    member_id = await coop.member(village, "municipality")
    await coop.document(member_id, village, "participation_resolution")
    contract = await coop.contract(ceiling="1000.00")
    assert (await coop.order(village, contract, "10")).json()["state"] == "placed"  # 800.00
    now = datetime.now(UTC)
    step = OrderStep(
        reference=coop.ref("PO-STALE"),
        revision=1,
        state="placed",
        member_name=village,
        member_id=member_id,
        contract_reference=contract,
        program="joint",
        vendor="Bolt Industries",
        lead=CMS,
        total=Decimal("400.00"),
        digest="d",
        submitted_by="x",
        created_at=now,
        updated_at=now,
        placed_at=now,
        place=True,
        snapshot={},
    )
    result = await CooperativeActivities(pool).persist_order(step)
    assert not result.placed and result.refusal is not None
    assert result.refusal.code == "ceiling_exceeded" and "200.00" in result.refusal.reason
    assert await pool.fetchval("SELECT 1 FROM orders WHERE reference = $1", step.reference) is None
    fits = step.model_copy(update={"total": Decimal("200.00")})
    assert (await CooperativeActivities(pool).persist_order(fits)).placed
    again = await CooperativeActivities(pool).persist_order(fits)  # a retried write
    assert again.placed and again.used == Decimal("1000.00")


async def test_term_ending_reminder_reaches_the_member(coop: Coop, pool: asyncpg.Pool) -> None:
    village = coop.name("Village of Reminded")
    member_id = await coop.member(village, "municipality")
    await coop.document(member_id, village, "participation_resolution")
    contract = await coop.contract(ends_on="2099-04-30")
    assert (await coop.order(village, contract, "1")).json()["state"] == "placed"
    await coop.advance_to(chicago(2099, 3, 31, 12))  # 30 days before 30 April
    ending = await outbox(pool, reference=contract, kind="reminder:contract_term_ending")
    assert [m["recipient"] for m in ending] == [f"member:{village}"]
    assert ending[0]["content"]["ends_on"] == "2099-04-30"
    await coop.advance_to(chicago(2099, 5, 1, 12))
    ended = await outbox(pool, reference=contract, kind="reminder:contract_term_ended")
    assert [m["recipient"] for m in ended] == [f"member:{village}"]


# ---- eligibility -------------------------------------------------------------------------------


async def test_ineligible_units_are_refused_with_the_citation(coop: Coop) -> None:
    company = coop.name("Acme Holdings LLC")
    response = await coop.register(company, "private_entity")
    assert response.status_code == 409, response.text
    body = response.json()
    assert body["code"] == "not_eligible" and body["citation"] == "30 ILCS 525/1"
    assert body["field"] == "kind" and "not a governmental unit" in body["reason"]

    club = coop.name("Lakeside Improvement Association")
    response = await coop.register(
        club, "other_unit", created_by_statute=False, has_taxing_power=False
    )
    assert response.status_code == 409 and response.json()["code"] == "not_eligible"
    park = coop.name("Park District")
    response = await coop.register(park, "other_unit", has_taxing_power=True)
    assert response.status_code == 201 and response.json()["eligibility"]["eligible"] is True
    facility = coop.name("Sunrise Rehabilitation Center")
    response = await coop.register(facility, "state_use_facility", actor="cpo")
    assert response.status_code == 201, response.text
    assert response.json()["eligibility"]["citation"] == "30 ILCS 525/2(b)"
    assert response.json()["registered_by"] == "cpo of the State"

    # The company's official orders anyway: the workflow refuses it, on record.
    contract = await coop.contract()
    ordered = await coop.order(company, contract, "1")
    assert ordered.status_code == 409, ordered.text
    assert ordered.json()["code"] == "not_registered" and ordered.json()["citation"] == JOINT


async def test_registration_and_documents_are_the_units_own_or_the_cpos(coop: Coop) -> None:
    town = coop.name("Town of Own")
    assert (
        await coop.register(town, "municipality", actor="member:Someone Else")
    ).status_code == 403
    assert (await coop.register(town, "municipality", actor="agency")).status_code == 403
    member_id = await coop.member(town, "municipality")
    again = await coop.register(town, "municipality")
    assert again.status_code == 200 and again.json()["member_id"] == member_id
    differs = await coop.register(town, "county")
    assert differs.status_code == 409 and differs.json()["code"] == "member_exists"

    other = await coop.document(
        member_id, town, "participation_resolution", actor="member:Elsewhere"
    )
    assert other.status_code == 403
    future = await coop.document(member_id, town, "participation_resolution", dated="2099-03-03")
    assert future.status_code == 422
    assert future.json()["errors"][0] == {
        "field": "body.dated",
        "rule": "not_in_future",
        "message": future.json()["errors"][0]["message"],
    }
    by_cpo = await coop.document(member_id, town, "participation_resolution", actor="cpo")
    assert by_cpo.status_code == 201 and by_cpo.json()["document"]["recorded_role"] == "cpo"


# ---- contracts from this service -----------------------------------------------------------------


async def test_contract_opened_from_a_procurement_of_this_service(
    coop: Coop, api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    proc = Driver(api, env, coop.ref("IFB-SALT"))
    bids = await proc.through_opening()
    await proc.advance_to(chicago(2099, 3, 17, 10))
    await proc.ok("award", {"bid_id": bids["Bolt Industries"]})
    body = {
        "reference": coop.ref("DOT-SALT"),
        "program": "joint",
        "title": "Road salt off IFB",
        "procurement": proc.reference,
        "starts_on": "2099-04-01",
        "ends_on": "2100-03-31",
        "scope": "Bulk rock salt delivered to garages",
    }
    headers = await coop.headers("agency", proc.agency)
    early = await api.post("/v1/contracts", json=body, headers=headers)
    assert early.status_code == 409 and early.json()["code"] == "not_awarded"
    await proc.advance_to(chicago(2099, 4, 1, 0, 1))
    await proc.ok("execute")
    other = await api.post("/v1/contracts", json=body, headers=await coop.headers("agency"))
    assert other.status_code == 403, other.text  # CMS's buyer; the procurement is DOT's
    opened = await api.post("/v1/contracts", json=body, headers=headers)
    assert opened.status_code == 201, opened.text
    contract = opened.json()
    assert contract["vendor"] == "Bolt Industries" and contract["lead"] == proc.agency
    assert contract["award"]["price"] == "91500.50"
    assert contract["award"]["source"] == "procurement"
    assert contract["statute"] == "30 ILCS 525/2"
    assert (await api.post("/v1/contracts", json=body, headers=headers)).status_code == 200
    clash = await api.post(
        "/v1/contracts", json={**body, "reference": proc.reference}, headers=headers
    )
    assert clash.status_code == 409 and clash.json()["code"] == "reference_in_use"


# ---- visibility, idempotency, report ---------------------------------------------------------------


async def test_order_visible_to_lead_member_and_supervisors_only(coop: Coop) -> None:
    village, other = coop.name("Village of Seen"), coop.name("Village of Other")
    for name in (village, other):
        member_id = await coop.member(name, "municipality")
        await coop.document(member_id, name, "participation_resolution")
    contract = await coop.contract()
    reference = (await coop.order(village, contract, "3")).json()["reference"]

    for actor, agency in (
        (f"member:{village}", CMS),
        ("agency", CMS),
        ("spo", CMS),
        ("cpo", CMS),
        ("ppb", CMS),
        ("cei", CMS),
    ):
        response = await coop.read(reference, actor, agency)
        assert response.status_code == 200, (actor, response.text)
    for actor, agency in (
        (f"member:{other}", CMS),
        ("agency", "Department of Transportation"),
        ("Bolt Industries", CMS),
    ):
        assert (await coop.read(reference, actor, agency)).status_code == 403, actor
    assert (await coop.api.get(f"/v1/orders/{reference}")).status_code == 401

    mine = await coop.api.get("/v1/orders", headers=await coop.headers(f"member:{other}"))
    assert reference not in [o["reference"] for o in mine.json()["orders"]]
    led = await coop.api.get(
        "/v1/orders", params={"contract": contract}, headers=await coop.headers("agency")
    )
    assert [o["reference"] for o in led.json()["orders"]] == [reference]
    trail = await coop.api.get(f"/v1/orders/{reference}/audit", headers=await coop.headers("cpo"))
    assert trail.json()["verification"]["intact"] is True
    cpo_order = await coop.api.post(
        "/v1/orders",
        json={
            "reference": coop.ref("PO-CPO"),
            "contract": contract,
            "lines": [{"item": "SALT", "quantity": "1"}],
        },
        headers=await coop.headers("cpo"),
    )
    assert cpo_order.status_code == 403


async def test_idempotency_key_and_reference_reuse(coop: Coop, pool: asyncpg.Pool) -> None:
    village = coop.name("Village of Retries")
    member_id = await coop.member(village, "municipality")
    await coop.document(member_id, village, "participation_resolution")
    contract = await coop.contract()
    reference = coop.ref("PO-KEY")
    key = {"Idempotency-Key": f"order-{coop.tag}"}
    first = await coop.order(village, contract, "5", reference=reference, **key)
    replay = await coop.order(village, contract, "5", reference=reference, **key)
    assert first.status_code == 201 and replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.json() == first.json()
    reused = await coop.order(village, contract, "6", reference=reference, **key)
    assert reused.status_code == 422 and reused.json()["code"] == "idempotency_key_reused"
    changed = await coop.order(village, contract, "6", reference=reference)
    assert changed.status_code == 409 and changed.json()["code"] == "reference_in_use"
    assert len(await outbox(pool, reference=reference, kind="purchase_order")) == 1


async def test_report_totals_per_member_and_period(coop: Coop) -> None:
    first, second = coop.name("Village of Alpha"), coop.name("Village of Beta")
    for name in (first, second):
        member_id = await coop.member(name, "municipality")
        await coop.document(member_id, name, "participation_resolution")
    contract = await coop.contract(ceiling="100000.00")
    await coop.order(first, contract, "10")  # March: 800
    await coop.order(first, contract, "5")  # March: 400
    await coop.order(second, contract, "20")  # March: 1600
    await coop.advance_to(chicago(2099, 4, 2, 10))
    await coop.order(first, contract, "1")  # April: 80

    report = await coop.api.get(
        "/v1/reports/contract-use", params={"contract": contract}, headers=await coop.headers("cpo")
    )
    assert report.status_code == 200, report.text
    (row,) = report.json()["contracts"]
    assert row["use"] == [
        {"member": first, "period": "2099-03", "orders": 2, "total": "1200.00"},
        {"member": first, "period": "2099-04", "orders": 1, "total": "80.00"},
        {"member": second, "period": "2099-03", "orders": 1, "total": "1600.00"},
    ]
    assert row["by_member"] == [
        {"member": first, "orders": 3, "total": "1280.00"},
        {"member": second, "orders": 1, "total": "1600.00"},
    ]
    assert row["used"] == "2880.00" and row["remaining"] == "97120.00"

    quarter = await coop.api.get(
        "/v1/reports/contract-use",
        params={"contract": contract, "period": "quarter", "from": "2099-04-01"},
        headers=await coop.headers("agency"),
    )
    assert quarter.json()["contracts"][0]["use"] == [
        {"member": first, "period": "2099-Q2", "orders": 1, "total": "80.00"}
    ]
    own = await coop.api.get(
        "/v1/reports/contract-use",
        params={"contract": contract},
        headers=await coop.headers(f"member:{second}"),
    )
    assert [u["member"] for u in own.json()["contracts"][0]["use"]] == [second]
    vendor = await coop.api.get(
        "/v1/reports/contract-use", headers=await coop.headers("Bolt Industries")
    )
    assert vendor.status_code == 403


# ---- the workflow's own validators -----------------------------------------------------------------


async def test_workflow_validators_refuse_at_once(coop: Coop, env: WorkflowEnvironment) -> None:
    village = coop.name("Village of Direct")
    member_id = await coop.member(village, "municipality")
    await coop.document(member_id, village, "participation_resolution")
    contract = await coop.contract()
    reference = (await coop.order(village, contract, "1")).json()["reference"]
    handle = env.client.get_workflow_handle(reference)
    own = Principal(id="x", name="Official", role="member", agency=village)
    stranger = Principal(id="y", name="Stranger", role="member", agency="Elsewhere")
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(
            OrderWorkflow.documents_recorded, DocumentsRecorded(principal=own, kind="micpa")
        )
    assert isinstance(refused.value.cause, ApplicationError)
    assert refused.value.cause.type == REFUSED
    with pytest.raises(WorkflowUpdateFailedError) as denied:
        await handle.execute_update(
            OrderWorkflow.withdraw, Withdrawal(principal=stranger, reason="No")
        )
    assert isinstance(denied.value.cause, ApplicationError)
    assert denied.value.cause.type == FORBIDDEN
    with pytest.raises(WorkflowUpdateFailedError):
        await handle.execute_update(OrderWorkflow.confirm, "another digest")
    assert (await handle.query(OrderWorkflow.snapshot))["state"] == "placed"
