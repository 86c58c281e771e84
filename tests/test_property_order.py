"""Property: no sequence of commands reaches ``awarded`` without the steps its method requires.

Hypothesis drives the pure state machine with random commands, plausible payloads and random
waits, firing clock-driven triggers between commands as the workflow does. Whatever it tries,
a procurement that reaches ``awarded`` has passed its method's steps in order; a reachability
test proves the same drivers can get there, so the property is not vacuous.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from rules.calendar import local_date
from state_machines.models import (
    AnswerDocuments,
    AwardCommand,
    BoardRecommendation,
    Cancel,
    DecideProtest,
    DecideRecommendation,
    DeliverFailedBidNotice,
    DetermineBid,
    EmergencyDisclosure,
    Empty,
    ExtendAwardDate,
    ExtendEmergency,
    FailedBidNotice,
    FailedBidsOwed,
    FileProtest,
    FinalRecommendation,
    GrantWaiver,
    HoldHearing,
    InviteBids,
    Model,
    NoticeAmendment,
    OpenBids,
    ProceedDespiteProtest,
    Publish,
    QualifyOffer,
    RankEntry,
    RecordFiling,
    RegisterBid,
    RequestBestAndFinal,
    RequestDocuments,
    ReviewHearing,
    ScoreEntry,
    ScoreProposals,
    SplitDetermination,
    VendorResponse,
    WithdrawBid,
    WrittenExplanation,
)
from state_machines.procurement import COMMANDS, SYSTEM_ACTOR, ProcurementMachine, Refused
from state_machines.routes import REQUIRED_BEFORE_AWARD, ROUTES, TERMINAL
from tests.driver import T0, chicago, pure_facts

METHODS = sorted(ROUTES)
WAITS = [timedelta(0), timedelta(hours=1), timedelta(days=1), timedelta(days=8), timedelta(days=16)]


def launch(method: str) -> ProcurementMachine:
    extra: dict[str, Any] = {"method": method}
    if method == "competitive_sealed_proposals":
        extra["scoring"] = {"price_points": "30", "other_points": "50"}
    if method == "multi_step_sealed_bidding":
        extra["multi_step"] = {"impracticable": "Design unknown.", "criteria": "Meets spec."}
    if method == "sole_source":
        extra |= {"intended_contractor": "Only Co", "hearing_at": chicago(2099, 3, 16, 10)}
    if method == "small_purchase":
        extra |= {"estimated_value": "40000.00"}
    if method in ("contract_renewal", "contract_change"):
        kind = "renewal" if method == "contract_renewal" else "change_order"
        extra |= {
            "contract": {"original": "IFB-ORIG-1", "kind": kind, "determined_on": "2099-03-02"}
        }
    facts = pure_facts("IFB-PROP-1", **extra)
    if facts.spec.contract is not None:
        facts.contract_of = {"original": "IFB-ORIG-1", "contractor": "Only Co", "award_seq": 4}
    facts.small_purchase_limit = "100000.00"
    facts.small_purchase_limit_citation = "30 ILCS 500/20-20(a)"
    machine = ProcurementMachine(facts)
    machine.record_launch("agency", T0, "launched")
    return machine


class Chooser(Protocol):
    def pick(self, options: Sequence[Any]) -> Any: ...
    def flag(self) -> bool: ...
    def integer(self, low: int, high: int) -> int: ...


class Explore:
    """Choices drawn by hypothesis."""

    def __init__(self, data: st.DataObject) -> None:
        self.data = data

    def pick(self, options: Sequence[Any]) -> Any:
        return self.data.draw(st.sampled_from(list(options)))

    def flag(self) -> bool:
        return self.data.draw(st.booleans())

    def integer(self, low: int, high: int) -> int:
        return self.data.draw(st.integers(low, high))


class FirstChoice:
    """The first, valid choice every time: the path a careful agency takes."""

    def pick(self, options: Sequence[Any]) -> Any:
        return options[0]

    def flag(self) -> bool:
        return True

    def integer(self, low: int, high: int) -> int:
        return high


def payload(name: str, m: ProcurementMachine, now: datetime, choose: Chooser) -> Model:
    """A payload of the right shape for the trigger, with choices to explore."""
    facts = m.facts
    ids = [r.bid_id for r in facts.ranking] or ["b-none"]
    pick = choose.pick(ids)
    flag = choose.flag()
    builders: dict[str, Any] = {
        "amend": lambda: NoticeAmendment(title="Amended"),
        "publish": Publish,
        "register_bid": lambda: RegisterBid(
            bid_id=f"b{len(facts.bids)}{'p' if facts.technical else ''}",
            vendor=choose.pick(facts.technical.qualified)
            if facts.technical
            else f"V{len(facts.bids) % 3}",
            digest="a" * 64,
        ),
        "withdraw_bid": lambda: WithdrawBid(
            bid_id=choose.pick([b.bid_id for b in facts.bids] or ids),
            determination="Clear evidence of a bona fide error." if flag else None,
        ),
        "proceed_despite_protest": lambda: ProceedDespiteProtest(determination="Urgent."),
        "open_bids": lambda: OpenBids(
            witnesses=["W"],
            ranking=[
                RankEntry(bid_id=b.bid_id, vendor=b.vendor, rank=i + 1)
                for i, b in enumerate(facts.bids)
            ],
        ),
        "determine_bid": lambda: DetermineBid(
            bid_id=pick, responsive=flag, responsible=True, reason="Checked."
        ),
        "qualify_offer": lambda: QualifyOffer(
            bid_id=pick, qualified=flag, reason=None if flag else "Fails the criteria."
        ),
        "invite_bids": lambda: InviteBids(opening_at=now + timedelta(days=choose.integer(5, 16))),
        "score_proposals": lambda: ScoreProposals(
            scores=[
                ScoreEntry(bid_id=r.bid_id, diversity=Decimal(1), other=Decimal(10))
                for r in facts.ranking
            ],
            ranking=[r.model_copy(update={"rank": i + 1}) for i, r in enumerate(facts.ranking)],
        ),
        "request_best_and_final": lambda: RequestBestAndFinal(
            competitive_range=ids, due_at=now + timedelta(days=1)
        ),
        "extend_award_date": lambda: ExtendAwardDate(
            new_due_on=(facts.award_due_on or local_date(now)) + timedelta(days=10),
            spo_consent="SPO",
            bidder_consent="Bidder",
        ),
        "hold_hearing": lambda: HoldHearing(summary="Held."),
        "determine_split": lambda: SplitDetermination(
            decision="not_divided" if flag else "divided", reasons="Reasons."
        ),
        "award": lambda: AwardCommand(
            bid_id=pick,
            basis="Most points.",
            explanation=WrittenExplanation(
                agency_needs="n",
                fair_and_reasonable="f",
                responsive_bidders=sorted({r.vendor for r in facts.ranking}),
                selected_bidder=next((r.vendor for r in facts.ranking if r.bid_id == pick), ""),
                total_contract_price=Decimal("1.00"),
                reasons="r",
            )
            if flag
            else None,
            vendor="Only Co" if flag else "Other Co",
            price=Decimal(choose.pick(["900.00", "60000.00", "150000.00"])),
            standard_certifications=flag,
            reasons="Flood.",
            term_days=30,
        ),
        "record_bidder_notice": Empty,
        "request_documents": lambda: RequestDocuments(body="PPB", description="Docs."),
        "answer_documents": lambda: AnswerDocuments(request_id="DR-1", summary="Sent."),
        "grant_waiver": lambda: GrantWaiver(body="PPB" if flag else "CEI"),
        "board_recommendation": lambda: BoardRecommendation(
            action="reject_bid",
            votes_for=choose.integer(2, 5),
            grounds="Grounds.",
            body="PPB" if flag else "CEI",
        ),
        "vendor_response": lambda: VendorResponse(summary="Response."),
        "request_review_hearing": Empty,
        "record_failed_bids": lambda: FailedBidsOwed(
            notices=[FailedBidNotice(vendor="Only Co", references=["A", "B", "C", "D"])]
        ),
        "deliver_failed_bid_notice": lambda: DeliverFailedBidNotice(
            vendor="Only Co", means="certified_copy", reasons="Higher each time."
        ),
        "hold_review_hearing": lambda: ReviewHearing(summary="Heard."),
        "final_recommendation": lambda: FinalRecommendation(maintained=flag, reasons="Reasons."),
        "decide_recommendation": lambda: DecideRecommendation(
            decision="follow" if flag else "decline", reasons="Reasons."
        ),
        "record_explanation_filing": lambda: RecordFiling(bodies=["LAC", "CEI", "PPB"]),
        "execute": Empty,
        "publish_disclosure": lambda: EmergencyDisclosure(
            description="d", total_cost=Decimal("1.00")
        ),
        "extend_emergency": lambda: ExtendEmergency(
            additional_days=5, justification="j", approved_by="CPO"
        ),
        "file_protest": lambda: FileProtest(
            kind="award" if flag else "solicitation", protester="P", grounds="g"
        ),
        "decide_protest": lambda: DecideProtest(
            protest_id="P-1",
            decision="upheld" if flag else "denied",
            remedy=choose.pick(["none", "reevaluate", "cancel"]) if flag else "none",
            reasons="r",
        ),
        "cancel": lambda: Cancel(reason="No longer needed."),
    }
    built: Model = builders[name]()
    return built


def is_subsequence(required: tuple[str, ...], seen: list[str]) -> bool:
    it = iter(seen)
    return all(step in it for step in required)


def run_clock(m: ProcurementMachine, now: datetime) -> None:
    for _ in range(5):
        due = m.due_automatic(now)
        if not due:
            return
        m.fire(due[0], Empty(), SYSTEM_ACTOR, now)


def check_invariants(m: ProcurementMachine) -> None:
    facts = m.facts
    triggers = [h.trigger for h in facts.history]
    if facts.state == "awarded" or facts.executed_at is not None:
        required = REQUIRED_BEFORE_AWARD[facts.method]
        assert is_subsequence(required, triggers), (facts.method, triggers)
    # Every recorded step names its law.
    assert all(h.citation for h in facts.history)


@pytest.mark.parametrize("method", METHODS)
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_no_sequence_reaches_awarded_without_the_methods_steps(
    method: str, data: st.DataObject
) -> None:
    m = launch(method)
    now = T0
    for _ in range(data.draw(st.integers(5, 40))):
        if m.facts.state in TERMINAL:
            break
        allowed = m.allowed_actions(now)
        names = allowed if allowed and data.draw(st.integers(0, 9)) < 8 else list(COMMANDS)
        name = data.draw(st.sampled_from(names))
        # A payload the API would reject (422) or the law refuses (409) changes nothing.
        with contextlib.suppress(Refused, ValidationError):
            m.fire(name, payload(name, m, now, Explore(data)), "someone", now)
        now += data.draw(st.sampled_from(WAITS))
        run_clock(m, now)
        check_invariants(m)


# The drivers above can reach ``awarded`` in every method: the property is not vacuous.
HAPPY: dict[str, list[tuple[str, timedelta]]] = {
    "competitive_sealed_bidding": [
        ("publish", timedelta(0)),
        ("register_bid", timedelta(days=15)),
        ("open_bids", timedelta(days=1)),
        ("award", timedelta(days=16)),
        ("execute", timedelta(0)),
    ],
    "multi_step_sealed_bidding": [
        ("publish", timedelta(0)),
        ("register_bid", timedelta(days=15)),
        ("open_bids", timedelta(0)),
        ("qualify_offer", timedelta(0)),
        ("invite_bids", timedelta(0)),
        ("register_bid", timedelta(days=17)),
        ("open_bids", timedelta(days=1)),
        ("award", timedelta(days=18)),
        ("execute", timedelta(0)),
    ],
    "reverse_auction": [
        ("publish", timedelta(0)),
        ("register_bid", timedelta(days=15)),
        ("open_bids", timedelta(days=1)),
        ("award", timedelta(days=16)),
        ("execute", timedelta(0)),
    ],
    "competitive_sealed_proposals": [
        ("publish", timedelta(0)),
        ("register_bid", timedelta(days=15)),
        ("open_bids", timedelta(0)),
        ("score_proposals", timedelta(days=1)),
        ("award", timedelta(days=16)),
        ("execute", timedelta(0)),
    ],
    "sole_source": [
        ("publish", timedelta(days=15)),
        ("hold_hearing", timedelta(days=1)),
        ("award", timedelta(days=16)),
        ("execute", timedelta(0)),
    ],
    "small_purchase": [("award", timedelta(0))],
    "emergency": [("award", timedelta(0))],
    "contract_renewal": [("award", timedelta(0))],
    "contract_change": [("award", timedelta(days=16)), ("execute", timedelta(0))],
}


@pytest.mark.parametrize("method", METHODS)
def test_the_drivers_reach_awarded(method: str) -> None:
    m = launch(method)
    now = T0
    for name, wait in HAPPY[method]:
        m.fire(name, payload(name, m, now, FirstChoice()), "agency", now)
        now += wait
    assert m.facts.executed_at is not None
    assert m.facts.state in ("awarded", "closed")
    check_invariants(m)
