"""Bid evaluation after the Article 45 preferences and tie bids, checked on worked examples.

Every amount asserted below was worked by hand in the comment above it. The worked examples
use their own small reciprocity table, so they do not change when the chief procurement
officer updates ``rules/data/reciprocal_preferences.json``; the shipped file is checked for
shape only.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import fields
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rules.evaluation import (
    DEFAULT_RECIPROCAL_PATH,
    PREFERENCES,
    Adjustment,
    BidderClaims,
    BidInput,
    EvaluatedBid,
    PreferenceSettings,
    TieCandidate,
    evaluate_bids,
    load_reciprocal_preferences,
    resolve_tie,
)

D = Decimal

# Percent each state gives its own residents (as in the illustrative shipped table).
RECIPROCAL = {"WY": D("5"), "IN": D("1"), "WI": D("0")}

NONE = PreferenceSettings()
RECIPROCITY = PreferenceSettings(enabled=frozenset({"resident_reciprocity"}))
RECYCLED = PreferenceSettings(enabled=frozenset({"recycled"}))

RESIDENT = BidderClaims(resident=True)


def by_id(evaluated: list[EvaluatedBid]) -> dict[str, EvaluatedBid]:
    return {e.bid_id: e for e in evaluated}


def adjustment(bid: EvaluatedBid, preference: str) -> Adjustment:
    (found,) = [a for a in bid.adjustments if a.preference == preference]
    return found


# --- 1. Resident reciprocity: 30 ILCS 500/45-10(a); 44 Ill. Adm. Code 1.4510(c) -----------

RECIPROCITY_BIDS = [
    BidInput("B-IL", "Acme Supply", D("102000.00"), claims=RESIDENT),
    BidInput("B-WY", "Cheyenne Goods", D("100000.00"), claims=BidderClaims(home_state="WY")),
]


def test_reciprocal_preference_changes_the_winner() -> None:
    # Wyoming prefers its residents by 5%. An Illinois resident is bidding, so the Wyoming
    # bid is evaluated with 5% added: 100,000.00 x 1.05 = 105,000.00 (effect +5,000.00).
    # 102,000.00 (Illinois) < 105,000.00 (Wyoming): the resident is rank 1.
    result = evaluate_bids(RECIPROCITY_BIDS, RECIPROCITY, RECIPROCAL)
    assert [(e.bid_id, e.evaluated_amount, e.rank) for e in result] == [
        ("B-IL", D("102000.00"), 1),
        ("B-WY", D("105000.00"), 2),
    ]
    wy = by_id(result)["B-WY"]
    recip = adjustment(wy, "resident_reciprocity")
    assert recip.applied
    assert recip.effect == D("5000.00")
    assert recip.citation == "30 ILCS 500/45-10(a); 44 Ill. Adm. Code 1.4510(c)"
    assert "WY" in recip.note and "5%" in recip.note
    # The resident's own bid is not subject to reciprocity.
    assert by_id(result)["B-IL"].adjustments == ()


def test_without_reciprocity_enabled_the_non_resident_wins() -> None:
    # Nothing enabled: 100,000.00 (Wyoming) < 102,000.00 (Illinois).
    result = evaluate_bids(RECIPROCITY_BIDS, NONE, RECIPROCAL)
    assert [(e.bid_id, e.evaluated_amount, e.rank) for e in result] == [
        ("B-WY", D("100000.00"), 1),
        ("B-IL", D("102000.00"), 2),
    ]
    assert all(e.adjustments == () for e in result)


def test_federal_funds_conflict_turns_reciprocity_off() -> None:
    # 45-10(c): with a federal-funds conflict nothing is added, so 100,000.00 < 102,000.00.
    settings = PreferenceSettings(
        enabled=frozenset({"resident_reciprocity"}), federal_funds_conflict=True
    )
    result = evaluate_bids(RECIPROCITY_BIDS, settings, RECIPROCAL)
    assert [e.bid_id for e in result if e.rank == 1] == ["B-WY"]
    recip = adjustment(by_id(result)["B-WY"], "resident_reciprocity")
    assert not recip.applied
    assert recip.effect == 0
    assert "45-10(c)" in recip.note and recip.note.startswith("not applied")


def test_reciprocity_applied_but_too_small_to_change_the_winner() -> None:
    # Indiana prefers its residents by 1%: 100,000.00 x 1.01 = 101,000.00 < 102,000.00.
    bids = [
        RECIPROCITY_BIDS[0],
        BidInput("B-IN", "Hoosier Co", D("100000.00"), claims=BidderClaims(home_state="in")),
    ]
    result = evaluate_bids(bids, RECIPROCITY, RECIPROCAL)
    assert [(e.bid_id, e.evaluated_amount, e.rank) for e in result] == [
        ("B-IN", D("101000.00"), 1),
        ("B-IL", D("102000.00"), 2),
    ]
    assert adjustment(result[0], "resident_reciprocity").effect == D("1000.00")


@pytest.mark.parametrize(
    ("bids", "says"),
    [
        # No resident is bidding: reciprocity has nobody to prefer.
        (
            [
                BidInput(
                    "B-WY", "Cheyenne Goods", D("100000.00"), claims=BidderClaims(home_state="WY")
                )
            ],
            "no Illinois resident vendor",
        ),
        # Wisconsin is listed at 0: no preference to return.
        (
            [
                RECIPROCITY_BIDS[0],
                BidInput("B-WI", "Badger", D("100000.00"), claims=BidderClaims(home_state="WI")),
            ],
            "WI gives its resident bidders no preference",
        ),
        # Ohio is absent from the table: the same as 0.
        (
            [
                RECIPROCITY_BIDS[0],
                BidInput("B-OH", "Buckeye", D("100000.00"), claims=BidderClaims(home_state="OH")),
            ],
            "OH gives its resident bidders no preference",
        ),
        # A non-resident naming no home state.
        (
            [RECIPROCITY_BIDS[0], BidInput("B-X", "Unknown", D("100000.00"))],
            "names no home state",
        ),
    ],
)
def test_reciprocity_not_applied(bids: list[BidInput], says: str) -> None:
    result = evaluate_bids(bids, RECIPROCITY, RECIPROCAL)
    (non_resident,) = [e for e in result if not e.claims.resident]
    recip = adjustment(non_resident, "resident_reciprocity")
    assert not recip.applied
    assert recip.effect == 0
    assert says in recip.note
    assert non_resident.evaluated_amount == D("100000.00")


# --- 2. Recycled supplies: 30 ILCS 500/45-20 ------------------------------------------------


def test_recycled_not_applied_when_its_cost_is_higher() -> None:
    # 10,500.00 (recycled) > 10,000.00 (not recycled): 45-20 requires equal or less.
    bids = [
        BidInput("B-R", "Green Paper", D("10500.00"), claims=BidderClaims(recycled=True)),
        BidInput("B-N", "Plain Paper", D("10000.00")),
    ]
    result = evaluate_bids(bids, RECYCLED, RECIPROCAL)
    assert [(e.bid_id, e.rank) for e in result] == [("B-N", 1), ("B-R", 2)]
    recycled = adjustment(by_id(result)["B-R"], "recycled")
    assert recycled == Adjustment(
        preference="recycled",
        citation="30 ILCS 500/45-20; 44 Ill. Adm. Code 500.1130",
        applied=False,
        effect=D("0"),
        note="not applied: recycled bid 10500.00 is higher than 10000.00 "
        "(45-20 requires equal or less)",
    )
    # Recycled supplies never changes a price.
    assert by_id(result)["B-R"].evaluated_amount == D("10500.00")


def test_recycled_wins_a_tie_at_equal_cost() -> None:
    # 10,000.00 = 10,000.00: both rank 1; the recycled bid's cost is "equal or less".
    bids = [
        BidInput("B-N", "Plain Paper", D("10000.00"), claims=RESIDENT),
        BidInput("B-R", "Green Paper", D("10000.00"), claims=BidderClaims(recycled=True)),
    ]
    result = evaluate_bids(bids, RECYCLED, RECIPROCAL)
    assert [(e.bid_id, e.rank) for e in result] == [("B-N", 1), ("B-R", 1)]
    assert adjustment(by_id(result)["B-R"], "recycled").applied
    assert adjustment(by_id(result)["B-R"], "recycled").effect == 0

    tie = resolve_tie([TieCandidate.from_evaluated(e) for e in result], seed="IFB-2026-0042")
    # The recycled bid wins even against an Illinois resident: 45-20 is applied first.
    assert tie.rule == "recycled"
    assert tie.winner == "B-R"
    assert tie.tied == ("B-N", "B-R")
    assert tie.citation == "30 ILCS 500/45-20"
    assert tie.draw is None
    assert "Green Paper" in tie.note


def test_recycled_claim_counts_only_when_enabled() -> None:
    bids = [BidInput("B-R", "Green Paper", D("10000.00"), claims=BidderClaims(recycled=True))]
    (only,) = evaluate_bids(bids, NONE, RECIPROCAL)
    assert only.adjustments == ()
    assert TieCandidate.from_evaluated(only).recycled is False


# --- 3. A tie broken by residency: 44 Ill. Adm. Code 1.2037(b)(1) ---------------------------


def test_tie_broken_by_residency() -> None:
    # 50,000.00 = 50,000.00; only Acme Supply is an Illinois resident vendor.
    bids = [
        BidInput("B-1", "Acme Supply", D("50000.00"), claims=RESIDENT),
        BidInput("B-2", "Gary Steel", D("50000.00"), claims=BidderClaims(home_state="IN")),
    ]
    result = evaluate_bids(bids, NONE, RECIPROCAL)
    assert {e.rank for e in result} == {1}
    tie = resolve_tie([TieCandidate.from_evaluated(e) for e in result], seed="IFB-2026-0042")
    assert tie.rule == "resident"
    assert tie.winner == "B-1"
    assert "1.2037(b)(1)" in tie.citation
    assert tie.note == "Only Acme Supply among the tied is an Illinois resident vendor."
    assert tie.draw is None


def test_recycled_narrows_then_residency_decides() -> None:
    # Three tied; B-3 is not recycled and drops out (45-20) although it is a resident. Of
    # B-1 and B-2, only B-1 is a resident, so B-1 wins under 1.2037(b)(1).
    tie = resolve_tie(
        [
            TieCandidate("B-3", "Local Plain", resident=True),
            TieCandidate("B-2", "Far Green", resident=False, recycled=True),
            TieCandidate("B-1", "Local Green", resident=True, recycled=True),
        ],
        seed="IFB-2026-0042",
    )
    assert (tie.rule, tie.winner) == ("resident", "B-1")
    assert tie.citation.startswith("30 ILCS 500/45-20")
    assert "1.2037(b)(1)" in tie.citation
    assert "Local Plain (B-3) dropped out" in tie.note


# --- 4. A tie by lot, the same on replay: 44 Ill. Adm. Code 1.2037(b)(2) ---------------------

LOT = [
    TieCandidate("B-1", "Alpha", resident=False),
    TieCandidate("B-2", "Bravo", resident=False),
    TieCandidate("B-3", "Charlie", resident=False),
]


def test_tie_by_lot_replays_alike() -> None:
    first = resolve_tie(LOT, seed="IFB-2026-0042")
    again = resolve_tie(LOT, seed="IFB-2026-0042")
    shuffled = resolve_tie([LOT[2], LOT[0], LOT[1]], seed="IFB-2026-0042")
    assert first == again == shuffled
    assert first.rule == "lot"
    assert first.citation == "44 Ill. Adm. Code 1.2037(b)(2)"
    assert first.tied == ("B-1", "B-2", "B-3")
    # Pinned so that a change of the draw cannot pass unnoticed: sha256 hex of
    # "IFB-2026-0042:B-n", ascending, orders B-1, B-3, B-2.
    assert first.draw == {
        "seed": "IFB-2026-0042",
        "order": ["B-1", "B-3", "B-2"],
        "method": "sha256",
    }
    assert first.winner == "B-1"
    digests = [
        hashlib.sha256(f"IFB-2026-0042:{b}".encode()).hexdigest() for b in first.draw["order"]
    ]
    assert digests == sorted(digests)
    assert "1.2037(b)(2)(A), (B)" in first.note


def test_another_seed_may_draw_another_order() -> None:
    other = resolve_tie(LOT, seed="IFB-2026-0043")
    assert other.draw is not None
    assert other.draw["seed"] == "IFB-2026-0043"
    # sha256 of "IFB-2026-0043:B-n", ascending: B-2, B-1, B-3.
    assert other.draw["order"] == ["B-2", "B-1", "B-3"]
    assert other.winner == "B-2"


def test_two_residents_tied_go_to_lot() -> None:
    # 1.2037(b)(1) needs *only one* resident among the tied; with two it is "all other
    # situations" (b)(2).
    tie = resolve_tie(
        [TieCandidate("B-1", "Alpha", resident=True), TieCandidate("B-2", "Bravo", resident=True)],
        seed="IFB-2026-0042",
    )
    assert tie.rule == "lot"
    assert tie.draw is not None and sorted(tie.draw["order"]) == ["B-1", "B-2"]
    assert tie.winner == tie.draw["order"][0]


@pytest.mark.parametrize(
    ("tied", "seed"),
    [
        ([TieCandidate("B-1", "Alpha", resident=True)], "s"),
        ([], "s"),
        ([TieCandidate("B-1", "Alpha", True), TieCandidate("B-1", "Alpha", False)], "s"),
        (LOT, ""),
    ],
)
def test_resolve_tie_refuses(tied: list[TieCandidate], seed: str) -> None:
    with pytest.raises(ValueError):
        resolve_tie(tied, seed)


# --- 5. Biobased products at 5%: 30 ILCS 500/45-75 ------------------------------------------

BIOBASED = PreferenceSettings(enabled=frozenset({"biobased"}))


def test_biobased_within_5_percent_wins() -> None:
    # 104,000.00 / 1.05 = 99,047.619... -> 99,047.62 < 100,000.00: biobased wins.
    # Effect: 99,047.62 - 104,000.00 = -4,952.38.
    bids = [
        BidInput("B-BIO", "Soy Solutions", D("104000.00"), claims=BidderClaims(biobased=True)),
        BidInput("B-PET", "Petro Products", D("100000.00")),
    ]
    result = evaluate_bids(bids, BIOBASED, RECIPROCAL)
    assert [(e.bid_id, e.evaluated_amount, e.rank) for e in result] == [
        ("B-BIO", D("99047.62"), 1),
        ("B-PET", D("100000.00"), 2),
    ]
    bio = adjustment(result[0], "biobased")
    assert bio.applied and bio.effect == D("-4952.38")
    assert bio.citation.startswith("30 ILCS 500/45-75")
    assert "104000.00 / 1.05 = 99047.62" in bio.note


def test_biobased_beyond_5_percent_loses() -> None:
    # 106,000.00 / 1.05 = 100,952.380... -> 100,952.38 > 100,000.00: biobased loses.
    bids = [
        BidInput("B-BIO", "Soy Solutions", D("106000.00"), claims=BidderClaims(biobased=True)),
        BidInput("B-PET", "Petro Products", D("100000.00")),
    ]
    result = evaluate_bids(bids, BIOBASED, RECIPROCAL)
    assert [(e.bid_id, e.evaluated_amount, e.rank) for e in result] == [
        ("B-PET", D("100000.00"), 1),
        ("B-BIO", D("100952.38"), 2),
    ]


def test_price_preferences_apply_in_turn() -> None:
    # Biobased 5% then local farm or food 10%: 115,500.00 / 1.05 = 110,000.00;
    # 110,000.00 / 1.10 = 100,000.00. Effects -5,500.00 and -10,000.00.
    settings = PreferenceSettings(enabled=frozenset({"biobased", "local_farm_food"}))
    claims = BidderClaims(biobased=True, local_farm_food=True)
    (bid,) = evaluate_bids([BidInput("B-1", "Farm", D("115500.00"), claims=claims)], settings, {})
    assert bid.evaluated_amount == D("100000.00")
    assert [(a.preference, a.effect) for a in bid.adjustments] == [
        ("biobased", D("-5500.00")),
        ("local_farm_food", D("-10000.00")),
    ]


def test_rounding_happens_once_at_the_end() -> None:
    # Half-up, not half-even: 100.005 -> 100.01 (half-even would give 100.00).
    (bid,) = evaluate_bids([BidInput("B-1", "A", D("100.005"))], NONE, {})
    assert bid.evaluated_amount == D("100.01")
    # Biobased 5% then Illinois coal 10% on 100.04:
    #   exact:        100.04 / 1.05 = 95.276190...; / 1.10 = 86.614718... -> 86.61
    #   step by step: 100.04 / 1.05 -> 95.28;        95.28 / 1.10 = 86.618181... -> 86.62
    # The exact running amount is kept, so 86.61. The effects are the changes of the rounded
    # running amount (95.28 - 100.04 = -4.76; 86.61 - 95.28 = -8.67), which add up exactly.
    settings = PreferenceSettings(enabled=frozenset({"illinois_coal", "biobased"}))
    claims = BidderClaims(illinois_coal=True, biobased=True)
    (coal,) = evaluate_bids([BidInput("B-2", "Coal", D("100.04"), claims=claims)], settings, {})
    assert coal.evaluated_amount == D("86.61")
    assert [a.effect for a in coal.adjustments] == [D("-4.76"), D("-8.67")]


def test_a_claim_counts_only_when_its_preference_is_enabled() -> None:
    bids = [BidInput("B-1", "A", D("104000.00"), claims=BidderClaims(biobased=True))]
    (bid,) = evaluate_bids(bids, NONE, RECIPROCAL)
    assert bid.evaluated_amount == D("104000.00")
    assert bid.adjustments == ()


def test_solicitation_set_percent() -> None:
    # Veteran-owned at 3% (set by the solicitation): 103,000.00 / 1.03 = 100,000.00.
    settings = PreferenceSettings(
        enabled=frozenset({"veteran_owned"}), percentages={"veteran_owned": D("3")}
    )
    bids = [BidInput("B-1", "Vet", D("103000.00"), claims=BidderClaims(veteran_owned=True))]
    (bid,) = evaluate_bids(bids, settings, {})
    assert bid.evaluated_amount == D("100000.00")
    assert (
        adjustment(bid, "veteran_owned").citation == "30 ILCS 500/45-57; 44 Ill. Adm. Code 500.1199"
    )


# --- 6. Environmentally preferable, at most 10%: 30 ILCS 500/45-26(b) -----------------------


def test_environmentally_preferable_over_10_percent_is_refused() -> None:
    settings = PreferenceSettings(
        enabled=frozenset({"environmentally_preferable"}),
        percentages={"environmentally_preferable": D("12")},
    )
    (problem,) = settings.problems()
    assert "percentages.environmentally_preferable" in problem
    assert "45-26(b)" in problem and "12%" in problem and "10%" in problem
    with pytest.raises(ValueError, match="45-26"):
        evaluate_bids([BidInput("B-1", "A", D("1.00"))], settings, {})


def test_environmentally_preferable_at_10_percent() -> None:
    # 110,000.00 / 1.10 = 100,000.00 < 100,000.01.
    settings = PreferenceSettings(
        enabled=frozenset({"environmentally_preferable"}),
        percentages={"environmentally_preferable": D("10")},
    )
    assert settings.problems() == []
    bids = [
        BidInput(
            "B-G", "Green", D("110000.00"), claims=BidderClaims(environmentally_preferable=True)
        ),
        BidInput("B-P", "Plain", D("100000.01")),
    ]
    result = evaluate_bids(bids, settings, {})
    assert [(e.bid_id, e.evaluated_amount, e.rank) for e in result] == [
        ("B-G", D("100000.00"), 1),
        ("B-P", D("100000.01"), 2),
    ]


@pytest.mark.parametrize(
    ("settings", "field", "cites"),
    [
        (PreferenceSettings(enabled=frozenset({"pie_preference"})), "enabled", "Art. 45"),
        (
            PreferenceSettings(enabled=frozenset({"veteran_owned"})),
            "percentages.veteran_owned",
            "45-57",
        ),
        (PreferenceSettings(percentages={"biobased": D("7")}), "percentages.biobased", "45-75"),
        (PreferenceSettings(percentages={"recycled": D("2")}), "percentages.recycled", "45-20"),
        (
            PreferenceSettings(percentages={"illinois_agricultural": D("0")}),
            "percentages.illinois_agricultural",
            "45-50",
        ),
        (PreferenceSettings(percentages={"nope": D("1")}), "percentages.nope", "Art. 45"),
    ],
)
def test_settings_problems_name_the_field_and_cite(
    settings: PreferenceSettings, field: str, cites: str
) -> None:
    (problem,) = settings.problems()
    assert problem.startswith(field)
    assert cites in problem


# --- 7. Illinois Works bid credit: 30 ILCS 500/20-10(d) -------------------------------------


def test_bid_credit_is_subtracted_first() -> None:
    # 100,000.00 - 3,000.00 = 97,000.00.
    bids = [BidInput("B-1", "Builder", D("100000.00"), bid_credit=D("3000.00"))]
    (bid,) = evaluate_bids(bids, NONE, {})
    assert (bid.amount, bid.bid_credit, bid.evaluated_amount) == (
        D("100000.00"),
        D("3000.00"),
        D("97000.00"),
    )


def test_reciprocity_applies_after_the_credit() -> None:
    # Wyoming bidder, 100,000.00 - 3,000.00 = 97,000.00; x 1.05 = 101,850.00 < 102,000.00.
    bids = [
        RECIPROCITY_BIDS[0],
        BidInput("B-WY", "Cheyenne", D("100000.00"), D("3000.00"), BidderClaims(home_state="WY")),
    ]
    result = evaluate_bids(bids, RECIPROCITY, RECIPROCAL)
    assert [(e.bid_id, e.evaluated_amount, e.rank) for e in result] == [
        ("B-WY", D("101850.00"), 1),
        ("B-IL", D("102000.00"), 2),
    ]


# --- 8. Dense ranks -------------------------------------------------------------------------


def test_dense_ranks_share_equal_amounts() -> None:
    bids = [
        BidInput("B-4", "D", D("300.00")),
        BidInput("B-2", "B", D("100.00")),
        BidInput("B-3", "C", D("200.00")),
        BidInput("B-1", "A", D("100.00")),
    ]
    result = evaluate_bids(bids, NONE, {})
    assert [(e.bid_id, e.rank) for e in result] == [("B-1", 1), ("B-2", 1), ("B-3", 2), ("B-4", 3)]


def test_equal_after_preferences_is_a_tie() -> None:
    # 105,000.00 / 1.05 = 100,000.00 = 100,000.00: one rank, a tie for 1.2037.
    bids = [
        BidInput("B-BIO", "Soy", D("105000.00"), claims=BidderClaims(biobased=True)),
        BidInput("B-PET", "Petro", D("100000.00")),
    ]
    assert [e.rank for e in evaluate_bids(bids, BIOBASED, {})] == [1, 1]


@pytest.mark.parametrize(
    "bids",
    [
        [BidInput("B-1", "A", D("1.00")), BidInput("B-1", "B", D("2.00"))],
        [BidInput("B-1", "A", D("-1.00"))],
        [BidInput("B-1", "A", D("1.00"), bid_credit=D("-1.00"))],
        [BidInput("B-1", "A", D("1.00"), bid_credit=D("2.00"))],
        [BidInput("", "A", D("1.00"))],
        [BidInput("B-1", "A", D("NaN"))],
    ],
)
def test_evaluate_bids_refuses_bad_bids(bids: list[BidInput]) -> None:
    with pytest.raises(ValueError):
        evaluate_bids(bids, NONE, {})


def test_no_bids() -> None:
    assert evaluate_bids([], RECIPROCITY, RECIPROCAL) == []


# --- 9. Properties --------------------------------------------------------------------------

cents = st.integers(min_value=0, max_value=10**11).map(lambda c: Decimal(c).scaleb(-2))


@given(st.lists(cents, min_size=1, max_size=12))
def test_without_preferences_ranks_follow_amounts(amounts: list[Decimal]) -> None:
    bids = [BidInput(f"B-{i:02d}", f"V{i}", a) for i, a in enumerate(amounts)]
    result = evaluate_bids(bids, NONE, RECIPROCAL)
    assert sorted(e.bid_id for e in result) == sorted(b.bid_id for b in bids)
    for e in result:
        assert e.evaluated_amount == e.amount
        assert e.adjustments == ()
    for x in result:
        for y in result:
            assert (x.rank < y.rank) == (x.amount < y.amount)
            assert (x.rank == y.rank) == (x.amount == y.amount)
    assert {e.rank for e in result} == set(range(1, len(set(amounts)) + 1))
    assert [(e.rank, e.bid_id) for e in result] == sorted((e.rank, e.bid_id) for e in result)


ALL_ENABLED = PreferenceSettings(
    enabled=frozenset(PREFERENCES),
    percentages={
        name: D("3")
        for name, rule in PREFERENCES.items()
        if rule.kind == "price_percent" and rule.fixed_percent is None
    },
)
claim_sets = st.builds(
    BidderClaims,
    resident=st.booleans(),
    home_state=st.sampled_from([None, "WY", "IN", "WI", "OH"]),
    recycled=st.booleans(),
    environmentally_preferable=st.booleans(),
    biobased=st.booleans(),
    illinois_agricultural=st.booleans(),
    corn_based_plastics=st.booleans(),
    agricultural_fuel_vehicles=st.booleans(),
    local_farm_food=st.booleans(),
    illinois_coal=st.booleans(),
    state_use_nfp=st.booleans(),
    veteran_owned=st.booleans(),
)


@given(st.lists(st.tuples(cents, cents, claim_sets), min_size=1, max_size=8))
def test_effects_add_up_to_the_evaluated_amount(
    rows: list[tuple[Decimal, Decimal, BidderClaims]],
) -> None:
    bids = [
        BidInput(f"B-{i}", f"V{i}", max(a, c), min(a, c), claims)
        for i, (a, c, claims) in enumerate(rows)
    ]
    for e in evaluate_bids(bids, ALL_ENABLED, RECIPROCAL):
        assert e.amount - e.bid_credit + sum(a.effect for a in e.adjustments) == e.evaluated_amount
        assert e.evaluated_amount == e.evaluated_amount.quantize(D("0.01"))
        for a in e.adjustments:
            assert a.citation == PREFERENCES[a.preference].citation
            assert a.applied or a.effect == 0
            assert a.note.startswith("applied" if a.applied else "not applied")


# --- Data, names and round trips ------------------------------------------------------------


def test_the_shipped_reciprocity_table_loads() -> None:
    table = load_reciprocal_preferences()
    assert table
    for state, percent in table.items():
        assert len(state) == 2 and state.isupper()
        assert isinstance(percent, Decimal) and percent >= 0
    raw = json.loads(DEFAULT_RECIPROCAL_PATH.read_text(encoding="utf-8"))
    assert raw["citation"] == "30 ILCS 500/45-10(a); 44 Ill. Adm. Code 1.4510(c)"
    assert "verify before production use" in raw["note"]


def test_a_reciprocity_table_from_another_path(tmp_path: Path) -> None:
    path = tmp_path / "recip.json"
    path.write_text(json.dumps({"states": {"wy": "5", "WV": 2.5, "IA": 0}}))
    assert load_reciprocal_preferences(path) == {"WY": D("5"), "WV": D("2.5"), "IA": D("0")}
    path.write_text(json.dumps({"states": {"WY": "-1"}}))
    with pytest.raises(ValueError, match="negative"):
        load_reciprocal_preferences(path)
    path.write_text(json.dumps({"state": {"WY": "5"}}))
    with pytest.raises(ValueError, match="states"):
        load_reciprocal_preferences(path)


def test_preferences_table() -> None:
    fixed = {n: r.fixed_percent for n, r in PREFERENCES.items() if r.fixed_percent is not None}
    assert fixed == {"biobased": D("5"), "local_farm_food": D("10"), "illinois_coal": D("10")}
    assert PREFERENCES["environmentally_preferable"].max_percent == D("10")
    assert PREFERENCES["resident_reciprocity"].kind == "reciprocal"
    assert PREFERENCES["recycled"].kind == "cost_equal_or_less"
    claim_fields = set(BidderClaims().to_dict())
    for name, rule in PREFERENCES.items():
        assert rule.name == name and rule.citation and rule.description
        assert rule.kind == "reciprocal" or name in claim_fields


def test_claims_and_settings_round_trip_through_json() -> None:
    claims = BidderClaims(home_state="wy", recycled=True, veteran_owned=True)
    assert claims.home_state == "WY"
    assert BidderClaims.from_dict(json.loads(json.dumps(claims.to_dict()))) == claims
    assert BidderClaims.from_dict({}) == BidderClaims()
    with pytest.raises(ValueError, match="unknown keys"):
        BidderClaims.from_dict({"recyled": True})
    with pytest.raises(ValueError):
        BidderClaims.from_dict({"resident": "yes"})
    with pytest.raises(ValueError):
        BidderClaims(home_state="Indiana")

    settings = PreferenceSettings(
        enabled=frozenset({"veteran_owned", "biobased"}),
        percentages={"veteran_owned": D("2.5")},
        federal_funds_conflict=True,
    )
    data = json.loads(json.dumps(settings.to_dict()))
    assert data == {
        "enabled": ["biobased", "veteran_owned"],
        "percentages": {"veteran_owned": "2.5"},
        "federal_funds_conflict": True,
    }
    back = PreferenceSettings.from_dict(data)
    assert (back.enabled, dict(back.percentages), back.federal_funds_conflict) == (
        settings.enabled,
        dict(settings.percentages),
        True,
    )
    assert PreferenceSettings.from_dict({}).to_dict() == NONE.to_dict()
    with pytest.raises(ValueError, match="unknown keys"):
        PreferenceSettings.from_dict({"enable": ["biobased"]})


def test_a_bid_can_claim_every_preference_the_rules_know() -> None:
    # The API's claims and the rules' claims are written twice (one is the public contract,
    # the other pure data); a preference added to one only would be silently ignored.
    from api.routes.bids import Claims
    from rules.evaluation import PREFERENCES, BidderClaims

    rule_claims = {f.name for f in fields(BidderClaims)}
    assert set(Claims.model_fields) == rule_claims
    # Reciprocity is claimed through ``resident`` and ``home_state``; every other preference
    # by a claim of its own name.
    assert {"resident", "home_state"} <= rule_claims
    assert set(PREFERENCES) - {"resident_reciprocity"} <= rule_claims
