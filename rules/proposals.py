"""Score competitive sealed proposals in their three parts and rank them (30 ILCS 500/20-15).

20-15(e): proposals are submitted in 3 parts, the first price, the second commitment to
diversity, the third all other items; each part of all proposals is evaluated and ranked
independently of the other parts, and the results of all 3 parts are used in ranking the
proposals. 20-15(e-5)(1): the points for commitment to diversity are equivalent to 20% of the
points assigned to the third part, all other items. 20-15(g): the award goes to the responsible
offeror whose proposal is determined in writing to be the most advantageous, and the contract
file keeps the basis of the award; a ``ScoredProposal`` is that basis, part by part.

Price points are computed here, never scored by hand: the lowest price gets all the price
points and every other price ``lowest / price`` of them, in hundredths, rounded half up. The
evaluation committee scores parts 2 and 3 (``ProposalScores``). Points for price are awarded
in hundredths, so a plan's price points may have at most 2 decimal places (a rule of this
service, which keeps "the lowest price gets all the price points" exact).

All arithmetic runs in a fixed decimal context, so the result never depends on the caller's.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from decimal import (
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
)
from typing import Any, TypeVar

# The sections this module's refusals cite, spelled as ``rules.citations`` spells its own.
EVALUATION = "30 ILCS 500/20-15(e)"
SCORING = "30 ILCS 500/20-15(e-5)"
DIVERSITY_POINTS = "30 ILCS 500/20-15(e-5)(1)"

DIVERSITY_SHARE = Decimal("0.20")  # 20-15(e-5)(1): diversity points are 20% of the other points

CENT = Decimal("0.01")  # price points are awarded in hundredths
PLAN_FIELDS = ("price_points", "other_points")
MAX_POINTS = Decimal(10) ** 15  # a limit of this service, far above any real plan

# Wide enough that 20% of any plan's points, the price ratio and the totals are exact or
# correctly rounded; traps turn any surprise into an exception rather than a wrong score.
_CONTEXT = Context(
    prec=60, rounding=ROUND_HALF_UP, traps=[InvalidOperation, DivisionByZero, Overflow]
)


def _decimal_problem(value: object) -> str | None:
    """Why ``value`` cannot be points or money, or None when it is a finite Decimal."""
    if not isinstance(value, Decimal):
        return f"must be a decimal.Decimal, not {type(value).__name__} {value!r}"
    if not value.is_finite():
        return f"must be a finite number, not {value}"
    return None


def _places(value: Decimal) -> int:
    """How many decimal places a finite Decimal needs (30.000 needs 0, 30.25 needs 2)."""
    exponent = value.normalize(_CONTEXT).as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


@dataclass(frozen=True)
class ScoringPlan:
    """The points the request for proposals assigns to price and to all other items; the
    points for commitment to diversity follow from them (20-15(e-5)(1))."""

    price_points: Decimal  # part 1, price
    other_points: Decimal  # part 3, all other items
    # Part 2 as the request for proposals states it, if it does: it must be the 20%.
    stated_diversity_points: Decimal | None = None

    @property
    def diversity_points(self) -> Decimal:
        """Part 2: exactly 20% of the points for all other items (20-15(e-5)(1))."""
        return _CONTEXT.multiply(self.other_points, DIVERSITY_SHARE)

    @property
    def total_points(self) -> Decimal:
        """The most points a proposal can receive over all 3 parts (20-15(e))."""
        return _CONTEXT.add(
            _CONTEXT.add(self.price_points, self.diversity_points), self.other_points
        )

    def to_dict(self) -> dict[str, str]:
        return {name: str(getattr(self, name)) for name in PLAN_FIELDS}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ScoringPlan:
        """Read ``{"price_points": "30", "other_points": "50"}``; strings, ints and Decimals
        are accepted. Raises ValueError naming a field that is missing or not a number;
        whether the numbers make a lawful plan is ``problems()``'s business. The plan may state
        ``diversity_points`` too; any other key is refused, for a misspelt one would score the
        proposals otherwise than the request for proposals says."""
        unknown = sorted(set(d) - set(PLAN_FIELDS) - {"diversity_points"})
        if unknown:
            raise ValueError(
                f"scoring plan: unknown field(s) {', '.join(repr(k) for k in unknown)}; a plan "
                "states 'price_points', 'other_points' and, if it likes, 'diversity_points' "
                f"({EVALUATION})"
            )
        values: dict[str, Decimal] = {}
        for name in (*PLAN_FIELDS, "diversity_points"):
            if name not in d:
                if name == "diversity_points":
                    continue
                raise ValueError(f"scoring plan: field '{name}' is missing ({EVALUATION})")
            raw = d[name]
            if isinstance(raw, bool) or not isinstance(raw, str | int | Decimal):
                raise ValueError(
                    f"scoring plan: field '{name}' must be a decimal string, "
                    f"not {type(raw).__name__} {raw!r} ({EVALUATION})"
                )
            try:
                values[name] = Decimal(raw.strip() if isinstance(raw, str) else raw)
            except InvalidOperation:
                raise ValueError(
                    f"scoring plan: field '{name}' is not a number: {raw!r} ({EVALUATION})"
                ) from None
        return cls(
            price_points=values["price_points"],
            other_points=values["other_points"],
            stated_diversity_points=values.get("diversity_points"),
        )

    @classmethod
    def as_launched(cls, d: Mapping[str, Any]) -> ScoringPlan:
        """The plan of a procurement already launched: one launched before unknown keys were
        refused may carry others, which never counted, so they are left out, not refused."""
        return cls.from_dict({k: v for k, v in d.items() if k in PLAN_FIELDS})

    def problems(self) -> list[str]:
        """Why this plan cannot score proposals; empty when it can."""
        found: list[str] = []
        for name, part in (
            ("price_points", "part 1, price"),
            ("other_points", "part 3, all other items"),
        ):
            value = getattr(self, name)
            bad = _decimal_problem(value)
            if bad is not None:
                found.append(f"scoring plan: field '{name}' ({part}) {bad} ({EVALUATION})")
            elif value <= 0:
                found.append(
                    f"scoring plan: field '{name}' ({part}) must be more than 0 points, "
                    f"not {value}; each of the 3 parts is evaluated and its results used in "
                    f"ranking ({EVALUATION})"
                )
            elif value >= MAX_POINTS:
                found.append(
                    f"scoring plan: field '{name}' ({part}) is {value}; this service scores "
                    f"plans of fewer than {MAX_POINTS:,} points ({EVALUATION})"
                )
            elif name == "price_points" and _places(value) > 2:
                found.append(
                    f"scoring plan: field 'price_points' (part 1, price) is {value}; price "
                    f"points are awarded in hundredths, so at most 2 decimal places "
                    f"({EVALUATION})"
                )
        stated = self.stated_diversity_points
        if not found and stated is not None and stated != self.diversity_points:
            found.append(
                f"scoring plan: field 'diversity_points' (part 2, commitment to diversity) is "
                f"{stated}; it is 20% of the points for all other items, "
                f"{self.diversity_points.normalize():f} of {self.other_points} "
                "(30 ILCS 500/20-15(e-5)(1))"
            )
        return found


@dataclass(frozen=True)
class ProposalScores:
    """What the evaluation committee scored for one proposal's parts 2 and 3 (20-15(e))."""

    bid_id: str
    vendor: str
    diversity: Decimal  # part 2: 0 .. plan.diversity_points
    other: Decimal  # part 3: 0 .. plan.other_points


@dataclass(frozen=True)
class ScoredProposal:
    """One proposal's points and ranks, part by part: the basis of award 20-15(g) asks the
    contract file to keep. Part ranks and ``rank`` are dense; 1 is the best."""

    bid_id: str
    vendor: str
    price: Decimal
    price_points: Decimal
    diversity_points: Decimal
    other_points: Decimal
    price_rank: int  # 1 = lowest price
    diversity_rank: int  # 1 = most points for commitment to diversity
    other_rank: int  # 1 = most points for all other items
    total: Decimal  # price_points + diversity_points + other_points
    rank: int  # by total; 1 = most advantageous


def _name(score: ProposalScores) -> str:
    return f"proposal {score.bid_id!r} ({score.vendor})"


def score_problems(plan: ScoringPlan, scores: Sequence[ProposalScores]) -> list[str]:
    """Why these scores cannot be ranked under ``plan``; empty when they can.

    The plan's own problems come first; while it has any, the scores are not checked against
    its caps (there are none to check against)."""
    found = plan.problems()
    caps = not found
    seen: set[str] = set()
    for s in scores:
        if not isinstance(s.bid_id, str) or not s.bid_id.strip():
            found.append(f"{_name(s)}: field 'bid_id' is blank ({SCORING})")
        elif s.bid_id in seen:
            found.append(
                f"{_name(s)}: field 'bid_id' is scored more than once; each proposal is "
                f"scored once ({SCORING})"
            )
        seen.add(s.bid_id)

        bad = _decimal_problem(s.diversity)
        if bad is not None:
            found.append(f"{_name(s)}: field 'diversity' {bad} ({DIVERSITY_POINTS})")
        elif s.diversity < 0:
            found.append(
                f"{_name(s)}: field 'diversity' is {s.diversity}, below 0 points "
                f"({DIVERSITY_POINTS})"
            )
        elif caps and s.diversity > plan.diversity_points:
            found.append(
                f"{_name(s)}: field 'diversity' is {s.diversity}, above the "
                f"{plan.diversity_points} points for commitment to diversity, which are 20% "
                f"of the {plan.other_points} points for all other items ({DIVERSITY_POINTS})"
            )

        bad = _decimal_problem(s.other)
        if bad is not None:
            found.append(f"{_name(s)}: field 'other' {bad} ({SCORING})")
        elif s.other < 0:
            found.append(f"{_name(s)}: field 'other' is {s.other}, below 0 points ({SCORING})")
        elif caps and s.other > plan.other_points:
            found.append(
                f"{_name(s)}: field 'other' is {s.other}, above the {plan.other_points} "
                f"points the plan assigns to all other items ({SCORING})"
            )
    return found


def _price_problems(prices: Mapping[str, Decimal], scores: Sequence[ProposalScores]) -> list[str]:
    found: list[str] = []
    for s in scores:
        if s.bid_id not in prices:
            found.append(
                f"{_name(s)}: has no price; every proposal is scored on all 3 parts, "
                f"the first being price ({EVALUATION})"
            )
            continue
        price = prices[s.bid_id]
        bad = _decimal_problem(price)
        if bad is not None:
            found.append(f"{_name(s)}: price {bad} ({EVALUATION})")
        elif price <= 0:
            found.append(f"{_name(s)}: price is {price}; it must be more than 0 ({EVALUATION})")
    return found


K = TypeVar("K", bound=Hashable)


def _dense_ranks(keys: Sequence[K], better: Callable[[K], Any]) -> list[int]:
    """Dense ranks of ``keys``: 1 for the best, equal keys share a rank, no gaps."""
    distinct = sorted(set(keys), key=better)
    place = {key: i + 1 for i, key in enumerate(distinct)}
    return [place[k] for k in keys]


def score_proposals(
    plan: ScoringPlan,
    prices: Mapping[str, Decimal],
    scores: Sequence[ProposalScores],
) -> list[ScoredProposal]:
    """Score and rank the proposals in ``scores`` (20-15(e), (e-5)).

    ``prices`` maps bid_id to the sealed price of part 1; bids in it that were not scored
    are ignored, and the lowest price is the lowest among the scored proposals. Each part is
    ranked on its own, then the proposals by their total. Sorted by rank, then bid_id.
    Raises ValueError with the problems of ``score_problems``, or naming each scored bid
    without a positive price."""
    found = score_problems(plan, scores)
    if found:
        raise ValueError("; ".join(found))
    found = _price_problems(prices, scores)
    if found:
        raise ValueError("; ".join(found))
    if not scores:
        return []

    price_of = [prices[s.bid_id] for s in scores]
    lowest = min(price_of)
    # The lowest price gets all the price points; each other price lowest / price of them.
    price_points = [
        (
            plan.price_points
            if price == lowest
            else _CONTEXT.divide(_CONTEXT.multiply(lowest, plan.price_points), price)
        ).quantize(CENT, rounding=ROUND_HALF_UP, context=_CONTEXT)
        for price in price_of
    ]
    totals = [
        _CONTEXT.add(_CONTEXT.add(pp, s.diversity), s.other)
        for pp, s in zip(price_points, scores, strict=True)
    ]
    price_rank = _dense_ranks(price_of, lambda p: p)
    diversity_rank = _dense_ranks([s.diversity for s in scores], lambda d: -d)
    other_rank = _dense_ranks([s.other for s in scores], lambda o: -o)
    rank = _dense_ranks(totals, lambda t: -t)

    scored = [
        ScoredProposal(
            bid_id=s.bid_id,
            vendor=s.vendor,
            price=price_of[i],
            price_points=price_points[i],
            diversity_points=s.diversity,
            other_points=s.other,
            price_rank=price_rank[i],
            diversity_rank=diversity_rank[i],
            other_rank=other_rank[i],
            total=totals[i],
            rank=rank[i],
        )
        for i, s in enumerate(scores)
    ]
    return sorted(scored, key=lambda p: (p.rank, p.bid_id))


def most_advantageous(scored: Sequence[ScoredProposal]) -> list[ScoredProposal]:
    """The proposals ranked first by total (20-15(g)); more than one is a tie in rank, which
    44 Ill. Adm. Code 1.2037(a) treats as a tie. Empty when nothing was scored."""
    if not scored:
        return []
    best = min(p.rank for p in scored)
    return [p for p in scored if p.rank == best]
