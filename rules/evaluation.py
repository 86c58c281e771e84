"""Evaluates opened sealed bids after the Article 45 preferences and breaks tie bids.

30 ILCS 500/20-10(g): the contract goes to "the lowest responsible and responsive bidder",
which is the lowest bid *after* the preferences the solicitation carries. This module ranks
the opened bids (:func:`evaluate_bids`) and resolves a tie among the best (:func:`resolve_tie`).

A bid's cost is ``amount - bid_credit`` (the Illinois Works bid credit, 30 ILCS 500/20-10(d)),
plus ``freight`` where the contract buys coal (30 ILCS 555/1, "including the cost of
transportation"). Bids are compared two by two, exactly, in Decimal (:func:`_precedes`):

* A price preference (45-26(b), 45-75, 45-50, 45-55, 45-60, 45-35(c-5), 45-57,
  30 ILCS 595/10(c), 30 ILCS 555/1) prefers a bid that holds it over one that does not when
  it is "not more than p% greater": ``cost <= other * (1 + p/100)``, the boundary included.
  No division, no rounding: at exactly p% the preferred bid wins outright.
* Reciprocity (30 ILCS 500/45-10(a); 44 Ill. Adm. Code 1.4510(c)): when an Illinois resident
  vendor is among the bids, it is preferred over a non-resident from a state that prefers its
  own residents, by that state's percentage (the table in force, ``rules/reciprocity.py``); not
  under 45-10(c) when federal funds are available and the preference may conflict.
* Preferences do not compound: against a given bid only the largest preference the bidder
  holds and the other lacks counts. Each statute caps what the State pays for what it
  prefers; none adds to another, and adding them would pay more than any one allows.
* Recycled supplies (45-20) change no comparison: preferred only at a cost "equal or less",
  they decide only ties.

Two bids tie only when identical in price with neither preferred over the other (44 Ill. Adm.
Code 1.2037(a)). Each :class:`EvaluatedBid` also shows an evaluated amount, the bid as
compared with one holding none of its preferences; its :class:`Adjustment` rows carry each
preference's citation, and ``round(cost) + sum(effects)`` always equals it exactly.

Pass only the bids still in the running (responsive and responsible). Reciprocity depends on
whether a resident is bidding and recycled supplies on the other bids' prices, so when a bid
is later rejected the remaining bids are evaluated again.

Everything here is pure.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any, ClassVar, Literal

from rules import citations

# Citations of the rules applied here that are not one preference's own.
AWARD = citations.AWARD  # 30 ILCS 500/20-10(g): lowest responsible and responsive bidder
BID_CREDIT = citations.BID_OPENING  # 30 ILCS 500/20-10(d): Illinois Works bid credit
RECIPROCITY_FEDERAL_FUNDS = "30 ILCS 500/45-10(c); 44 Ill. Adm. Code 1.4510(e)"
RESIDENT_VENDOR = "30 ILCS 500/45-10(b); 44 Ill. Adm. Code 1.4510(a)"
TIE_RECYCLED = "30 ILCS 500/45-20"
TIE_RESIDENT = "44 Ill. Adm. Code 1.2037(b)(1); 44 Ill. Adm. Code 1.4510(b)"
TIE_LOT = "44 Ill. Adm. Code 1.2037(b)(2)"

_CENT = Decimal("0.01")
_HUNDRED = Decimal(100)
_ZERO = Decimal("0.00")
# Arithmetic runs in its own context, so a caller's decimal settings cannot change a result.
_CONTEXT = Context(prec=34)

PreferenceKind = Literal["reciprocal", "cost_equal_or_less", "price_percent"]


@dataclass(frozen=True)
class PreferenceRule:
    """One preference of law: how it changes a bid and where the law says so.

    ``fixed_percent`` is set when the statute fixes the percentage (45-75 biobased 5%,
    30 ILCS 595/10(c) local farm or food 10%, 30 ILCS 555/1 Illinois coal 10%); it is None when
    the solicitation sets it. ``max_percent`` caps what a solicitation may set (45-26(b): "up
    to 10%"). Scope: ``for_purchases_of`` names the one kind of contract the statute speaks of
    (a key of :data:`PURCHASES`); ``not_for_construction_by`` the offices whose construction
    contracts it excludes. ``duty``: the statute requires it wherever it applies, so it applies
    without the solicitation enabling it (555/1: "shall be required to purchase").
    """

    name: str
    citation: str
    description: str
    kind: PreferenceKind
    fixed_percent: Decimal | None = None
    max_percent: Decimal | None = None
    for_purchases_of: str | None = None
    not_for_construction_by: frozenset[str] = frozenset()
    duty: bool = False


def _rule(
    name: str,
    citation: str,
    description: str,
    kind: PreferenceKind,
    fixed_percent: str | None = None,
    max_percent: str | None = None,
    for_purchases_of: str | None = None,
    not_for_construction_by: frozenset[str] = frozenset(),
    duty: bool = False,
) -> PreferenceRule:
    return PreferenceRule(
        name=name,
        citation=citation,
        description=description,
        kind=kind,
        fixed_percent=None if fixed_percent is None else Decimal(fixed_percent),
        max_percent=None if max_percent is None else Decimal(max_percent),
        for_purchases_of=for_purchases_of,
        not_for_construction_by=not_for_construction_by,
        duty=duty,
    )


# What a contract buys, where a preference's statute is limited to it.
PURCHASES: dict[str, str] = {
    "food": "food or food products (30 ILCS 595/10(c))",
    "coal": "coal for fuel purposes (30 ILCS 555/1)",
    "agricultural_products": "agricultural products (30 ILCS 500/45-50)",
    "plastic_products": "plastic products (30 ILCS 500/45-55)",
    "vehicles": "vehicles (30 ILCS 500/45-60)",
}
# The construction agencies among the chief procurement offices: 45-20 does not apply to them
# "for the purposes of procuring construction"; 45-75 not to "contracts for construction
# projects awarded by the Capital Development Board or the Department of Transportation".
CONSTRUCTION_AGENCIES = frozenset({"CPO-CDB", "CPO-DOT"})


RESIDENT_RECIPROCITY = "resident_reciprocity"
RECYCLED = "recycled"

# Every preference, in the order evaluation applies them. Except for reciprocity (claimed by
# ``resident``/``home_state``), each preference is claimed by the BidderClaims field of its name.
PREFERENCES: dict[str, PreferenceRule] = {
    rule.name: rule
    for rule in (
        _rule(
            RESIDENT_RECIPROCITY,
            "30 ILCS 500/45-10(a); 44 Ill. Adm. Code 1.4510(c)",
            "An Illinois resident bidder is preferred against a non-resident bidder from a state "
            "that prefers its own residents, by a preference equal to that state's.",
            "reciprocal",
        ),
        _rule(
            RECYCLED,
            "30 ILCS 500/45-20; 44 Ill. Adm. Code 500.1130",
            "A bidder fulfilling the contract with products made of recycled supplies is "
            "preferred over bidders unable to, provided its cost is equal or less.",
            "cost_equal_or_less",
            not_for_construction_by=CONSTRUCTION_AGENCIES,
        ),
        _rule(
            "environmentally_preferable",
            "30 ILCS 500/45-26(b); 44 Ill. Adm. Code 500.1145",
            "Environmentally preferable supplies or services: a price preference of up to 10% "
            "set by the specifications.",
            "price_percent",
            max_percent="10",
        ),
        _rule(
            "biobased",
            "30 ILCS 500/45-75; 44 Ill. Adm. Code 500.1148",
            "Biobased products: preferred when not more than 5% greater than products that "
            "are not biobased.",
            "price_percent",
            fixed_percent="5",
            not_for_construction_by=CONSTRUCTION_AGENCIES,
        ),
        _rule(
            "illinois_agricultural",
            "30 ILCS 500/45-50; 44 Ill. Adm. Code 500.1195",
            "Agricultural products grown in Illinois: a preference set by the solicitation.",
            "price_percent",
            for_purchases_of="agricultural_products",
        ),
        _rule(
            "corn_based_plastics",
            "30 ILCS 500/45-55; 44 Ill. Adm. Code 500.1197",
            "Plastic products made from Illinois corn by-products: a preference set by the "
            "solicitation.",
            "price_percent",
            for_purchases_of="plastic_products",
        ),
        _rule(
            "agricultural_fuel_vehicles",
            "30 ILCS 500/45-60",
            "Vehicles powered by ethanol from Illinois corn or biodiesel from Illinois "
            "soybeans: a preference set by the solicitation.",
            "price_percent",
            for_purchases_of="vehicles",
        ),
        _rule(
            "state_use_nfp",
            "30 ILCS 500/45-35(c-5)",
            "Items produced by persons with significant disabilities in qualified not-for-"
            "profit agencies: a preference set by the solicitation.",
            "price_percent",
        ),
        _rule(
            "veteran_owned",
            "30 ILCS 500/45-57; 44 Ill. Adm. Code 500.1199",
            "Veteran-owned and service-disabled veteran-owned small businesses: a preference "
            "set by the solicitation.",
            "price_percent",
        ),
        _rule(
            "local_farm_food",
            "30 ILCS 595/10(c)",
            "Local farm or food products: preferred when not more than 10% greater than a bid "
            "that is not for local farm or food products.",
            "price_percent",
            fixed_percent="10",
            for_purchases_of="food",
        ),
        _rule(
            "illinois_coal",
            "30 ILCS 555/1",
            "Coal mined in Illinois: purchased when not more than 10% greater than coal mined "
            "in any other state, transportation included; required wherever coal is bought "
            "for fuel.",
            "price_percent",
            fixed_percent="10",
            for_purchases_of="coal",
            duty=True,
        ),
    )
}


def _cents(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP, context=_CONTEXT)


def _pct(value: Decimal) -> str:
    """A percentage without trailing zeros or exponent: 5, 2.5, 10."""
    return format(value.normalize(_CONTEXT), "f")


def _decimal(value: object, what: str) -> Decimal:
    """A finite Decimal from a Decimal, int or numeric string (a float through its repr)."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | float | str):
        raise ValueError(f"{what} must be a number, not {value!r}")
    try:
        result = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{what} must be a number, not {value!r}") from None
    if not result.is_finite():
        raise ValueError(f"{what} must be a finite number, not {value!r}")
    return result


def _state(value: str, what: str) -> str:
    if not (isinstance(value, str) and len(value) == 2 and value.isascii() and value.isalpha()):
        raise ValueError(f"{what} must be a two-letter state code, not {value!r}")
    return value.upper()


@dataclass(frozen=True)
class BidderClaims:
    """What the bidder claims in its bid; a claim counts only for an enabled preference.

    ``resident``: an Illinois resident vendor (30 ILCS 500/45-10(b); 44 Ill. Adm. Code
    1.4510(a)). ``home_state``: the two-letter state of a non-resident bidder, for reciprocity
    (45-10(a)); stored upper-case. The other fields claim the preference of the same name in
    :data:`PREFERENCES`.
    """

    # The API takes these claims as they are: a misspelt claim is refused, not dropped.
    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid"}

    resident: bool = False
    home_state: str | None = None
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

    def __post_init__(self) -> None:
        for f in fields(self):
            if f.name != "home_state" and not isinstance(getattr(self, f.name), bool):
                raise TypeError(f"claims.{f.name} must be a bool, not {getattr(self, f.name)!r}")
        if self.home_state is not None:
            object.__setattr__(self, "home_state", _state(self.home_state, "claims.home_state"))

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> BidderClaims:
        if not isinstance(d, Mapping):
            raise ValueError(f"bidder claims must be an object, not {d!r}")
        # A misspelt claim would silently lose a preference: refuse it.
        unknown = set(d) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown keys in bidder claims: {sorted(unknown)}")
        try:
            return cls(**d)
        except TypeError as error:
            raise ValueError(str(error)) from None

    def claimed(self, preference: str) -> bool:
        """Whether the bid claims ``preference`` (a price or recycled preference)."""
        return bool(getattr(self, preference, False))


# Each non-reciprocal preference is claimed by the BidderClaims field of its name.
assert all(
    name in {f.name for f in fields(BidderClaims)}
    for name, rule in PREFERENCES.items()
    if rule.kind != "reciprocal"
)


@dataclass(frozen=True)
class PreferenceSettings:
    """What the solicitation enables; no preference applies unless enabled.

    ``percentages`` gives the percent of a ``price_percent`` preference that has no
    ``fixed_percent`` (e.g. environmentally_preferable, at most 10 under 45-26(b)).
    ``federal_funds_conflict``: federal funds are available and reciprocity may conflict with
    federal law, so 45-10 does not apply (30 ILCS 500/45-10(c); 44 Ill. Adm. Code 1.4510(e)).
    ``purchases``: what the contract buys, among :data:`PURCHASES`, where a preference is
    limited to it. Check :meth:`problems` before use; :func:`evaluate_bids` refuses settings
    that have any.
    """

    enabled: frozenset[str] = frozenset()
    percentages: Mapping[str, Decimal] = field(default_factory=dict)
    federal_funds_conflict: bool = False
    purchases: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if isinstance(self.enabled, str) or not all(isinstance(n, str) for n in self.enabled):
            raise TypeError(f"enabled must be a set of preference names, not {self.enabled!r}")
        object.__setattr__(self, "enabled", frozenset(self.enabled))
        if isinstance(self.purchases, str) or not all(isinstance(n, str) for n in self.purchases):
            raise TypeError(f"purchases must be a set of names, not {self.purchases!r}")
        object.__setattr__(self, "purchases", frozenset(self.purchases))
        if not isinstance(self.percentages, Mapping):
            raise TypeError(f"percentages must be a mapping, not {self.percentages!r}")
        percentages = {
            str(name): _decimal(value, f"percentages.{name}")
            for name, value in self.percentages.items()
        }
        object.__setattr__(self, "percentages", MappingProxyType(percentages))
        if not isinstance(self.federal_funds_conflict, bool):
            raise TypeError(
                f"federal_funds_conflict must be a bool, not {self.federal_funds_conflict!r}"
            )

    def percent(self, name: str) -> Decimal | None:
        """The percent a price preference applies with: the statute's, else the solicitation's."""
        rule = PREFERENCES[name]
        if rule.fixed_percent is not None:
            return rule.fixed_percent
        return self.percentages.get(name)

    @property
    def active(self) -> frozenset[str]:
        """The preferences that apply: those enabled, and every duty the purchase brings."""
        duties = {
            name
            for name, rule in PREFERENCES.items()
            if rule.duty and rule.for_purchases_of in self.purchases
        }
        return self.enabled | duties

    def scope_problem(self, name: str, category: str | None, office: str | None) -> str | None:
        """Why preference ``name`` is outside its statute's scope for this contract, if it is."""
        rule = PREFERENCES[name]
        if rule.for_purchases_of is not None and rule.for_purchases_of not in self.purchases:
            return (
                f"{name} applies only to contracts for {PURCHASES[rule.for_purchases_of]}; "
                f"add {rule.for_purchases_of!r} to 'purchases' if this contract is one "
                f"({rule.citation})"
            )
        if category == "construction" and office in rule.not_for_construction_by:
            return f"{name} does not apply to construction procured by {office} ({rule.citation})"
        return None

    def scope_problems(self, category: str, office: str) -> list[str]:
        """Every enabled preference outside its statute's scope for a contract of ``category``
        procured by ``office``, and every unknown purchase; checked at launch, each naming its
        field and section."""
        problems = [
            f"purchases: unknown {purchase!r}; known are " + ", ".join(PURCHASES)
            for purchase in sorted(self.purchases - set(PURCHASES))
        ]
        for name in sorted(self.enabled & set(PREFERENCES)):
            outside = self.scope_problem(name, category, office)
            if outside is not None:
                problems.append(f"enabled: {outside}")
        return problems

    def problems(self) -> list[str]:
        """Why these settings cannot be used; empty when they can. Each names its field."""
        problems: list[str] = []
        for name in sorted(self.enabled):
            if name not in PREFERENCES:
                problems.append(
                    f"enabled: unknown preference {name!r}; known are "
                    + ", ".join(PREFERENCES)
                    + " (30 ILCS 500/Art. 45)"
                )
                continue
            rule = PREFERENCES[name]
            if (
                rule.kind == "price_percent"
                and rule.fixed_percent is None
                and name not in self.percentages
            ):
                problems.append(
                    f"percentages.{name}: the preference is enabled but the solicitation "
                    f"sets no percent ({rule.citation})"
                )
        for name, value in sorted(self.percentages.items()):
            rule_or_none = PREFERENCES.get(name)
            if rule_or_none is None:
                problems.append(f"percentages.{name}: unknown preference (30 ILCS 500/Art. 45)")
                continue
            rule = rule_or_none
            if rule.kind != "price_percent":
                problems.append(
                    f"percentages.{name}: {name} is not a price preference and takes no percent "
                    f"({rule.citation})"
                )
            elif rule.fixed_percent is not None:
                if value != rule.fixed_percent:
                    problems.append(
                        f"percentages.{name}: the statute fixes {_pct(rule.fixed_percent)}%, "
                        f"not {_pct(value)}% ({rule.citation})"
                    )
            elif value <= 0:
                problems.append(
                    f"percentages.{name}: a price preference must be more than 0%, not "
                    f"{_pct(value)}% ({rule.citation})"
                )
            elif rule.max_percent is not None and value > rule.max_percent:
                problems.append(
                    f"percentages.{name}: {_pct(value)}% is more than the {_pct(rule.max_percent)}% "
                    f"allowed ({rule.citation})"
                )
        return problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "enabled": sorted(self.enabled),
            "percentages": {k: str(v) for k, v in sorted(self.percentages.items())},
            "federal_funds_conflict": self.federal_funds_conflict,
            "purchases": sorted(self.purchases),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PreferenceSettings:
        if not isinstance(d, Mapping):
            raise ValueError(f"preference settings must be an object, not {d!r}")
        unknown = set(d) - {"enabled", "percentages", "federal_funds_conflict", "purchases"}
        if unknown:
            raise ValueError(f"unknown keys in preference settings: {sorted(unknown)}")
        enabled = d.get("enabled", ())
        if isinstance(enabled, str | bytes | Mapping) or not all(
            isinstance(n, str) for n in enabled
        ):
            raise ValueError(f"enabled must be a list of preference names, not {enabled!r}")
        percentages = d.get("percentages", {})
        if not isinstance(percentages, Mapping):
            raise ValueError(f"percentages must be an object, not {percentages!r}")
        conflict = d.get("federal_funds_conflict", False)
        if not isinstance(conflict, bool):
            raise ValueError(f"federal_funds_conflict must be true or false, not {conflict!r}")
        purchases = d.get("purchases", ())
        if isinstance(purchases, str | bytes | Mapping) or not all(
            isinstance(n, str) for n in purchases
        ):
            raise ValueError(f"purchases must be a list of names, not {purchases!r}")
        return cls(
            enabled=frozenset(enabled),
            purchases=frozenset(purchases),
            percentages={str(k): _decimal(v, f"percentages.{k}") for k, v in percentages.items()},
            federal_funds_conflict=conflict,
        )


@dataclass(frozen=True)
class BidInput:
    """An opened bid: ``amount`` as bid, ``bid_credit`` the Illinois Works bid credit earned
    and applied to it (30 ILCS 500/20-10(d)), what the bidder claims, and ``freight``, the
    transportation stated apart where the contract buys coal (30 ILCS 555/1: the cost compared
    is "including the cost of transportation")."""

    bid_id: str
    vendor: str
    amount: Decimal
    bid_credit: Decimal = Decimal("0")
    claims: BidderClaims = BidderClaims()
    freight: Decimal = Decimal("0")


@dataclass(frozen=True)
class Adjustment:
    """One preference considered for one bid.

    ``effect`` is the signed change to the evaluated amount, in cents (0 when not applied, or
    when the preference only breaks ties); ``note`` says why it applied or not.
    """

    preference: str
    citation: str
    applied: bool
    effect: Decimal
    note: str


@dataclass(frozen=True)
class EvaluatedBid:
    """A bid after preferences. ``rank`` is dense: 1 is the lowest ``evaluated_amount``, and
    equal evaluated amounts share a rank (a tie under 44 Ill. Adm. Code 1.2037(a))."""

    bid_id: str
    vendor: str
    amount: Decimal
    bid_credit: Decimal
    adjustments: tuple[Adjustment, ...]
    evaluated_amount: Decimal
    rank: int
    claims: BidderClaims
    freight: Decimal = Decimal("0")


def _check_bids(bids: Sequence[BidInput]) -> None:
    seen: set[str] = set()
    for i, bid in enumerate(bids):
        if not isinstance(bid, BidInput):
            raise TypeError(f"bids[{i}] must be a BidInput, not {bid!r}")
        if not (isinstance(bid.bid_id, str) and bid.bid_id):
            raise ValueError(f"bids[{i}].bid_id must be a non-empty string")
        if bid.bid_id in seen:
            raise ValueError(f"bids[{i}].bid_id {bid.bid_id!r} appears twice")
        seen.add(bid.bid_id)
        for name in ("amount", "bid_credit", "freight"):
            value = getattr(bid, name)
            if not (isinstance(value, Decimal) and value.is_finite() and value >= 0):
                raise ValueError(f"bids[{i}].{name} must be a finite Decimal >= 0, not {value!r}")
        if bid.bid_credit > bid.amount:
            raise ValueError(
                f"bids[{i}].bid_credit {bid.bid_credit} is more than the amount {bid.amount} "
                f"({BID_CREDIT})"
            )
        if not isinstance(bid.claims, BidderClaims):
            raise TypeError(f"bids[{i}].claims must be BidderClaims, not {bid.claims!r}")


def _reciprocity(
    bid: BidInput,
    running: Decimal,
    settings: PreferenceSettings,
    table: Mapping[str, Decimal],
    resident_bidding: bool,
) -> tuple[Decimal, Adjustment] | None:
    """30 ILCS 500/45-10(a); 44 Ill. Adm. Code 1.4510(c): add the non-resident's home-state
    preference to its bid when an Illinois resident is bidding. None for a resident's bid."""
    rule = PREFERENCES[RESIDENT_RECIPROCITY]
    if bid.claims.resident:
        return None

    def skipped(note: str) -> tuple[Decimal, Adjustment]:
        return running, Adjustment(rule.name, rule.citation, False, _ZERO, note)

    if settings.federal_funds_conflict:
        return skipped(
            "not applied: federal funds are available and the preference may conflict with "
            f"federal law ({RECIPROCITY_FEDERAL_FUNDS})"
        )
    if not resident_bidding:
        return skipped("not applied: no Illinois resident vendor is among the bids (45-10(a))")
    state = bid.claims.home_state
    if state is None:
        return skipped("not applied: the bid names no home state for the non-resident (45-10(a))")
    percent = table.get(state, _ZERO)
    if percent <= 0:
        return skipped(f"not applied: {state} gives its resident bidders no preference (45-10(a))")
    after = _CONTEXT.multiply(running, _CONTEXT.add(1, _CONTEXT.divide(percent, _HUNDRED)))
    effect = _CONTEXT.subtract(_cents(after), _cents(running))
    note = (
        f"applied: {state} gives its resident bidders a {_pct(percent)}% preference and an "
        f"Illinois resident vendor is bidding, so {_pct(percent)}% is added: "
        f"{_cents(running)} -> {_cents(after)} (45-10(a))"
    )
    return after, Adjustment(rule.name, rule.citation, True, effect, note)


def _price_percent(
    rule: PreferenceRule, running: Decimal, percent: Decimal, largest: bool
) -> tuple[Decimal, Adjustment]:
    """A "not more than p% greater" preference held by the bid (45-26(b), 45-75, 45-50, 45-55,
    45-60, 45-35(c-5), 45-57, 595/10(c), 555/1). Only the largest a bid holds changes the
    amount shown; the others still count against bids that lack them (see the module)."""
    if not largest:
        note = (
            f"applied: {_pct(percent)}% against bids without it; against a bid lacking a larger "
            f"preference this bid also holds, only the larger counts (preferences do not "
            f"compound) ({rule.citation})"
        )
        return running, Adjustment(rule.name, rule.citation, True, _ZERO, note)
    divisor = _CONTEXT.add(1, _CONTEXT.divide(percent, _HUNDRED))
    after = _CONTEXT.divide(running, divisor)
    effect = _CONTEXT.subtract(_cents(after), _cents(running))
    note = (
        f"applied: {_pct(percent)}% preference, {_cents(running)} / {_pct(divisor)} = "
        f"{_cents(after)} ({rule.citation})"
    )
    return after, Adjustment(rule.name, rule.citation, True, effect, note)


@dataclass(frozen=True)
class _Standing:
    """What one bid brings to the comparison: its cost (amount less credit), the price
    preferences it holds with their percents, and the reciprocal percent its home state
    imposes on it (0 when reciprocity does not apply to it)."""

    bid: BidInput
    cost: Decimal
    held: Mapping[str, Decimal]
    reciprocal: Decimal


def _margin(a: _Standing, b: _Standing) -> Decimal:
    """The percent by which ``a`` may cost more than ``b`` and still be preferred: the largest
    preference ``a`` holds that ``b`` lacks, or, for an Illinois resident against a non-resident,
    the preference the non-resident's state gives its own (45-10(a)). Not a sum: each statute
    caps what the State pays for what it prefers, and nothing in the Code adds one to another."""
    margins = [pct for name, pct in a.held.items() if name not in b.held]
    if a.bid.claims.resident and b.reciprocal > 0:
        margins.append(b.reciprocal)
    return max(margins, default=_ZERO)


def _within(a: _Standing, b: _Standing, margin: Decimal) -> bool:
    """``a.cost`` is "not more than" ``margin`` percent greater than ``b.cost``, compared
    exactly: a.cost * 100 <= b.cost * (100 + margin), no division, no rounding."""
    return _CONTEXT.multiply(a.cost, _HUNDRED) <= _CONTEXT.multiply(
        b.cost, _CONTEXT.add(_HUNDRED, margin)
    )


def _precedes(a: _Standing, b: _Standing) -> bool | None:
    """True when ``a`` is the better bid, False when ``b`` is, None when they tie.

    At the boundary a preference wins outright: "not more than 5% greater" includes 5%
    (45-75, 595/10(c), 555/1, 45-26(b)). Two bids tie only when identical in price and neither
    holds a preference over the other (44 Ill. Adm. Code 1.2037(a)); when each holds one the
    other lacks and each is within its own, the lower price is the better."""
    margin_a, margin_b = _margin(a, b), _margin(b, a)
    a_ok, b_ok = _within(a, b, margin_a), _within(b, a, margin_b)
    if a_ok != b_ok:
        return a_ok
    if margin_a > 0 and margin_b == 0:
        return True
    if margin_b > 0 and margin_a == 0:
        return False
    if a.cost == b.cost:
        return None
    return a.cost < b.cost


def _profile(s: _Standing) -> tuple[frozenset[tuple[str, Decimal]], bool, Decimal]:
    """What a bid's margins against any other depend on (see :func:`_margin`)."""
    return frozenset(s.held.items()), s.bid.claims.resident, s.reciprocal


def _wins(s: _Standing, group: Sequence[_Standing]) -> int:
    """How many bids of ``group`` (bids of one profile, by ascending cost) ``s`` is better than.

    Against bids of one profile the margins are fixed, so as the other bid's cost rises,
    "better than it" turns from false to true once and stays true: a binary search finds where.
    ``s`` is never better than itself (identical price, no margin: a tie)."""
    lo, hi = 0, len(group)
    while lo < hi:
        mid = (lo + hi) // 2
        if _precedes(s, group[mid]) is True:
            hi = mid
        else:
            lo = mid + 1
    return len(group) - lo


def _ranked(standings: list[_Standing]) -> list[tuple[_Standing, int]]:
    """Dense ranks from the pairwise comparison: ordered by how many bids each is better than
    (the same as the comparison itself whenever it is transitive, as it is without crossing
    preferences), then by cost and bid id; a bid shares its predecessor's rank only when the
    two tie. Counted per profile of preferences with a binary search, so a large opening
    costs n log n comparisons, not n squared."""
    groups: dict[tuple[frozenset[tuple[str, Decimal]], bool, Decimal], list[_Standing]] = {}
    for s in standings:
        groups.setdefault(_profile(s), []).append(s)
    for group in groups.values():
        group.sort(key=lambda o: o.cost)
    wins = {s.bid.bid_id: sum(_wins(s, g) for g in groups.values()) for s in standings}
    order = sorted(standings, key=lambda s: (-wins[s.bid.bid_id], s.cost, s.bid.bid_id))
    ranked: list[tuple[_Standing, int]] = []
    for s in order:
        if ranked:
            last, rank = ranked[-1]
            tied = wins[last.bid.bid_id] == wins[s.bid.bid_id] and _precedes(last, s) is None
            ranked.append((s, rank if tied else rank + 1))
        else:
            ranked.append((s, 1))
    return ranked


def evaluate_bids(
    bids: Sequence[BidInput],
    settings: PreferenceSettings,
    reciprocal: Mapping[str, Decimal],
) -> list[EvaluatedBid]:
    """Each bid's evaluated amount after bid credit and preferences, densely ranked (1 is the
    best: the bid 30 ILCS 500/20-10(g) awards to, if responsive and responsible), sorted by
    rank then bid id. ``reciprocal`` is the state table in force (``rules.reciprocity``).

    The ranks come from comparing bids two by two, exactly (see :func:`_precedes`); the
    evaluated amount shows a bid as compared with one that holds none of its preferences.

    Raises ValueError when ``settings.problems()`` is not empty, when a bid id repeats, or
    when an amount or credit is negative or a credit exceeds its amount.
    """
    problems = settings.problems()
    if problems:
        raise ValueError("preference settings cannot be used: " + "; ".join(problems))
    _check_bids(bids)
    table = {
        _state(state, "reciprocal key"): _decimal(v, f"reciprocal[{state!r}]")
        for state, v in reciprocal.items()
    }
    enabled = settings.active
    resident_bidding = any(b.claims.resident for b in bids)

    standings: list[_Standing] = []
    shown: dict[str, tuple[Decimal, dict[str, Adjustment]]] = {}
    for bid in bids:
        # 30 ILCS 500/20-10(d): less the bid credit; 30 ILCS 555/1: with the transportation.
        cost = _CONTEXT.add(_CONTEXT.subtract(bid.amount, bid.bid_credit), bid.freight)
        running = cost
        made: dict[str, Adjustment] = {}
        reciprocal_pct = _ZERO
        if RESIDENT_RECIPROCITY in enabled:
            result = _reciprocity(bid, running, settings, table, resident_bidding)
            if result is not None:
                running, made[RESIDENT_RECIPROCITY] = result
                if made[RESIDENT_RECIPROCITY].applied:
                    reciprocal_pct = table[bid.claims.home_state or ""]
        held = {
            name: settings.percent(name) or _ZERO
            for name, rule in PREFERENCES.items()
            if rule.kind == "price_percent" and name in enabled and bid.claims.claimed(name)
        }
        largest = max(held, key=lambda n: (held[n], n), default=None)
        for name in held:
            running, made[name] = _price_percent(
                PREFERENCES[name], running, held[name], name == largest
            )
        standings.append(_Standing(bid, cost, MappingProxyType(held), reciprocal_pct))
        shown[bid.bid_id] = (_cents(running), made)

    recycled_rule = PREFERENCES[RECYCLED]
    if recycled_rule.name in enabled:
        others = [s for s in standings if not s.bid.claims.claimed(recycled_rule.name)]
        for s in standings:
            if s.bid.claims.claimed(recycled_rule.name):
                shown[s.bid.bid_id][1][recycled_rule.name] = _recycled(
                    recycled_rule, s.cost, [(o.bid, o.cost) for o in others]
                )

    evaluated = [
        EvaluatedBid(
            bid_id=s.bid.bid_id,
            vendor=s.bid.vendor,
            amount=s.bid.amount,
            bid_credit=s.bid.bid_credit,
            adjustments=tuple(
                shown[s.bid.bid_id][1][name]
                for name in PREFERENCES
                if name in shown[s.bid.bid_id][1]
            ),
            evaluated_amount=shown[s.bid.bid_id][0],
            rank=rank,
            claims=s.bid.claims,
            freight=s.bid.freight,
        )
        for s, rank in _ranked(standings)
    ]
    return sorted(evaluated, key=lambda e: (e.rank, e.bid_id))


def _recycled(
    rule: PreferenceRule, amount: Decimal, others: Sequence[tuple[BidInput, Decimal]]
) -> Adjustment:
    """30 ILCS 500/45-20: preferred "provided that the cost included in the bid of supplies
    is equal or less than other bids"; no change of price, so it decides only ties."""
    higher = [(bid, other) for bid, other in others if amount > other]
    if not higher:
        if others:
            lowest = min(other for _, other in others)
            note = (
                f"applied: recycled bid {amount} is equal to or less than every bid without "
                f"recycled supplies (lowest {lowest}); it is preferred in a tie (45-20)"
            )
        else:
            note = "applied: no bid without recycled supplies to compare with (45-20)"
        return Adjustment(rule.name, rule.citation, True, _ZERO, note)
    lowest = min(other for _, other in higher)
    return Adjustment(
        rule.name,
        rule.citation,
        False,
        _ZERO,
        f"not applied: recycled bid {amount} is higher than {lowest} "
        "(45-20 requires equal or less)",
    )


@dataclass(frozen=True)
class TieCandidate:
    """A bid tied for the award. ``resident``: an Illinois resident vendor (44 Ill. Adm. Code
    1.4510(a)). ``recycled``: the recycled-supplies preference *applied* to the bid (its
    :class:`Adjustment` has ``applied``), not merely claimed."""

    bid_id: str
    vendor: str
    resident: bool
    recycled: bool = False

    @classmethod
    def from_evaluated(cls, bid: EvaluatedBid) -> TieCandidate:
        recycled = any(a.preference == RECYCLED and a.applied for a in bid.adjustments)
        return cls(bid.bid_id, bid.vendor, bid.claims.resident, recycled)


@dataclass(frozen=True)
class TieResolution:
    """How a tie was broken. ``tied`` is the tied bid ids, sorted; ``draw`` records a lot."""

    tied: tuple[str, ...]
    rule: Literal["recycled", "resident", "lot"]
    winner: str
    citation: str
    note: str
    draw: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The record of the tie kept with the procurement and shown with its award."""
        return {
            "tied": list(self.tied),
            "rule": self.rule,
            "winner": self.winner,
            "citation": self.citation,
            "note": self.note,
            "draw": self.draw,
        }


def _lot_key(seed: str, bid_id: str) -> str:
    return hashlib.sha256(f"{seed}:{bid_id}".encode()).hexdigest()


def _named(candidates: Sequence[TieCandidate]) -> str:
    return ", ".join(f"{c.vendor} ({c.bid_id})" for c in candidates)


def _only_resident(
    tied_ids: tuple[str, ...],
    candidates: Sequence[TieCandidate],
    steps: list[str],
    cited: list[str],
) -> TieResolution | None:
    """1.2037(b)(1): the award to the only Illinois resident vendor among the tied."""
    residents = [c for c in candidates if c.resident]
    if len(residents) != 1:
        return None
    only = residents[0]
    return TieResolution(
        tied=tied_ids,
        rule="resident",
        winner=only.bid_id,
        citation="; ".join([*cited, TIE_RESIDENT]),
        note=" ".join(
            [*steps, f"Only {only.vendor} among the tied is an Illinois resident vendor."]
        ),
    )


def resolve_tie(
    tied: Sequence[TieCandidate], seed: str, *, resident_first: bool = True
) -> TieResolution:
    """The winner among bids tied at the best evaluated standing (44 Ill. Adm. Code 1.2037).

    In order:

    1. Residency (1.2037(b)(1), 1.4510(b)): if the tied vendors include only one Illinois
       resident vendor, it is given the award, rule "resident". Nothing comes before it: the
       rule's other steps apply only "in all other situations".
    2. Recycled supplies (30 ILCS 500/45-20): when some of the tied have the recycled
       preference applied and some not, those without drop out; if one is left it wins, rule
       "recycled".
    3. Lot (1.2037(b)(2)): the rest are ordered by ``sha256(seed + ":" + bid_id)`` hex,
       ascending, and the first wins; ``draw`` records the seed and the drawn order. The same
       seed and candidates give the same winner in any input order, so a replay draws alike.

    1.2037(b)(2)(A) and (B) let the SPO instead award to one vendor in the State's best
    interest, or split the award with the vendors' consent, in the situations of step 3 only.
    Those determinations are the caller's, made instead of this lot; they are not decided here.

    ``resident_first=False`` keeps the order of rules 2026.1 (recycled supplies before
    residency), for procurements pinned to them.

    Raises ValueError with fewer than two candidates, a repeated bid id, or an empty seed.
    """
    if len(tied) < 2:
        raise ValueError(f"a tie needs at least two bids, not {len(tied)} (1.2037(a))")
    if not (isinstance(seed, str) and seed):
        raise ValueError("seed must be a non-empty string")
    ids = [c.bid_id for c in tied]
    if len(set(ids)) != len(ids):
        raise ValueError(f"tied bid ids repeat: {sorted(ids)}")
    candidates = sorted(tied, key=lambda c: c.bid_id)
    tied_ids = tuple(c.bid_id for c in candidates)
    steps: list[str] = []
    cited: list[str] = []

    if resident_first:
        only_resident = _only_resident(tied_ids, candidates, steps, cited)
        if only_resident is not None:
            return only_resident

    recycled = [c for c in candidates if c.recycled]
    if recycled and len(recycled) < len(candidates):
        dropped = [c for c in candidates if not c.recycled]
        candidates = recycled
        cited.append(TIE_RECYCLED)
        if len(candidates) == 1:
            only = candidates[0]
            return TieResolution(
                tied=tied_ids,
                rule="recycled",
                winner=only.bid_id,
                citation="; ".join(cited),
                note=" ".join(
                    [
                        *steps,
                        f"Only {only.vendor} among the tied will fulfill the contract with "
                        "recycled supplies at a cost equal or less, so it is preferred over "
                        f"{_named(dropped)} (45-20).",
                    ]
                ),
            )
        steps.append(
            f"{_named(dropped)} dropped out: no recycled supplies at an equal or lower cost "
            "(45-20)."
        )

    if not resident_first:
        only_resident = _only_resident(tied_ids, candidates, steps, cited)
        if only_resident is not None:
            return only_resident
    residents = [c for c in candidates if c.resident]
    order = sorted(candidates, key=lambda c: (_lot_key(seed, c.bid_id), c.bid_id))
    residency = (
        "none of the tied is an Illinois resident vendor"
        if not residents
        else f"{len(residents)} of the tied are Illinois resident vendors"
    )
    steps.append(
        f"Awarded by lot because {residency}: drawn order {_named(order)}; "
        f"{order[0].vendor} is first. The SPO may instead determine an award in the State's "
        "best interest or a split award (1.2037(b)(2)(A), (B))."
    )
    return TieResolution(
        tied=tied_ids,
        rule="lot",
        winner=order[0].bid_id,
        citation="; ".join([*cited, TIE_LOT]),
        note=" ".join(steps),
        draw={"seed": seed, "order": [c.bid_id for c in order], "method": "sha256"},
    )
