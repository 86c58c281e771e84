"""The bid intake: sealed bids received, replaced and withdrawn before the opening, each in one
PostgreSQL transaction (30 ILCS 500/20-10(d); 20-15(d),(f); 44 Ill. Adm. Code 1.2038).

One transaction does all a bid needs. It holds the procurement's intake lock shared
(``db.bids``), reads the facts as the workflow last wrote them, takes the receipt time once from
the service's clock, judges the bid at that time by the register_bid route's own guards
(``state_machines.intake``), applies the caps, writes the sealed row and its audit entry, and
commits; the receipt is the answer, so a receipt exists exactly when its bid does. Nothing
reaches the workflow: it takes the round's bids at the opening.

Exactly once: a bid identical to one the vendor holds (same contents, same bid replaced) is
that bid, and its receipt is returned again; an ``Idempotency-Key`` names the bid it created.
A vendor's submissions are decided one at a time under a lock of its own, which PostgreSQL
releases if the process holding it dies.

Sealed means sealed: the audit trail names a bid by its opaque id and its actor as a sealed
bidder (the vendor is named at the opening, in the tabulation); logs and metrics carry no
vendor; the receipt's commitment is keyed with a nonce only the vendor receives.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from api import idempotency
from api.errors import ApiError, not_found
from api.services import Services
from db import audit, bids
from db.sealing import Sealer, commitment, new_nonce
from procure import observability
from rules import citations
from state_machines import intake
from state_machines.authority import forbidden
from state_machines.context import Refusal
from state_machines.models import Facts, Model, Principal, RegisterBid, WithdrawBid

# Who the audit trail names for every step of the intake: the vendor is sealed with its bid.
SEALED_ACTOR = "sealed bidder"
BID_LIMIT = "service rule: bounded bid intake (PROCURE_MAX_LIVE_BIDS_PER_VENDOR, PROCURE_MAX_BID_SUBMISSIONS_PER_VENDOR)"


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    replayed: bool = False

    @property
    def headers(self) -> dict[str, str]:
        return {idempotency.REPLAYED_HEADER: "true" if self.replayed else "false"}


def sealer(svc: Services) -> Sealer:
    if not svc.settings.bid_key:
        raise ApiError(
            503,
            {
                "error": "unavailable",
                "reason": "No key to seal bids is configured (PROCURE_BID_KEY).",
            },
        )
    return Sealer(svc.settings.bid_key)


async def submit(
    svc: Services,
    principal: Principal,
    reference: str,
    bid: Model,
    vendor: str,
    replaces: str | None,
    key: str | None,
    request_id: str,
) -> Answer:
    """Receive a sealed bid, new or in place of the vendor's ``replaces``."""
    seal = sealer(svc)
    # What the vendor sent, as it wrote it, without the defaults: the vendor can rebuild the
    # canonical JSON its commitment covers from its own request.
    contents = bid.model_dump(mode="json", exclude={"vendor"}, exclude_defaults=True)
    content_key = seal.content_key(reference, vendor, contents)
    request_key = bids.request_key(principal.id, key) if key else None
    trigger = "register_bid"
    pool = await svc.db()
    async with pool.acquire() as conn, conn.transaction():
        await bids.hold_intake(conn, reference)
        facts = await _facts(conn, reference)
        bid_id = uuid.uuid4().hex
        nonce = new_nonce()
        digest = commitment(nonce, reference, vendor, contents)
        payload = RegisterBid(bid_id=bid_id, vendor=vendor, digest=digest, replaces=replaces)
        denied = forbidden(trigger, principal, facts, payload)
        if denied is not None:
            return await _forbid(conn, svc, facts, trigger, denied, request_id)
        await bids.hold_vendor(conn, reference, vendor)
        if request_key is not None:
            earlier = await bids.by_request_key(conn, request_key)
            if earlier is not None:
                if (earlier["reference"], earlier["content_key"], earlier["replaces"]) != (
                    reference,
                    content_key,
                    replaces,
                ):
                    raise idempotency.key_reused()
                return Answer(201, receipt(earlier, seal), replayed=True)
        same = await bids.same_contents(conn, reference, vendor, content_key, replaces)
        if same is not None:
            return Answer(201, receipt(same, seal), replayed=True)
        received_at = await svc.clock.now()
        refusal = await _bid_refusal(conn, svc, facts, payload, received_at) or (
            intake.contents_refusal(facts, contents)
        )
        if refusal is not None:
            return await _refuse(conn, svc, facts, trigger, refusal, request_id)
        await bids.insert(
            conn,
            bids.NewBid(
                bid_id=bid_id,
                reference=reference,
                vendor=vendor,
                digest=digest,
                sealed=seal.seal(contents, nonce),
                content_key=content_key,
                received_at=received_at,
                replaces=replaces,
                request_key=request_key,
            ),
        )
        what = "Best and final offer" if facts.state == "evaluation" else "Sealed offer"
        await _record(
            conn,
            svc,
            facts,
            trigger,
            "accepted",
            intake.receipt_citation(facts),
            f"{what} {bid_id} received" + (f", in place of {replaces}." if replaces else "."),
            request_id,
            at=received_at,
        )
    observability.command_accepted(trigger)
    return Answer(
        201,
        {
            "bid_id": bid_id,
            "reference": reference,
            "vendor": vendor,
            "status": "received",
            "received_at": received_at.isoformat(),
            "commitment": digest,
            "nonce": nonce.hex(),
            "replaces": replaces,
            "sealed": True,
        },
    )


async def withdraw(
    svc: Services, principal: Principal, reference: str, bid_id: str, request_id: str
) -> Answer:
    """Withdraw one of the vendor's bids by its notice, before the opening (1.2038)."""
    trigger = "withdraw_bid"
    pool = await svc.db()
    async with pool.acquire() as conn, conn.transaction():
        await bids.hold_intake(conn, reference)
        facts = await _facts(conn, reference)
        if principal.role != "vendor" or not principal.vendor:
            return await _forbid(
                conn,
                svc,
                facts,
                trigger,
                "Before the opening a bid is withdrawn by its vendor's notice "
                f"({citations.BID_WITHDRAWAL}).",
                request_id,
            )
        await bids.hold_vendor(conn, reference, principal.vendor)
        row = await bids.own_bid(conn, reference, principal.vendor, bid_id)
        refusal: Refusal | None = None
        if row is None or row["status"] not in ("received", "withdrawn"):
            refusal = _not_live(bid_id, row)
        elif row["status"] == "withdrawn":
            return Answer(200, withdrawal(row), replayed=True)
        now = await svc.clock.now()
        refusal = refusal or await _withdrawal_refusal(conn, facts, bid_id, now)
        if refusal is not None:
            return await _refuse(conn, svc, facts, trigger, refusal, request_id)
        assert row is not None
        await bids.withdraw(conn, bid_id, now)
        await _record(
            conn,
            svc,
            facts,
            trigger,
            "accepted",
            citations.BID_WITHDRAWAL,
            f"Bid {bid_id} withdrawn by its vendor's notice before the opening.",
            request_id,
            at=now,
        )
        row = await bids.own_bid(conn, reference, principal.vendor, bid_id)
    observability.command_accepted(trigger)
    assert row is not None
    return Answer(200, withdrawal(row))


def receipt(row: asyncpg.Record, seal: Sealer) -> dict[str, Any]:
    """A bid's receipt as its vendor sees it: never a price."""
    _, nonce = seal.open(row["sealed"])
    return {
        "bid_id": row["bid_id"],
        "reference": row["reference"],
        "vendor": row["vendor"],
        "status": row["status"],
        "received_at": row["received_at"].isoformat() if row["received_at"] else None,
        "commitment": row["digest"],
        "nonce": nonce.hex() if nonce else None,
        "replaces": row["replaces"],
        "sealed": True,
    }


def withdrawal(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "bid_id": row["bid_id"],
        "reference": row["reference"],
        "vendor": row["vendor"],
        "status": row["status"],
        "withdrawn_at": row["withdrawn_at"].isoformat() if row["withdrawn_at"] else None,
        "commitment": row["digest"],
        "citation": citations.BID_WITHDRAWAL,
    }


async def _facts(conn: asyncpg.Connection, reference: str) -> Facts:
    row = await conn.fetchrow("SELECT snapshot FROM procurements WHERE reference = $1", reference)
    if row is None:
        raise not_found(reference)
    snapshot = dict(row["snapshot"])
    snapshot.pop("bids_received", None)  # kept by read models written before the intake
    return Facts.model_validate(snapshot)


async def _bid_refusal(
    conn: asyncpg.Connection, svc: Services, facts: Facts, bid: RegisterBid, now: datetime
) -> Refusal | None:
    refusal = intake.bid_refusal(facts, bid, now) or await _closed(conn, facts)
    if refusal is not None:
        return refusal
    live, submitted = await bids.tally(conn, facts.reference, bid.vendor)
    settings = svc.settings
    if submitted >= settings.max_bid_submissions_per_vendor:
        return Refusal(
            "bid_limit",
            BID_LIMIT,
            f"{bid.vendor} has submitted {submitted} bids to {facts.reference}, replacements "
            f"and withdrawn bids included; at most {settings.max_bid_submissions_per_vendor} "
            "are taken from one vendor.",
            "vendor",
        )
    if bid.replaces is None and live >= settings.max_live_bids_per_vendor:
        return Refusal(
            "bid_limit",
            BID_LIMIT,
            f"{bid.vendor} holds {live} bids in {facts.reference}; at most "
            f"{settings.max_live_bids_per_vendor} at once. Replace one (PUT .../bids/{{bid_id}}) "
            "or withdraw one first.",
            "vendor",
        )
    if bid.replaces is not None:
        old = await bids.own_bid(conn, facts.reference, bid.vendor, bid.replaces)
        if old is None or old["status"] != "received":
            return _not_live(bid.replaces, old, field="replaces")
    return None


async def _withdrawal_refusal(
    conn: asyncpg.Connection, facts: Facts, bid_id: str, now: datetime
) -> Refusal | None:
    return intake.withdrawal_refusal(facts, WithdrawBid(bid_id=bid_id), now) or await _closed(
        conn, facts
    )


async def _closed(conn: asyncpg.Connection, facts: Facts) -> Refusal | None:
    """The round closed by an opening the facts may not show yet."""
    current = intake.current_round(facts)
    if current is None:
        return None
    closed_at = await bids.round_closed(conn, facts.reference, current[0])
    return None if closed_at is None else intake.round_closed(closed_at, facts)


def _not_live(bid_id: str, row: asyncpg.Record | None, field: str = "bid_id") -> Refusal:
    """A bid the vendor does not hold now; another vendor's bid is told apart from none."""
    if row is None:
        reason = f"Bid {bid_id} is not among your bids received."
    else:
        reason = f"Bid {bid_id} was {row['status']}; it no longer counts."
    return Refusal("unknown_bid", citations.BID_WITHDRAWAL, reason, field)


async def _refuse(
    conn: asyncpg.Connection,
    svc: Services,
    facts: Facts,
    trigger: str,
    refusal: Refusal,
    request_id: str,
) -> Answer:
    await _record(
        conn,
        svc,
        facts,
        trigger,
        "refused",
        refusal.citation,
        f"A {'withdrawal' if trigger == 'withdraw_bid' else 'bid'} refused ({refusal.code}).",
        request_id,
    )
    body = {"error": "refused", **refusal.as_dict()}
    observability.command_refused(trigger, 409, body)
    return Answer(409, body)


async def _forbid(
    conn: asyncpg.Connection,
    svc: Services,
    facts: Facts,
    trigger: str,
    reason: str,
    request_id: str,
) -> Answer:
    """403, kept in the audit trail without the caller's name (the reason, which may name
    vendors, goes only to the caller)."""
    await _record(
        conn, svc, facts, trigger, "refused", "", "Refused: not the caller's to do.", request_id
    )
    body = {"error": "forbidden", "reason": reason}
    observability.command_refused(trigger, 403, body)
    return Answer(403, body)


async def _record(
    conn: asyncpg.Connection,
    svc: Services,
    facts: Facts,
    trigger: str,
    outcome: str,
    citation: str,
    summary: str,
    request_id: str,
    *,
    at: datetime | None = None,
) -> None:
    await audit.append(
        conn,
        audit.AuditEntry(
            reference=facts.reference,
            at=at or await svc.clock.now(),
            actor=SEALED_ACTOR,
            role="vendor",
            command=trigger,
            outcome=outcome,
            from_state=facts.state,
            to_state=facts.state,
            citation=citation,
            summary=summary,
            request_id=request_id,
        ),
    )
