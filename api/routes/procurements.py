"""/v1/procurements: launch, read, list, and every command as an action sub-resource."""

from __future__ import annotations

import hashlib
import json
import uuid
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from pydantic import Field

from api import gateway, queries
from api.errors import ApiError, ErrorBody, RefusalBody, ValidationErrorBody, not_found
from api.services import Services
from api.views import procurement_view, summary_view
from state_machines.models import (
    REFERENCE_PATTERN,
    AnswerDocuments,
    AwardCommand,
    BoardRecommendation,
    Cancel,
    DecideProtest,
    DecideRecommendation,
    DetermineBid,
    EmergencyDisclosure,
    ExtendAwardDate,
    ExtendEmergency,
    FileProtest,
    GrantWaiver,
    HoldHearing,
    LaunchSpec,
    Model,
    NoticeAmendment,
    OpeningRequest,
    RecordFiling,
    RequestBestAndFinal,
    RequestDocuments,
    ScoreEntry,
    SplitDetermination,
    State,
    VendorResponse,
)

router = APIRouter(prefix="/v1/procurements", tags=["procurements"])

ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "Unknown reference."},
    409: {"model": RefusalBody, "description": "Refused, with the rule cited."},
    422: {"model": ValidationErrorBody, "description": "Bad input, with the field named."},
    503: {"model": ErrorBody, "description": "PostgreSQL or Temporal unavailable; retry."},
}

Reference = Annotated[str, Path(pattern=REFERENCE_PATTERN, description="Procurement reference.")]
Actor = Annotated[
    str,
    Header(
        alias="X-Actor",
        min_length=1,
        max_length=200,
        description="Who is acting; recorded in the history and audit trail.",
    ),
]


def services(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc


Svc = Annotated[Services, Depends(services)]


async def _view(svc: Services, reference: str) -> dict[str, Any]:
    pool = await svc.db()
    row = await queries.procurement_row(pool, reference)
    if row is None:
        raise not_found(reference)
    history = await queries.audit(pool, reference)
    return procurement_view(row, history, await svc.clock.now(), svc.settings.ui_url())


@router.post("", status_code=201, responses=ERRORS, summary="Create and launch a procurement")
async def launch(spec: LaunchSpec, svc: Svc, response: Response, actor: Actor = "agency") -> Any:
    """Starts the procurement's workflow in `draft`. The reference is the workflow id: the same
    body sent again returns the procurement (200); a different body is refused (409)."""
    created, _ = await gateway.launch(svc, spec, actor)
    if not created:
        response.status_code = 200
    return await _view(svc, spec.reference)


@router.get("", responses=ERRORS, summary="List procurements from the read model")
async def list_procurements(
    svc: Svc,
    state: State | None = None,
    agency: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Any:
    position = None
    if cursor:
        try:
            position = queries.decode_cursor(cursor)
        except ValueError as exc:
            raise ApiError(
                422,
                {
                    "error": "invalid_request",
                    "errors": [
                        {"field": "query.cursor", "rule": "cursor", "message": "Unknown cursor."}
                    ],
                },
            ) from exc
    rows, next_cursor = await queries.list_procurements(
        await svc.db(), state=state, agency=agency, limit=limit, cursor=position
    )
    return {"items": [summary_view(r) for r in rows], "next_cursor": next_cursor}


@router.get("/{reference}", responses=ERRORS, summary="A procurement, its deadlines and actions")
async def get_procurement(reference: Reference, svc: Svc) -> Any:
    return await _view(svc, reference)


async def _command(
    svc: Services, reference: str, trigger: str, actor: str, body: Model | None
) -> dict[str, Any]:
    payload = body.model_dump(mode="json", exclude_none=True) if body is not None else {}
    result = await gateway.send(svc, reference, trigger, actor, payload)
    view = await _view(svc, reference)
    view["result"] = {"summary": result.summary, **result.result}
    return view


@router.post("/{reference}/amend", responses=ERRORS, summary="Amend the notice")
async def amend(
    reference: Reference, body: NoticeAmendment, svc: Svc, actor: Actor = "agency"
) -> Any:
    return await _command(svc, reference, "amend", actor, body)


@router.post("/{reference}/publish", responses=ERRORS, summary="Publish the invitation for bids")
async def publish(reference: Reference, svc: Svc, actor: Actor = "agency") -> Any:
    """Publishes the 15-25(a) notice in the Bulletin today; refused if an item is missing or
    the opening is earlier than 14 days after today (20-10(c), 15-45)."""
    return await _command(svc, reference, "publish", actor, None)


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


class AnswerBody(Model):
    summary: str = Field(min_length=1, max_length=4000)


class DecisionBody(Model):
    decision: Literal["denied", "upheld"]
    remedy: Literal["none", "reevaluate", "cancel"] = "none"
    reasons: str = Field(min_length=1, max_length=4000)


def bid_digest(reference: str, bid: BidSubmission) -> str:
    body = {"reference": reference, **bid.model_dump(mode="json")}
    return hashlib.sha256(
        json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()


@router.post("/{reference}/bids", status_code=201, responses=ERRORS, summary="Submit a sealed bid")
async def submit_bid(
    reference: Reference, bid: BidSubmission, svc: Svc, actor: Actor = "vendor"
) -> Any:
    """The bid is stored sealed in PostgreSQL; the workflow learns only its id, vendor and
    digest. Accepted only before the opening time (20-10(d)). The receipt shows no amount."""
    pool = await svc.db()
    if await queries.procurement_row(pool, reference) is None:
        raise not_found(reference)
    bid_id = uuid.uuid4().hex
    digest = bid_digest(reference, bid)
    await pool.execute(
        """
        INSERT INTO bids (bid_id, reference, vendor, amount, bid_credit, documents, digest,
                          status, submitted_at, claims)
        VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', now(), $8)
        """,
        bid_id,
        reference,
        bid.vendor,
        bid.amount,
        bid.bid_credit,
        [d.model_dump() for d in bid.documents],
        digest,
        bid.claims.model_dump(),
    )
    try:
        await gateway.send(
            svc,
            reference,
            "register_bid",
            actor,
            {"bid_id": bid_id, "vendor": bid.vendor, "digest": digest},
        )
    except ApiError as exc:
        await pool.execute(
            "UPDATE bids SET status = 'refused', refusal = $2 WHERE bid_id = $1", bid_id, exc.body
        )
        raise
    received_at = await svc.clock.now()
    await pool.execute(
        "UPDATE bids SET status = 'received', received_at = $2 WHERE bid_id = $1",
        bid_id,
        received_at,
    )
    return {
        "bid_id": bid_id,
        "reference": reference,
        "vendor": bid.vendor,
        "received_at": received_at.isoformat(),
        "sha256": digest,
        "sealed": True,
    }


@router.post("/{reference}/opening", responses=ERRORS, summary="Open the bids")
async def open_bids(
    reference: Reference, body: OpeningRequest, svc: Svc, actor: Actor = "agency"
) -> Any:
    """Opens the sealed bids at or after the opening time, with witnesses, and records the
    tabulation of bidder, amount and bid credit (20-10(d))."""
    return await _command(svc, reference, "open_bids", actor, body)


@router.get("/{reference}/tabulation", responses=ERRORS, summary="The opening's tabulation")
async def tabulation(reference: Reference, svc: Svc) -> Any:
    view = await _view(svc, reference)
    if view["method"] == "competitive_sealed_proposals" and view["award"] is None:
        raise ApiError(
            409,
            {
                "error": "refused",
                "code": "sealed",
                "citation": "30 ILCS 500/20-15(d)",
                "reason": "Proposals are opened without disclosing their contents to competing "
                "offerors; the record of proposals is open for inspection after award.",
                "field": None,
            },
        )
    if view["opening"] is None:
        raise ApiError(
            409,
            {
                "error": "refused",
                "code": "sealed",
                "citation": "30 ILCS 500/20-10(d)",
                "reason": "Bids stay sealed until they are opened at the time the invitation "
                "designates.",
                "field": None,
            },
        )
    return {"reference": reference, "rows": await queries.tabulation(await svc.db(), reference)}


@router.post("/{reference}/determinations", responses=ERRORS, summary="Responsiveness of a bid")
async def determine_bid(
    reference: Reference, body: DetermineBid, svc: Svc, actor: Actor = "agency"
) -> Any:
    return await _command(svc, reference, "determine_bid", actor, body)


@router.post("/{reference}/award", responses=ERRORS, summary="Award and publish the notice")
async def award(reference: Reference, body: AwardCommand, svc: Svc, actor: Actor = "agency") -> Any:
    """Awards to the lowest responsive and responsible bid, or another with the four-part
    written explanation (20-10(g)); publishes the Notice of Intent to Award (15-25(b-5)) and
    opens the 14-day Board review window (5-30)."""
    return await _command(svc, reference, "award", actor, body)


@router.post("/{reference}/bidder-notice", responses=ERRORS, summary="Record notice to bidders")
async def bidder_notice(reference: Reference, svc: Svc, actor: Actor = "agency") -> Any:
    """For procurements launched with `bidder_notice: manual`: records that every bidder was
    notified electronically now; a late notice tolls the protest period, at most 7 days
    (15-25(b))."""
    return await _command(svc, reference, "record_bidder_notice", actor, None)


@router.post("/{reference}/document-requests", responses=ERRORS, summary="Board document request")
async def request_documents(
    reference: Reference, body: RequestDocuments, svc: Svc, actor: Actor = "board"
) -> Any:
    return await _command(svc, reference, "request_documents", actor, body)


@router.post(
    "/{reference}/document-requests/{request_id}/answer",
    responses=ERRORS,
    summary="Answer a document request",
)
async def answer_documents(
    reference: Reference,
    request_id: Annotated[str, Path(max_length=64)],
    body: AnswerBody,
    svc: Svc,
    actor: Actor = "agency",
) -> Any:
    return await _command(
        svc,
        reference,
        "answer_documents",
        actor,
        AnswerDocuments(request_id=request_id, summary=body.summary),
    )


@router.post("/{reference}/waivers", responses=ERRORS, summary="Written waiver of the window")
async def grant_waiver(
    reference: Reference, body: GrantWaiver, svc: Svc, actor: Actor = "board"
) -> Any:
    return await _command(svc, reference, "grant_waiver", actor, body)


@router.post("/{reference}/execute", responses=ERRORS, summary="Enter into the contract")
async def execute(reference: Reference, svc: Svc, actor: Actor = "agency") -> Any:
    """Only after the review window (or both waivers), never while a protest is pending."""
    return await _command(svc, reference, "execute", actor, None)


@router.post("/{reference}/protests", responses=ERRORS, summary="File a protest")
async def file_protest(
    reference: Reference, body: FileProtest, svc: Svc, actor: Actor = "vendor"
) -> Any:
    return await _command(svc, reference, "file_protest", actor, body)


@router.post(
    "/{reference}/protests/{protest_id}/decision", responses=ERRORS, summary="Decide a protest"
)
async def decide_protest(
    reference: Reference,
    protest_id: Annotated[str, Path(max_length=64)],
    body: DecisionBody,
    svc: Svc,
    actor: Actor = "cpo",
) -> Any:
    return await _command(
        svc,
        reference,
        "decide_protest",
        actor,
        DecideProtest(protest_id=protest_id, **body.model_dump()),
    )


@router.post("/{reference}/cancel", responses=ERRORS, summary="Cancel with a reason")
async def cancel(reference: Reference, body: Cancel, svc: Svc, actor: Actor = "agency") -> Any:
    return await _command(svc, reference, "cancel", actor, body)


class ScoresBody(Model):
    scores: list[ScoreEntry] = Field(min_length=1, max_length=500)


@router.post("/{reference}/scores", responses=ERRORS, summary="Score the proposals")
async def score(reference: Reference, body: ScoresBody, svc: Svc, actor: Actor = "agency") -> Any:
    """Points for commitment to diversity (at most 20% of the other items' points) and for all
    other items; price points come from the sealed prices. Each part is ranked independently
    (20-15(e), (e-5))."""
    return await _command(svc, reference, "score_proposals", actor, body)


@router.post(
    "/{reference}/best-and-final", responses=ERRORS, summary="Ask for best and final offers"
)
async def best_and_final(
    reference: Reference, body: RequestBestAndFinal, svc: Svc, actor: Actor = "agency"
) -> Any:
    """Open to every offeror in the competitive range, with one due time (20-15(f))."""
    return await _command(svc, reference, "request_best_and_final", actor, body)


@router.post(
    "/{reference}/award-date-extensions", responses=ERRORS, summary="Extend the award date"
)
async def extend_award_date(
    reference: Reference, body: ExtendAwardDate, svc: Svc, actor: Actor = "agency"
) -> Any:
    """Reverse auction: by mutual written consent of the SPO and the lowest bidder (20-10(j))."""
    return await _command(svc, reference, "extend_award_date", actor, body)


@router.post("/{reference}/hearing", responses=ERRORS, summary="Hold the sole source hearing")
async def hearing(
    reference: Reference, body: HoldHearing, svc: Svc, actor: Actor = "agency"
) -> Any:
    return await _command(svc, reference, "hold_hearing", actor, body)


@router.post("/{reference}/split-determination", responses=ERRORS, summary="SPO on a divided need")
async def split_determination(
    reference: Reference, body: SplitDetermination, svc: Svc, actor: Actor = "spo"
) -> Any:
    return await _command(svc, reference, "determine_split", actor, body)


@router.post(
    "/{reference}/disclosures", responses=ERRORS, summary="Publish the emergency disclosure"
)
async def disclosure(
    reference: Reference, body: EmergencyDisclosure, svc: Svc, actor: Actor = "agency"
) -> Any:
    """Due within 5 calendar days after the award, 7 after an extension (15-25(c))."""
    return await _command(svc, reference, "publish_disclosure", actor, body)


@router.post("/{reference}/emergency-extensions", responses=ERRORS, summary="Extend an emergency")
async def emergency_extension(
    reference: Reference, body: ExtendEmergency, svc: Svc, actor: Actor = "cpo"
) -> Any:
    return await _command(svc, reference, "extend_emergency", actor, body)


@router.post("/{reference}/explanation-filings", responses=ERRORS, summary="File the explanation")
async def explanation_filing(
    reference: Reference, body: RecordFiling, svc: Svc, actor: Actor = "agency"
) -> Any:
    """Filed with the Legislative Audit Commission (LAC), the Commission on Equity and
    Inclusion (CEI) and the Procurement Policy Board (PPB) within 14 days (20-10(g))."""
    return await _command(svc, reference, "record_explanation_filing", actor, body)


@router.post("/{reference}/board-recommendations", responses=ERRORS, summary="Board recommendation")
async def board_recommendation(
    reference: Reference, body: BoardRecommendation, svc: Svc, actor: Actor = "ppb"
) -> Any:
    """On a three-fifths vote; the vendor has 15 calendar days to respond; execution is held
    until the responsible officer decides (5-5(h))."""
    return await _command(svc, reference, "board_recommendation", actor, body)


@router.post(
    "/{reference}/board-recommendations/response", responses=ERRORS, summary="Vendor's response"
)
async def vendor_response(
    reference: Reference, body: VendorResponse, svc: Svc, actor: Actor = "vendor"
) -> Any:
    return await _command(svc, reference, "vendor_response", actor, body)


@router.post(
    "/{reference}/board-recommendations/decision", responses=ERRORS, summary="Officer's decision"
)
async def decide_recommendation(
    reference: Reference, body: DecideRecommendation, svc: Svc, actor: Actor = "cpo"
) -> Any:
    return await _command(svc, reference, "decide_recommendation", actor, body)


@router.get("/{reference}/history", responses=ERRORS, summary="The audit trail")
async def history(reference: Reference, svc: Svc) -> Any:
    pool = await svc.db()
    if await queries.procurement_row(pool, reference) is None:
        raise not_found(reference)
    return {"reference": reference, "entries": await queries.audit(pool, reference)}
