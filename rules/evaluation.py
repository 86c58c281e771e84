"""Evaluates opened sealed bids after the Article 45 preferences and breaks tie bids.

30 ILCS 500/20-10(g): the contract goes to "the lowest responsible and responsive bidder",
which is the lowest bid *after* the preferences the solicitation carries. This module turns
the opened bids into evaluated amounts and dense ranks (:func:`evaluate_bids`) and resolves a
tie among the lowest (:func:`resolve_tie`).

Evaluation of one bid (money is :class:`decimal.Decimal`; the running amount is kept exact and
rounded to cents, ROUND_HALF_UP, only once at the end of the bid's evaluation):

1. Start at ``amount - bid_credit``: the Illinois Works bid credit earned and applied
   (30 ILCS 500/20-10(d)).
2. Then, for each preference the solicitation enables (:class:`PreferenceSettings`), in the
   order of :data:`PREFERENCES`:

   * ``reciprocal`` (30 ILCS 500/45-10(a); 44 Ill. Adm. Code 1.4510(c)): when an Illinois
     resident vendor is among the bids, a non-resident bid from a state that prefers its own
     residents is increased by that state's percentage (the table of
     ``rules/data/reciprocal_preferences.json``). Not under 45-10(c) when federal funds are
     available and the preference may conflict with federal law.
   * ``cost_equal_or_less`` (30 ILCS 500/45-20, recycled supplies): no change of price; the
     preference is applied only when the bid costs no more than every other bid, and so it
     only ever decides a tie.
   * ``price_percent`` (45-26(b), 45-75, 45-50, 45-55, 45-60, 45-35(c-5), 45-57,
     30 ILCS 595/10(c), 30 ILCS 555/1): a preferred bid wins when it is "not more than p%
     greater", so it is evaluated as ``amount / (1 + p/100)``. Several apply in turn.

Every :class:`Adjustment` carries the citation of its preference. Its ``effect`` is the change
of the cent-rounded running amount, so ``round(amount - bid_credit) + sum(effects)`` always
equals ``evaluated_amount`` exactly.

Pass only the bids still in the running (responsive and responsible). Reciprocity depends on
whether a resident is bidding and recycled supplies on the other bids' prices, so when a bid
is later rejected the remaining bids are evaluated again.

Everything here is pure except :func:`load_reciprocal_preferences`, which reads the data file.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from rules import citations

DEFAULT_RECIPROCAL_PATH = Path(__file__).parent / "data" / "reciprocal_preferences.json"

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
    to 10%").
    """

    name: str
    citation: str
    description: str
    kind: PreferenceKind
    fixed_percent: Decimal | None = None
    max_percent: Decimal | None = None


def _rule(
    name: str,
    citation: str,
    description: str,
    kind: PreferenceKind,
    fixed_percent: str | None = None,
    max_percent: str | None = None,
) -> PreferenceRule:
    return PreferenceRule(
        name=name,
        citation=citation,
        description=description,
        kind=kind,
        fixed_percent=None if fixed_percent is None else Decimal(fixed_percent),
        max_percent=None if max_percent is None else Decimal(max_percent),
    )


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
        ),
        _rule(
            "illinois_agricultural",
            "30 ILCS 500/45-50; 44 Ill. Adm. Code 500.1195",
            "Agricultural products grown in Illinois: a preference set by the solicitation.",
            "price_percent",
        ),
        _rule(
            "corn_based_plastics",
            "30 ILCS 500/45-55; 44 Ill. Adm. Code 500.1197",
            "Plastic products made from Illinois corn by-products: a preference set by the "
            "solicitation.",
            "price_percent",
        ),
        _rule(
            "agricultural_fuel_vehicles",
            "30 ILCS 500/45-60",
            "Vehicles powered by ethanol from Illinois corn or biodiesel from Illinois "
            "soybeans: a preference set by the solicitation.",
            "price_percent",
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
        ),
        _rule(
            "illinois_coal",
            "30 ILCS 555/1",
            "Coal mined in Illinois: purchased when not more than 10% greater than coal mined "
            "in any other state, transportation included.",
            "price_percent",
            fixed_percent="10",
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
    Check :meth:`problems` before use; :func:`evaluate_bids` refuses settings that have any.
    """

    enabled: frozenset[str] = frozenset()
    percentages: Mapping[str, Decimal] = field(default_factory=dict)
    federal_funds_conflict: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.enabled, str) or not all(isinstance(n, str) for n in self.enabled):
            raise TypeError(f"enabled must be a set of preference names, not {self.enabled!r}")
        object.__setattr__(self, "enabled", frozenset(self.enabled))
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
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PreferenceSettings:
        if not isinstance(d, Mapping):
            raise ValueError(f"preference settings must be an object, not {d!r}")
        unknown = set(d) - {"enabled", "percentages", "federal_funds_conflict"}
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
        return cls(
            enabled=frozenset(enabled),
            percentages={str(k): _decimal(v, f"percentages.{k}") for k, v in percentages.items()},
            federal_funds_conflict=conflict,
        )


@dataclass(frozen=True)
class BidInput:
    """An opened bid: ``amount`` as bid, ``bid_credit`` the Illinois Works bid credit earned
    and applied to it (30 ILCS 500/20-10(d)), and what the bidder claims."""

    bid_id: str
    vendor: str
    amount: Decimal
    bid_credit: Decimal = Decimal("0")
    claims: BidderClaims = BidderClaims()


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


def load_reciprocal_preferences(path: Path | None = None) -> dict[str, Decimal]:
    """The percent preference each state gives its own residents (30 ILCS 500/45-10(a);
    44 Ill. Adm. Code 1.4510(c)), by upper-case two-letter state; 0 means none.

    Reads ``rules/data/reciprocal_preferences.json`` unless given another ``path``.
    """
    source = DEFAULT_RECIPROCAL_PATH if path is None else path
    data = json.loads(source.read_text(encoding="utf-8"))
    if not isinstance(data, Mapping) or not isinstance(data.get("states"), Mapping):
        raise ValueError(f"{source}: expected an object with a 'states' object")
    table: dict[str, Decimal] = {}
    for state, value in data["states"].items():
        code = _state(state, f"{source}: states key")
        percent = _decimal(value, f"{source}: states.{state}")
        if percent < 0:
            raise ValueError(f"{source}: states.{state} must not be negative, not {value!r}")
        if code in table:
            raise ValueError(f"{source}: state {code} is listed twice")
        table[code] = percent
    return table


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
        for name in ("amount", "bid_credit"):
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
    rule: PreferenceRule, running: Decimal, percent: Decimal
) -> tuple[Decimal, Adjustment]:
    """A "not more than p% greater" preference: the bid is evaluated as amount / (1 + p/100)
    (45-26(b), 45-75, 45-50, 45-55, 45-60, 45-35(c-5), 45-57, 595/10(c), 555/1)."""
    divisor = _CONTEXT.add(1, _CONTEXT.divide(percent, _HUNDRED))
    after = _CONTEXT.divide(running, divisor)
    effect = _CONTEXT.subtract(_cents(after), _cents(running))
    note = (
        f"applied: {_pct(percent)}% preference, {_cents(running)} / {_pct(divisor)} = "
        f"{_cents(after)} ({rule.citation})"
    )
    return after, Adjustment(rule.name, rule.citation, True, effect, note)


def evaluate_bids(
    bids: Sequence[BidInput],
    settings: PreferenceSettings,
    reciprocal: Mapping[str, Decimal],
) -> list[EvaluatedBid]:
    """Each bid's evaluated amount after bid credit and preferences, densely ranked (1 is the
    lowest: the bid 30 ILCS 500/20-10(g) awards to, if responsive and responsible), sorted by
    rank then bid id. ``reciprocal`` is the state table of :func:`load_reciprocal_preferences`.

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
    enabled = settings.enabled
    resident_bidding = any(b.claims.resident for b in bids)

    # First pass: every price change. Recycled supplies changes no price, so it is decided in
    # the second pass, against the other bids' evaluated amounts (45-20: "equal or less").
    priced: list[tuple[BidInput, Decimal, dict[str, Adjustment]]] = []
    for bid in bids:
        running = _CONTEXT.subtract(bid.amount, bid.bid_credit)  # 30 ILCS 500/20-10(d)
        made: dict[str, Adjustment] = {}
        for name, rule in PREFERENCES.items():
            if name not in enabled:
                continue
            if rule.kind == "reciprocal":
                result = _reciprocity(bid, running, settings, table, resident_bidding)
                if result is not None:
                    running, made[name] = result
            elif rule.kind == "price_percent" and bid.claims.claimed(name):
                percent = settings.percent(name)
                assert percent is not None  # settings.problems() was empty
                running, made[name] = _price_percent(rule, running, percent)
        priced.append((bid, _cents(running), made))

    recycled_rule = PREFERENCES[RECYCLED]
    others = [
        (bid, amount) for bid, amount, _ in priced if not bid.claims.claimed(recycled_rule.name)
    ]
    if recycled_rule.name in enabled:
        for bid, amount, made in priced:
            if bid.claims.claimed(recycled_rule.name):
                made[recycled_rule.name] = _recycled(recycled_rule, amount, others)

    levels = sorted({amount for _, amount, _ in priced})
    rank_of = {amount: i + 1 for i, amount in enumerate(levels)}
    evaluated = [
        EvaluatedBid(
            bid_id=bid.bid_id,
            vendor=bid.vendor,
            amount=bid.amount,
            bid_credit=bid.bid_credit,
            adjustments=tuple(made[name] for name in PREFERENCES if name in made),
            evaluated_amount=amount,
            rank=rank_of[amount],
            claims=bid.claims,
        )
        for bid, amount, made in priced
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


def resolve_tie(tied: Sequence[TieCandidate], seed: str) -> TieResolution:
    """The winner among bids tied at the lowest evaluated amount (44 Ill. Adm. Code 1.2037).

    In order:

    1. Recycled supplies (30 ILCS 500/45-20): when some tied bids have the recycled preference
       applied and some not, those without drop out; if one is left it wins, rule "recycled".
    2. Residency (44 Ill. Adm. Code 1.2037(b)(1), 1.4510(b)): if exactly one of those left is
       an Illinois resident vendor, it wins, rule "resident".
    3. Lot (1.2037(b)(2)): the rest are ordered by ``sha256(seed + ":" + bid_id)`` hex,
       ascending, and the first wins; ``draw`` records the seed and the drawn order. The same
       seed and candidates give the same winner in any input order, so a replay draws alike.

    1.2037(b)(2)(A) and (B) let the SPO instead award to one vendor in the State's best
    interest, or split the award with the vendors' consent. Those determinations are the
    caller's, made instead of this lot; they are not decided here.

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
                citation=TIE_RECYCLED,
                note=(
                    f"Only {only.vendor} among the tied will fulfill the contract with recycled "
                    "supplies at a cost equal or less, so it is preferred over "
                    f"{_named(dropped)} (45-20)."
                ),
            )
        steps.append(
            f"{_named(dropped)} dropped out: no recycled supplies at an equal or lower cost "
            "(45-20)."
        )

    residents = [c for c in candidates if c.resident]
    if len(residents) == 1:
        only = residents[0]
        steps.append(f"Only {only.vendor} among the tied is an Illinois resident vendor.")
        return TieResolution(
            tied=tied_ids,
            rule="resident",
            winner=only.bid_id,
            citation="; ".join([*cited, TIE_RESIDENT]),
            note=" ".join(steps),
        )

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
