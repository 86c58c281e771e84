"""The pure rules of joint and cooperative purchasing: who may join, what must be on file,
whether an order fits its contract's term, items and ceiling, and when members are reminded."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from cooperative import rules
from cooperative.models import (
    ContractItem,
    ContractRecord,
    Decision,
    DocumentRecord,
    MemberRecord,
    OrderLine,
)
from state_machines.models import Principal

TODAY = date(2099, 3, 2)


def contract(**overrides: object) -> ContractRecord:
    fields: dict[str, object] = {
        "reference": "CMS-SALT-2099",
        "program": "joint",
        "title": "Rock salt",
        "vendor": "Bolt Industries",
        "lead": "Department of Central Management Services",
        "statute": "30 ILCS 525/2",
        "starts_on": date(2099, 1, 1),
        "ends_on": date(2099, 12, 31),
        "ceiling": Decimal("10000.00"),
        "items": [
            ContractItem(
                code="SALT", description="Rock salt", unit="ton", unit_price=Decimal("80.00")
            )
        ],
    }
    fields.update(overrides)
    return ContractRecord.model_validate(fields)


def document(kind: str, dated: date = date(2099, 2, 10)) -> DocumentRecord:
    return DocumentRecord(
        kind=kind,  # type: ignore[arg-type]
        dated=dated,
        governing_board="Board of Trustees",
        recorded_by="Official",
        recorded_role="member",
        recorded_at=datetime(2099, 2, 11, tzinfo=UTC),
    )


def member(kind: str = "municipality", *docs: DocumentRecord, **flags: bool) -> MemberRecord:
    return MemberRecord(
        member_id="MBR-1",
        name="Village of Example",
        kind=kind,  # type: ignore[arg-type]
        created_by_statute=flags.get("created_by_statute", True),
        has_taxing_power=flags.get("has_taxing_power", True),
        documents=list(docs),
    )


def salt(tons: str) -> list[OrderLine]:
    return [OrderLine(item="SALT", quantity=Decimal(tons))]


def decide(
    m: MemberRecord | None,
    c: ContractRecord,
    lines: list[OrderLine],
    used: str = "0",
    today: date = TODAY,
) -> Decision:
    return rules.evaluate(
        member_name="Village of Example",
        member=m,
        contract=c,
        lines=lines,
        placed_total=Decimal(used),
        today=today,
    )


# ---- eligibility ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["municipality", "county", "school_district"])
def test_units_created_by_statute_with_taxing_power_are_eligible(kind: str) -> None:
    result = rules.eligibility(kind, None, None)
    assert result.eligible and result.citation == "30 ILCS 525/1"


def test_other_unit_needs_statute_or_taxing_power() -> None:
    assert rules.eligibility("other_unit", True, False).eligible
    assert rules.eligibility("other_unit", False, True).eligible
    refused = rules.eligibility("other_unit", False, False)
    assert not refused.eligible
    assert refused.citation == "30 ILCS 525/1"
    assert "created by statute or has the ability to tax" in refused.reason


def test_state_use_facility_is_eligible_under_2b() -> None:
    result = rules.eligibility("state_use_facility", None, None)
    assert result.eligible and result.citation == "30 ILCS 525/2(b)"


def test_private_company_is_not_a_governmental_unit() -> None:
    result = rules.eligibility("private_entity", True, True)
    assert not result.eligible
    assert "not a governmental unit" in result.reason and result.citation == "30 ILCS 525/1"


def test_documents_and_terms_per_program() -> None:
    assert rules.PROGRAMS["joint"].document == "participation_resolution"
    assert rules.PROGRAMS["joint"].citation == "CMS Joint Purchasing Program (30 ILCS 525)"
    assert rules.PROGRAMS["cooperative"].document == "micpa"
    assert rules.PROGRAMS["cooperative"].citation == "Illinois Together MICPA (30 ILCS 525)"
    assert "costs nothing" in rules.TERMS and "obliges nothing" in rules.TERMS


def test_document_on_file_is_the_latest_dated_by_today() -> None:
    older, newer = document("micpa", date(2098, 5, 1)), document("micpa", date(2099, 2, 1))
    future = document("micpa", date(2099, 4, 1))
    assert rules.document_on_file([older, newer, future], "micpa", TODAY) == newer
    assert rules.document_on_file([future], "micpa", TODAY) is None
    assert rules.document_on_file([newer], "participation_resolution", TODAY) is None


# ---- orders --------------------------------------------------------------------------------


def test_eligible_member_with_resolution_is_placed() -> None:
    d = decide(member("municipality", document("participation_resolution")), contract(), salt("10"))
    assert d.outcome == "place" and d.total == Decimal("800.00")
    assert d.lines[0].unit_price == Decimal("80.00") and d.lines[0].description == "Rock salt"


def test_no_resolution_is_refused_with_the_program_cited() -> None:
    d = decide(member("municipality"), contract(), salt("10"))
    assert d.outcome == "refuse" and d.code == "participation_resolution_missing"
    assert d.citation == "CMS Joint Purchasing Program (30 ILCS 525)"
    assert d.field == "documents.participation_resolution"
    assert "passed by the unit's governing board" in d.reason


def test_not_registered_and_not_eligible() -> None:
    d = decide(None, contract(), salt("1"))
    assert d.outcome == "refuse" and d.code == "not_registered" and d.field == "member"
    d = decide(
        member("other_unit", created_by_statute=False, has_taxing_power=False),
        contract(),
        salt("1"),
    )
    assert d.outcome == "refuse" and d.code == "not_eligible" and d.citation == "30 ILCS 525/1"


def test_district_without_micpa_is_held_with_next_step() -> None:
    coop = contract(
        program="cooperative", lead="Example School District 1", open_to=["school_district"]
    )
    d = decide(member("school_district"), coop, salt("5"))
    assert d.outcome == "hold" and d.code == "micpa_missing"
    assert d.citation == "Illinois Together MICPA (30 ILCS 525)"
    assert d.next_step and "MICPA" in d.next_step and "/v1/members/MBR-1/documents" in d.next_step
    placed = decide(member("school_district", document("micpa")), coop, salt("5"))
    assert placed.outcome == "place"


def test_hold_only_when_the_micpa_is_the_one_thing_missing() -> None:
    coop = contract(
        program="cooperative", lead="Example School District 1", ends_on=date(2099, 2, 28)
    )
    d = decide(member("school_district"), coop, salt("5"))
    assert d.outcome == "refuse" and d.code == "contract_expired"
    wide = contract(program="cooperative", lead="D", open_to=["school_district", "municipality"])
    d = decide(member("municipality"), wide, salt("5"))
    assert d.outcome == "refuse" and d.code == "micpa_missing"


def test_cooperative_contract_open_to_districts_by_default() -> None:
    coop = contract(program="cooperative", lead="D", open_to=[])
    d = decide(member("municipality", document("micpa")), coop, salt("1"))
    assert d.outcome == "refuse" and d.code == "not_open_to_kind"


def test_term_first_and_last_days_included() -> None:
    m = member("municipality", document("participation_resolution", date(2098, 1, 1)))
    c = contract(starts_on=date(2099, 3, 2), ends_on=date(2099, 3, 31))
    assert decide(m, c, salt("1"), today=date(2099, 3, 2)).outcome == "place"
    assert decide(m, c, salt("1"), today=date(2099, 3, 31)).outcome == "place"
    early = decide(m, c, salt("1"), today=date(2099, 3, 1))
    assert early.code == "contract_not_in_term" and early.field == "contract"
    late = decide(m, c, salt("1"), today=date(2099, 4, 1))
    assert late.code == "contract_expired" and late.citation == "30 ILCS 525/2"
    assert "2099-03-31" in late.reason


def test_ceiling_is_the_ceiling_less_placed_orders() -> None:
    m = member("municipality", document("participation_resolution"))
    c = contract()
    assert rules.remaining(c, Decimal("9000")) == Decimal("1000.00")
    exact = decide(m, c, salt("12.5"), used="9000")  # 12.5 t x 80 = 1000.00
    assert exact.outcome == "place" and exact.total == Decimal("1000.00")
    over = decide(m, c, salt("12.51"), used="9000")
    assert over.outcome == "refuse" and over.code == "ceiling_exceeded" and over.field == "lines"
    assert "1000.00" in over.reason
    assert decide(m, contract(ceiling=None), salt("100000"), used="9000").outcome == "place"


def test_items_and_prices_come_from_the_contract() -> None:
    m = member("municipality", document("participation_resolution"))
    d = decide(m, contract(), [OrderLine(item="GRAVEL", quantity=Decimal(1))])
    assert d.code == "item_not_on_contract" and d.field == "lines[0].item"
    d = decide(m, contract(), [OrderLine(item="SALT", quantity=Decimal(1), unit_price=Decimal(70))])
    assert d.code == "not_contract_price" and d.field == "lines[0].unit_price"
    scope = contract(items=[], scope="Office furniture")
    d = decide(m, scope, [OrderLine(description="Chair", quantity=Decimal(3))])
    assert d.code == "line_incomplete" and d.field == "lines[0].unit_price"
    d = decide(
        m,
        scope,
        [OrderLine(description="Chair", quantity=Decimal(3), unit_price=Decimal("99.99"))],
    )
    assert d.outcome == "place" and d.total == Decimal("299.97")


# ---- reminders -----------------------------------------------------------------------------


def test_thresholds_are_data() -> None:
    assert rules.THRESHOLDS.near_ceiling == Decimal("0.90")
    assert rules.THRESHOLDS.term_ending_days == 30
    assert rules.ceiling_reminder(Decimal(10000), Decimal(8999)) is None
    assert rules.ceiling_reminder(Decimal(10000), Decimal(9000)) == "contract_near_ceiling"
    assert rules.ceiling_reminder(Decimal(10000), Decimal(10000)) == "contract_ceiling_reached"
    assert rules.ceiling_reminder(None, Decimal(10**9)) is None
    assert rules.term_reminders(date(2099, 12, 31)) == [
        ("contract_term_ending", date(2099, 12, 1)),
        ("contract_term_ended", date(2100, 1, 1)),
    ]


def test_contract_alerts() -> None:
    c = contract(ends_on=date(2099, 3, 31))
    kinds = [a["kind"] for a in rules.contract_alerts(c, Decimal("9500"), date(2099, 3, 2))]
    assert kinds == ["contract_near_ceiling", "contract_term_ending"]
    kinds = [a["kind"] for a in rules.contract_alerts(c, Decimal("0"), date(2099, 4, 1))]
    assert kinds == ["contract_term_ended"]
    assert rules.contract_alerts(c, Decimal("0"), date(2099, 2, 28)) == []


# ---- who may do what -----------------------------------------------------------------------


def p(role: str, agency: str | None = None) -> Principal:
    return Principal(id="u", name=f"{role} person", role=role, agency=agency)  # type: ignore[arg-type]


def test_authority() -> None:
    unit = "Village of Example"
    assert rules.may_register(p("cpo"), unit) is None
    assert rules.may_register(p("member", unit), unit) is None
    assert rules.may_register(p("member", "Other Town"), unit)
    assert rules.may_register(p("agency_buyer", "Department of Transportation"), unit)
    assert rules.may_order(p("member", unit), unit) is None
    assert rules.may_order(p("cpo"), unit)
    lead = "Department of Central Management Services"
    assert rules.may_open_contract(p("spo", lead), lead, "joint") is None
    assert rules.may_open_contract(p("agency_buyer", "Other"), lead, "joint")
    assert rules.may_open_contract(p("member", "District 1"), "District 1", "cooperative") is None
    assert rules.may_open_contract(p("member", "District 1"), "District 1", "joint")
    assert rules.may_read_order(p("member", unit), unit, lead)
    assert rules.may_read_order(p("agency_buyer", lead), unit, lead)
    assert rules.may_read_order(p("ppb"), unit, lead)
    assert not rules.may_read_order(p("member", "Other Town"), unit, lead)
    assert not rules.may_read_order(p("vendor"), unit, lead)
    assert not rules.may_read_order(None, unit, lead)
