"""Bid evaluation after the Article 45 preferences and tie bids, checked on worked examples.

Every amount asserted below was worked by hand in the comment above it. The worked examples
use their own small reciprocity table, so they do not change when the chief procurement
officer loads a new version (``procure reciprocity load``; tests/test_reciprocity.py).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import fields
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rules.evaluation import (
    PREFERENCES,
    Adjustment,
    BidderClaims,
    BidInput,
    EvaluatedBid,
    PreferenceSettings,
    TieCandidate,
    _precedes,
    _Standing,
    evaluate_bids,
    resolve_tie,
)
from state_machines.launch import launch_refusal
from state_machines.models import LaunchSpec
from tests.driver import notice_body

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
    # 10,000.00 = 10,000.00, neither an Illinois resident: both rank 1; the recycled bid's
    # cost is "equal or less", so it is preferred (45-20).
    bids = [
        BidInput("B-N", "Plain Paper", D("10000.00"), claims=BidderClaims(home_state="IN")),
        BidInput("B-R", "Green Paper", D("10000.00"), claims=BidderClaims(recycled=True)),
    ]
    result = evaluate_bids(bids, RECYCLED, RECIPROCAL)
    assert [(e.bid_id, e.rank) for e in result] == [("B-N", 1), ("B-R", 1)]
    assert adjustment(by_id(result)["B-R"], "recycled").applied
    assert adjustment(by_id(result)["B-R"], "recycled").effect == 0

    tie = resolve_tie([TieCandidate.from_evaluated(e) for e in result], seed="IFB-2026-0042")
    assert tie.rule == "recycled"
    assert tie.winner == "B-R"
    assert tie.tied == ("B-N", "B-R")
    assert tie.citation == "30 ILCS 500/45-20"
    assert tie.draw is None
    assert "Green Paper" in tie.note


def test_the_only_resident_wins_a_tie_before_recycled_supplies() -> None:
    # 10,000.00 = 10,000.00: Plain Paper is the only Illinois resident among the tied, so it
    # "shall be given the award" (1.2037(b)(1)); the recycled step comes only "in all other
    # situations" and may not beat it.
    bids = [
        BidInput("B-N", "Plain Paper", D("10000.00"), claims=RESIDENT),
        BidInput("B-R", "Green Paper", D("10000.00"), claims=BidderClaims(recycled=True)),
    ]
    tied = [TieCandidate.from_evaluated(e) for e in evaluate_bids(bids, RECYCLED, RECIPROCAL)]
    tie = resolve_tie(tied, seed="IFB-2026-0042")
    assert (tie.rule, tie.winner) == ("resident", "B-N")
    assert tie.citation == "44 Ill. Adm. Code 1.2037(b)(1); 44 Ill. Adm. Code 1.4510(b)"
    # Procurements pinned to rules 2026.1 keep the order they started with.
    old = resolve_tie(tied, seed="IFB-2026-0042", resident_first=False)
    assert (old.rule, old.winner) == ("recycled", "B-R")


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


def test_two_residents_then_recycled_narrows_then_lot() -> None:
    # Three tied, two of them residents: 1.2037(b)(1) does not apply ("only one"). B-3 is not
    # recycled and drops out (45-20) although a resident; B-1 and B-2 are left, and "in all
    # other situations" the award is by lot: sha256("IFB-2026-0042:B-1") = 09086ebf... comes
    # before sha256("IFB-2026-0042:B-2") = cca86d6c..., so B-1.
    tied = [
        TieCandidate("B-3", "Local Plain", resident=True),
        TieCandidate("B-2", "Far Green", resident=False, recycled=True),
        TieCandidate("B-1", "Local Green", resident=True, recycled=True),
    ]
    tie = resolve_tie(tied, seed="IFB-2026-0042")
    assert (tie.rule, tie.winner) == ("lot", "B-1")
    assert tie.draw is not None and tie.draw["order"] == ["B-1", "B-2"]
    assert tie.citation == "30 ILCS 500/45-20; 44 Ill. Adm. Code 1.2037(b)(2)"
    assert "Local Plain (B-3) dropped out" in tie.note
    # Under rules 2026.1 residency was asked again after recycled supplies narrowed the tie.
    old = resolve_tie(tied, seed="IFB-2026-0042", resident_first=False)
    assert (old.rule, old.winner) == ("resident", "B-1")


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


def test_price_preferences_do_not_compound() -> None:
    # Biobased (5%, 45-75) and local farm or food (10%, 595/10(c)) held by one bid, against a
    # bid holding neither: each statute caps how much more the State pays for what it
    # prefers, and none adds to another, so only the larger, 10%, counts:
    #   115,500.00 <= 105,000.00 x 1.10 = 115,500.00: at the boundary, the preferred wins;
    #   115,500.01 >  115,500.00: it loses (compounded, 5% then 10% would allow 121,275.00).
    settings = PreferenceSettings(
        enabled=frozenset({"biobased", "local_farm_food"}), purchases=frozenset({"food"})
    )
    claims = BidderClaims(biobased=True, local_farm_food=True)
    at = [
        BidInput("B-F", "Farm", D("115500.00"), claims=claims),
        BidInput("B-P", "P", D("105000.00")),
    ]
    assert [(e.bid_id, e.rank) for e in evaluate_bids(at, settings, {})] == [("B-F", 1), ("B-P", 2)]
    (farm,) = [e for e in evaluate_bids(at, settings, {}) if e.bid_id == "B-F"]
    # Shown as compared with a bid holding neither: 115,500.00 / 1.10 = 105,000.00.
    assert farm.evaluated_amount == D("105000.00")
    assert [(a.preference, a.applied, a.effect) for a in farm.adjustments] == [
        ("biobased", True, D("0")),
        ("local_farm_food", True, D("-10500.00")),
    ]
    assert "do not compound" in adjustment(farm, "biobased").note
    over = [
        BidInput("B-F", "Farm", D("115500.01"), claims=claims),
        BidInput("B-P", "P", D("105000.00")),
    ]
    assert [(e.bid_id, e.rank) for e in evaluate_bids(over, settings, {})] == [
        ("B-P", 1),
        ("B-F", 2),
    ]


def test_against_a_bid_holding_one_of_them_the_other_counts() -> None:
    # B-2 is biobased and local food; B-1 is biobased only. Biobased does not tell them apart,
    # so B-2 is preferred under 595/10(c) alone: 110,000.00 <= 100,000.00 x 1.10.
    settings = PreferenceSettings(
        enabled=frozenset({"biobased", "local_farm_food"}), purchases=frozenset({"food"})
    )
    bids = [
        BidInput("B-1", "Bio", D("100000.00"), claims=BidderClaims(biobased=True)),
        BidInput(
            "B-2",
            "Bio Farm",
            D("110000.00"),
            claims=BidderClaims(biobased=True, local_farm_food=True),
        ),
    ]
    assert [(e.bid_id, e.rank) for e in evaluate_bids(bids, settings, {})] == [
        ("B-2", 1),
        ("B-1", 2),
    ]
    bids[1] = BidInput(
        "B-2", "Bio Farm", D("110000.01"), claims=BidderClaims(biobased=True, local_farm_food=True)
    )
    assert [(e.bid_id, e.rank) for e in evaluate_bids(bids, settings, {})] == [
        ("B-1", 1),
        ("B-2", 2),
    ]


def test_rounding_happens_once_at_the_end() -> None:
    # Half-up, not half-even: 100.005 -> 100.01 (half-even would give 100.00).
    (bid,) = evaluate_bids([BidInput("B-1", "A", D("100.005"))], NONE, {})
    assert bid.evaluated_amount == D("100.01")
    # Reciprocity 5% then biobased 5% on a Wyoming bid of 100.03 with a resident bidding:
    #   exact:        100.03 x 1.05 = 105.0315; / 1.05 = 100.03
    #   step by step: 105.0315 -> 105.03;       105.03 / 1.05 = 100.028571... -> 100.03
    # and the effects are the changes of the rounded running amount: +5.00, then -5.00.
    settings = PreferenceSettings(enabled=frozenset({"resident_reciprocity", "biobased"}))
    bids = [
        BidInput(
            "B-2", "Cheyenne", D("100.03"), claims=BidderClaims(home_state="WY", biobased=True)
        ),
        BidInput("B-3", "Acme", D("200.00"), claims=RESIDENT),
    ]
    wy = by_id(evaluate_bids(bids, settings, RECIPROCAL))["B-2"]
    assert wy.evaluated_amount == D("100.03")
    assert [a.effect for a in wy.adjustments] == [D("5.00"), D("-5.00")]


# --- 5b. "Not more than X% greater" includes X: compared exactly, at the boundary ----------


@pytest.mark.parametrize(
    ("preference", "purchases", "percent", "preferred", "other", "wins"),
    [
        # 45-75 biobased, 5%: 105,000.00 = 100,000.00 x 1.05 wins outright; a cent over loses.
        ("biobased", (), None, "105000.00", "100000.00", True),
        ("biobased", (), None, "105000.01", "100000.00", False),
        ("biobased", (), None, "104999.99", "100000.00", True),
        # 595/10(c) local farm or food, 10%: 110,000.00 = 100,000.00 x 1.10.
        ("local_farm_food", ("food",), None, "110000.00", "100000.00", True),
        ("local_farm_food", ("food",), None, "110000.01", "100000.00", False),
        # 555/1 Illinois coal, 10%.
        ("illinois_coal", ("coal",), None, "110000.00", "100000.00", True),
        ("illinois_coal", ("coal",), None, "110000.01", "100000.00", False),
        # 45-26(b) environmentally preferable, at the specification's 7.5%: 107.50 = 100 x 1.075.
        ("environmentally_preferable", (), "7.5", "107.50", "100.00", True),
        ("environmentally_preferable", (), "7.5", "107.51", "100.00", False),
        # 99.99 against a biobased 104.99: 104.99 <= 99.99 x 1.05 = 104.9895? No: 104.99 is
        # more, so the plain bid wins; never a tie (the prices are not identical, 1.2037(a)).
        ("biobased", (), None, "104.99", "99.99", False),
        # 104.98 <= 104.9895: the biobased bid wins.
        ("biobased", (), None, "104.98", "99.99", True),
    ],
)
def test_a_preference_at_its_boundary_wins_outright(
    preference: str,
    purchases: tuple[str, ...],
    percent: str | None,
    preferred: str,
    other: str,
    wins: bool,
) -> None:
    settings = PreferenceSettings(
        enabled=frozenset({preference}),
        percentages={} if percent is None else {preference: D(percent)},
        purchases=frozenset(purchases),
    )
    claimed: dict[str, Any] = {preference: True}
    bids = [
        BidInput("B-PREF", "Preferred", D(preferred), claims=BidderClaims(**claimed)),
        BidInput("B-OTHER", "Other", D(other)),
    ]
    result = evaluate_bids(bids, settings, {})
    assert [e.rank for e in result] == [1, 2]  # never a tie
    assert result[0].bid_id == ("B-PREF" if wins else "B-OTHER")


def test_a_reciprocal_preference_at_its_boundary_goes_to_the_resident() -> None:
    # Wyoming prefers its own by 5%: the Illinois resident is preferred when not more than 5%
    # greater (45-10(a)): 105,000.00 = 100,000.00 x 1.05 wins; 105,000.01 loses.
    for resident, winner in (("105000.00", "B-IL"), ("105000.01", "B-WY")):
        bids = [
            BidInput("B-IL", "Acme", D(resident), claims=RESIDENT),
            BidInput("B-WY", "Cheyenne", D("100000.00"), claims=BidderClaims(home_state="WY")),
        ]
        result = evaluate_bids(bids, RECIPROCITY, RECIPROCAL)
        loser = ({"B-IL", "B-WY"} - {winner}).pop()
        assert [(e.bid_id, e.rank) for e in result] == [(winner, 1), (loser, 2)]


def test_crossing_preferences_go_to_the_lower_price() -> None:
    # Each holds a preference the other lacks and each is within it (100.00 <= 104.00 x 1.05;
    # 104.00 <= 100.00 x 1.10), so neither is preferred: the lower price is the better bid.
    settings = PreferenceSettings(
        enabled=frozenset({"biobased", "local_farm_food"}), purchases=frozenset({"food"})
    )
    bids = [
        BidInput("B-1", "Bio", D("100.00"), claims=BidderClaims(biobased=True)),
        BidInput("B-2", "Farm", D("104.00"), claims=BidderClaims(local_farm_food=True)),
    ]
    assert [(e.bid_id, e.rank) for e in evaluate_bids(bids, settings, {})] == [
        ("B-1", 1),
        ("B-2", 2),
    ]
    # Identical in price, each with its own preference: a tie under 1.2037(a).
    bids[1] = BidInput("B-2", "Farm", D("100.00"), claims=BidderClaims(local_farm_food=True))
    assert [e.rank for e in evaluate_bids(bids, settings, {})] == [1, 1]


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


def test_equal_after_preferences_is_not_a_tie() -> None:
    # 105,000.00 = 100,000.00 x 1.05: not identical in price, so not a tie (1.2037(a)); the
    # biobased bid is "not more than 5% greater" and wins (45-75).
    bids = [
        BidInput("B-BIO", "Soy", D("105000.00"), claims=BidderClaims(biobased=True)),
        BidInput("B-PET", "Petro", D("100000.00")),
    ]
    assert [(e.bid_id, e.rank) for e in evaluate_bids(bids, BIOBASED, {})] == [
        ("B-BIO", 1),
        ("B-PET", 2),
    ]


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
        purchases=frozenset({"food"}),
    )
    data = json.loads(json.dumps(settings.to_dict()))
    assert data == {
        "enabled": ["biobased", "veteran_owned"],
        "percentages": {"veteran_owned": "2.5"},
        "federal_funds_conflict": True,
        "purchases": ["food"],
    }
    back = PreferenceSettings.from_dict(data)
    assert (
        back.enabled,
        dict(back.percentages),
        back.federal_funds_conflict,
        back.purchases,
    ) == (settings.enabled, dict(settings.percentages), True, frozenset({"food"}))
    assert PreferenceSettings.from_dict({}).to_dict() == NONE.to_dict()
    with pytest.raises(ValueError, match="unknown keys"):
        PreferenceSettings.from_dict({"enable": ["biobased"]})


def test_a_bid_can_claim_every_preference_the_rules_know() -> None:
    # The API takes the rules' own claims, so a preference the rules know is a claim a bid can
    # make, and a claim the rules do not know is refused, not dropped.
    from pydantic import ValidationError

    from api.routes.bids import BidSubmission
    from rules.evaluation import PREFERENCES, BidderClaims

    assert BidSubmission.model_fields["claims"].annotation is BidderClaims
    rule_claims = {f.name for f in fields(BidderClaims)}
    # Reciprocity is claimed through ``resident`` and ``home_state``; every other preference
    # by a claim of its own name.
    assert {"resident", "home_state"} <= rule_claims
    assert set(PREFERENCES) - {"resident_reciprocity"} <= rule_claims
    bid = {"vendor": "V", "amount": "10.00"}
    taken = BidSubmission.model_validate(bid | {"claims": {"biobased": True, "home_state": "wy"}})
    assert taken.claims == BidderClaims(biobased=True, home_state="WY")
    for wrong in ({"bio_based": True}, {"home_state": "Wyoming"}, {"resident": "maybe"}):
        with pytest.raises(ValidationError):
            BidSubmission.model_validate(bid | {"claims": wrong})


# --- Where each preference applies: its statute's scope -------------------------------------


def _launch(**overrides: object) -> LaunchSpec:
    return LaunchSpec.model_validate(notice_body("IFB-SCOPE-1", **overrides))


@pytest.mark.parametrize(
    ("preferences", "category", "office", "cites"),
    [
        # 595/10(c): "a State contract for purchase of food or food products".
        ({"enabled": ["local_farm_food"]}, "supplies", "CPO-GS", "30 ILCS 595/10(c)"),
        # 555/1: coal bought "for fuel purposes".
        ({"enabled": ["illinois_coal"]}, "supplies", "CPO-GS", "30 ILCS 555/1"),
        # 45-75: not "contracts for construction projects awarded by the Capital Development
        # Board or the Department of Transportation".
        ({"enabled": ["biobased"]}, "construction", "CPO-CDB", "30 ILCS 500/45-75"),
        ({"enabled": ["biobased"]}, "construction", "CPO-DOT", "30 ILCS 500/45-75"),
        # 45-20: not "a construction agency for the purposes of procuring construction".
        ({"enabled": ["recycled"]}, "construction", "CPO-DOT", "30 ILCS 500/45-20"),
        (
            {"enabled": ["illinois_agricultural"], "percentages": {"illinois_agricultural": "3"}},
            "supplies",
            "CPO-GS",
            "30 ILCS 500/45-50",
        ),
    ],
)
def test_a_launch_claiming_a_preference_outside_its_scope_is_refused(
    preferences: dict[str, object], category: str, office: str, cites: str
) -> None:
    refusal = launch_refusal(
        _launch(preferences=preferences, category=category, chief_procurement_office=office), None
    )
    assert refusal is not None
    assert refusal.code == "preference_out_of_scope"
    assert cites in refusal.citation and cites in refusal.reason
    assert refusal.field == "preferences"


@pytest.mark.parametrize(
    ("preferences", "category", "office"),
    [
        ({"enabled": ["local_farm_food"], "purchases": ["food"]}, "supplies", "CPO-GS"),
        ({"enabled": ["illinois_coal"], "purchases": ["coal"]}, "supplies", "CPO-GS"),
        # Construction outside CDB and IDOT, and biobased supplies for IDOT: in scope.
        ({"enabled": ["biobased", "recycled"]}, "construction", "CPO-GS"),
        ({"enabled": ["biobased", "recycled"]}, "supplies", "CPO-DOT"),
    ],
)
def test_a_preference_within_its_scope_launches(
    preferences: dict[str, object], category: str, office: str
) -> None:
    spec = _launch(preferences=preferences, category=category, chief_procurement_office=office)
    assert launch_refusal(spec, None) is None


def test_illinois_coal_is_a_duty_where_coal_is_bought() -> None:
    # 555/1: the officers "shall be required to purchase and use coal which is mined in the
    # State of Illinois" when not more than 10% greater: it applies without being enabled.
    coal = PreferenceSettings(purchases=frozenset({"coal"}))
    assert coal.active == {"illinois_coal"}
    bids = [
        BidInput("B-IL", "Illinois Coal", D("110.00"), claims=BidderClaims(illinois_coal=True)),
        BidInput("B-WY", "Powder River", D("100.00")),
    ]
    assert evaluate_bids(bids, coal, {})[0].bid_id == "B-IL"
    # Not a coal purchase: the claim is not counted, and the plain bid wins.
    assert evaluate_bids(bids, NONE, {})[0].bid_id == "B-WY"


def test_coal_is_compared_with_its_transportation() -> None:
    # 555/1: Illinois coal is bought if "not more than ten per cent (10%) greater than the cost
    # of coal mined in any other State or States, including the cost of transportation":
    #   Illinois 100,000.00 + 10,000.00 freight = 110,000.00
    #   Wyoming   95,000.00 +  5,000.00 freight = 100,000.00; x 1.10 = 110,000.00: at it, wins.
    # A cent more freight loses; without the freight, the price alone would mislead
    # (100,000.00 against 95,000.00 is within 10% either way).
    coal = PreferenceSettings(purchases=frozenset({"coal"}))
    for freight, winner in (("10000.00", "B-IL"), ("9999.99", "B-IL"), ("10000.01", "B-WY")):
        bids = [
            BidInput(
                "B-IL",
                "Egypt Mine",
                D("100000.00"),
                claims=BidderClaims(illinois_coal=True),
                freight=D(freight),
            ),
            BidInput("B-WY", "Powder River", D("95000.00"), freight=D("5000.00")),
        ]
        result = evaluate_bids(bids, coal, {})
        assert [e.rank for e in result] == [1, 2]
        assert result[0].bid_id == winner, freight
    (wy,) = [e for e in result if e.bid_id == "B-WY"]
    assert (wy.freight, wy.evaluated_amount) == (D("5000.00"), D("100000.00"))


@given(st.lists(st.tuples(cents, claim_sets), min_size=1, max_size=10))
def test_the_ranks_are_those_of_every_pair_compared(
    rows: list[tuple[Decimal, BidderClaims]],
) -> None:
    # The ranking counts, for each bid, the bids it is better than by a binary search per
    # profile of preferences; compared here with every pair, one by one.
    bids = [BidInput(f"B-{i}", f"V{i}", amount, claims=c) for i, (amount, c) in enumerate(rows)]
    result = by_id(evaluate_bids(bids, ALL_ENABLED, RECIPROCAL))
    settings = ALL_ENABLED
    resident_bidding = any(b.claims.resident for b in bids)
    standings = []
    for b in bids:
        held = {
            n: settings.percent(n) or D(0)
            for n, r in PREFERENCES.items()
            if r.kind == "price_percent" and n in settings.active and b.claims.claimed(n)
        }
        state = b.claims.home_state
        reciprocal = (
            RECIPROCAL.get(state or "", D(0))
            if resident_bidding and not b.claims.resident and state
            else D(0)
        )
        standings.append(_Standing(b, b.amount, held, reciprocal))
    wins = {
        s.bid.bid_id: sum(1 for o in standings if o is not s and _precedes(s, o) is True)
        for s in standings
    }
    for a in standings:
        for o in standings:
            if wins[a.bid.bid_id] > wins[o.bid.bid_id]:
                assert result[a.bid.bid_id].rank < result[o.bid.bid_id].rank
