"""The value a small purchase is judged by (44 Ill. Adm. Code 1.2020(b)), in one place.

1.2020(b)(1): the stated price or value "plus any optional supplies and services, determined
in good faith"; "when the value is calculated month-to-month or in a similar fashion, the
amount shall be calculated for a 12 month period". A price by the week counts 52 weeks, by
the quarter 4 quarters, by the half-year 2 halves. 1.2020(b)(2): with only a unit price or
hourly rate, the contract is small, with a not-to-exceed at the limit, so it has no value to
count here.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

# 20-20(d): over this annual value a small purchase carries the Standard Illinois Certifications.
CERTIFICATION_THRESHOLD = Decimal("50000")

Pricing = Literal["fixed", "monthly", "weekly", "quarterly", "semiannual", "unit_price"]

# How many of each period make the 12 months of 1.2020(b)(1).
PERIODS_IN_TWELVE_MONTHS: dict[str, tuple[int, str]] = {
    "monthly": (12, "12 months of the monthly price"),
    "weekly": (52, "52 weeks of the weekly price"),
    "quarterly": (4, "4 quarters of the quarterly price"),
    "semiannual": (2, "2 half-years of the semiannual price"),
}


def counted_value(pricing: str, price: Decimal, options: Decimal | None = None) -> Decimal:
    """The price over 12 months where it is periodic, with the options added."""
    periods = PERIODS_IN_TWELVE_MONTHS.get(pricing, (1, ""))[0]
    return price * periods + (options or Decimal("0"))


def how_counted(pricing: str, options: Decimal | None = None) -> str:
    """Said after a counted value: " (12 months of the monthly price, with options)"."""
    parts = [PERIODS_IN_TWELVE_MONTHS[pricing][1]] if pricing in PERIODS_IN_TWELVE_MONTHS else []
    if options:
        parts.append(f"with options of {options:,.2f}")
    return f" ({', '.join(parts)})" if parts else ""


# ---- one need, divided? (30 ILCS 500/20-20(a); 44 Ill. Adm. Code 1.2020(d)) ------------------
#
# 20-20(a): "Procurements shall not be artificially divided so as to constitute a small
# purchase"; 1.2020(d): "a repetitive need for small procurements of the same type" goes to the
# SPO. The same type is read three ways, any one of which relates two small purchases of one
# agency: the same description, a shared commodity code, or the same vendor (one need split
# across titles still goes to one supplier). Commodity codes are NIGP codes (class, class-item,
# group, detail: 3, 5, 7 or 11 digits); two codes are of the same type when one's class-item
# (its first 5 digits, or its class where only a class is given) begins the other's.

COMMODITY_CODE_PATTERN = r"^\d{3}(-?\d{2}(-?\d{2}(-?\d{4})?)?)?$"
CLASS_ITEM_DIGITS = 5


def commodity_type(code: str) -> str:
    """The part of an NIGP code two purchases must share: its class-item, or its class."""
    return code.replace("-", "")[:CLASS_ITEM_DIGITS]


def shown_code(digits: str) -> str:
    """An NIGP class-item as it is written: 204-45."""
    return digits if len(digits) <= 3 else f"{digits[:3]}-{digits[3:]}"


def shared_type(ours: frozenset[str], theirs: frozenset[str]) -> str | None:
    """The commodity type two sets of codes have in common, the narrower of the two."""
    for a in sorted(ours):
        for b in sorted(theirs):
            if a.startswith(b) or b.startswith(a):
                return max(a, b, key=len)
    return None


def same_need(
    ours: tuple[str, frozenset[str], str | None], theirs: tuple[str, frozenset[str], str | None]
) -> str | None:
    """Why two small purchases may be one need, or None. Each side is (description key,
    commodity types, vendor casefolded or None)."""
    key, types, vendor = ours
    their_key, their_types, their_vendor = theirs
    if key == their_key:
        return "the same description"
    common = shared_type(types, their_types)
    if common is not None:
        return f"commodity code {shown_code(common)}"
    if vendor and vendor == their_vendor:
        return "the same vendor"
    return None
