"""What crosses between a workflow, its activities and its callers (pure pydantic models)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from state_machines.models import Facts, LaunchSpec, RankEntry, TransitionRecord

TASK_QUEUE = "procurements"
WORKFLOW_NAME = "Procurement"
# The rules this code enforces; recorded at launch so a running procurement keeps its rules.
RULES_VERSION = "2026.3"


class Carried(BaseModel):
    """What a procurement's run hands to the next when it continues as new: its facts (the
    steps already written to the audit trail left out) and where its writes stand."""

    facts: Facts
    revision: int
    persisted_seq: int
    persisted_next: tuple[str | None, datetime | None]
    reminders_on: bool
    search_on: bool


class LaunchInput(BaseModel):
    """A procurement's launch: the agency's spec plus the rules pinned at that moment."""

    spec: LaunchSpec
    digest: str
    calendar: dict[str, Any]
    protest_rules: dict[str, Any]
    rules_version: str = RULES_VERSION
    launched_by: str = "system"
    launched_role: str | None = None
    # The reciprocity table of procurements launched before it was pinned at publication.
    reciprocal_preferences: dict[str, str] = Field(default_factory=dict)
    small_purchase_limit: str | None = None
    small_purchase_limit_citation: str | None = None
    split_flag: str | None = None
    # A renewal or change of another procurement's contract: what the launch found of it.
    contract_of: dict[str, Any] | None = None
    reminder_offsets: list[int] | None = None
    reminded_periods: list[str] | None = None
    continue_as_new_events: int | None = None
    # Set only in the input of a run that continues an earlier one.
    carried: Carried | None = None

    def facts(self, created_at: datetime) -> Facts:
        """The new procurement's facts: the one mapping of a launch into them."""
        facts = Facts.launch(
            self.spec,
            digest=self.digest,
            rules_version=self.rules_version,
            calendar=self.calendar,
            protest_rules=self.protest_rules,
            created_at=created_at,
        )
        facts.small_purchase_limit = self.small_purchase_limit
        facts.small_purchase_limit_citation = self.small_purchase_limit_citation
        facts.split_flag = self.split_flag
        facts.contract_of = self.contract_of
        if self.reminder_offsets is not None:
            facts.reminder_offsets = list(self.reminder_offsets)
        if self.reminded_periods is not None:
            facts.reminded_periods = list(self.reminded_periods)
        return facts


class CommandResult(BaseModel):
    reference: str
    state: str
    seq: int
    summary: str
    result: dict[str, Any] = Field(default_factory=dict)


class OutgoingNotice(BaseModel):
    """A Bulletin notice to publish, keyed so a retried activity publishes it once."""

    seq: int
    kind: str
    published_at: datetime
    content: dict[str, Any]


class OutgoingMessage(BaseModel):
    """An electronic notice to one recipient, written to the outbox."""

    seq: int
    kind: str
    recipient: str
    content: dict[str, Any]


class PersistStep(BaseModel):
    """One step's writes, done in one PostgreSQL transaction by the ``persist_step`` activity:
    the read model, the audit rows, the Bulletin notices and the outbox messages."""

    reference: str
    revision: int
    agency: str
    method: str
    state: str
    title: str
    next_deadline_name: str | None
    next_deadline_at: datetime | None
    launch_digest: str
    created_at: datetime
    updated_at: datetime
    estimated_value: str | None = None
    description_key: str | None = None
    snapshot: dict[str, Any]
    audit: list[TransitionRecord] = Field(default_factory=list)
    notices: list[OutgoingNotice] = Field(default_factory=list)
    messages: list[OutgoingMessage] = Field(default_factory=list)


def description_key(text: str) -> str:
    """What two launches must share to count as the same need: their words, lowercased."""
    return " ".join("".join(c if c.isalnum() else " " for c in text.casefold()).split())


def read_model_snapshot(facts: Facts) -> dict[str, Any]:
    """The facts as the read model keeps them: without the history (the audit table holds
    it) and without bids registered through the workflow in older histories (the bids table
    holds every bid), so every step's write stays the same size however many steps a
    procurement has."""
    snapshot: dict[str, Any] = facts.model_dump(mode="json", exclude={"history", "bids"})
    return snapshot


class TabulateRequest(BaseModel):
    """Open the bids of a round: those the intake received before ``cutoff``."""

    reference: str
    method: str
    # Bids the workflow registered itself (histories from before the intake): counted too.
    bid_ids: list[str]
    opened_at: datetime
    witnesses: list[str]
    preferences: dict[str, Any] = Field(default_factory=dict)
    reciprocal_preferences: dict[str, str] = Field(default_factory=dict)
    cutoff: datetime | None = None  # the opening time; absent in older histories
    seq: int = 0  # the opening step's own: its Bulletin list of commitments is keyed by it
    # Multi-step sealed bidding's first step: unpriced technical offers, opened, not ranked.
    technical: bool = False


class ScoreRequest(BaseModel):
    """Score proposals: the committee's points for parts 2 and 3; prices come from storage,
    each offeror's latest (a best and final offer replaces the first price)."""

    reference: str
    plan: dict[str, Any]
    scores: list[dict[str, Any]]
    proposals: list[RankEntry]  # the proposals opened, one per offeror
    # (bid_id, vendor) of every offer the workflow registered itself, oldest first: only in
    # histories from before the intake; otherwise the offers come from the sealed-bid store.
    offers: list[tuple[str, str]]
    # The best-and-final round that closes with this scoring, if one was requested.
    round: str | None = None
    cutoff: datetime | None = None
    at: datetime | None = None
    seq: int = 0


class ReciprocityRequest(BaseModel):
    reference: str
    on: date


class FailedBidRequest(BaseModel):
    """Which unsuccessful bidders of an award now owe a failed bid notice (20-10(g-5))."""

    reference: str
    agency: str
    description_key: str
    commodity_codes: list[str]
    awarded_vendor: str
    # This procurement's bidders, as ranked at the opening (public once awarded, 20-10(d)).
    bidders: list[str]


class TabulateResult(BaseModel):
    """The ranking of the opened bids: identities and ranks only, never amounts; and the
    SHA-256 of the commitments the Bulletin listed before they were opened."""

    ranking: list[RankEntry]
    commitments_digest: str | None = None
