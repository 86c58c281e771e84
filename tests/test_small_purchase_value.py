"""The value a small purchase is judged by, worked from 44 Ill. Adm. Code 1.2020(b)(1):
options included in good faith, a price "month-to-month or in a similar fashion" counted for
12 months; at the $100,000.00 limit of 20-20(a), a cent over, a cent under."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest

from rules.small_purchase import (
    COMMODITY_CODE_PATTERN,
    commodity_type,
    counted_value,
    how_counted,
    same_need,
)
from state_machines.launch import launch_refusal
from state_machines.models import LaunchSpec
from tests.driver import notice_body

LIMIT = Decimal("100000.00")
D = Decimal


@pytest.mark.parametrize(
    ("pricing", "price", "options", "counted"),
    [
        ("fixed", "100000.00", None, "100000.00"),
        # 8,333.33 a month x 12 = 99,999.96; 8,333.34 x 12 = 100,000.08.
        ("monthly", "8333.33", None, "99999.96"),
        ("monthly", "8333.34", None, "100000.08"),
        # 1,923.07 a week x 52 = 99,999.64; 1,923.08 x 52 = 100,000.16.
        ("weekly", "1923.07", None, "99999.64"),
        ("weekly", "1923.08", None, "100000.16"),
        # 25,000.00 a quarter x 4 = 100,000.00, at the limit; a cent more a quarter is 0.04 over.
        ("quarterly", "25000.00", None, "100000.00"),
        ("quarterly", "25000.01", None, "100000.04"),
        ("semiannual", "50000.00", None, "100000.00"),
        # Options count in good faith: 90,000.00 + 10,000.01 of options = 100,000.01.
        ("fixed", "90000.00", "10000.01", "100000.01"),
        ("fixed", "90000.00", "9999.99", "99999.99"),
    ],
)
def test_the_value_counted(pricing: str, price: str, options: str | None, counted: str) -> None:
    assert counted_value(pricing, D(price), None if options is None else D(options)) == D(counted)


@pytest.mark.parametrize(
    ("pricing", "price", "options", "over"),
    [
        ("weekly", "1923.07", None, False),
        ("weekly", "1923.08", None, True),
        ("quarterly", "25000.00", None, False),
        ("quarterly", "25000.01", None, True),
        ("fixed", "90000.00", "10000.00", False),
        ("fixed", "90000.00", "10000.01", True),
    ],
)
def test_a_launch_over_the_limit_is_refused(
    pricing: str, price: str, options: str | None, over: bool
) -> None:
    body = notice_body(
        "SP-VALUE-1",
        method="small_purchase",
        opening_at=None,
        pricing=pricing,
        estimated_value=price,
        **({"options_value": options} if options else {}),
    )
    refusal = launch_refusal(LaunchSpec.model_validate(body), LIMIT)
    if not over:
        assert refusal is None
        return
    assert refusal is not None and refusal.code == "over_small_purchase_limit"
    assert how_counted(pricing, None if options is None else D(options)) in refusal.reason


# ---- the same type of need (20-20(a); 1.2020(d)) ---------------------------------------------


def _need(key: str, codes: tuple[str, ...] = (), vendor: str | None = None) -> Any:
    return (key, frozenset(commodity_type(c) for c in codes), vendor)


@pytest.mark.parametrize(
    ("ours", "theirs", "why"),
    [
        (_need("road salt"), _need("road salt"), "the same description"),
        # A detail code and its class-item are one type; the class covers its class-items.
        (_need("laptops", ("204-45",)), _need("pcs", ("204-45-12-0001",)), "commodity code 204-45"),
        (_need("laptops", ("204",)), _need("pcs", ("20445",)), "commodity code 204-45"),
        # Class-items of one class are different types: 204-45 is not 204-46.
        (_need("laptops", ("204-45",)), _need("monitors", ("204-46",)), None),
        (_need("gravel", (), "prairie"), _need("limestone", (), "prairie"), "the same vendor"),
        (_need("gravel", (), "prairie"), _need("limestone", (), None), None),
        (_need("gravel"), _need("limestone"), None),
    ],
)
def test_what_makes_two_small_purchases_one_need(ours: Any, theirs: Any, why: str | None) -> None:
    assert same_need(ours, theirs) == why
    assert same_need(theirs, ours) == why


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        ("204", True),
        ("204-45", True),
        ("20445", True),
        ("204-45-12", True),
        ("204-45-12-0001", True),
        ("20", False),
        ("2044", False),
        ("204-45-1", False),
        ("ABC", False),
    ],
)
def test_commodity_codes_are_nigp_codes(code: str, valid: bool) -> None:
    assert (re.fullmatch(COMMODITY_CODE_PATTERN, code) is not None) is valid
