"""Who may do what: every endpoint against every role, own and other agency.

The matrix is the specification, written out by hand. Commands run against a procurement
that has ended (cancelled), so a role that may act gets the law's refusal (409) and a role
that may not gets 403 before anything reaches the workflow; the public gets 401.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from state_machines.models import Command, Principal
from tests.driver import Driver
from tests.people import DEFAULT_AGENCY, People
from workflows.procurement import FORBIDDEN, ProcurementWorkflow

OTHER_AGENCY = "Department of Natural Resources"
ROLES = [
    "buyer_own",
    "buyer_other",
    "spo_own",
    "spo_other",
    "cpo",
    "ppb",
    "cei",
    "vendor",
    "public",
]
VENDOR = "Acme Supply"


async def headers(people: People, role: str) -> dict[str, str]:
    if role == "public":
        return {}
    if role.startswith("buyer"):
        agency = DEFAULT_AGENCY if role.endswith("own") else OTHER_AGENCY
        return {"Authorization": f"Bearer {await people.token('agency_buyer', agency=agency)}"}
    if role.startswith("spo"):
        agency = DEFAULT_AGENCY if role.endswith("own") else OTHER_AGENCY
        return {"Authorization": f"Bearer {await people.token('spo', agency=agency)}"}
    if role == "vendor":
        return {"Authorization": f"Bearer {await people.token('vendor', vendor=VENDOR)}"}
    return {"Authorization": f"Bearer {await people.token(role)}"}


AGENCY = {"buyer_own", "spo_own"}
SPO = {"spo_own"}
READERS = {"buyer_own", "spo_own", "cpo", "ppb", "cei"}
EXPLANATION = {
    "agency_needs": "n",
    "fair_and_reasonable": "f",
    "responsive_bidders": ["A"],
    "selected_bidder": "A",
    "total_contract_price": "1.00",
    "reasons": "r",
}

# (method, path under the procurement, body, roles that may act)
COMMANDS: list[tuple[str, str, Any, set[str]]] = [
    ("POST", "/amend", {"title": "New title"}, AGENCY),
    ("POST", "/publish", None, AGENCY),
    ("POST", "/opening", {"witnesses": ["W"]}, AGENCY),
    ("POST", "/determinations", {"bid_id": "b", "responsive": True, "responsible": True}, AGENCY),
    ("POST", "/scores", {"scores": [{"bid_id": "b", "diversity": "1", "other": "1"}]}, AGENCY),
    (
        "POST",
        "/best-and-final",
        {"competitive_range": ["b"], "due_at": "2099-04-01T10:00:00-05:00"},
        AGENCY,
    ),
    (
        "POST",
        "/award-date-extensions",
        {"new_due_on": "2099-06-01", "spo_consent": "S", "bidder_consent": "B"},
        SPO,
    ),
    ("POST", "/hearing", {"summary": "s"}, AGENCY),
    ("POST", "/split-determination", {"decision": "not_divided", "reasons": "r"}, SPO),
    ("POST", "/award", {"bid_id": "b"}, AGENCY),
    ("POST", "/award", {"bid_id": "b", "explanation": EXPLANATION}, SPO),
    (
        "POST",
        "/award",
        {"bid_id": "b", "tie_decision": {"kind": "best_interest", "reasons": "r"}},
        SPO,
    ),
    ("POST", "/bidder-notice", None, AGENCY),
    ("POST", "/document-requests", {"body": "PPB", "description": "d"}, {"ppb"}),
    ("POST", "/document-requests", {"body": "CEI", "description": "d"}, {"cei"}),
    ("POST", "/document-requests/DR-1/answer", {"summary": "s"}, AGENCY),
    ("POST", "/waivers", {"body": "PPB"}, {"ppb"}),
    ("POST", "/waivers", {"body": "CEI"}, {"cei"}),
    ("POST", "/execute", None, AGENCY),
    ("POST", "/protests", {"kind": "award", "protester": VENDOR, "grounds": "g"}, {"vendor"}),
    ("POST", "/protests/P-1/decision", {"decision": "denied", "reasons": "r"}, {"cpo"}),
    ("POST", "/protest-override", {"determination": "Urgent."}, {"cpo"}),
    ("POST", "/cancel", {"reason": "r"}, AGENCY),
    ("POST", "/disclosures", {"description": "d", "total_cost": "1.00"}, AGENCY),
    (
        "POST",
        "/emergency-extensions",
        {"additional_days": 5, "justification": "j", "approved_by": "CPO"},
        {"cpo"},
    ),
    ("POST", "/explanation-filings", {"bodies": ["LAC"]}, AGENCY),
    (
        "POST",
        "/board-recommendations",
        {"action": "reject_bid", "votes_for": 3, "grounds": "g"},
        {"ppb", "cei"},
    ),
    # Only the awarded vendor answers the Board; this procurement has no award, so nobody.
    ("POST", "/board-recommendations/response", {"summary": "s"}, set()),
    ("POST", "/board-recommendations/decision", {"decision": "decline", "reasons": "r"}, {"cpo"}),
    ("POST", "/bids", {"vendor": VENDOR, "amount": "10.00"}, {"vendor"}),
    ("PUT", "/bids/" + "0" * 32, {"vendor": VENDOR, "amount": "11.00"}, {"vendor"}),
    ("POST", "/bids/" + "0" * 32 + "/withdraw", {}, {"vendor"}),
]

# (path under the procurement, roles that may read, status when they may)
READS: list[tuple[str, set[str], int]] = [
    ("", READERS, 200),
    ("/audit", READERS, 200),
    ("/tabulation", READERS, 409),  # never opened: sealed for everyone
    ("/bids", {"vendor"}, 200),
]


@pytest.fixture
async def ended(api: httpx.AsyncClient, env: WorkflowEnvironment) -> Driver:
    d = Driver(api, env, f"AUTH-{uuid.uuid4().hex[:8].upper()}")
    assert (await d.launch()).status_code == 201
    await d.ok("publish")
    await d.ok("cancel", {"reason": "Ended for the matrix."})
    return d


def expected(role: str, allowed: set[str], allowed_status: int) -> int:
    if role == "public":
        return 401
    return allowed_status if role in allowed else 403


@pytest.mark.parametrize("role", ROLES)
async def test_every_command_against_every_role(
    api: httpx.AsyncClient, ended: Driver, role: str
) -> None:
    people: People = api.people  # type: ignore[attr-defined]
    h = await headers(people, role)
    wrong = []
    for method, path, body, allowed in COMMANDS:
        response = await api.request(
            method, f"/v1/procurements/{ended.reference}{path}", json=body, headers=h
        )
        want = expected(role, allowed, 409)
        if response.status_code != want:
            wrong.append((method, path, response.status_code, want, response.text[:160]))
        if response.status_code == 403:
            assert response.json()["reason"]
    assert wrong == []


@pytest.mark.parametrize("role", ROLES)
async def test_every_read_against_every_role(
    api: httpx.AsyncClient, ended: Driver, role: str
) -> None:
    people: People = api.people  # type: ignore[attr-defined]
    h = await headers(people, role)
    wrong = []
    for path, allowed, status in READS:
        response = await api.get(f"/v1/procurements/{ended.reference}{path}", headers=h)
        want = expected(role, allowed, status)
        if response.status_code != want:
            wrong.append((path, response.status_code, want, response.text[:160]))
    listing = await api.get("/v1/procurements", headers=h)
    want_list = 401 if role == "public" else (403 if role == "vendor" else 200)
    if listing.status_code != want_list:
        wrong.append(("list", listing.status_code, want_list))
    if role.startswith(("buyer", "spo")):
        mine = {i["agency"] for i in listing.json()["items"]}
        own = DEFAULT_AGENCY if role.endswith("own") else OTHER_AGENCY
        assert mine <= {own}
    for public_path in ("/v1/bulletin", "/v1/calendar/deadline?start=2099-03-02&days=14"):
        response = await api.get(public_path, headers=h)
        if response.status_code != 200:
            wrong.append((public_path, response.status_code, 200))
    inbox = await api.get("/v1/bulletin/messages", headers=h)
    want_inbox = (
        401
        if role == "public"
        else (200 if role in {"vendor", *AGENCY, "buyer_other", "spo_other"} else 403)
    )
    if inbox.status_code != want_inbox:
        wrong.append(("inbox", inbox.status_code, want_inbox))
    assert wrong == []


@pytest.mark.parametrize("role", ROLES)
async def test_launch_only_for_own_agency(api: httpx.AsyncClient, role: str) -> None:
    from tests.driver import notice_body

    people: People = api.people  # type: ignore[attr-defined]
    body = notice_body(f"AUTH-L-{uuid.uuid4().hex[:8].upper()}")
    response = await api.post("/v1/procurements", json=body, headers=await headers(people, role))
    assert response.status_code == expected(role, AGENCY, 201), response.text


async def test_bad_credentials_are_401(api: httpx.AsyncClient) -> None:
    for value in ("Bearer pf_not-a-real-token", "Basic abc", "Bearer "):
        response = await api.get("/v1/procurements", headers={"Authorization": value})
        assert response.status_code == 401, value
        assert response.json()["error"] == "unauthorized"


async def test_the_workflow_refuses_without_the_api(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    """The validator checks authority too: a command sent straight to Temporal by a vendor
    is refused there, and nothing changes."""
    d = Driver(api, env, f"AUTH-W-{uuid.uuid4().hex[:8].upper()}")
    assert (await d.launch()).status_code == 201
    handle = env.client.get_workflow_handle(d.reference)
    intruder = Principal(id="x", name="Intruder", role="vendor", vendor="Acme Supply")
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await handle.execute_update(
            ProcurementWorkflow.command,
            Command(trigger="publish", actor="Intruder", payload={}, principal=intruder),
        )
    assert failed.value.cause.type == FORBIDDEN  # type: ignore[union-attr]
    assert (await d.get())["state"] == "draft"
