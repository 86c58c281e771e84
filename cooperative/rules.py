"""The rules of joint and cooperative purchasing, with the source each one rests on.

- **Who may join** (30 ILCS 525/1): a "governmental unit" is the State, a public authority
  with the power to tax, or any other public entity created by statute; the CMS Joint
  Purchasing Program opens its contracts to any unit of local government created by statute
  or able to tax, and to State Use Program rehabilitation facilities (30 ILCS 525/2(b)).
- **What must be on file**: for the Joint Purchasing Program, a Joint Purchasing Act
  Participation Resolution passed by the unit's governing board; for Illinois Together
  cooperative contracts, the Master Intergovernmental Cooperative Purchasing Agreement
  (MICPA), signed once before the district's first cooperative contract.
- **Joining costs nothing and obliges nothing**, in both programs.
- **An order fits its contract**: inside the contract's term, on its items at its prices,
  and within what its ceiling still allows (the ceiling less every order placed).
- **Reminders**: at 90% of a ceiling, at the ceiling, 30 days before a term ends, and when it
  has ended; the thresholds are data.

Pure: no clock, no database. Every refusal names its rule, the field and the citation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from cooperative.models import (
    ContractRecord,
    Decision,
    DocumentKind,
    DocumentRecord,
    Kind,
    MemberRecord,
    OrderLine,
    PricedLine,
    Program,
    Refusal,
)
from state_machines.models import Principal

# ---- sources -------------------------------------------------------------------------------

GOVERNMENTAL_UNIT = "30 ILCS 525/1"
JOINT_PURCHASING = "30 ILCS 525/2"
QUALIFIED_NOT_FOR_PROFIT = "30 ILCS 525/2(b)"
CMS_JOINT_PURCHASING = "CMS Joint Purchasing Program (30 ILCS 525)"
MICPA = "Illinois Together MICPA (30 ILCS 525)"
SERVICE_RULE = "service rule: one reference names one order"

TERMS = (
    "Joining costs nothing and obliges nothing: there is no fee to register or to "
    "participate, and a member need never buy off any contract."
)

# ---- who may join --------------------------------------------------------------------------


@dataclass(frozen=True)
class KindRule:
    label: str
    citation: str
    basis: str
    # True or False by kind; None: it depends on whether the unit was created by statute or
    # can tax, which the registration says.
    eligible: bool | None


KINDS: dict[str, KindRule] = {
    "municipality": KindRule(
        "municipality",
        GOVERNMENTAL_UNIT,
        "a city, village or incorporated town is a unit of local government created by "
        "statute with the power to tax",
        True,
    ),
    "county": KindRule(
        "county",
        GOVERNMENTAL_UNIT,
        "a county is a unit of local government created by statute with the power to tax",
        True,
    ),
    "school_district": KindRule(
        "school district",
        GOVERNMENTAL_UNIT,
        "a school district is a public entity created by statute with the power to tax",
        True,
    ),
    "other_unit": KindRule(
        "other unit of local government",
        GOVERNMENTAL_UNIT,
        "a unit of local government qualifies if it was created by statute or has the "
        "ability to tax",
        None,
    ),
    "state_use_facility": KindRule(
        "State Use Program rehabilitation facility",
        QUALIFIED_NOT_FOR_PROFIT,
        "a State Use Program rehabilitation facility (a qualified not-for-profit agency) is "
        "eligible to participate in contracts established by the State",
        True,
    ),
    "private_entity": KindRule(
        "private company or body",
        GOVERNMENTAL_UNIT,
        "a private company or body is neither a public entity created by statute nor a public "
        "authority with the power to tax, so it is not a governmental unit",
        False,
    ),
}
ELIGIBLE_KINDS: tuple[Kind, ...] = (
    "municipality",
    "county",
    "school_district",
    "other_unit",
    "state_use_facility",
)


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    citation: str
    reason: str


def eligibility(
    kind: str, created_by_statute: bool | None, has_taxing_power: bool | None
) -> Eligibility:
    """Whether a unit of this kind may join, and why, with the citation."""
    rule = KINDS[kind]
    eligible = rule.eligible
    if eligible is None:
        eligible = bool(created_by_statute) or bool(has_taxing_power)
        if not eligible:
            return Eligibility(
                False,
                rule.citation,
                "A unit of local government may join only if it was created by statute or has "
                f"the ability to tax; this one is neither ({rule.citation}).",
            )
    sentence = rule.basis[0].upper() + rule.basis[1:]
    if not eligible:
        return Eligibility(False, rule.citation, f"{sentence} ({rule.citation}).")
    return Eligibility(True, rule.citation, f"Eligible: {rule.basis} ({rule.citation}).")


def registered_flags(
    kind: str, created_by_statute: bool | None, has_taxing_power: bool | None
) -> tuple[bool, bool]:
    """What a registration records: municipalities, counties and school districts are
    created by statute and can tax by their nature."""
    if kind in ("municipality", "county", "school_district"):
        return True, True
    return bool(created_by_statute), bool(has_taxing_power)


# ---- what each program needs on file ---------------------------------------------------------


@dataclass(frozen=True)
class DocumentRule:
    label: str
    how: str
    citation: str


DOCUMENTS: dict[str, DocumentRule] = {
    "participation_resolution": DocumentRule(
        "Joint Purchasing Act Participation Resolution",
        "passed by the unit's governing board, authorizing its purchasing officials to "
        "participate in the Joint Purchasing Program",
        CMS_JOINT_PURCHASING,
    ),
    "micpa": DocumentRule(
        "Master Intergovernmental Cooperative Purchasing Agreement (MICPA)",
        "signed once by the district before it uses its first cooperative contract; it then "
        "covers every later one",
        MICPA,
    ),
}


@dataclass(frozen=True)
class ProgramRule:
    name: str
    document: DocumentKind
    citation: str
    statute: str
    open_to: tuple[Kind, ...]
    # Kinds whose order waits for the document instead of being refused without it.
    hold_kinds: frozenset[str]


PROGRAMS: dict[str, ProgramRule] = {
    "joint": ProgramRule(
        "CMS Joint Purchasing Program",
        "participation_resolution",
        CMS_JOINT_PURCHASING,
        JOINT_PURCHASING,
        ELIGIBLE_KINDS,
        frozenset(),
    ),
    "cooperative": ProgramRule(
        "Illinois Together cooperative purchasing",
        "micpa",
        MICPA,
        JOINT_PURCHASING,
        ("school_district",),
        frozenset({"school_district"}),
    ),
}


@dataclass(frozen=True)
class Thresholds:
    near_ceiling: Decimal = Decimal("0.90")  # share of the ceiling that orders have used
    term_ending_days: int = 30  # days before the last day of the term


THRESHOLDS = Thresholds()


def document_on_file(
    documents: list[DocumentRecord], kind: str, today: date
) -> DocumentRecord | None:
    """The latest document of this kind dated on or before today."""
    found = [d for d in documents if d.kind == kind and d.dated <= today]
    return max(found, key=lambda d: (d.dated, d.recorded_at)) if found else None


def program_standing(member: MemberRecord, program: Program, today: date) -> dict[str, object]:
    """Whether a member may order under a program now, and what it lacks."""
    rule = PROGRAMS[program]
    doc = document_on_file(member.documents, rule.document, today)
    open_to = member.kind in rule.open_to
    return {
        "program": rule.name,
        "document": rule.document,
        "document_label": DOCUMENTS[rule.document].label,
        "on_file": doc.model_dump(mode="json") if doc else None,
        "open_to_kind": open_to,
        "ready": doc is not None and open_to,
        "citation": rule.citation,
    }


# ---- does an order fit its contract ----------------------------------------------------------

CENT = Decimal("0.01")


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def price_lines(
    contract: ContractRecord, lines: list[OrderLine]
) -> tuple[list[PricedLine], Decimal] | Refusal:
    """Each line at the contract's price: by item when the contract lists items, else by
    the scope with the price the member gives."""
    by_code = {i.code: i for i in contract.items}
    priced: list[PricedLine] = []
    for n, line in enumerate(lines):
        where = f"lines[{n}]"
        if by_code:
            item = by_code.get(line.item or "")
            if item is None:
                return Refusal(
                    code="item_not_on_contract",
                    citation=contract.statute,
                    reason=f"Contract {contract.reference} has no item '{line.item or ''}'; "
                    f"it lists {', '.join(sorted(by_code))}. Orders buy only what the "
                    "contract awarded.",
                    field=f"{where}.item",
                )
            if line.unit_price is not None and money(line.unit_price) != item.unit_price:
                return Refusal(
                    code="not_contract_price",
                    citation=contract.statute,
                    reason=f"Item {item.code} costs {item.unit_price:.2f} per {item.unit} "
                    f"under contract {contract.reference}, not {line.unit_price:.2f}.",
                    field=f"{where}.unit_price",
                )
            description, unit_price, code = item.description, item.unit_price, item.code
        else:
            if line.item is not None:
                return Refusal(
                    code="item_not_on_contract",
                    citation=contract.statute,
                    reason=f"Contract {contract.reference} lists no items; describe what is "
                    "bought within its scope and give the price.",
                    field=f"{where}.item",
                )
            if not line.description or line.unit_price is None:
                missing = "description" if not line.description else "unit_price"
                return Refusal(
                    code="line_incomplete",
                    citation=contract.statute,
                    reason=f"Under contract {contract.reference}, bought by scope, each line "
                    "needs a description and a unit price.",
                    field=f"{where}.{missing}",
                )
            description, unit_price, code = line.description, money(line.unit_price), None
        priced.append(
            PricedLine(
                item=code,
                description=description,
                quantity=line.quantity,
                unit_price=unit_price,
                amount=money(line.quantity * unit_price),
            )
        )
    total = money(sum((p.amount for p in priced), Decimal("0")))
    return priced, total


def term_refusal(contract: ContractRecord, today: date) -> Refusal | None:
    """An order is placed within the contract's term, its first and last days included."""
    if today < contract.starts_on:
        return Refusal(
            code="contract_not_in_term",
            citation=contract.statute,
            reason=f"Contract {contract.reference} runs from {contract.starts_on.isoformat()} "
            f"to {contract.ends_on.isoformat()}; on {today.isoformat()} its term has not "
            "begun.",
            field="contract",
        )
    if today > contract.ends_on:
        return Refusal(
            code="contract_expired",
            citation=contract.statute,
            reason=f"Contract {contract.reference} ran from {contract.starts_on.isoformat()} "
            f"to {contract.ends_on.isoformat()}; on {today.isoformat()} it has expired and no "
            "order may be placed against it.",
            field="contract",
        )
    return None


def remaining(contract: ContractRecord, placed_total: Decimal) -> Decimal | None:
    """What the ceiling still allows: the ceiling less every order placed; None: no ceiling."""
    if contract.ceiling is None:
        return None
    return max(money(contract.ceiling - placed_total), Decimal("0.00"))


def ceiling_refusal(
    contract: ContractRecord, placed_total: Decimal, amount: Decimal
) -> Refusal | None:
    left = remaining(contract, placed_total)
    if left is None or amount <= left:
        return None
    return Refusal(
        code="ceiling_exceeded",
        citation=contract.statute,
        reason=f"This order of {amount:.2f} exceeds what contract {contract.reference}'s "
        f"ceiling of {contract.ceiling:.2f} still allows: {left:.2f} after the "
        f"{money(placed_total):.2f} already ordered.",
        field="lines",
    )


def _refuse(refusal: Refusal, lines: list[PricedLine], total: Decimal) -> Decision:
    return Decision(
        outcome="refuse",
        code=refusal.code,
        citation=refusal.citation,
        reason=refusal.reason,
        field=refusal.field,
        lines=lines,
        total=total,
    )


def evaluate(
    *,
    member_name: str,
    member: MemberRecord | None,
    contract: ContractRecord | None,
    lines: list[OrderLine],
    placed_total: Decimal,
    today: date,
) -> Decision:
    """Place, hold or refuse an order. The checks run in this order: membership, eligibility,
    the contract's reach, term, items and prices, ceiling, and last the document on file, so
    an order is held only when the one thing it lacks is a district's MICPA."""
    if contract is None:
        return _refuse(
            Refusal(
                code="unknown_contract",
                citation=SERVICE_RULE,
                reason="No contract of that reference is open to joint or cooperative use.",
                field="contract",
            ),
            [],
            Decimal("0.00"),
        )
    program = PROGRAMS[contract.program]
    document = DOCUMENTS[program.document]
    priced = price_lines(contract, lines)
    priced_lines, total = priced if not isinstance(priced, Refusal) else ([], Decimal("0.00"))
    if member is None:
        return _refuse(
            Refusal(
                code="not_registered",
                citation=program.citation,
                reason=f"{member_name} is not registered for joint or cooperative purchasing. "
                f"Register it and put on file the {document.label}, {document.how}. "
                f"{TERMS}",
                field="member",
            ),
            priced_lines,
            total,
        )
    elig = eligibility(member.kind, member.created_by_statute, member.has_taxing_power)
    if not elig.eligible:
        return _refuse(
            Refusal(
                code="not_eligible", citation=elig.citation, reason=elig.reason, field="member"
            ),
            priced_lines,
            total,
        )
    open_to = contract.open_to or list(program.open_to)
    if member.kind not in open_to:
        labels = ", ".join(KINDS[k].label for k in open_to)
        return _refuse(
            Refusal(
                code="not_open_to_kind",
                citation=program.citation,
                reason=f"Contract {contract.reference} is open to {labels}; {member.name} is a "
                f"{KINDS[member.kind].label}.",
                field="contract",
            ),
            priced_lines,
            total,
        )
    term = term_refusal(contract, today)
    if term is not None:
        return _refuse(term, priced_lines, total)
    if isinstance(priced, Refusal):
        return _refuse(priced, [], Decimal("0.00"))
    ceiling = ceiling_refusal(contract, placed_total, total)
    if ceiling is not None:
        return _refuse(ceiling, priced_lines, total)
    if document_on_file(member.documents, program.document, today) is None:
        if member.kind in program.hold_kinds:
            return Decision(
                outcome="hold",
                code=f"{program.document}_missing",
                citation=program.citation,
                field=f"documents.{program.document}",
                reason=f"{member.name} has no {document.label} on file; it is {document.how}. "
                "The order is held, not lost: it is placed as it stands once the "
                "agreement is recorded.",
                next_step=f"Record the MICPA signed by {member.name}'s board: POST "
                f"/v1/members/{member.member_id}/documents with "
                '{"kind": "micpa", "dated": <the day it was signed>, "governing_board": ...}.',
                lines=priced_lines,
                total=total,
            )
        return _refuse(
            Refusal(
                code=f"{program.document}_missing",
                citation=program.citation,
                reason=f"{member.name} has no {document.label} on file; the "
                f"{program.name} requires one, {document.how}. Record it and order again. "
                f"{TERMS}",
                field=f"documents.{program.document}",
            ),
            priced_lines,
            total,
        )
    left = remaining(contract, placed_total)
    after = "" if left is None else f"; {money(left - total):.2f} of the ceiling remains"
    return Decision(
        outcome="place",
        citation=program.citation,
        reason=f"Placed with {contract.vendor} under contract {contract.reference} for "
        f"{total:.2f}{after}.",
        lines=priced_lines,
        total=total,
    )


# ---- reminders -----------------------------------------------------------------------------


def ceiling_reminder(ceiling: Decimal | None, used: Decimal) -> str | None:
    """The reminder a contract's use calls for: at its ceiling, or near it."""
    if ceiling is None or ceiling <= 0:
        return None
    if used >= ceiling:
        return "contract_ceiling_reached"
    if used >= ceiling * THRESHOLDS.near_ceiling:
        return "contract_near_ceiling"
    return None


def term_reminders(ends_on: date) -> list[tuple[str, date]]:
    """The days on which members who used a contract are reminded of its term's end."""
    return [
        ("contract_term_ending", ends_on - timedelta(days=THRESHOLDS.term_ending_days)),
        ("contract_term_ended", ends_on + timedelta(days=1)),
    ]


def contract_alerts(
    contract: ContractRecord, used: Decimal, today: date
) -> list[dict[str, object]]:
    """What a contract's users should know today: ceiling and term, with the numbers."""
    alerts: list[dict[str, object]] = []
    kind = ceiling_reminder(contract.ceiling, used)
    if kind is not None:
        alerts.append(
            {
                "kind": kind,
                "ceiling": f"{contract.ceiling:.2f}",
                "used": f"{money(used):.2f}",
                "remaining": f"{remaining(contract, used):.2f}",
            }
        )
    if today > contract.ends_on:
        alerts.append({"kind": "contract_term_ended", "ends_on": contract.ends_on.isoformat()})
    elif today >= contract.ends_on - timedelta(days=THRESHOLDS.term_ending_days):
        alerts.append(
            {
                "kind": "contract_term_ending",
                "ends_on": contract.ends_on.isoformat(),
                "days_left": (contract.ends_on - today).days,
            }
        )
    return alerts


def reminder_content(
    kind: str, contract: ContractRecord, used: Decimal | None = None
) -> dict[str, object]:
    text = {
        "contract_near_ceiling": "Orders against this contract have reached "
        f"{int(THRESHOLDS.near_ceiling * 100)}% of its ceiling.",
        "contract_ceiling_reached": "Orders against this contract have reached its ceiling; "
        "no further order fits.",
        "contract_term_ending": f"This contract's term ends on {contract.ends_on.isoformat()}, "
        f"within {THRESHOLDS.term_ending_days} days.",
        "contract_term_ended": f"This contract's term ended on {contract.ends_on.isoformat()}; "
        "no further order may be placed against it.",
    }[kind]
    content: dict[str, object] = {
        "contract": contract.reference,
        "title": contract.title,
        "vendor": contract.vendor,
        "lead": contract.lead,
        "ends_on": contract.ends_on.isoformat(),
        "reminder": text,
        "citation": contract.statute,
    }
    if contract.ceiling is not None:
        content["ceiling"] = f"{contract.ceiling:.2f}"
        if used is not None:
            content["used"] = f"{money(used):.2f}"
            content["remaining"] = f"{remaining(contract, used):.2f}"
    return content


def member_recipient(name: str) -> str:
    """Where a member's messages go (its inbox: ``GET /v1/members/{id}/messages``)."""
    return f"member:{name}"


def lead_recipient(contract: ContractRecord) -> str:
    """A State master contract's lead is a State agency; a cooperative contract's, a district."""
    prefix = "agency" if contract.program == "joint" else "member"
    return f"{prefix}:{contract.lead}"


# ---- who may do what -----------------------------------------------------------------------

SUPERVISORS = frozenset({"cpo", "ppb", "cei"})
AGENCY_ROLES = frozenset({"agency_buyer", "spo"})


def acts_for(principal: Principal, unit: str) -> bool:
    """A member official acts for the unit named in its identity."""
    return principal.role == "member" and principal.agency == unit


def may_register(principal: Principal, name: str) -> str | None:
    if principal.role == "cpo" or acts_for(principal, name):
        return None
    return (
        "Only the chief procurement officer or the unit's own purchasing official (role "
        f"member, acting for {name}) registers a unit; {principal.name} may not."
    )


def may_record_document(principal: Principal, member_name: str) -> str | None:
    if principal.role == "cpo" or acts_for(principal, member_name):
        return None
    return (
        f"Only {member_name}'s own purchasing official or the chief procurement officer "
        f"records its documents; {principal.name} may not."
    )


def may_open_contract(principal: Principal, lead: str, program: Program) -> str | None:
    if principal.role == "cpo":
        return None
    if principal.role in AGENCY_ROLES and principal.agency == lead:
        return None
    if program == "cooperative" and acts_for(principal, lead):
        return None
    return (
        "Only the chief procurement officer, or a buyer or State purchasing officer of the "
        "lead agency (for a cooperative contract, the lead district's purchasing official), "
        f"opens a contract to {program} use; {principal.name} acts for "
        f"{principal.agency or principal.vendor or 'no agency'}, not for {lead}."
    )


def may_order(principal: Principal, member_name: str) -> str | None:
    if acts_for(principal, member_name):
        return None
    return f"Only {member_name}'s own purchasing official (role member) places its orders."


def may_act_on_order(principal: Principal, member_name: str) -> str | None:
    if principal.role == "cpo" or acts_for(principal, member_name):
        return None
    return (
        f"Only {member_name}'s own purchasing official or the chief procurement officer acts on "
        f"its orders; {principal.name} may not."
    )


def may_read_order(principal: Principal | None, member_name: str, lead: str | None) -> bool:
    """Orders are visible to the member, the contract's lead and the supervisors."""
    if principal is None:
        return False
    if principal.role in SUPERVISORS:
        return True
    if principal.role == "member":
        return principal.agency in (member_name, lead)
    return principal.role in AGENCY_ROLES and principal.agency == lead


def may_read_member(principal: Principal, member_name: str) -> bool:
    """A member's record: its own officials, the supervisors, and the State agencies that
    lead contracts (who check a unit's standing)."""
    return (
        principal.role in SUPERVISORS
        or principal.role in AGENCY_ROLES
        or acts_for(principal, member_name)
    )
