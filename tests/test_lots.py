"""A solicitation let in lots: one invitation and one opening, each lot bid, evaluated,
awarded, reviewed and protested on its own (30 ILCS 500/15-25(a), 20-10(d),(g), 5-30;
44 Ill. Adm. Code 1.2037), on the time-skipping server.

Both lots are published on Monday 2 March 2099 and open on Monday 16 March at 14:00; both are
awarded on Tuesday 17 March, so each one's review window ends on Tuesday 31 March (17 + 14).
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
from temporalio.testing import WorkflowEnvironment

from tests.driver import Driver, chicago
from tests.test_public_bulletin import assert_valid_ocds


def lot(d: Driver, solicitation: str, number: int) -> dict[str, Any]:
    """A lot's launch: its solicitation's number and place of submission, its own number."""
    return {
        "lot": {"solicitation": solicitation, "number": number},
        "submission_location": f"Illinois BidBuy, solicitation {solicitation}",
    }


async def bid(d: Driver, vendor: str, amount: str, **claims: Any) -> str:
    response = await d.post(
        "bids", {"vendor": vendor, "amount": amount, "claims": claims}, actor=vendor
    )
    assert response.status_code == 201, response.text
    bid_id: str = response.json()["bid_id"]
    return bid_id


async def test_each_lot_is_evaluated_awarded_and_protested_on_its_own(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    tag = uuid.uuid4().hex[:6].upper()
    solicitation = f"IFB-2099-{tag}"
    north = Driver(api, env, f"{solicitation}-L1")
    south = Driver(api, env, f"{solicitation}-L2")
    launched = await north.launch(
        title="Road salt, northern districts", **lot(north, solicitation, 1)
    )
    assert launched.status_code == 201, launched.text
    assert (
        await south.launch(title="Road salt, southern districts", **lot(south, solicitation, 2))
    ).status_code == 201

    # One invitation, one opening: a third lot opening at another time does not belong to it.
    odd = Driver(api, env, f"{solicitation}-L3")
    mismatch = await odd.launch(
        opening_at=chicago(2099, 3, 17, 14).isoformat(), **lot(odd, solicitation, 3)
    )
    assert mismatch.status_code == 409, mismatch.text
    assert mismatch.json()["code"] == "lot_mismatch" and mismatch.json()["field"] == "opening_at"
    taken = await Driver(api, env, f"{solicitation}-X1").launch(**lot(odd, solicitation, 1))
    assert taken.status_code == 409 and taken.json()["code"] == "lot_number_taken"
    stranger = await Driver(api, env, f"{solicitation}-OT").launch(
        agency="Department of Revenue", **lot(odd, solicitation, 5)
    )
    assert stranger.status_code == 409 and stranger.json()["field"] == "agency"
    assert north.reference not in stranger.text and south.reference not in stranger.text
    small = await Driver(api, env, f"{solicitation}-SP").launch(
        method="small_purchase", estimated_value="5000.00", **lot(odd, solicitation, 4)
    )
    assert small.status_code == 409 and small.json()["code"] == "lot_method"

    for d in (north, south):
        await d.ok("publish")
    notices = (await api.get("/v1/bulletin", params={"reference": north.reference})).json()
    invitation = next(n for n in notices["notices"] if n["kind"] == "invitation_for_bids")
    assert (invitation["content"]["solicitation"], invitation["content"]["lot"]) == (
        solicitation,
        1,
    )

    # Lot 1: the same price from the only Illinois resident and a non-resident, a tie the
    # resident takes (1.2037(b)(1)); lot 2: the non-resident's lower price, no tie at all.
    north_ids = {
        "Prairie Supply": await bid(north, "Prairie Supply", "50000.00", resident=True),
        "Bolt Industries": await bid(north, "Bolt Industries", "50000.00", home_state="IN"),
    }
    south_ids = {
        "Prairie Supply": await bid(south, "Prairie Supply", "61000.00", resident=True),
        "Bolt Industries": await bid(south, "Bolt Industries", "60000.00", home_state="IN"),
    }
    await north.advance_to(chicago(2099, 3, 16, 14))
    for d in (north, south):
        await d.ok("opening", {"witnesses": ["R. Witness"]})
    await north.advance_to(chicago(2099, 3, 17, 10))
    tie = await north.refused("award", {"bid_id": north_ids["Bolt Industries"]})
    assert tie["citation"] == "44 Ill. Adm. Code 1.2037"
    assert (await north.ok("award", {"bid_id": north_ids["Prairie Supply"]}))["award"]["tie"][
        "rule"
    ] == "resident"
    south_award = await south.ok("award", {"bid_id": south_ids["Bolt Industries"]})
    assert south_award["award"]["tie"] is None
    assert south_award["review_window"]["ends_on"] == "2099-03-31"

    # A protest of lot 1's award holds lot 1 alone.
    await north.ok(
        "protests",
        {"kind": "award", "protester": "Bolt Industries", "grounds": "Residency not shown."},
        actor="Bolt Industries",
    )
    await north.advance_to(chicago(2099, 4, 1, 9))
    held = await north.refused("execute")
    assert held["code"] == "protest_pending"
    # Lot 2's protest period ended with its window (notice to bidders on 17 March + 14): once
    # entered into, it closes.
    executed = await south.ok("execute")
    assert executed["state"] == "closed"

    # In Open Contracting each lot is its own contracting process (OCDS core has no lots).
    assert_valid_ocds((await api.get(f"/v1/procurements/{north.reference}/ocds")).json())

    view = (await api.get(f"/v1/solicitations/{solicitation}")).json()
    assert [(x["lot"], x["reference"], x["state"]) for x in view["lots"]] == [
        (1, north.reference, "review_window"),
        (2, south.reference, "closed"),
    ]
    assert view["lots"][0]["award"]["vendor"] == "Prairie Supply"
    assert view["lots"][1]["award"] == {"vendor": "Bolt Industries", "price": "60000.00"}
    unknown = await api.get("/v1/solicitations/IFB-NO-SUCH-LOTS")
    assert unknown.status_code == 404


async def test_a_draft_lot_is_shown_only_to_its_agency(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    solicitation = f"IFB-2099-{uuid.uuid4().hex[:6].upper()}"
    d = Driver(api, env, f"{solicitation}-L1")
    assert (await d.launch(**lot(d, solicitation, 1))).status_code == 201
    public = await api.get(f"/v1/solicitations/{solicitation}")
    assert public.status_code == 404
    own = await api.get(f"/v1/solicitations/{solicitation}", headers=await d.headers("agency"))
    assert [x["state"] for x in own.json()["lots"]] == ["draft"]
    # Launched again with the same body, the lot is the same procurement: not a second lot 1.
    assert (await d.launch(**lot(d, solicitation, 1))).status_code == 200


async def test_two_launches_of_one_lot_number_at_once_make_one_lot(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    solicitation = f"IFB-2099-{uuid.uuid4().hex[:6].upper()}"
    first, second = (Driver(api, env, f"{solicitation}-{s}") for s in ("A1", "B1"))
    answers = await asyncio.gather(
        first.launch(**lot(first, solicitation, 1)), second.launch(**lot(second, solicitation, 1))
    )
    assert sorted(a.status_code for a in answers) == [201, 409]
    assert next(a for a in answers if a.status_code == 409).json()["code"] == "lot_number_taken"
    own = await api.get(f"/v1/solicitations/{solicitation}", headers=await first.headers("agency"))
    assert [x["lot"] for x in own.json()["lots"]] == [1]
