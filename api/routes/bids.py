"""/v1/procurements/{reference}/bids: sealed bids, by their vendors, before the opening.

Each is received by the bid intake (:mod:`api.intake`) in one transaction, encrypted at rest
with the configured key; the workflow learns of the bids only at the opening. A vendor
submits, replaces or withdraws only its own bids, and sees only its own receipts: the time
received and a commitment to what was received, never a price.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from api import commands, idempotency, intake, problems, queries
from api.auth import User, forbidden
from api.errors import not_found
from api.routes.procurements import ERRORS, Reference, Svc
from db import bids
from rules.evaluation import BidderClaims
from state_machines.models import BidMoney, Model, WithdrawBid

router = APIRouter(prefix="/v1/procurements", tags=["bids"])
BidId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="A bid id from a receipt.")]


class BidDocument(Model):
    name: str = Field(min_length=1, max_length=255)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(ge=0, le=10 * 1024**3)


class BidSubmission(Model):
    vendor: str = Field(min_length=1, max_length=200)
    amount: Annotated[BidMoney, Field(gt=0, description='Bid price, USD, e.g. "98000.50".')]
    bid_credit: BidMoney = Field(
        default=Decimal("0"),
        description='Illinois Works bid credit earned and applied (20-10(d)), e.g. "0.00".',
    )
    freight: BidMoney | None = Field(
        default=None,
        description="Where the contract buys coal for fuel: the cost of transportation, USD, "
        'stated apart from the price and compared with it (30 ILCS 555/1), e.g. "1200.00".',
    )
    documents: list[BidDocument] = Field(default_factory=list, max_length=50)
    claims: BidderClaims = Field(
        default_factory=BidderClaims,
        description="What the bidder claims for the Article 45 preferences and the tie rules: "
        "`resident` (45-10(b)), `home_state` (a non-resident's state, for 45-10(a)), and one "
        "flag per preference, named as in the launch's `preferences`.",
    )


class TechnicalOffer(Model):
    """Multi-step sealed bidding's first step: an unpriced technical offer (20-10(h))."""

    vendor: str = Field(min_length=1, max_length=200)
    documents: list[BidDocument] = Field(
        min_length=1,
        max_length=50,
        description="The technical offer's documents, qualified under the criteria the "
        "solicitation sets; no price. Preference and tie claims are made with the priced "
        "bid of the second step.",
    )


class Withdrawal(Model):
    determination: str | None = Field(
        default=None,
        max_length=4000,
        description="After the opening: the SPO's written determination (20-10(f); 1.2038).",
    )


async def _submit(
    request: Request,
    svc: Svc,
    user: User,
    reference: str,
    bid: BidSubmission | TechnicalOffer,
    replaces: str | None,
) -> JSONResponse:
    answer = await intake.submit(
        svc,
        user,
        reference,
        bid,
        bid.vendor,
        replaces,
        idempotency.key_of(request),
        commands.request_id(request),
    )
    return problems.respond(answer.status, answer.body, answer.headers)


@router.post("/{reference}/bids", status_code=201, responses=ERRORS, summary="Submit a sealed bid")
async def submit_bid(
    reference: Reference, bid: BidSubmission, request: Request, svc: Svc, user: User
) -> JSONResponse:
    """Only before the opening time (20-10(d)); the receipt shows no amount. The same bid sent
    again (or with the same ``Idempotency-Key``) gets its first receipt, with
    ``Idempotent-Replayed: true``."""
    return await _submit(request, svc, user, reference, bid, None)


@router.put(
    "/{reference}/bids/{bid_id}", status_code=201, responses=ERRORS, summary="Replace a bid"
)
async def replace_bid(
    reference: Reference, bid_id: BidId, bid: BidSubmission, request: Request, svc: Svc, user: User
) -> JSONResponse:
    """A new sealed bid in place of the vendor's earlier one, before the opening."""
    return await _submit(request, svc, user, reference, bid, bid_id)


@router.post(
    "/{reference}/technical-offers",
    status_code=201,
    responses=ERRORS,
    summary="Submit an unpriced technical offer",
)
async def submit_technical_offer(
    reference: Reference, offer: TechnicalOffer, request: Request, svc: Svc, user: User
) -> JSONResponse:
    """Multi-step sealed bidding, first step (20-10(h)): sealed like a bid until the opening,
    without a price. Replaced with PUT, withdrawn like a bid (``.../bids/{bid_id}/withdraw``);
    the receipts are listed with the vendor's bids."""
    return await _submit(request, svc, user, reference, offer, None)


@router.put(
    "/{reference}/technical-offers/{bid_id}",
    status_code=201,
    responses=ERRORS,
    summary="Replace a technical offer",
)
async def replace_technical_offer(
    reference: Reference,
    bid_id: BidId,
    offer: TechnicalOffer,
    request: Request,
    svc: Svc,
    user: User,
) -> JSONResponse:
    """A new technical offer in place of the vendor's earlier one, before the opening."""
    return await _submit(request, svc, user, reference, offer, bid_id)


@router.post("/{reference}/bids/{bid_id}/withdraw", responses=ERRORS, summary="Withdraw a bid")
async def withdraw_bid(
    reference: Reference, bid_id: BidId, body: Withdrawal, request: Request, svc: Svc, user: User
) -> JSONResponse:
    """Before the opening, by the vendor's notice; after it, only by the SPO's written
    determination of a bona fide error (20-10(f); 44 Ill. Adm. Code 1.2038)."""
    row = await queries.procurement_row(await svc.db(), reference)
    if row is None:
        raise not_found(reference)
    if row["snapshot"].get("opened_at") is None:
        answer = await intake.withdraw(svc, user, reference, bid_id, commands.request_id(request))
        return problems.respond(answer.status, answer.body, answer.headers)
    command = WithdrawBid(bid_id=bid_id, determination=body.determination)
    return await commands.run(request, svc, user, reference, "withdraw_bid", command)


@router.get("/{reference}/bids", responses=ERRORS, summary="My bid receipts")
async def my_receipts(reference: Reference, svc: Svc, user: User) -> Any:
    """A vendor's own receipts: when each bid was received, its commitment and the nonce that
    opens it, never a price."""
    if user.role != "vendor" or not user.vendor:
        raise forbidden(
            "Receipts are the vendor's own; agencies read the tabulation after opening."
        )
    pool = await svc.db()
    seal = intake.sealer(svc)
    rows = await bids.receipts(pool, reference, user.vendor)
    return {
        "reference": reference,
        "vendor": user.vendor,
        "receipts": [intake.receipt(r, seal) for r in rows],
    }
