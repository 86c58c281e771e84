"""What joint and cooperative purchasing knows: members, their documents, contracts open to
joint or cooperative use, and orders (pure pydantic models).

The same models validate API bodies, travel to the order workflow and come back from its
activities, so a field's rule is written once.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from state_machines.models import REFERENCE_PATTERN, Principal

Kind = Literal[
    "municipality",
    "county",
    "school_district",
    "other_unit",
    "state_use_facility",
    "private_entity",
]
Program = Literal["joint", "cooperative"]
DocumentKind = Literal["participation_resolution", "micpa"]
OrderState = Literal["received", "placed", "held", "refused", "withdrawn"]
Outcome = Literal["place", "hold", "refuse"]

# Text stored in PostgreSQL: no NUL character, which a text column cannot hold.
_NO_NUL = r"^[^\x00]*$"
Name = Annotated[str, Field(min_length=1, max_length=200, pattern=_NO_NUL)]
Text = Annotated[str, Field(min_length=1, max_length=4000, pattern=_NO_NUL)]
Reference = Annotated[str, Field(pattern=REFERENCE_PATTERN)]
Money = Annotated[Decimal, Field(ge=0, max_digits=15, decimal_places=2)]
Quantity = Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=3)]
# Dates a contract or a board can carry; bounded so date arithmetic never leaves the calendar.
Day = Annotated[date, Field(ge=date(1900, 1, 1), le=date(2999, 12, 31))]
ItemCode = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---- members -------------------------------------------------------------------------------


class MemberRegistration(Model):
    """A unit of local government (or a State Use facility) joining the programs."""

    name: Name = Field(description="The unit's legal name; its officials act for it by this name.")
    kind: Kind
    created_by_statute: bool | None = Field(
        default=None, description="For 'other_unit': the unit was created by statute."
    )
    has_taxing_power: bool | None = Field(
        default=None, description="For 'other_unit': the unit has the ability to tax."
    )
    purchasing_official: Name | None = Field(
        default=None, description="Who purchases for the unit, as the resolution authorizes."
    )


class DocumentRecord(Model):
    """A participation resolution or a MICPA on file, and who recorded it."""

    kind: DocumentKind
    dated: date
    governing_board: str
    identifier: str | None = None
    recorded_by: str
    recorded_role: str
    recorded_at: datetime


class MemberRecord(Model):
    member_id: str
    name: str
    kind: Kind
    created_by_statute: bool
    has_taxing_power: bool
    documents: list[DocumentRecord] = Field(default_factory=list)


class DocumentFiling(Model):
    """A document passed or signed by the unit's governing board, to be put on file."""

    kind: DocumentKind = Field(
        description="'participation_resolution' (Joint Purchasing Program) or 'micpa' "
        "(Master Intergovernmental Cooperative Purchasing Agreement)."
    )
    dated: Day = Field(
        description="The day the governing board passed the resolution, or the MICPA was signed."
    )
    governing_board: Name = Field(description="The board that passed or signed it.")
    identifier: Name | None = Field(default=None, description="Resolution or agreement number.")


# ---- contracts -----------------------------------------------------------------------------


class ContractItem(Model):
    code: ItemCode
    description: Name
    unit: Annotated[str, Field(min_length=1, max_length=40, pattern=_NO_NUL)] = "each"
    unit_price: Money


class ExternalAward(Model):
    """The award of a contract procured outside this service."""

    vendor: Name
    awarded_on: Day
    solicitation: Name = Field(description="The solicitation the contract was awarded under.")
    awarded_by: Name | None = Field(default=None, description="Who awarded it, if not the lead.")
    price: Money | None = Field(default=None, description="The contract price, if one.")


class ContractOpening(Model):
    """A contract opened to joint (State master contract) or cooperative use."""

    reference: Reference = Field(description="The contract number members order against.")
    program: Program
    title: Name
    lead: Name | None = Field(
        default=None,
        description="The lead agency (joint) or lead district (cooperative); for a procurement "
        "of this service, its agency.",
    )
    procurement: Reference | None = Field(
        default=None, description="A procurement of this service whose award this contract is."
    )
    award: ExternalAward | None = Field(
        default=None, description="For a contract procured elsewhere: its award details."
    )
    starts_on: Day
    ends_on: Day
    ceiling: Money | None = Field(default=None, description="The most all orders may total.")
    items: list[ContractItem] = Field(default_factory=list, max_length=500)
    scope: Text | None = Field(default=None, description="What may be bought, if not by item.")
    open_to: list[Kind] | None = Field(
        default=None, description="Kinds of member that may order; default: the program's."
    )
    statute: Name | None = Field(default=None, description="The statute the contract rests on.")


class ContractRecord(Model):
    reference: str
    program: Program
    title: str
    vendor: str
    lead: str
    statute: str
    starts_on: date
    ends_on: date
    ceiling: Decimal | None = None
    items: list[ContractItem] = Field(default_factory=list)
    scope: str | None = None
    open_to: list[Kind] = Field(default_factory=list)


# ---- orders --------------------------------------------------------------------------------


class OrderLine(Model):
    item: ItemCode | None = Field(
        default=None, description="The contract's item code, when it lists items."
    )
    description: Name | None = Field(default=None, description="What, under a scope contract.")
    quantity: Quantity
    unit_price: Money | None = Field(
        default=None, description="Under a scope contract, the price; by item, the contract's."
    )


class OrderRequest(Model):
    """A member's order off a contract open to joint or cooperative use."""

    reference: Reference = Field(description="The order reference, chosen by the member.")
    contract: Reference = Field(description="The contract ordered against.")
    lines: list[OrderLine] = Field(min_length=1, max_length=200)
    delivery: Text | None = Field(default=None, description="Where and when to deliver.")


class PricedLine(Model):
    item: str | None
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


class Refusal(Model):
    code: str
    citation: str
    reason: str
    field: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return self.model_dump()


class Decision(Model):
    """What the rules say of an order: place it, hold it for a document, or refuse it."""

    outcome: Outcome
    reason: str
    citation: str
    code: str | None = None
    field: str | None = None
    next_step: str | None = None
    lines: list[PricedLine] = Field(default_factory=list)
    total: Decimal = Decimal("0.00")

    def refusal(self) -> Refusal:
        return Refusal(
            code=self.code or "refused",
            citation=self.citation,
            reason=self.reason,
            field=self.field,
        )


class FactsRequest(Model):
    reference: str
    member_name: str
    contract_reference: str


class OrderFacts(Model):
    """What the rules need, read when the order is checked: the member (None if it never
    registered), the contract, and what other orders placed against it total."""

    member: MemberRecord | None
    contract: ContractRecord | None
    placed_total: Decimal = Decimal("0.00")


class OrderEvent(Model):
    """One step of an order, as the audit trail records it."""

    seq: int
    command: str
    outcome: Literal["accepted", "refused", "automatic"]
    from_state: OrderState
    to_state: OrderState
    actor: str
    role: str
    at: datetime
    citation: str
    summary: str
    request_id: str | None = None


class OrderCarried(Model):
    """What an order's run hands to the next when it continues as new: every fact the run
    keeps, so the next one carries on where it was without deciding, writing or sending
    anything again."""

    state: OrderState
    decision: Decision | None = None
    member: MemberRecord | None = None
    contract: ContractRecord | None = None
    events: list[OrderEvent] = Field(default_factory=list)
    revision: int
    created_at: datetime
    placed_at: datetime | None = None
    withdrawal: dict[str, Any] | None = None
    decided: bool = True
    # When a held order looks again next: a hand-over between two looks keeps the day's rhythm.
    next_check: datetime | None = None
    # Term reminders already sent, in the order ``rules.term_reminders`` lists them.
    reminders_sent: int = 0


class OrderInput(Model):
    """An order's start: the member's request, who sent it and its digest.

    ``continue_as_new_events`` is pinned from the settings at launch; ``carried`` is set only
    on a run that continues a previous one. Both default to None, so the inputs of runs
    recorded before them still parse."""

    request: OrderRequest
    member_name: str
    submitted_by: Principal
    digest: str
    request_id: str | None = None
    continue_as_new_events: int | None = None
    carried: OrderCarried | None = None


class OrderMessage(Model):
    """An outbox message; contract-wide reminders carry the contract's reference and seq 0,
    so each member gets each reminder of a contract once."""

    reference: str
    seq: int
    kind: str
    recipient: str
    content: dict[str, Any]


class OrderStep(Model):
    """One step's writes, in one transaction: the order row, its audit entries, its messages.

    With ``place`` the write also places the order: it checks the contract's ceiling again
    under a lock on the contract, so two orders never together exceed it."""

    reference: str
    revision: int
    state: OrderState
    member_name: str
    member_id: str | None
    contract_reference: str
    program: str | None
    vendor: str | None
    lead: str | None
    total: Decimal
    digest: str
    submitted_by: str
    created_at: datetime
    updated_at: datetime
    placed_at: datetime | None = None
    place: bool = False
    snapshot: dict[str, Any]
    audit: list[OrderEvent] = Field(default_factory=list)
    messages: list[OrderMessage] = Field(default_factory=list)


class PersistResult(Model):
    """``placed`` False with a refusal: the ceiling no longer had room; nothing was written."""

    placed: bool = False
    refusal: Refusal | None = None
    used: Decimal | None = None


class OrderOutcome(Model):
    """An order as its workflow answers a command."""

    reference: str
    state: OrderState
    total: Decimal
    code: str | None = None
    citation: str | None = None
    reason: str | None = None
    field: str | None = None
    next_step: str | None = None


class DocumentsRecorded(Model):
    """A document was put on file for the order's member: check a held order again."""

    principal: Principal
    kind: DocumentKind
    request_id: str | None = None


class Withdrawal(Model):
    principal: Principal
    reason: Text
    request_id: str | None = None


class WithdrawBody(Model):
    reason: Text = Field(description="Why the member withdraws the held order.")
