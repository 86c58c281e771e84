"""/v1/procurements/{reference}/bids: sealed bids, by their vendors, before the opening.

The contents are encrypted at rest with the configured key; the workflow learns only a bid's
id, vendor and digest. A vendor submits, replaces or withdraws only its own bids, and sees only
its own receipts (the time received and a SHA-256 of what was received, never a price).
"""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from api import commands, idempotency, queries
from api.auth import User, forbidden
from api.errors import ApiError, not_found
from api.routes.procurements import ERRORS, Reference, Svc
from api.services import Services
from db.sealing import Sealer, bid_digest
from state_machines.models import Model, Principal, WithdrawBid

router = APIRouter(prefix="/v1/procurements", tags=["bids"])
BidId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="A bid id from a receipt.")]


class BidDocument(Model):
    name: str = Field(min_length=1, max_length=255)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(ge=0, le=10 * 1024**3)


class Claims(Model):
    """What the bidder claims for the Article 45 preferences and the tie rules."""

    resident: bool = Field(default=False, description="Illinois resident vendor (45-10(b)).")
    home_state: str | None = Field(
        default=None, pattern=r"^[A-Z]{2}$", description="Non-resident's state, e.g. 'IN'."
    )
    recycled: bool = False
    environmentally_preferable: bool = False
    biobased: bool = False
    illinois_agricultural: bool = False
    corn_based_plastics: bool = False
    agricultural_fuel_vehicles: bool = False
    local_farm_food: bool = False
    illinois_coal: bool = False
    state_use_nfp: bool = False
    veteran_owned: bool = False


class BidSubmission(Model):
    vendor: str = Field(min_length=1, max_length=200)
    amount: Decimal = Field(ge=0, max_digits=15, decimal_places=2, description="Bid price, USD.")
    bid_credit: Decimal = Field(
        default=Decimal("0"),
        ge=0,
        max_digits=15,
        decimal_places=2,
        description="Illinois Works bid credit earned and applied (20-10(d)).",
    )
    documents: list[BidDocument] = Field(default_factory=list, max_length=50)
    claims: Claims = Field(default_factory=Claims)


class Withdrawal(Model):
    determination: str | None = Field(
        default=None,
        max_length=4000,
        description="After the opening: the SPO's written determination (20-10(f); 1.2038).",
    )


def _sealer(svc: Services) -> Sealer:
    if not svc.settings.bid_key:
        raise ApiError(
            503,
            {
                "error": "unavailable",
                "reason": "No key to seal bids is configured (PROCURE_BID_KEY).",
            },
        )
    return Sealer(svc.settings.bid_key)


async def _store_and_register(
    request: Request,
    svc: Services,
    user: Principal,
    reference: str,
    bid: BidSubmission,
    replaces: str | None,
) -> tuple[int, Any]:
    if user.role != "vendor" or user.vendor != bid.vendor:
        raise forbidden(
            f"{user.name} submits bids only for {user.vendor or 'a vendor it acts for'}."
        )
    pool = await svc.db()
    if await queries.procurement_row(pool, reference) is None:
        raise not_found(reference)
    contents = bid.model_dump(mode="json", exclude={"vendor"})
    digest = bid_digest(reference, bid.vendor, contents)
    key = idempotency.key_of(request)
    # With a key, a retried submission stores one bid, not two.
    bid_id = uuid.uuid5(uuid.NAMESPACE_URL, f"{user.id}:{key}").hex if key else uuid.uuid4().hex
    await pool.execute(
        """
        INSERT INTO bids (bid_id, reference, vendor, amount, bid_credit, documents, digest,
                          status, submitted_at, claims, sealed)
        VALUES ($1, $2, $3, NULL, 0, '[]'::jsonb, $4, 'pending', now(), '{}'::jsonb, $5)
        ON CONFLICT (bid_id) DO NOTHING
        """,
        bid_id,
        reference,
        bid.vendor,
        digest,
        _sealer(svc).seal(contents),
    )
    payload = {"bid_id": bid_id, "vendor": bid.vendor, "digest": digest}
    if replaces:
        payload["replaces"] = replaces
    response = await commands.run(request, svc, user, reference, "register_bid", bid, payload)
    if response.status_code != 200:
        await pool.execute(
            "UPDATE bids SET status = 'refused', refusal = $2 WHERE bid_id = $1 AND status = 'pending'",
            bid_id,
            _json(response),
        )
        return response.status_code, _json(response)
    received_at = await svc.clock.now()
    await pool.execute(
        "UPDATE bids SET status = 'received', received_at = $2 WHERE bid_id = $1 AND status = 'pending'",
        bid_id,
        received_at,
    )
    if replaces:
        await pool.execute(
            "UPDATE bids SET status = 'replaced' WHERE bid_id = $1 AND status = 'received'",
            replaces,
        )
    row = await pool.fetchrow("SELECT received_at FROM bids WHERE bid_id = $1", bid_id)
    return 201, {
        "bid_id": bid_id,
        "reference": reference,
        "vendor": bid.vendor,
        "received_at": row["received_at"].isoformat(),
        "sha256": digest,
        "sealed": True,
        "replaces": replaces,
    }


def _json(response: JSONResponse) -> Any:
    return json.loads(bytes(response.body))


@router.post("/{reference}/bids", status_code=201, responses=ERRORS, summary="Submit a sealed bid")
async def submit_bid(
    reference: Reference, bid: BidSubmission, request: Request, svc: Svc, user: User
) -> JSONResponse:
    """Only before the opening time (20-10(d)); the receipt shows no amount."""
    status, body = await _store_and_register(request, svc, user, reference, bid, None)
    return JSONResponse(body, status_code=status)


@router.put(
    "/{reference}/bids/{bid_id}", status_code=201, responses=ERRORS, summary="Replace a bid"
)
async def replace_bid(
    reference: Reference, bid_id: BidId, bid: BidSubmission, request: Request, svc: Svc, user: User
) -> JSONResponse:
    """A new sealed bid in place of the vendor's earlier one, before the opening."""
    status, body = await _store_and_register(request, svc, user, reference, bid, bid_id)
    return JSONResponse(body, status_code=status)


@router.post("/{reference}/bids/{bid_id}/withdraw", responses=ERRORS, summary="Withdraw a bid")
async def withdraw_bid(
    reference: Reference, bid_id: BidId, body: Withdrawal, request: Request, svc: Svc, user: User
) -> JSONResponse:
    """Before the opening, by the vendor's notice; after it, only by the SPO's written
    determination of a bona fide error (20-10(f); 44 Ill. Adm. Code 1.2038)."""
    command = WithdrawBid(bid_id=bid_id, determination=body.determination)
    response = await commands.run(request, svc, user, reference, "withdraw_bid", command)
    if response.status_code == 200:
        pool = await svc.db()
        await pool.execute(
            "UPDATE bids SET status = 'withdrawn' WHERE bid_id = $1 AND status = 'received'", bid_id
        )
    return response


@router.get("/{reference}/bids", responses=ERRORS, summary="My bid receipts")
async def my_receipts(reference: Reference, svc: Svc, user: User) -> Any:
    """A vendor's own receipts: when each bid was received and its digest, never a price."""
    if user.role != "vendor":
        raise forbidden(
            "Receipts are the vendor's own; agencies read the tabulation after opening."
        )
    rows = await (await svc.db()).fetch(
        """SELECT bid_id, received_at, digest, status FROM bids
           WHERE reference = $1 AND vendor = $2 AND status <> 'pending' ORDER BY submitted_at""",
        reference,
        user.vendor,
    )
    return {
        "reference": reference,
        "vendor": user.vendor,
        "receipts": [
            {
                "bid_id": r["bid_id"],
                "received_at": r["received_at"].isoformat() if r["received_at"] else None,
                "sha256": r["digest"],
                "status": r["status"],
            }
            for r in rows
        ],
    }
