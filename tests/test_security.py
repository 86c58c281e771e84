"""Sealed bids stay sealed, the audit trail proves itself, and no command happens twice.

Against the real servers: PostgreSQL, the time-skipping Temporal server, and for OIDC a real
local HTTP server publishing the issuer's keys.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import asyncpg
import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from temporalio.testing import WorkflowEnvironment

from db import audit
from db.sealing import Sealer, new_nonce
from tests.conftest import BID_KEY
from tests.driver import chicago, driver

AMOUNTS = ("73419.57", "81234.91")  # distinctive, so any leak is found by a text search


async def test_no_amount_is_visible_anywhere_before_opening(
    api: httpx.AsyncClient,
    env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    d = driver(api, env, "SEAL")
    assert (await d.launch()).status_code == 201
    await d.ok("publish")
    seen: list[str] = []
    for vendor, amount in zip(("Acme Supply", "Bolt Industries"), AMOUNTS, strict=True):
        response = await d.bid(vendor, amount)
        assert response.status_code == 201
        seen.append(response.text)
        receipts = await d.read("/bids", actor=vendor)
        seen.append(receipts.text)
        assert [r["commitment"] for r in receipts.json()["receipts"]] == [
            response.json()["commitment"]
        ]
    for actor in ("agency", "spo", "cpo", "ppb", "cei"):
        for path in ("", "/audit", "/tabulation"):
            seen.append((await d.read(path, actor=actor)).text)
    cpo = await d.headers("cpo")
    seen.append((await api.get("/v1/procurements", headers=cpo)).text)
    seen.append((await api.get("/v1/bulletin")).text)
    history = await env.client.get_workflow_handle(d.reference).fetch_history()
    seen.append(history.to_json())
    seen.append(caplog.text)
    rows = await pool.fetch("SELECT amount, sealed FROM bids WHERE reference = $1", d.reference)
    assert all(r["amount"] is None for r in rows)  # encrypted at rest until the opening
    seen.extend(bytes(r["sealed"]).decode("latin-1") for r in rows)
    for amount in AMOUNTS:
        for text in seen:
            assert amount not in text
            assert amount.replace(".", "") not in text

    await d.advance_to(chicago(2099, 3, 16, 14))
    await d.ok("opening", {"witnesses": ["W"]})
    rows = (await d.read("/tabulation")).json()["rows"]
    assert sorted(r["amount"] for r in rows) == sorted(AMOUNTS)


async def test_receipt_hash_is_checked_at_opening_and_nothing_changes_after(
    api: httpx.AsyncClient, env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    d = driver(api, env, "SEAL")
    assert (await d.launch()).status_code == 201
    await d.ok("publish")
    honest = (await d.bid("Acme Supply", "1000.00")).json()
    altered = (await d.bid("Bolt Industries", "2000.00")).json()
    replaced = await d.api.put(
        f"/v1/procurements/{d.reference}/bids/{altered['bid_id']}",
        json={"vendor": "Bolt Industries", "amount": "1900.00"},
        headers=await d.headers("Bolt Industries"),
    )
    assert replaced.status_code == 201, replaced.text
    other = await d.api.put(
        f"/v1/procurements/{d.reference}/bids/{honest['bid_id']}",
        json={"vendor": "Bolt Industries", "amount": "1.00"},
        headers=await d.headers("Bolt Industries"),
    )
    # Another vendor's bid is not told apart from no bid at all.
    assert other.status_code == 409 and other.json()["code"] == "unknown_bid"
    assert "Acme" not in other.text
    # Someone with the key rewrites a sealed bid in the database: the receipt no longer
    # matches what opens.
    new_id = replaced.json()["bid_id"]
    forged = Sealer(BID_KEY).seal(
        {"amount": "1.00", "bid_credit": "0", "documents": [], "claims": {}}, new_nonce()
    )
    await pool.execute("UPDATE bids SET sealed = $2 WHERE bid_id = $1", new_id, forged)

    await d.advance_to(chicago(2099, 3, 16, 14))
    opened = await d.ok("opening", {"witnesses": ["W"]})
    assert len(opened["opening"]["ranking"]) == 2  # the replaced bid is not opened
    matches = {
        r["bid_id"]: r["digest_matches"]
        for r in await pool.fetch(
            "SELECT bid_id, digest_matches FROM tabulations WHERE reference = $1", d.reference
        )
    }
    assert matches == {honest["bid_id"]: True, new_id: False}

    with pytest.raises(asyncpg.RaiseError, match="cannot change"):
        await pool.execute("UPDATE bids SET amount = 1 WHERE bid_id = $1", honest["bid_id"])
    late = await d.api.put(
        f"/v1/procurements/{d.reference}/bids/{honest['bid_id']}",
        json={"vendor": "Acme Supply", "amount": "900.00"},
        headers=await d.headers("Acme Supply"),
    )
    assert late.status_code == 409
    withdraw = await d.api.post(
        f"/v1/procurements/{d.reference}/bids/{honest['bid_id']}/withdraw",
        json={},
        headers=await d.headers("Acme Supply"),
    )
    assert withdraw.status_code == 403  # after the opening, only the SPO's determination
    spo = await d.api.post(
        f"/v1/procurements/{d.reference}/bids/{honest['bid_id']}/withdraw",
        json={},
        headers=await d.headers("spo"),
    )
    assert spo.status_code == 409 and spo.json()["field"] == "determination"


async def test_audit_trail_records_refusals_and_detects_an_edited_row(
    api: httpx.AsyncClient, env: WorkflowEnvironment, pool: asyncpg.Pool, database_url: str
) -> None:
    d = driver(api, env, "AUD")
    assert (await d.launch()).status_code == 201
    await d.refused("execute")  # refused by the law
    forbidden = await d.post("publish", actor="Acme Supply")  # refused for the role
    assert forbidden.status_code == 403
    await d.ok("publish")
    trail = (await d.read("/audit", actor="cpo")).json()
    assert trail["verification"]["intact"] is True
    outcomes = [(e["command"], e["outcome"], e["role"]) for e in trail["entries"]]
    assert outcomes == [
        ("launch", "accepted", "agency_buyer"),
        ("execute", "refused", "agency_buyer"),
        ("publish", "refused", "vendor"),
        ("publish", "accepted", "agency_buyer"),
    ]
    assert all(e["request_id"] for e in trail["entries"][1:])
    assert trail["entries"][1]["citation"].startswith("30 ILCS 500")
    for prev, entry in zip(trail["entries"], trail["entries"][1:], strict=False):
        assert entry["prev_hash"] == prev["hash"]

    cli = [sys.executable, "-m", "procure.cli", "audit", "verify", d.reference]
    env_vars = os.environ | {"DATABASE_URL": database_url}
    ok = await asyncio.to_thread(
        subprocess.run, cli, env=env_vars, capture_output=True, text=True, check=False
    )
    assert ok.returncode == 0 and "intact, 4 entries" in ok.stdout

    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await pool.execute("UPDATE audit_trail SET actor = 'x' WHERE reference = $1", d.reference)
    # Someone with the database's superuser edits a row around the trigger.
    async with pool.acquire() as conn:
        await conn.execute("SET session_replication_role = replica")
        await conn.execute(
            "UPDATE audit_trail SET summary = 'Nothing happened.' WHERE reference = $1 AND position = 2",
            d.reference,
        )
        await conn.execute("SET session_replication_role = DEFAULT")
    broken = await audit.verify(pool, d.reference)
    assert (broken.intact, broken.first_broken) == (False, 2)
    shown = (await d.read("/audit", actor="cpo")).json()["verification"]
    assert shown["intact"] is False and shown["first_broken"] == 2
    bad = await asyncio.to_thread(
        subprocess.run, cli, env=env_vars, capture_output=True, text=True, check=False
    )
    assert bad.returncode == 1 and "BROKEN at entry 2" in bad.stdout


async def test_idempotency_key_twenty_concurrent_retries_act_once(
    api: httpx.AsyncClient, env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    d = driver(api, env, "IDEM")
    assert (await d.launch()).status_code == 201
    headers = await d.headers("agency") | {"Idempotency-Key": "publish-once-" + d.reference}
    url = f"/v1/procurements/{d.reference}/publish"
    responses = await asyncio.gather(*(api.post(url, headers=headers) for _ in range(20)))
    # One runs; those sent while it ran are told so (409), those after it get its answer.
    assert {r.status_code for r in responses} <= {200, 409}
    answered = [r for r in responses if r.status_code == 200]
    assert [r.headers["Idempotent-Replayed"] for r in answered].count("false") == 1
    for busy in (r for r in responses if r.status_code == 409):
        assert busy.json()["code"] == "idempotency_key_in_flight"
        assert busy.headers["Retry-After"]
    retried = await api.post(url, headers=headers)
    assert retried.status_code == 200 and retried.headers["Idempotent-Replayed"] == "true"
    bodies = {json.dumps(r.json()["history"], sort_keys=True) for r in [*answered, retried]}
    assert len(bodies) == 1
    trail = await audit.rows(pool, d.reference)
    assert [r["command"] for r in trail] == ["launch", "publish"]
    notices = await pool.fetchval(
        "SELECT count(*) FROM bulletin_notices WHERE reference = $1", d.reference
    )
    assert notices == 1
    # Same key, another request: refused, named.
    other = await api.post(
        f"/v1/procurements/{d.reference}/amend", headers=headers, json={"title": "Other"}
    )
    assert other.status_code == 422 and other.json()["field"] == "header.Idempotency-Key"

    # A bid submitted twice with one key is one bid.
    bid_headers = await d.headers("Acme Supply") | {"Idempotency-Key": "bid-1"}
    bid_url = f"/v1/procurements/{d.reference}/bids"
    first, second = await asyncio.gather(
        api.post(bid_url, headers=bid_headers, json={"vendor": "Acme Supply", "amount": "5.00"}),
        api.post(bid_url, headers=bid_headers, json={"vendor": "Acme Supply", "amount": "5.00"}),
    )
    assert first.status_code == second.status_code == 201
    assert first.json()["bid_id"] == second.json()["bid_id"]
    assert sorted(
        [first.headers["Idempotent-Replayed"], second.headers["Idempotent-Replayed"]]
    ) == [
        "false",
        "true",
    ]
    held = await pool.fetch("SELECT bid_id FROM bids WHERE reference = $1", d.reference)
    assert [r["bid_id"] for r in held] == [first.json()["bid_id"]]
    assert (await d.get())["bids_received"] == 1


# ---- OIDC ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def issuer() -> Iterator[dict[str, Any]]:
    """A real HTTP server on 127.0.0.1 publishing an RSA key as a JWKS."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwks = json.dumps({"keys": [public | {"kid": "k1", "use": "sig", "alg": "RS256"}]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(jwks)

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    yield {"url": url, "key": key}
    server.shutdown()


def sign(issuer: dict[str, Any], **claims: Any) -> str:
    now = int(time.time())
    body = {"iss": issuer["url"], "aud": "procureflow", "sub": "u-1", "iat": now, "exp": now + 300}
    return jwt.encode(body | claims, issuer["key"], algorithm="RS256", headers={"kid": "k1"})


async def test_oidc_bearer_tokens(
    api: httpx.AsyncClient, settings: Any, issuer: dict[str, Any]
) -> None:
    settings.oidc_issuer = issuer["url"]
    settings.oidc_audience = "procureflow"
    settings.oidc_jwks_url = issuer["url"] + "/jwks"
    good = sign(issuer, procure_role="cpo", name="Chief Officer")
    response = await api.get("/v1/procurements", headers={"Authorization": f"Bearer {good}"})
    assert response.status_code == 200, response.text
    wrong_audience = sign(issuer, aud="someone-else", procure_role="cpo")
    response = await api.get(
        "/v1/procurements", headers={"Authorization": f"Bearer {wrong_audience}"}
    )
    assert response.status_code == 401
    no_role = sign(issuer, procure_role="mayor")
    response = await api.get("/v1/procurements", headers={"Authorization": f"Bearer {no_role}"})
    assert response.status_code == 403
    vendor = sign(issuer, procure_role="vendor", procure_vendor="Acme Supply")
    response = await api.get("/v1/procurements", headers={"Authorization": f"Bearer {vendor}"})
    assert response.status_code == 403
    # An operator's token from the issuer moves the simulated clock and acts in no procurement.
    operator = {"Authorization": f"Bearer {sign(issuer, procure_role='operator')}"}
    response = await api.post("/v1/dev/clock/advance", json={"hours": 1}, headers=operator)
    assert response.status_code == 200, response.text
    response = await api.get("/v1/procurements", headers=operator)
    assert response.status_code == 403 and "operator" in response.json()["detail"]
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(
        {
            "iss": issuer["url"],
            "aud": "procureflow",
            "sub": "x",
            "exp": int(time.time()) + 60,
            "procure_role": "cpo",
        },
        other_key,
        algorithm="RS256",
        headers={"kid": "k1"},
    )
    response = await api.get("/v1/procurements", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401


def test_users_cli_prints_the_token_once_and_stores_its_hash(database_url: str) -> None:
    env_vars = os.environ | {"DATABASE_URL": database_url}
    created = subprocess.run(
        [
            sys.executable,
            "-m",
            "procure.cli",
            "users",
            "create",
            "--name",
            "Pat",
            "--role",
            "spo",
            "--agency",
            "Department of Revenue",
        ],
        env=env_vars,
        capture_output=True,
        text=True,
        check=True,
    )
    token = next(
        line.split()[1] for line in created.stdout.splitlines() if line.startswith("token")
    )
    assert token.startswith("pf_")
    listed = subprocess.run(
        [sys.executable, "-m", "procure.cli", "users", "list"],
        env=env_vars,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Pat" in listed.stdout and token not in listed.stdout
    missing_agency = subprocess.run(
        [sys.executable, "-m", "procure.cli", "users", "create", "--name", "X", "--role", "spo"],
        env=env_vars,
        capture_output=True,
        text=True,
        check=False,
    )
    assert missing_agency.returncode == 2 and "--agency" in missing_agency.stderr
