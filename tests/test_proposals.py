"""Competitive sealed proposals scored in 3 parts and ranked (30 ILCS 500/20-15(e), (e-5)).

Every number asserted below was worked by hand in the comment beside it.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rules.proposals import (
    DIVERSITY_SHARE,
    ProposalScores,
    ScoredProposal,
    ScoringPlan,
    most_advantageous,
    score_problems,
    score_proposals,
)

D = Decimal
PLAN = ScoringPlan(price_points=D("30"), other_points=D("50"))


def by_id(scored: list[ScoredProposal]) -> dict[str, ScoredProposal]:
    return {p.bid_id: p for p in scored}


# ---- the plan -----------------------------------------------------------------------------


def test_diversity_points_are_twenty_percent_of_other_points() -> None:
    # 20-15(e-5)(1): 20% of the 50 points for all other items = 50 * 0.20 = 10.00.
    assert D("0.20") == DIVERSITY_SHARE
    assert PLAN.diversity_points == D("10.00")
    assert str(PLAN.diversity_points) == "10.00"  # exact, not a rounded float
    # 30 price + 10 diversity + 50 other = 90.
    assert PLAN.total_points == D("90")
    assert PLAN.problems() == []


def test_diversity_points_stay_exact_for_odd_other_points() -> None:
    # 20% of 33.33 = 6.666 exactly; nothing is rounded away.
    assert ScoringPlan(D("30"), D("33.33")).diversity_points == D("6.666")


@pytest.mark.parametrize(
    ("diversity", "accepted"),
    [("10", True), ("10.00", True), ("15", False), ("10.01", False), ("9.99", False)],
)
def test_a_stated_diversity_part_must_be_the_twenty_percent(diversity: str, accepted: bool) -> None:
    # 20-15(e-5)(1): 20% of the 50 points for all other items is 10; a plan saying 15 (or a
    # hundredth either side of 10) is not the plan the Code requires.
    plan = ScoringPlan.from_dict(
        {"price_points": "30", "other_points": "50", "diversity_points": diversity}
    )
    problems = plan.problems()
    assert (problems == []) is accepted
    if not accepted:
        (problem,) = problems
        assert (
            "'diversity_points'" in problem and "20-15(e-5)(1)" in problem and "10 of 50" in problem
        )


def test_a_plan_with_a_key_the_service_does_not_know_is_refused() -> None:
    with pytest.raises(ValueError, match=r"unknown field.*'diversity'.*20-15"):
        ScoringPlan.from_dict({"price_points": "30", "other_points": "50", "diversity": "10"})


def test_plan_round_trips_through_a_dict() -> None:
    assert PLAN.to_dict() == {"price_points": "30", "other_points": "50"}
    assert ScoringPlan.from_dict(PLAN.to_dict()) == PLAN
    assert ScoringPlan.from_dict({"price_points": 30, "other_points": " 50.5 "}) == ScoringPlan(
        D("30"), D("50.5")
    )


@pytest.mark.parametrize(
    ("d", "field"),
    [
        ({"other_points": "50"}, "price_points"),
        ({"price_points": "30", "other_points": "fifty"}, "other_points"),
        ({"price_points": 30.0, "other_points": "50"}, "price_points"),
    ],
)
def test_plan_from_a_bad_dict_names_the_field(d: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=f"'{field}'"):
        ScoringPlan.from_dict(d)


@pytest.mark.parametrize(
    ("plan", "field"),
    [
        (ScoringPlan(D("0"), D("50")), "price_points"),
        (ScoringPlan(D("30"), D("-1")), "other_points"),
        (ScoringPlan(D("NaN"), D("50")), "price_points"),
        (ScoringPlan(D("30.005"), D("50")), "price_points"),  # price points are in hundredths
        (ScoringPlan(D("30"), 50), "other_points"),  # type: ignore[arg-type]
    ],
)
def test_plan_problems_name_the_field_and_cite_20_15_e(plan: ScoringPlan, field: str) -> None:
    problems = plan.problems()
    assert len(problems) == 1
    assert f"'{field}'" in problems[0]
    assert "30 ILCS 500/20-15(e)" in problems[0]


def test_score_proposals_refuses_a_bad_plan() -> None:
    scores = [ProposalScores("A", "Alpha", D("1"), D("1"))]
    with pytest.raises(ValueError, match="price_points"):
        score_proposals(ScoringPlan(D("0"), D("50")), {"A": D("1")}, scores)


# ---- worked examples ----------------------------------------------------------------------


def test_diversity_points_decide_the_ranking() -> None:
    scores = [
        ProposalScores("A", "Alpha Supply", diversity=D("2"), other=D("40")),
        ProposalScores("B", "Beta Services", diversity=D("5"), other=D("40")),
    ]
    prices = {"A": D("100000"), "B": D("105000")}
    scored = score_proposals(PLAN, prices, scores)
    a, b = by_id(scored)["A"], by_id(scored)["B"]

    # Part 1: A is the lowest price and gets all 30 price points;
    # B gets 100000 / 105000 * 30 = 28.5714... -> 28.57.
    assert a.price_points == D("30.00")
    assert b.price_points == D("28.57")
    # Totals: A 30.00 + 2 + 40 = 72.00; B 28.57 + 5 + 40 = 73.57.
    assert a.total == D("72.00")
    assert b.total == D("73.57")
    # B is most advantageous although A has the lower price and the same other-items score.
    assert (b.rank, a.rank) == (1, 2)
    assert [p.bid_id for p in scored] == ["B", "A"]
    assert most_advantageous(scored) == [b]

    # Each part ranked independently of the others (20-15(e)).
    assert (a.price_rank, b.price_rank) == (1, 2)  # 100,000 < 105,000
    assert (b.diversity_rank, a.diversity_rank) == (1, 2)  # 5 > 2
    assert (a.other_rank, b.other_rank) == (1, 1)  # 40 = 40
    assert (a.price, a.diversity_points, a.other_points) == (D("100000"), D("2"), D("40"))


def test_price_points_round_half_up_to_hundredths() -> None:
    # 100 / 160 * 30 = 18.75 exactly; 100 / 240 * 30 = 12.5 -> 12.50;
    # 100 / 1600 * 30 = 1.875 -> 1.88 (half up).
    prices = {"L": D("100"), "M": D("160"), "N": D("240"), "P": D("1600")}
    scores = [ProposalScores(k, k, D("0"), D("0")) for k in prices]
    points = {p.bid_id: p.price_points for p in score_proposals(PLAN, prices, scores)}
    assert points == {"L": D("30.00"), "M": D("18.75"), "N": D("12.50"), "P": D("1.88")}
    # Ranks: totals 30, 18.75, 12.5, 1.88 -> 1, 2, 3, 4.
    assert [p.rank for p in score_proposals(PLAN, prices, scores)] == [1, 2, 3, 4]


def test_ranks_are_dense() -> None:
    # Totals: A 30 + 0 + 10 = 40, B 30 + 0 + 10 = 40, C 30 + 0 + 5 = 35 -> ranks 1, 1, 2.
    prices = {"A": D("10"), "B": D("10.00"), "C": D("10")}
    scores = [
        ProposalScores("A", "Alpha", D("0"), D("10")),
        ProposalScores("B", "Beta", D("0"), D("10")),
        ProposalScores("C", "Gamma", D("0"), D("5")),
    ]
    scored = by_id(score_proposals(PLAN, prices, scores))
    assert [scored[k].rank for k in "ABC"] == [1, 1, 2]
    assert [scored[k].price_rank for k in "ABC"] == [1, 1, 1]  # 10 = 10.00 = 10
    assert [scored[k].other_rank for k in "ABC"] == [1, 1, 2]


def test_prices_of_unscored_bids_are_ignored() -> None:
    # X was not scored (say, found not responsive), so B's 200 is the lowest scored price.
    prices = {"X": D("50"), "B": D("200")}
    scored = score_proposals(PLAN, prices, [ProposalScores("B", "Beta", D("0"), D("0"))])
    assert [(p.bid_id, p.price_points, p.rank) for p in scored] == [("B", D("30.00"), 1)]


def test_nothing_scored_is_nothing_ranked() -> None:
    assert score_proposals(PLAN, {}, []) == []
    assert most_advantageous([]) == []


# ---- refusals -----------------------------------------------------------------------------


def test_diversity_above_the_twenty_percent_cap_is_refused() -> None:
    # The cap is 20% of 50 = 10; 11 is above it.
    scores = [ProposalScores("A", "Alpha", diversity=D("11"), other=D("40"))]
    problems = score_problems(PLAN, scores)
    assert len(problems) == 1
    assert "'A'" in problems[0]
    assert "'diversity'" in problems[0]
    assert "30 ILCS 500/20-15(e-5)(1)" in problems[0]
    with pytest.raises(ValueError, match=r"'diversity'.*20-15\(e-5\)\(1\)"):
        score_proposals(PLAN, {"A": D("1000")}, scores)


def test_diversity_at_the_cap_is_accepted() -> None:
    assert score_problems(PLAN, [ProposalScores("A", "Alpha", D("10.00"), D("50"))]) == []


def test_other_above_its_points_is_refused() -> None:
    scores = [ProposalScores("A", "Alpha", diversity=D("5"), other=D("50.01"))]
    problems = score_problems(PLAN, scores)
    assert len(problems) == 1
    assert "'other'" in problems[0]
    assert "30 ILCS 500/20-15(e-5)" in problems[0]
    with pytest.raises(ValueError, match="'other'"):
        score_proposals(PLAN, {"A": D("1000")}, scores)


def test_negative_and_duplicate_scores_are_refused() -> None:
    scores = [
        ProposalScores("A", "Alpha", diversity=D("-1"), other=D("40")),
        ProposalScores("B", "Beta", diversity=D("1"), other=D("-0.5")),
        ProposalScores("A", "Alpha again", diversity=D("1"), other=D("1")),
    ]
    problems = score_problems(PLAN, scores)
    assert len(problems) == 3
    assert "'A'" in problems[0] and "'diversity'" in problems[0]
    assert "'B'" in problems[1] and "'other'" in problems[1]
    assert "'A'" in problems[2] and "'bid_id'" in problems[2]
    assert all("30 ILCS 500/20-15(e-5)" in p for p in problems)


def test_a_missing_price_is_refused_naming_the_bid() -> None:
    scores = [
        ProposalScores("A", "Alpha", D("1"), D("1")),
        ProposalScores("B", "Beta", D("1"), D("1")),
    ]
    with pytest.raises(ValueError, match="'B'") as refused:
        score_proposals(PLAN, {"A": D("100")}, scores)
    assert "'A'" not in str(refused.value)


@pytest.mark.parametrize("price", [D("0"), D("-5"), D("Infinity"), 100])
def test_a_price_that_is_not_positive_money_is_refused(price: object) -> None:
    scores = [ProposalScores("A", "Alpha", D("1"), D("1"))]
    with pytest.raises(ValueError, match=r"'A'.*price"):
        score_proposals(PLAN, {"A": price}, scores)  # type: ignore[dict-item]


# ---- ties ---------------------------------------------------------------------------------


def test_a_tie_in_total_returns_both() -> None:
    # A: price 100 -> 30.00 + 4 + 36 = 70.00.
    # B: price 120 -> 100 / 120 * 30 = 25.00; 25.00 + 10 + 35 = 70.00. Tied at rank 1.
    # C: price 100 -> 30.00 + 0 + 30 = 60.00, rank 2.
    prices = {"A": D("100"), "B": D("120"), "C": D("100")}
    scores = [
        ProposalScores("A", "Alpha", D("4"), D("36")),
        ProposalScores("B", "Beta", D("10"), D("35")),
        ProposalScores("C", "Gamma", D("0"), D("30")),
    ]
    scored = score_proposals(PLAN, prices, scores)
    assert [(p.bid_id, p.total, p.rank) for p in scored] == [
        ("A", D("70.00"), 1),
        ("B", D("70.00"), 1),
        ("C", D("60.00"), 2),
    ]
    assert [p.bid_id for p in most_advantageous(scored)] == ["A", "B"]


# ---- properties ---------------------------------------------------------------------------

points = st.decimals(min_value=D("0.01"), max_value=D("1000"), places=2)
money = st.decimals(min_value=D("0.01"), max_value=D("100000000"), places=2)


@st.composite
def rfps(draw: st.DrawFn) -> tuple[ScoringPlan, dict[str, Decimal], list[ProposalScores]]:
    plan = ScoringPlan(price_points=draw(points), other_points=draw(points))
    n = draw(st.integers(min_value=1, max_value=8))
    bids = [f"B{i}" for i in range(n)]
    prices = {b: draw(money) for b in bids}
    scores = [
        ProposalScores(
            b,
            f"vendor {b}",
            diversity=draw(st.decimals(min_value=0, max_value=plan.diversity_points, places=3)),
            other=draw(st.decimals(min_value=0, max_value=plan.other_points, places=2)),
        )
        for b in bids
    ]
    return plan, prices, scores


@given(rfps())
def test_price_points_and_ranking_properties(
    rfp: tuple[ScoringPlan, dict[str, Decimal], list[ProposalScores]],
) -> None:
    plan, prices, scores = rfp
    assert score_problems(plan, scores) == []
    scored = score_proposals(plan, prices, scores)
    assert sorted(p.bid_id for p in scored) == sorted(prices)

    lowest = min(prices.values())
    for p in scored:
        assert p.price == prices[p.bid_id]
        if p.price == lowest:
            assert p.price_points == plan.price_points
            assert p.price_rank == 1
        assert D("0") <= p.price_points <= plan.price_points
        assert p.total == p.price_points + p.diversity_points + p.other_points
        assert p.total <= plan.total_points

    best = max(p.total for p in scored)
    assert scored[0].rank == 1
    assert scored[0].total == best
    assert {p.bid_id for p in most_advantageous(scored)} == {
        p.bid_id for p in scored if p.total == best
    }
    # Sorted by rank then bid_id; ranks dense from 1.
    assert [(p.rank, p.bid_id) for p in scored] == sorted((p.rank, p.bid_id) for p in scored)
    assert sorted({p.rank for p in scored}) == list(range(1, len({p.total for p in scored}) + 1))
