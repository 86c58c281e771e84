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
