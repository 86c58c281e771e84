"""/v1/procurements/{reference}/...: every command, as an action sub-resource.

Each action sends one trigger through :mod:`api.commands`: the caller's authority, the
workflow's verdict, the audit trail and the idempotency key are handled there, once.
"""

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from api import commands
from api.auth import User
from api.routes.procurements import ERRORS, Reference, Svc
from state_machines.models import (
    AwardCommand,
    BoardRecommendation,
    Cancel,
    DecideRecommendation,
    DeliverFailedBidNotice,
    DetermineBid,
    EmergencyDisclosure,
    ExtendAwardDate,
    ExtendEmergency,
    FileProtest,
    FinalRecommendation,
    GrantWaiver,
    HoldHearing,
    InviteBids,
    Model,
    NoticeAmendment,
    OpeningRequest,
    ProceedDespiteProtest,
    QualifyOffer,
    RecordFiling,
    RequestBestAndFinal,
    RequestDocuments,
    ReviewHearing,
    ScoreEntry,
    SplitDetermination,
    VendorResponse,
)

router = APIRouter(prefix="/v1/procurements", tags=["commands"])


def segment(name: str) -> Any:
    """The type of the path parameter ``name``: an id within the procurement (a protest's, a
    document request's)."""
    return Annotated[
        str, Path(alias=name, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    ]


class ScoresBody(Model):
    scores: list[ScoreEntry] = Field(min_length=1, max_length=500)


class AnswerBody(Model):
    summary: str = Field(min_length=1, max_length=4000)


class DecisionBody(Model):
    decision: Literal["denied", "upheld"]
    remedy: Literal["none", "reevaluate", "cancel"] = "none"
    reasons: str = Field(min_length=1, max_length=4000)


def action(
    path: str,
    trigger: str,
    body: type[Model] | None,
    summary: str,
    doc: str = "",
    *,
    within: str | None = None,
) -> None:
    """Register ``POST /v1/procurements/{reference}/<path>`` sending ``trigger``.

    With ``within``, ``path`` holds the path parameter ``{<within>}`` (a protest's id, a
    document request's): it is sent in the payload beside the body's fields.
    """
    if body is None:
        assert within is None, "a path parameter goes into a body's payload"

        async def no_body(
            reference: Reference, request: Request, svc: Svc, user: User
        ) -> JSONResponse:
            return await commands.run(request, svc, user, reference, trigger, None)

        endpoint: Callable[..., Any] = no_body
    elif within is None:

        async def with_body(
            reference: Reference,
            payload: body,  # type: ignore[valid-type]
            request: Request,
            svc: Svc,
            user: User,
        ) -> JSONResponse:
            return await commands.run(request, svc, user, reference, trigger, payload)

        endpoint = with_body
    else:
        name = within
        assert f"{{{name}}}" in path, f"{path} has no {{{name}}}"

        async def with_id(
            reference: Reference,
            id_: segment(name),  # type: ignore[valid-type]
            payload: body,  # type: ignore[valid-type]
            request: Request,
            svc: Svc,
            user: User,
        ) -> JSONResponse:
            parsed: Model = payload
            fields = {name: id_, **parsed.model_dump(mode="json", exclude_none=True)}
            return await commands.run(
                request, svc, user, reference, trigger, payload, payload=fields
            )

        endpoint = with_id
    endpoint.__name__ = trigger
    endpoint.__doc__ = doc or None
    router.add_api_route(
        f"/{{reference}}/{path}", endpoint, methods=["POST"], responses=ERRORS, summary=summary
    )


action(
    "amend",
    "amend",
    NoticeAmendment,
    "Amend the notice",
    "Any field while a draft; once published, the 14 days of 20-10(c) still hold.",
)
action(
    "publish",
    "publish",
    None,
    "Publish the notice",
    "Publishes in the Bulletin today; refused if an item of 15-25(a) is missing or the "
    "opening is earlier than 14 days after today (20-10(c), 15-45).",
)
action(
    "opening",
    "open_bids",
    OpeningRequest,
    "Open the bids (conclude an auction)",
    "At or after the opening time, with witnesses; records the tabulation (20-10(d)).",
)
action("determinations", "determine_bid", DetermineBid, "Responsiveness of a bid")
action(
    "qualifications",
    "qualify_offer",
    QualifyOffer,
    "Qualify a technical offer",
    "Multi-step sealed bidding: whether an unpriced technical offer meets the criteria set "
    "forth in the first solicitation, with the reason when it does not (20-10(h)).",
)
action(
    "priced-invitation",
    "invite_bids",
    InviteBids,
    "Invite bids from the qualified bidders",
    "Multi-step sealed bidding: once every technical offer is qualified or not, the invitation "
    "for bids limited to the qualified bidders, published in the Bulletin at least 14 days "
    "before its opening (20-10(c),(h)).",
)
action(
    "scores",
    "score_proposals",
    ScoresBody,
    "Score the proposals",
    "Diversity (at most 20% of the other items' points) and other items per proposal; price "
    "points come from the sealed prices; each part ranked independently (20-15(e),(e-5)).",
)
action(
    "best-and-final",
    "request_best_and_final",
    RequestBestAndFinal,
    "Ask for best and final offers",
    "Open to every offeror in the competitive range (20-15(f)).",
)
action(
    "award-date-extensions",
    "extend_award_date",
    ExtendAwardDate,
    "Extend the award date",
    "Reverse auction: mutual written consent of the SPO and the lowest bidder (20-10(j)).",
)
action("hearing", "hold_hearing", HoldHearing, "Hold the sole source hearing")
action("split-determination", "determine_split", SplitDetermination, "SPO on a divided need")
action(
    "award",
    "award",
    AwardCommand,
    "Award",
    "To the lowest responsive and responsible bid, or another with the four-part written "
    "explanation (20-10(g)); publishes the Notice of Intent to Award (15-25(b-5)).",
)
action(
    "bidder-notice",
    "record_bidder_notice",
    None,
    "Record the notice to bidders",
    "Manual mode: every bidder was notified now; delay tolls the protest period, at most 7 "
    "days (15-25(b)).",
)
action("document-requests", "request_documents", RequestDocuments, "Board document request")
action("waivers", "grant_waiver", GrantWaiver, "Written waiver of the review window")
action(
    "execute",
    "execute",
    None,
    "Enter into the contract",
    "Only after the review window or both waivers (5-30(b)), never while a protest is pending.",
)
action("protests", "file_protest", FileProtest, "File a protest")
action(
    "protest-override",
    "proceed_despite_protest",
    ProceedDespiteProtest,
    "Proceed despite a pending protest",
    "The chief procurement officer's written determination.",
)
action("cancel", "cancel", Cancel, "Cancel with a reason")
action(
    "disclosures",
    "publish_disclosure",
    EmergencyDisclosure,
    "Publish the emergency disclosure",
    "Due within 5 calendar days after the award, 7 after an extension (15-25(c)).",
)
action("emergency-extensions", "extend_emergency", ExtendEmergency, "Extend an emergency")
action(
    "explanation-filings",
    "record_explanation_filing",
    RecordFiling,
    "File the explanation",
    "With the LAC, the CEI and the PPB within 14 days of the decision (20-10(g)).",
)
action(
    "failed-bid-notices",
    "deliver_failed_bid_notice",
    DeliverFailedBidNotice,
    "Record the failed bid notice given",
    "The written reasons for each of a bidder's 4 consecutive failed bids, by certified copy "
    "within the calendar quarter, or already disclosed electronically (20-10(g-5)).",
)
action(
    "board-recommendations",
    "board_recommendation",
    BoardRecommendation,
    "Board recommendation",
    "On a three-fifths vote; the vendor has 15 days to respond; execution waits (5-5(h)).",
)
action("board-recommendations/response", "vendor_response", VendorResponse, "The vendor's response")
action(
    "board-recommendations/hearing-request",
    "request_review_hearing",
    None,
    "The vendor requests a hearing",
    "Held no later than 15 calendar days after the request (5-5(h); 5-7(e)).",
)
action(
    "board-recommendations/hearing",
    "hold_review_hearing",
    ReviewHearing,
    "Record the hearing held",
    "By a member of the body that recommended; after the Commission's hearing its "
    "recommendation is due within 7 days (5-7(e)).",
)
action(
    "board-recommendations/final",
    "final_recommendation",
    FinalRecommendation,
    "The Commission's recommendation after the hearing",
    "Maintained or withdrawn, within 7 days after the hearing (5-7(e)).",
)
action(
    "board-recommendations/decision",
    "decide_recommendation",
    DecideRecommendation,
    "The responsible officer's decision",
)
action(
    "document-requests/{request_id}/answer",
    "answer_documents",
    AnswerBody,
    "Answer a document request",
    within="request_id",
)
action(
    "protests/{protest_id}/decision",
    "decide_protest",
    DecisionBody,
    "Decide a protest",
    within="protest_id",
)
