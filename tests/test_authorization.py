"""Who may do what: every endpoint against every role, own and other agency or unit.

The matrix is the specification, written out by hand. Commands run against a procurement
that has ended (cancelled), so a role that may act gets the law's refusal (409) and a role
that may not gets 403 before anything reaches the workflow; the public gets 401. The other
endpoints run against a member unit with its resolution on file, a State master contract led
by the own agency and an order the unit placed off it. A test lists the app's routes, so an
endpoint without a row in the matrix fails by name.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import fastapi.routing
import httpx
import pytest
from starlette.routing import BaseRoute, compile_path
from starlette.types import ASGIApp, Message
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from state_machines.models import Command, Principal
from tests.driver import Driver, chicago, notice_body
from tests.people import DEFAULT_AGENCY, People
from workflows.errors import FORBIDDEN
from workflows.procurement import ProcurementWorkflow

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
    "member_own",
    "member_other",
    "public",
]
VENDOR = "Acme Supply"
# The unit a member_own official acts for where no unit was registered (the procurement
# matrix); member_other always acts for a unit that is never the one under test.
UNIT = "Maple Grove School District 42"
OTHER_UNIT = "Lincoln Prairie School District 7"


async def headers(people: People, role: str, unit: str = UNIT) -> dict[str, str]:
    if role == "public":
        return {}
    if role.startswith("buyer"):
        agency = DEFAULT_AGENCY if role.endswith("own") else OTHER_AGENCY
        return {"Authorization": f"Bearer {await people.token('agency_buyer', agency=agency)}"}
    if role.startswith("spo"):
        agency = DEFAULT_AGENCY if role.endswith("own") else OTHER_AGENCY
        return {"Authorization": f"Bearer {await people.token('spo', agency=agency)}"}
    if role.startswith("member"):
        acts_for = unit if role.endswith("own") else OTHER_UNIT
        return {"Authorization": f"Bearer {await people.token('member', agency=acts_for)}"}
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

DOCUMENT = {"name": "technical.pdf", "sha256": "ab" * 32, "size": 10}

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
    ("POST", "/board-recommendations/hearing-request", None, set()),
    (
        "POST",
        "/failed-bid-notices",
        {"vendor": "V", "means": "certified_copy", "reasons": "r"},
        AGENCY,
    ),
    # No recommendation names its body yet: a member of either body may record a hearing.
    ("POST", "/board-recommendations/hearing", {"summary": "s"}, {"ppb", "cei"}),
    (
        "POST",
        "/board-recommendations/final",
        {"maintained": True, "reasons": "r"},
        {"cei"},
    ),
    ("POST", "/qualifications", {"bid_id": "b", "qualified": True}, AGENCY),
    ("POST", "/priced-invitation", {"opening_at": "2099-04-01T10:00:00-05:00"}, AGENCY),
    ("POST", "/technical-offers", {"vendor": VENDOR, "documents": [DOCUMENT]}, {"vendor"}),
    (
        "PUT",
        "/technical-offers/" + "0" * 32,
        {"vendor": VENDOR, "documents": [DOCUMENT]},
        {"vendor"},
    ),
    ("POST", "/bids", {"vendor": VENDOR, "amount": "10.00"}, {"vendor"}),
    ("PUT", "/bids/" + "0" * 32, {"vendor": VENDOR, "amount": "11.00"}, {"vendor"}),
    ("POST", "/bids/" + "0" * 32 + "/withdraw", {}, {"vendor"}),
]

# (path under the procurement, roles that may read, status when they may)
READS: list[tuple[str, set[str], int]] = [
    ("", READERS, 200),
    ("/audit", READERS, 200),
    ("/tabulation", READERS, 409),  # never opened: sealed for everyone
    ("/technical-offers/opened", READERS, 409),  # not multi-step: none to show
    ("/file", READERS, 200),  # never awarded: the record is not yet public (20-10(d))
    ("/bids", {"vendor"}, 200),
]


def expected(role: str, allowed: set[str], allowed_status: int) -> int:
    if role == "public":
        return 401
    return allowed_status if role in allowed else 403


Expect = dict[str, int]


def only(status: int, allowed: set[str]) -> Expect:
    """`status` for the roles allowed, 403 for every other signed-in role, 401 for the public."""
    return {role: expected(role, allowed, status) for role in ROLES}


PUBLIC: Expect = {role: 200 for role in ROLES}
OVERSIGHT = {"cpo", "ppb", "cei"}
AGENCIES = {"buyer_own", "buyer_other", "spo_own", "spo_other"}
MEMBERS = {"member_own", "member_other"}
# Procurement lists, reminders and the dashboard: oversight every agency, agencies their own.
LISTERS = OVERSIGHT | AGENCIES
# An order is visible to its member, the contract's lead (the own agency) and the supervisors.
ORDER_READERS = OVERSIGHT | AGENCY | {"member_own"}

# Strings in paths and bodies name the records the `world` fixture made: {reference} the
# ended procurement, {notice} its invitation on the Bulletin, {unit} and {member} the member
# unit, {contract} the State master contract led by the own agency, {order} the unit's placed
# order off it, {tag} what makes this run's names unique.
MEMBER = {"name": "{unit}", "kind": "school_district"}
RESOLUTION = {
    "kind": "participation_resolution",
    "dated": "2099-02-10",
    "governing_board": "Board of Education of {unit}",
}
ITEMS = [{"code": "SALT", "description": "Bulk rock salt", "unit": "ton", "unit_price": "80.00"}]
AWARD = {"vendor": "Bolt Industries", "awarded_on": "2098-12-15", "solicitation": "IFB-2098-0117"}
JOINT_CONTRACT = {
    "reference": "{contract}",
    "program": "joint",
    "title": "Rock salt, statewide master contract",
    "lead": DEFAULT_AGENCY,
    "award": AWARD,
    "starts_on": "2099-01-01",
    "ends_on": "2099-12-31",
    "items": ITEMS,
}
COOPERATIVE_CONTRACT = {
    **JOINT_CONTRACT,
    "reference": "AUTH-CC-{tag}",
    "program": "cooperative",
    "title": "Rock salt, led by the district",
    "lead": "{unit}",
}
ORDER = {
    "reference": "{order}",
    "contract": "{contract}",
    "lines": [{"item": "SALT", "quantity": "5"}],
}

# (method, path, body, status for each role): every endpoint outside the procurement's own
# commands and reads.
ENDPOINTS: list[tuple[str, str, Any, Expect]] = [
    ("GET", "/healthz", None, PUBLIC),
    ("GET", "/readyz", None, PUBLIC),
    # No credentials by design: the figures name no procurement, person or amount.
    ("GET", "/metrics", None, PUBLIC),
    ("GET", "/v1/dev/clock", None, PUBLIC),
    # What a kind of error means: the page a problem document's type names.
    ("GET", "/problems/refused", None, PUBLIC),
    (
        "POST",
        "/v1/schedule",
        {"method": "competitive_sealed_bidding", "publication_date": "2099-03-02"},
        PUBLIC,
    ),
    ("GET", "/v1/calendar/deadline?start=2099-03-02&days=14", None, PUBLIC),
    ("GET", "/v1/bulletin", None, PUBLIC),
    ("GET", "/v1/bulletin/feed.atom", None, PUBLIC),
    ("GET", "/v1/bulletin/ocds", None, PUBLIC),
    ("GET", "/v1/procurements/{reference}/ocds", None, PUBLIC),
    ("GET", "/bulletin", None, PUBLIC),
    ("GET", "/bulletin/{notice}", None, PUBLIC),
    ("GET", "/v1/clearinghouse", None, PUBLIC),
    ("GET", "/clearinghouse", None, PUBLIC),
    # Vendors read the notices sent to them and agencies their reminders; only the chief
    # procurement officer reads anyone else's.
    ("GET", "/v1/bulletin/messages", None, only(200, AGENCIES | {"vendor"})),
    ("GET", "/v1/bulletin/messages?recipient=" + VENDOR, None, only(200, {"vendor", "cpo"})),
    (
        "GET",
        f"/v1/bulletin/messages?recipient=agency:{DEFAULT_AGENCY}",
        None,
        only(200, AGENCY | {"cpo"}),
    ),
    ("POST", "/v1/procurements", notice_body("AUTH-L-{tag}"), only(201, AGENCY)),
    ("GET", "/v1/procurements", None, only(200, LISTERS)),
    ("GET", "/v1/reminders", None, only(200, LISTERS)),
    ("GET", "/v1/reminders?reference={reference}", None, only(200, READERS)),
    # The pages hold no data: the browser reads the API with the caller's token.
    ("GET", "/dashboard", None, PUBLIC),
    ("GET", "/dashboard/procurements/{reference}", None, PUBLIC),
    ("GET", "/dashboard/calendar", None, PUBLIC),
    # The procurement file's page: public only after an award, which this one never had.
    ("GET", "/procurements/{reference}/file", None, only(200, READERS)),
    ("GET", "/dashboard/assets/dashboard.js", None, PUBLIC),
    ("GET", "/v1/dashboard/procurements", None, only(200, LISTERS)),
    ("GET", "/v1/dashboard/agencies", None, only(200, LISTERS)),
    ("GET", "/v1/dashboard/procurements/{reference}", None, only(200, READERS)),
    ("GET", "/v1/dashboard/events", None, only(200, LISTERS)),
    ("GET", "/v1/dashboard/calendar", None, only(200, LISTERS)),
    # Registered already with these details: the same registration answers 200.
    ("POST", "/v1/members", MEMBER, only(200, {"cpo", "member_own"})),
    ("GET", "/v1/members", None, only(200, LISTERS | MEMBERS)),
    ("GET", "/v1/members/{member}", None, only(200, LISTERS | {"member_own"})),
    ("POST", "/v1/members/{member}/documents", RESOLUTION, only(200, {"cpo", "member_own"})),
    ("GET", "/v1/members/{member}/messages", None, only(200, {"cpo", "member_own"})),
    # A solicitation let in lots shows its published lots to anyone; this one has none.
    ("GET", "/v1/solicitations/NO-LOTS-{tag}", None, {role: 404 for role in ROLES}),
    ("GET", "/v1/contracts", None, PUBLIC),
    ("GET", "/v1/contracts/{contract}", None, PUBLIC),
    ("POST", "/v1/contracts", JOINT_CONTRACT, only(200, {"cpo"} | AGENCY)),
    # From a procurement of this service, the lead is its agency; this one was never awarded,
    # so those who may open it get the law's refusal, and no one else learns its state.
    (
        "POST",
        "/v1/contracts",
        {**JOINT_CONTRACT, "award": None, "lead": None, "procurement": "{reference}"},
        only(409, {"cpo"} | AGENCY),
    ),
    # Only a cooperative contract may be led by a district, and its official opens it.
    ("POST", "/v1/contracts", COOPERATIVE_CONTRACT, only(201, {"cpo", "member_own"})),
    # Another unit's official may order, for its own unit: the reference is already the
    # unit's order, so it is refused, never shown.
    ("POST", "/v1/orders", ORDER, only(200, {"member_own"}) | {"member_other": 409}),
    ("GET", "/v1/orders", None, only(200, LISTERS | MEMBERS)),
    ("GET", "/v1/orders/{order}", None, only(200, ORDER_READERS)),
    ("GET", "/v1/orders/{order}/audit", None, only(200, ORDER_READERS)),
    # The order was placed, not held: those who may withdraw get the refusal.
    ("POST", "/v1/orders/{order}/withdraw", {"reason": "r"}, only(409, {"cpo", "member_own"})),
    ("GET", "/v1/reports/contract-use", None, only(200, LISTERS | MEMBERS)),
    # An operator's alone (tests/test_dev_clock.py): no role of the Procurement Code moves it.
    ("POST", "/v1/dev/clock/advance", {"hours": 1}, only(200, set())),
]
# Responses that never end: the client reads the status and leaves.
STREAMS = {"/v1/dashboard/events"}

# (list, the names of its items, the item of this run, roles that see it, roles asked): a
# list shows a role the records it may read and no others. Only lists narrowed to this run's
# records, or to the caller's own unit, are asked: an unfiltered list in a shared database
# may page this run's records out of sight.
LISTED: list[tuple[str, Callable[[Any], set[str]], str, set[str], set[str]]] = [
    (
        "/v1/orders?contract={contract}",
        lambda body: {o["reference"] for o in body["orders"]},
        "{order}",
        ORDER_READERS,
        set(ROLES),
    ),
    (
        "/v1/reports/contract-use?contract={contract}",
        lambda body: {u["member"] for c in body["contracts"] for u in c["by_member"]},
        "{unit}",
        ORDER_READERS,
        set(ROLES),
    ),
    (
        "/v1/members",
        lambda body: {m["name"] for m in body["members"]},
        "{unit}",
        {"member_own"},
        MEMBERS,
    ),
]


def fill(value: Any, world: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return value.format_map(world)
    if isinstance(value, dict):
        return {k: fill(v, world) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, world) for v in value]
    return value


@pytest.fixture
async def ended(api: httpx.AsyncClient, env: WorkflowEnvironment) -> Driver:
    d = Driver(api, env, f"AUTH-{uuid.uuid4().hex[:8].upper()}")
    assert (await d.launch()).status_code == 201
    await d.ok("publish")
    await d.ok("cancel", {"reason": "Ended for the matrix."})
    return d


@pytest.fixture
async def world(api: httpx.AsyncClient, ended: Driver) -> dict[str, str]:
    """The records the matrix names, made through the API by those who may make them."""
    people: People = api.people  # type: ignore[attr-defined]
    tag = uuid.uuid4().hex[:6].upper()
    w = {
        "tag": tag,
        "reference": ended.reference,
        "unit": f"{UNIT} {tag}",
        "contract": f"AUTH-JC-{tag}",
        "order": f"AUTH-PO-{tag}",
    }
    official = await headers(people, "member_own", w["unit"])
    registered = await api.post("/v1/members", json=fill(MEMBER, w), headers=official)
    assert registered.status_code == 201, registered.text
    w["member"] = registered.json()["member_id"]
    resolution = await api.post(
        f"/v1/members/{w['member']}/documents", json=fill(RESOLUTION, w), headers=official
    )
    assert resolution.status_code == 201, resolution.text
    opened = await api.post(
        "/v1/contracts", json=fill(JOINT_CONTRACT, w), headers=await headers(people, "spo_own")
    )
    assert opened.status_code == 201, opened.text
    placed = await api.post("/v1/orders", json=fill(ORDER, w), headers=official)
    assert placed.status_code == 201 and placed.json()["state"] == "placed", placed.text
    notices = (await api.get("/v1/bulletin", params={"reference": ended.reference})).json()
    w["notice"] = str(notices["notices"][0]["notice_id"])
    return w


async def stream_status(app: ASGIApp, path: str, h: dict[str, str]) -> tuple[int, str]:
    """The status of a response that never ends: the client disconnects once it has it."""
    started = asyncio.Event()
    statuses: list[int] = []
    body = bytearray()
    asked = False

    async def receive() -> Message:
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await started.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])
            started.set()
        elif message["type"] == "http.response.body":
            body.extend(message.get("body", b""))

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"procureflow")]
        + [(k.lower().encode(), v.encode()) for k, v in h.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("procureflow", 80),
    }
    await asyncio.wait_for(app(scope, receive, send), 30)
    return statuses[0], body.decode()


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
    assert wrong == []


@pytest.mark.parametrize("role", ROLES)
async def test_every_other_endpoint_against_every_role(
    api: httpx.AsyncClient, world: dict[str, str], role: str
) -> None:
    people: People = api.people  # type: ignore[attr-defined]
    app: ASGIApp = api._transport.app  # type: ignore[attr-defined]
    h = await headers(people, role, world["unit"])
    wrong: list[tuple[object, ...]] = []
    for method, path, body, want in ENDPOINTS:
        url = fill(path, world)
        if url in STREAMS:
            status, text = await stream_status(app, url, h)
        else:
            response = await api.request(method, url, json=fill(body, world), headers=h)
            status, text = response.status_code, response.text
        if status != want[role]:
            wrong.append((method, path, status, want[role], text[:160]))
        if status == 403 and '"reason"' not in text:
            wrong.append((method, path, "403 without a reason", text[:160]))

    for path, names, item, readers, asked in LISTED:
        response = await api.get(fill(path, world), headers=h)
        if role not in asked or response.status_code != 200:
            continue  # the matrix above says whether the list itself is the role's to read
        shown = fill(item, world) in names(response.json())
        if shown != (role in readers):
            wrong.append(("listed", path, shown, role in readers))
    if role in AGENCIES:
        own = DEFAULT_AGENCY if role.endswith("own") else OTHER_AGENCY
        for path in ("/v1/procurements", "/v1/dashboard/procurements"):
            items = (await api.get(path, headers=h)).json()["items"]
            if not {i["agency"] for i in items} <= {own}:
                wrong.append(("agencies", path, {i["agency"] for i in items}, own))
        agencies = (await api.get("/v1/dashboard/agencies", headers=h)).json()["agencies"]
        if agencies != [own]:
            wrong.append(("agencies", "/v1/dashboard/agencies", agencies, [own]))
    assert wrong == []


# FastAPI's own documentation routes: they describe the API, they are not part of it.
DOCUMENTATION = {
    "/openapi.json",
    "/docs",
    "/docs/oauth2-redirect",
    "/docs/assets",
    "/docs/assets/redoc.standalone.js",
    "/redoc",
}


def routes(app: Any) -> Iterable[Any]:
    # Newer FastAPI nests each included router; iter_route_contexts flattens them. Older
    # versions list every route flat already.
    walk: Callable[[Sequence[BaseRoute]], Iterable[Any]] = getattr(
        fastapi.routing, "iter_route_contexts", iter
    )
    return walk(app.routes)


def matrix_rows() -> list[tuple[str, str]]:
    """(method, path) of every row of every table, with any id in it."""
    ids: defaultdict[str, str] = defaultdict(lambda: "ID-1")
    under = "/v1/procurements/ID-1"
    rows = [(method, under + path) for method, path, _, _ in COMMANDS]
    rows += [("GET", under + path) for path, _, _ in READS]
    rows += [(method, path.format_map(ids)) for method, path, _, _ in ENDPOINTS]
    return [(method, path.partition("?")[0]) for method, path in rows]


async def test_every_endpoint_is_in_the_matrix(api: httpx.AsyncClient) -> None:
    app = api._transport.app  # type: ignore[attr-defined]
    # Starlette answers HEAD wherever GET is routed; a mount has no methods, so no row can
    # reach it and it is reported by name.
    endpoints = [
        (method, route.path, compile_path(route.path)[0])
        for route in routes(app)
        if route.path not in DOCUMENTATION
        for method in sorted(set(getattr(route, "methods", None) or {"ANY"}) - {"HEAD"})
    ]
    assert {"/healthz", "/v1/procurements/{reference}/award"} <= {t for _, t, _ in endpoints}
    covered = set()
    unrouted = []
    for method, path in matrix_rows():
        # The endpoint a row reaches is the first whose template matches, as the router does.
        hit = next(
            (
                (m, template)
                for m, template, regex in endpoints
                if m == method and regex.fullmatch(path)
            ),
            None,
        )
        if hit is None:
            unrouted.append((method, path))
        else:
            covered.add(hit)
    missing = [f"{m} {template}" for m, template, _ in endpoints if (m, template) not in covered]
    assert missing == [], "endpoints without a row in the authorization matrix"
    assert unrouted == [], "matrix rows that reach no endpoint"


async def test_bad_credentials_are_401(api: httpx.AsyncClient) -> None:
    for value in ("Bearer pf_not-a-real-token", "Basic abc", "Bearer "):
        response = await api.get("/v1/procurements", headers={"Authorization": value})
        assert response.status_code == 401, value
        assert response.json()["code"] == "unauthorized"


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
    assert isinstance(failed.value.cause, ApplicationError)
    assert failed.value.cause.type == FORBIDDEN
    assert (await d.get())["state"] == "draft"


async def test_each_caller_is_offered_only_what_it_may_do(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    # What the law allows now, narrowed to what the caller's role may send: a buyer is not
    # offered a protest (a vendor's, 1.5550) nor a waiver (the Board's or the Commission's).
    d = Driver(api, env, f"OFFER-{uuid.uuid4().hex[:8].upper()}")
    bids = await d.through_opening()
    await d.advance_to(chicago(2099, 3, 17, 10))
    await d.ok("award", {"bid_id": bids["Bolt Industries"]})

    async def offered(actor: str) -> set[str]:
        return set((await d.read(actor=actor)).json()["allowed_actions"])

    buyer, board, cpo = await offered("agency"), await offered("ppb"), await offered("cpo")
    # In the review window the law allows more (a vendor's protest among it); each is
    # offered its own part only.
    assert buyer == {"answer_documents", "cancel"}
    assert board == {"board_recommendation", "grant_waiver", "request_documents"}
    assert cpo == {"decide_protest"}
