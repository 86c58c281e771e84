"""The bid intake: every bid received once, in one transaction, and the opening fenced by it.

On the real servers (PostgreSQL, the time-skipping Temporal server). Worked from the anchor,
Monday 2 March 2099 09:00 in Chicago: the invitation is published that day and the opening is
Monday 16 March 2099 at 14:00 CDT (19:00 UTC), the first day 20-10(c) allows.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from db import bids as bid_store
from db.sealing import canonical_bid, legacy_digest
from procure.settings import Settings
from state_machines import intake
from state_machines.models import Facts, LaunchSpec, RegisterBid, WithdrawBid
from tests.conftest import BID_KEY, TASK_QUEUE
from tests.driver import Driver, chicago, notice_body

OPENING = chicago(2099, 3, 16, 14)
CONTENTS: dict[
    str, Any
] = {}  # a bid with no credit, documents or claims commits to its price alone


@pytest.fixture
def settings() -> Settings:
    # Small caps, so the tests reach them.
    return Settings(
        task_queue=TASK_QUEUE,
        bid_key=BID_KEY,
        max_live_bids_per_vendor=2,
        max_bid_submissions_per_vendor=5,
    )


@pytest.fixture
async def proc(api: httpx.AsyncClient, env: WorkflowEnvironment) -> Driver:
    d = Driver(api, env, f"IN-{uuid.uuid4().hex[:10].upper()}")
    assert (await d.launch()).status_code == 201
    await d.ok("publish")
    return d


async def _put(d: Driver, vendor: str, bid_id: str, amount: str) -> httpx.Response:
    return await d.api.put(
        f"/v1/procurements/{d.reference}/bids/{bid_id}",
        json={"vendor": vendor, "amount": amount},
        headers=await d.headers(vendor),
    )


async def _withdraw(d: Driver, vendor: str, bid_id: str) -> httpx.Response:
    return await d.api.post(
        f"/v1/procurements/{d.reference}/bids/{bid_id}/withdraw",
        json={},
        headers=await d.headers(vendor),
    )


async def _tabulated(pool: asyncpg.Pool, reference: str) -> set[str]:
    rows = await pool.fetch("SELECT bid_id FROM tabulations WHERE reference = $1", reference)
    return {r["bid_id"] for r in rows}


# ---- receipts, exactly once ---------------------------------------------------------------


async def test_receipt_is_the_recorded_time_and_a_commitment_only_its_vendor_can_open(
    proc: Driver, pool: asyncpg.Pool
) -> None:
    before = await proc.now()
    response = await proc.bid("Acme Supply", "98000.00")
    after = await proc.now()
    assert response.status_code == 201, response.text
    receipt = response.json()
    received_at = datetime.fromisoformat(receipt["received_at"])
    assert before <= received_at <= after
    row = await pool.fetchrow("SELECT * FROM bids WHERE bid_id = $1", receipt["bid_id"])
    # One transaction: the row is received, with the very time of the receipt.
    assert row["status"] == "received" and row["received_at"] == received_at
    assert row["amount"] is None and row["digest"] == receipt["commitment"]
    # The vendor checks its commitment against what it sent.
    contents = {"amount": "98000.00", **CONTENTS}
    mine = hmac.new(
        bytes.fromhex(receipt["nonce"]),
        canonical_bid(proc.reference, "Acme Supply", contents),
        hashlib.sha256,
    ).hexdigest()
    assert mine == receipt["commitment"]
    # The nonce is stored nowhere in the clear.
    dump = json.dumps([dict(r) for r in await pool.fetch("SELECT * FROM bids")], default=str)
    assert receipt["nonce"] not in dump
    listed = (await proc.read("/bids", actor="Acme Supply")).json()["receipts"]
    assert [(r["bid_id"], r["commitment"], r["nonce"]) for r in listed] == [
        (receipt["bid_id"], receipt["commitment"], receipt["nonce"])
    ]


def test_an_attacker_with_the_commitment_cannot_brute_force_the_price() -> None:
    """Everything but the amount is known: reference, vendor, bid credit, documents, claims.
    A brute force over 90,000.00 to 110,000.00 (two million prices) recovers the price from
    the digest receipts used to carry, and nothing from a commitment."""
    reference, vendor, price = "IFB-2099-0042", "Acme Supply", "101234.56"
    contents = {"amount": price, **CONTENTS}
    from db.sealing import commitment, new_nonce

    keyed = commitment(new_nonce(), reference, vendor, contents)
    unkeyed = legacy_digest(reference, vendor, contents)

    def brute_force(target: str) -> str | None:
        head, tail = canonical_bid(reference, vendor, {"amount": "@", **CONTENTS}).split(b'"@"')
        known = hashlib.sha256(head)
        for cents in range(9_000_000, 11_000_001):
            guess = f"{cents // 100}.{cents % 100:02d}"
            attempt = known.copy()
            attempt.update(b'"' + guess.encode() + b'"' + tail)
            if attempt.hexdigest() == target:
                return guess
        return None

    assert brute_force(unkeyed) == price  # the attack works on an unkeyed digest
    assert brute_force(keyed) is None


async def test_same_bid_sent_again_is_one_bid_and_a_key_names_its_bid(
    proc: Driver, pool: asyncpg.Pool
) -> None:
    first = await proc.bid("Acme Supply", "98000.00")
    again = await proc.bid("Acme Supply", "98000.00")
    assert first.status_code == again.status_code == 201
    assert first.json()["bid_id"] == again.json()["bid_id"]
    assert (first.headers["Idempotent-Replayed"], again.headers["Idempotent-Replayed"]) == (
        "false",
        "true",
    )
    other = await proc.bid("Acme Supply", "97000.00")  # an alternate: another bid
    assert other.status_code == 201 and other.json()["bid_id"] != first.json()["bid_id"]

    headers = await proc.headers("Bolt Industries") | {"Idempotency-Key": "bolt-1"}
    url = f"/v1/procurements/{proc.reference}/bids"
    body = {"vendor": "Bolt Industries", "amount": "91500.50"}
    answers = await asyncio.gather(
        *(proc.api.post(url, json=body, headers=headers) for _ in range(10))
    )
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["bid_id"] for a in answers}) == 1
    assert sorted(a.headers["Idempotent-Replayed"] for a in answers) == ["false"] + ["true"] * 9
    reused = await proc.api.post(url, json=body | {"amount": "1.00"}, headers=headers)
    assert reused.status_code == 422 and reused.json()["code"] == "idempotency_key_reused"
    held = await pool.fetchval(
        "SELECT count(*) FROM bids WHERE reference = $1 AND status = 'received'", proc.reference
    )
    assert held == 3
    assert (await proc.get())["bids_received"] == 3


async def test_caps_refuse_with_a_cited_409_never_a_503(proc: Driver) -> None:
    a = (await proc.bid("Acme Supply", "100.00")).json()["bid_id"]
    assert (await proc.bid("Acme Supply", "101.00")).status_code == 201
    third = await proc.bid("Acme Supply", "102.00")
    assert third.status_code == 409
    assert third.json()["code"] == "bid_limit" and "bounded bid intake" in third.json()["citation"]
    assert "2 at once" in third.json()["reason"]
    # Replacing is still allowed, up to five submissions in all (two so far).
    for amount in ("103.00", "104.00", "105.00"):
        response = await _put(proc, "Acme Supply", a, amount)
        assert response.status_code == 201, response.text
        a = response.json()["bid_id"]
    sixth = await _put(proc, "Acme Supply", a, "106.00")
    assert sixth.status_code == 409 and sixth.json()["code"] == "bid_limit"
    assert "at most 5" in sixth.json()["reason"]
    # Another vendor is not affected.
    assert (await proc.bid("Bolt Industries", "99.00")).status_code == 201


@pytest.mark.parametrize(
    ("amount", "accepted"),
    [
        ("0.01", True),
        ("98000", True),
        ("98000.5", True),
        ("0.00", False),
        ("0", False),
        ("-0", False),
        ("-1.00", False),
        ("1E+2", False),
        ("NaN", False),
        ("Infinity", False),
        ("12.345", False),
        ("012.00", False),
        (" 12.00", False),
        (98000, False),
        (98000.5, False),
    ],
)
async def test_money_is_positive_plain_and_to_the_cent(
    proc: Driver, amount: Any, accepted: bool
) -> None:
    response = await proc.post("bids", {"vendor": "Acme Supply", "amount": amount}, "Acme Supply")
    if accepted:
        assert response.status_code == 201, response.text
        return
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "body.amount"


async def test_a_claim_outside_its_statutes_scope_is_refused(proc: Driver) -> None:
    # Road salt is not food (595/10(c)) and not coal (555/1): a claim of either is refused
    # when the bid arrives, naming the claim and the section; nothing is received.
    for claim, section in (
        ("local_farm_food", "30 ILCS 595/10(c)"),
        ("illinois_coal", "30 ILCS 555/1"),
    ):
        body = {"vendor": "Acme Supply", "amount": "98000.00", "claims": {claim: True}}
        response = await proc.post("bids", body, "Acme Supply")
        assert response.status_code == 409, response.text
        problem = response.json()
        assert problem["code"] == "preference_out_of_scope"
        assert problem["field"] == f"claims.{claim}"
        assert problem["citation"] == section
    assert (await proc.read("/bids", actor="Acme Supply")).json()["receipts"] == []
    # A claim within scope (the recycled preference reaches supplies) is received.
    body = {"vendor": "Acme Supply", "amount": "98000.00", "claims": {"recycled": True}}
    assert (await proc.post("bids", body, "Acme Supply")).status_code == 201


async def test_freight_is_its_own_figure_only_where_coal_is_bought(
    api: httpx.AsyncClient, env: WorkflowEnvironment, proc: Driver
) -> None:
    # Road salt: freight belongs in the price.
    body = {"vendor": "Acme Supply", "amount": "98000.00", "freight": "100.00"}
    refused = await proc.post("bids", body, "Acme Supply")
    assert refused.status_code == 409, refused.text
    assert (refused.json()["code"], refused.json()["field"]) == (
        "freight_not_applicable",
        "freight",
    )
    # Coal for fuel: the cost compared includes transportation (555/1), so it is required.
    coal = Driver(api, env, f"COAL-{uuid.uuid4().hex[:8].upper()}")
    launched = await coal.launch(title="Stoker coal", preferences={"purchases": ["coal"]})
    assert launched.status_code == 201, launched.text
    await coal.ok("publish")
    missing = await coal.post("bids", {"vendor": "Egypt Mine", "amount": "1.00"}, "Egypt Mine")
    assert missing.status_code == 409, missing.text
    assert missing.json()["code"] == "freight_required"
    assert missing.json()["citation"] == "30 ILCS 555/1"
    body = {"vendor": "Egypt Mine", "amount": "1.00", "freight": "0.00"}
    assert (await coal.post("bids", body, "Egypt Mine")).status_code == 201


# ---- the opening's fence ------------------------------------------------------------------


def _facts(**overrides: Any) -> Facts:
    spec = LaunchSpec.model_validate(notice_body("IFB-PURE-1"))
    facts = Facts.launch(
        spec,
        digest="0" * 64,
        rules_version="test",
        calendar={},
        protest_rules={},
        created_at=chicago(2099, 3, 2, 9),
    )
    facts.state = "published"
    facts.published_on = chicago(2099, 3, 2).date()
    for key, value in overrides.items():
        setattr(facts, key, value)
    return facts


def test_a_bid_is_received_until_the_opening_time_and_not_at_it() -> None:
    """20-10(d): bids are opened at the time designated; a bid a microsecond before it is
    received, one at it is not. Withdrawal by notice follows the same instant (1.2038)."""
    facts = _facts()
    bid = RegisterBid(bid_id="b", vendor="Acme Supply", digest="a" * 64)
    assert intake.bid_refusal(facts, bid, OPENING - timedelta(microseconds=1)) is None
    at = intake.bid_refusal(facts, bid, OPENING)
    assert at is not None and at.code == "opening_passed"
    assert at.citation == "30 ILCS 500/20-10(d)"
    withdrawal = WithdrawBid(bid_id="b")
    assert intake.withdrawal_refusal(facts, withdrawal, OPENING - timedelta(microseconds=1)) is None
    late = intake.withdrawal_refusal(facts, withdrawal, OPENING)
    assert late is not None and late.citation == "44 Ill. Adm. Code 1.2038"
    draft = intake.bid_refusal(_facts(state="draft"), bid, OPENING - timedelta(days=1))
    assert draft is not None and draft.code == "illegal_transition"


async def test_a_bid_still_committing_at_the_opening_is_decided_by_its_receipt_time(
    proc: Driver, env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    """A bid whose transaction began before the opening and commits after the opening began:
    the opening waits for it and counts it. One that starts after is refused."""
    early = (await proc.bid("Acme Supply", "98000.00")).json()["bid_id"]
    await proc.advance_to(OPENING - timedelta(seconds=2))
    slow_id = uuid.uuid4().hex
    async with pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        await bid_store.hold_intake(conn, proc.reference)
        received_at = await env.get_current_time()
        assert received_at < OPENING
        await proc.advance_to(OPENING + timedelta(seconds=1))
        opening = asyncio.create_task(proc.post("opening", {"witnesses": ["W"]}))
        for _ in range(600):  # until the tabulation waits on the lock the bid holds
            if await pool.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'advisory'"
            ):
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the opening never waited for the bid in flight")
        assert not opening.done()
        await conn.execute(
            """INSERT INTO bids (bid_id, reference, vendor, amount, bid_credit, documents,
                   digest, status, submitted_at, received_at, claims, sealed)
               SELECT $1, reference, 'Slow Vendor', NULL, 0, '[]', digest, 'received', $2, $2,
                      '{}', sealed
               FROM bids WHERE bid_id = $3""",
            slow_id,
            received_at,
            early,
        )
        await tx.commit()
    opened = await opening
    assert opened.status_code == 200, opened.text
    assert await _tabulated(pool, proc.reference) == {early, slow_id}
    late = await proc.bid("Bolt Industries", "1.00")
    assert late.status_code == 409 and late.json()["citation"] == "30 ILCS 500/20-10(d)"


async def test_bids_replacements_and_withdrawals_racing_the_opening(
    proc: Driver, env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    """Every receipt issued before the opening is tabulated, none after; a replacement or a
    withdrawal counts exactly when its own receipt came before the opening."""
    vendors = [f"Racer {i:02d}" for i in range(24)]
    original: dict[str, str] = {}
    for vendor in vendors[:12]:
        response = await proc.bid(vendor, "1000.00")
        original[vendor] = response.json()["bid_id"]
    await proc.advance_to(OPENING - timedelta(seconds=1))

    answered = asyncio.Event()
    count = 0

    async def act(i: int, vendor: str) -> tuple[str, httpx.Response]:
        nonlocal count
        if vendor in original and i % 2 == 0:
            kind, response = "replace", await _put(proc, vendor, original[vendor], f"{900 + i}.00")
        elif vendor in original:
            kind, response = "withdraw", await _withdraw(proc, vendor, original[vendor])
        else:
            kind, response = "bid", await proc.bid(vendor, f"{800 + i}.00")
        count += 1
        if count == 12:
            answered.set()
        return kind, response

    async def open_when_due() -> httpx.Response:
        # A quarter of the requests answered, the rest in flight: skip past the opening and
        # open while they arrive.
        await answered.wait()
        await env.sleep(timedelta(seconds=2))
        return await proc.post("opening", {"witnesses": ["W"]})

    acted, opening = await asyncio.gather(
        asyncio.gather(*(act(i, v) for i, v in enumerate(vendors * 2))), open_when_due()
    )
    assert opening.status_code == 200, opening.text
    expected = set(original.values())
    accepted_after = []
    for kind, response in acted:
        assert response.status_code in (200, 201, 409), response.text
        body = response.json()
        if response.status_code == 409:
            assert body["citation"] in ("30 ILCS 500/20-10(d)", "44 Ill. Adm. Code 1.2038"), body
            continue
        if response.headers.get("Idempotent-Replayed") == "true":
            continue
        moment = body.get("received_at") or body.get("withdrawn_at")
        if datetime.fromisoformat(moment) >= OPENING:
            accepted_after.append(body)
        if kind == "withdraw":
            expected.discard(body["bid_id"])
        else:
            expected.discard(body["replaces"])
            expected.add(body["bid_id"])
    assert accepted_after == []
    outcomes = {r.status_code for _, r in acted}
    assert {200, 201} & outcomes and 409 in outcomes  # the race was run: some in, some out
    assert await _tabulated(pool, proc.reference) == expected
    statuses = await pool.fetch(
        "SELECT status, count(*) AS n FROM bids WHERE reference = $1 GROUP BY status",
        proc.reference,
    )
    assert {r["status"]: r["n"] for r in statuses}.get("received") is None


async def test_amending_the_opening_keeps_every_bid(proc: Driver, pool: asyncpg.Pool) -> None:
    first = (await proc.bid("Acme Supply", "98000.00")).json()["bid_id"]
    later = chicago(2099, 3, 20, 14)
    await proc.ok("amend", {"opening_at": later.isoformat()})
    second = (await proc.bid("Bolt Industries", "91500.50")).json()["bid_id"]
    await proc.advance_to(OPENING + timedelta(hours=1))
    # The old opening time has passed: bids are still received until the new one.
    third = await proc.bid("Cobalt Corp", "104250.00")
    assert third.status_code == 201, third.text
    early = await proc.refused("opening", {"witnesses": ["W"]})
    assert early["code"] == "opening_not_yet"
    await proc.advance_to(later)
    await proc.ok("opening", {"witnesses": ["W"]})
    assert await _tabulated(pool, proc.reference) == {first, second, third.json()["bid_id"]}


# ---- sealed means sealed ------------------------------------------------------------------


async def test_before_the_opening_no_record_names_a_bidder(
    proc: Driver,
    env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    vendors = ("Acme Supply", "Bolt Industries")
    receipts = {v: (await proc.bid(v, "5000.00")).json() for v in vendors}
    assert all(r["status"] == "received" for r in receipts.values())
    replaced = await _put(proc, "Acme Supply", receipts["Acme Supply"]["bid_id"], "4900.00")
    assert replaced.status_code == 201
    refused = await _put(proc, "Bolt Industries", receipts["Acme Supply"]["bid_id"], "1.00")
    assert refused.status_code == 409
    # An amendment notifies every bidder: they are named only in their own outbox rows.
    await proc.ok("amend", {"documents_info": "Addendum 1 on BidBuy."})
    seen: list[str] = []
    for actor in ("agency", "spo", "cpo", "ppb", "cei"):
        for path in ("", "/audit"):
            response = await proc.read(path, actor=actor)
            assert response.status_code == 200, response.text
            seen.append(response.text)
        seen.append(
            (
                await proc.api.get("/v1/dashboard/procurements", headers=await proc.headers(actor))
            ).text
        )
        seen.append(
            (
                await proc.api.get(
                    f"/v1/dashboard/procurements/{proc.reference}",
                    headers=await proc.headers(actor),
                )
            ).text
        )
    seen.append((await proc.api.get("/v1/procurements", headers=await proc.headers("cpo"))).text)
    # This procurement's notices (the Bulletin at large names other procurements' awardees).
    seen.append((await proc.api.get("/v1/bulletin", params={"reference": proc.reference})).text)
    seen.append((await proc.api.get("/bulletin", params={"reference": proc.reference})).text)
    seen.append((await proc.api.get("/metrics")).text)
    # The chief procurement officer may read anyone's inbox, but not the notices sent to it
    # as a bidder before the opening; the bidder reads its own.
    for vendor in vendors:
        cpo_view = await proc.api.get(
            "/v1/bulletin/messages",
            params={"recipient": vendor},
            headers=await proc.headers("cpo"),
        )
        assert [m for m in cpo_view.json()["messages"] if m["reference"] == proc.reference] == []
        own = await proc.api.get("/v1/bulletin/messages", headers=await proc.headers(vendor))
        kinds = [m["kind"] for m in own.json()["messages"] if m["reference"] == proc.reference]
        assert kinds == ["amendment"]
    history = await env.client.get_workflow_handle(proc.reference).fetch_history()
    seen.append(history.to_json())
    describe = await env.client.get_workflow_handle(proc.reference).describe()
    seen.append(repr(describe.typed_search_attributes))
    # What the service logged (the test's own HTTP client logs its requests too: not those).
    seen.extend(str(r.__dict__) for r in caplog.records if not r.name.startswith("httpx"))
    commitments = [r["commitment"] for r in receipts.values()] + [replaced.json()["commitment"]]
    ids = [r["bid_id"] for r in receipts.values()]
    for text in seen:
        for vendor in vendors:
            assert vendor not in text
            assert vendor.split()[0] not in text
        for c in commitments:
            assert c not in text
    trail = (await proc.read("/audit", actor="cpo")).json()["entries"]
    intake_entries = [e for e in trail if e["command"] in ("register_bid", "withdraw_bid")]
    assert [(e["outcome"], e["actor"]) for e in intake_entries] == [
        ("accepted", "sealed bidder"),
        ("accepted", "sealed bidder"),
        ("accepted", "sealed bidder"),
        ("refused", "sealed bidder"),
    ]
    assert all(i in json.dumps(intake_entries) for i in ids)
    view = await proc.get()
    assert view["bids_received"] == 2 and "register_bid" not in [
        h["trigger"] for h in view["history"]
    ]

    await proc.advance_to(OPENING)
    await proc.ok("opening", {"witnesses": ["W"]})
    rows = (await proc.read("/tabulation")).json()["rows"]
    assert sorted(r["vendor"] for r in rows) == sorted(vendors)
    for r in rows:
        assert r["digest_matches"] is True
        recomputed = hmac.new(
            bytes.fromhex(r["nonce"]),
            canonical_bid(proc.reference, r["vendor"], r["contents"]),
            hashlib.sha256,
        ).hexdigest()
        assert recomputed == r["commitment"]
        assert Decimal(r["contents"]["amount"]) == Decimal(r["amount"])
    listed = next(
        n
        for n in (await proc.api.get("/v1/bulletin", params={"reference": proc.reference})).json()[
            "notices"
        ]
        if n["kind"] == "bid_commitments"
    )
    assert sorted(r["commitment"] for r in rows) == listed["content"]["commitments"]
    assert (
        hashlib.sha256("\n".join(listed["content"]["commitments"]).encode()).hexdigest()
        == (listed["content"]["set_digest"])
    )
    # The hash-chained audit trail anchors the list: the opening's entry carries its digest.
    opening_entry = next(
        e for e in (await proc.read("/audit")).json()["entries"] if e["command"] == "open_bids"
    )
    assert listed["content"]["set_digest"] in opening_entry["summary"]
    # The replaced bid is never opened: its contents stay sealed.
    sealed = await pool.fetchval(
        "SELECT amount FROM bids WHERE bid_id = $1", receipts["Acme Supply"]["bid_id"]
    )
    assert sealed is None


async def test_the_workflow_refuses_bids_sent_to_it_directly(
    proc: Driver, env: WorkflowEnvironment
) -> None:
    """Someone with Temporal credentials sends register_bid as an update: refused, nothing
    recorded; the intake is the only way in."""
    from temporalio.client import WorkflowUpdateFailedError

    from state_machines.models import Command, Principal
    from workflows.procurement import ProcurementWorkflow

    vendor = Principal(id="v", name="V", role="vendor", vendor="Acme Supply")
    command = Command(
        trigger="register_bid",
        actor="V",
        principal=vendor,
        payload={"bid_id": "x", "vendor": "Acme Supply", "digest": "a" * 64},
    )
    handle = env.client.get_workflow_handle(proc.reference)
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(ProcurementWorkflow.command, command)
    assert "bid intake" in str(refused.value.cause)
    facts = await handle.query(ProcurementWorkflow.facts_snapshot)
    assert facts["bids"] == []


async def test_withdrawal_before_the_opening_and_after_it(proc: Driver, pool: asyncpg.Pool) -> None:
    kept = (await proc.bid("Acme Supply", "98000.00")).json()["bid_id"]
    gone = (await proc.bid("Bolt Industries", "91500.50")).json()["bid_id"]
    other = await _withdraw(proc, "Acme Supply", gone)
    assert other.status_code == 409 and other.json()["code"] == "unknown_bid"
    by_agency = await proc.api.post(
        f"/v1/procurements/{proc.reference}/bids/{gone}/withdraw",
        json={},
        headers=await proc.headers("agency"),
    )
    assert by_agency.status_code == 403
    withdrawn = await _withdraw(proc, "Bolt Industries", gone)
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    again = await _withdraw(proc, "Bolt Industries", gone)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert (await proc.get())["bids_received"] == 1
    await proc.advance_to(OPENING)
    late = await _withdraw(proc, "Acme Supply", kept)
    assert late.status_code == 409 and late.json()["citation"] == "44 Ill. Adm. Code 1.2038"
    await proc.ok("opening", {"witnesses": ["W"]})
    assert await _tabulated(pool, proc.reference) == {kept}
    after = await _withdraw(proc, "Acme Supply", kept)
    assert after.status_code == 403  # after the opening: the SPO's written determination
