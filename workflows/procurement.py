"""The procurement workflow: one durable run per procurement, its id the reference.

It owns time: it sleeps until the next statutory instant the schedule names (or a command),
then fires whatever is due; a late wake-up only delays a step, never skips it. Commands arrive
as one Temporal update with a validator, so a refusal reaches the caller at once with the rule
cited. Bids do not: the intake receives them in PostgreSQL (``state_machines.intake``), and
the workflow takes them only at the opening, through its tabulation. Every side effect goes
through activities: the tabulation of sealed bids and one ``persist_step`` per step (for the
launch and the steps the clock takes, a local activity inside the deciding workflow task) that
writes the read model, audit rows, Bulletin notices and outbox messages in one transaction. A procurement that lives long continues
as new (``workflows.continuation``), its facts carried into the next run.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeUpdate

from workflows import activity_names, continuation
from workflows.errors import forbidden_error, refusal_error

with workflow.unsafe.imports_passed_through():
    from rules import citations, failed_bid, small_purchase
    from rules.calendar import local_date
    from state_machines import intake, schedule
    from state_machines.authority import forbidden
    from state_machines.models import (
        METHOD_NAMES,
        Command,
        Empty,
        FailedBidNotice,
        FailedBidsOwed,
        Model,
        OpenBids,
        Publish,
        ReciprocityPinned,
        ScoreProposals,
    )
    from state_machines.procurement import (
        COMMANDS,
        SYSTEM_ACTOR,
        TERMINAL,
        Effects,
        ProcurementMachine,
        Refusal,
        Refused,
    )
    from workflows import search
    from workflows.payloads import (
        Carried,
        CommandResult,
        FailedBidRequest,
        LaunchInput,
        OutgoingMessage,
        OutgoingNotice,
        PersistStep,
        ReciprocityRequest,
        ScoreRequest,
        TabulateRequest,
        TabulateResult,
        description_key,
        read_model_snapshot,
    )

# Activities retry until PostgreSQL answers: a step once decided must be recorded, and every
# write is keyed so a retry never doubles it.
_PERSIST_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=1),
)
_ACTIVITY_TIMEOUT = timedelta(seconds=10)
REMINDERS_PATCH = "deadline-reminders"
# The failed bid notice at an award (20-10(g-5)): an activity that older histories lack.
FAILED_BID_PATCH = "failed-bid-notice"
# The reciprocity table pinned at the first advertisement (45-10(b)), read by an activity.
RECIPROCITY_PATCH = "reciprocity-at-advertisement"
SEARCH_PATCH = "search-attributes"
LOCAL_PERSIST_PATCH = "persist-as-local-activity"


@workflow.defn(name="Procurement")
class ProcurementWorkflow:
    @workflow.init
    def __init__(self, launch: LaunchInput) -> None:
        self.launch = launch
        self.lock = asyncio.Lock()
        self.woken = False
        self.search_values: tuple[Any, ...] | None = None
        self.local_persist = False
        self.continues = False
        self.updates = 0  # accepted by this run: Temporal bounds them per execution
        self.launch_confirmed = launch.carried is not None
        carried = launch.carried
        if carried is not None:
            self.facts = carried.facts
            self.revision = carried.revision
            self.persisted_seq = carried.persisted_seq
            self.persisted_next: tuple[str | None, Any] = carried.persisted_next
            self.reminders_on = carried.reminders_on
            self.search_on = carried.search_on
            self.ready = True
        else:
            self.facts = launch.facts(workflow.now())
            self.revision = 0
            self.persisted_seq = 0
            self.persisted_next = (None, None)
            self.reminders_on = True
            self.search_on = True
            self.ready = False
        self.machine = ProcurementMachine(self.facts)

    # ---- run -------------------------------------------------------------------------------
    @workflow.run
    async def run(self, launch: LaunchInput) -> str:
        # Changes that would take an older history down another path are decided once, at
        # the start of each run; a run that continues an earlier one keeps its reminders and
        # search attributes as they were (they are in the procurement's pinned rules).
        self.local_persist = workflow.patched(LOCAL_PERSIST_PATCH)
        self.continues = workflow.patched(continuation.PATCH)
        if launch.carried is None:
            # Procurements started before deadline reminders existed keep their timers as
            # they were; every newer one wakes for its reminders too.
            self.reminders_on = workflow.patched(REMINDERS_PATCH)
            # Likewise, only procurements started since carry search attributes.
            self.search_on = workflow.patched(SEARCH_PATCH)
            async with self.lock:
                self.machine.record_launch(
                    launch.launched_by,
                    workflow.now(),
                    f"Launched as a draft: {METHOD_NAMES[launch.spec.method]}.",
                    role=launch.launched_role,
                )
                await self._persist([], force=True)
                self.ready = True
        while self.facts.state not in TERMINAL:
            if self._handing_over():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(self._carried())
            now = workflow.now()
            wake_at = schedule.next_wakeup(self.facts, now, reminders=self.reminders_on)
            timeout = None
            if wake_at is not None:
                timeout = max(wake_at - now, timedelta(seconds=1))
            with contextlib.suppress(TimeoutError):
                # Also when the run should hand over: the server's suggestion comes with any
                # workflow task, a refused command's too. Not while a command runs: it wakes
                # the loop when done, and ending the wait as a command is accepted is refused
                # by the time-skipping server.
                await workflow.wait_condition(
                    lambda: (
                        self.woken or (workflow.all_handlers_finished() and self._handing_over())
                    ),
                    timeout=timeout,
                )
            self.woken = False
            async with self.lock:
                await self._run_due()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.facts.state

    async def _run_due(self) -> None:
        """Fire every clock-driven trigger that is due, then refresh the read model if the
        next deadline moved (a deadline passing changes what supervisors see)."""
        for _ in range(len(COMMANDS)):  # bounded: each firing changes state
            now = workflow.now()
            due = self.machine.due_automatic(now)
            if not due:
                break
            effects = self.machine.fire(due[0], Empty(), SYSTEM_ACTOR, now)
            await self._persist(effects)
        await self._persist([], reminders=self._reminders())

    def _reminders(self) -> list[OutgoingMessage]:
        """Reminders of every duty whose moment has come, each sent once (recorded in the
        facts before the write that sends it, so a retried write sends it once too)."""
        if not self.reminders_on:
            return []
        send, passed_over = schedule.reminders_due(self.facts, workflow.now())
        if not send:
            return []
        self.facts.reminders_sent.extend(r.key for r in send + passed_over)
        recipient = f"agency:{self.facts.notice.agency}"
        return [
            OutgoingMessage(
                seq=self.facts.seq,
                kind=f"reminder:{r.key}",
                recipient=recipient,
                content={
                    "reference": self.facts.reference,
                    "deadline": r.deadline.name,
                    "due_at": r.deadline.at.isoformat(),
                    "due_on": r.deadline.due_on.isoformat(),
                    "offset": r.offset,
                    "citation": r.deadline.citation,
                    "description": r.deadline.description,
                },
            )
            for r in send
        ]

    # ---- commands ----------------------------------------------------------------------------
    @workflow.update
    async def command(self, cmd: Command) -> CommandResult:
        self.updates += 1
        await workflow.wait_condition(lambda: self.ready)
        async with self.lock:
            now = workflow.now()
            try:
                payload = self._parse(cmd)
                denied = forbidden(cmd.trigger, cmd.principal, self.facts, payload)
                if denied is not None:
                    raise forbidden_error(denied)
                refusal = self.machine.check(cmd.trigger, payload, cmd.actor, now)
                if refusal is not None:
                    raise Refused(refusal)
                completing = {
                    "open_bids": self._tabulate,
                    "score_proposals": self._score,
                    "publish": self._pin_reciprocity,
                }.get(cmd.trigger)
                if completing is not None:
                    payload = await completing(payload, now)
                # A trigger whose payload an activity completed is judged again when fired: the
                # payload and the time are no longer those just checked.
                effects = self.machine.fire(
                    cmd.trigger,
                    payload,
                    cmd.actor,
                    workflow.now(),
                    role=cmd.principal.role if cmd.principal else None,
                    request_id=cmd.request_id,
                    checked=completing is None,
                )
                if cmd.trigger == "award":
                    effects += await self._failed_bids(now)

            except Refused as refused:
                raise refusal_error(refused.refusal) from None
            await self._persist(effects, in_command=True)
            self.woken = True
            return CommandResult(
                reference=self.facts.reference,
                state=self.facts.state,
                seq=self.facts.seq,
                summary=" ".join(e.summary for e in effects),
                result=self._command_result(cmd.trigger),
            )

    @command.validator
    def _validate_command(self, cmd: Command) -> None:
        if intake.takes(cmd.trigger, self.facts):
            # Validators do not run on replay: histories recorded before the intake, with
            # bids registered here, still replay through the handler.
            raise refusal_error(
                Refusal(
                    "bid_intake",
                    citations.BID_OPENING,
                    "Bids are received, replaced and withdrawn before the opening by the bid "
                    f"intake (POST /v1/procurements/{self.facts.reference}/bids), which keeps "
                    "them sealed, not as commands to the procurement.",
                )
            )
        try:
            payload = self._parse(cmd)
        except Refused as refused:
            raise refusal_error(refused.refusal) from None
        denied = forbidden(cmd.trigger, cmd.principal, self.facts, payload)
        if denied is not None:
            raise forbidden_error(denied)
        refusal = self.machine.check(cmd.trigger, payload, cmd.actor, workflow.now())
        if refusal is not None:
            raise refusal_error(refusal)

    @workflow.update
    async def confirm_launch(self, digest: str) -> CommandResult:
        """The launch itself (sent with the start, in one round trip) or a repeated launch
        with the same body: either gets the procurement as it stands once its launch is
        written; ``created`` tells the first from a repetition."""
        self.updates += 1
        created = not self.launch_confirmed
        self.launch_confirmed = True
        await workflow.wait_condition(lambda: self.ready)
        return CommandResult(
            reference=self.facts.reference,
            state=self.facts.state,
            seq=self.facts.seq,
            summary="Launched." if created else "Already launched with this body.",
            result={"created": created},
        )

    @confirm_launch.validator
    def _validate_launch(self, digest: str) -> None:
        if digest != self.facts.launch_digest:
            raise refusal_error(
                Refusal(
                    "reference_in_use",
                    "service rule: one reference names one procurement",
                    f"Procurement {self.facts.reference} was already launched with a different "
                    "body; a reference names one procurement.",
                    "reference",
                )
            )

    @workflow.update
    async def resync(self) -> int:
        """Write the read model again (reconciliation repairs a drifted row this way)."""
        self.updates += 1
        await workflow.wait_condition(lambda: self.ready)
        async with self.lock:
            await self._persist([], force=True, in_command=True)
        return self.revision

    @workflow.query
    def facts_snapshot(self) -> dict[str, Any]:
        return self.facts.model_dump(mode="json")

    @workflow.query
    def launch_digest(self) -> str:
        return self.facts.launch_digest

    @workflow.query
    def continues_as_new(self) -> bool:
        """Whether this procurement hands over to a fresh run before Temporal's limits (those
        started before it could keep one run to their end)."""
        return self.continues

    def _handing_over(self) -> bool:
        return self.continues and continuation.due(self.updates, self.launch.continue_as_new_events)

    # ---- helpers -----------------------------------------------------------------------------
    @staticmethod
    def _parse(cmd: Command) -> Model:
        if cmd.trigger not in COMMANDS:
            raise Refused(
                Refusal(
                    "unknown_command",
                    "procurement commands",
                    f"'{cmd.trigger}' is not a command a caller may send.",
                )
            )
        return ProcurementMachine.parse(cmd.trigger, cmd.payload)

    async def _tabulate(self, payload: Model, now: datetime) -> Model:
        assert isinstance(payload, OpenBids)
        result = await workflow.execute_activity(
            activity_names.TABULATE_BIDS,
            TabulateRequest(
                reference=self.facts.reference,
                method=self.facts.method,
                bid_ids=[b.bid_id for b in self.facts.bids],
                opened_at=now,
                witnesses=payload.witnesses,
                preferences=self.facts.spec.preferences,
                reciprocal_preferences=(
                    self.facts.reciprocity.states
                    if self.facts.reciprocity is not None
                    else self.launch.reciprocal_preferences
                ),
                cutoff=self.facts.notice.opening_at,
                seq=self.facts.seq + 1,
                technical=self.facts.in_technical_step,
            ),
            result_type=TabulateResult,
            start_to_close_timeout=_ACTIVITY_TIMEOUT,
            retry_policy=_PERSIST_RETRY,
        )
        return payload.model_copy(
            update={"ranking": result.ranking, "commitments_digest": result.commitments_digest}
        )

    async def _pin_reciprocity(self, payload: Model, now: datetime) -> Model:
        """45-10(b): the table in force when the bid is first advertised is the one its
        opening evaluates with; older histories evaluate with the one of their launch. What a
        caller put in the payload never counts."""
        assert isinstance(payload, Publish)
        if "open_bids" not in self.machine.routes or not workflow.patched(RECIPROCITY_PATCH):
            return payload.model_copy(update={"reciprocity": None})
        pinned = await workflow.execute_activity(
            activity_names.RECIPROCAL_TABLE,
            ReciprocityRequest(reference=self.facts.reference, on=local_date(now)),
            result_type=ReciprocityPinned,
            start_to_close_timeout=_ACTIVITY_TIMEOUT,
            retry_policy=_PERSIST_RETRY,
        )
        return payload.model_copy(update={"reciprocity": pinned})

    async def _failed_bids(self, now: datetime) -> list[Effects]:
        """20-10(g-5): at an award of the Department of Transportation, the Capital Development
        Board or the Tollway, the unsuccessful bidders whose 4th consecutive bid for the same
        services this was are owed the written reasons within the quarter."""
        facts = self.facts
        award = facts.award
        if (
            award is None
            or facts.state != "review_window"
            or not failed_bid.applies(
                facts.method, facts.spec.chief_procurement_office, facts.spec.agency
            )
            or not workflow.patched(FAILED_BID_PATCH)
        ):
            return []
        owed = await workflow.execute_activity(
            activity_names.FAILED_BID_NOTICES,
            FailedBidRequest(
                reference=facts.reference,
                agency=facts.spec.agency,
                description_key=description_key(facts.spec.title),
                commodity_codes=facts.spec.commodity_codes,
                awarded_vendor=award.vendor,
                bidders=[r.vendor for r in facts.ranking],
            ),
            result_type=list[FailedBidNotice],
            start_to_close_timeout=_ACTIVITY_TIMEOUT,
            retry_policy=_PERSIST_RETRY,
        )
        if not owed:
            return []
        return self.machine.fire(
            "record_failed_bids", FailedBidsOwed(notices=owed), SYSTEM_ACTOR, now
        )

    async def _score(self, payload: Model, now: datetime) -> Model:
        assert isinstance(payload, ScoreProposals)
        bafo = intake.best_and_final_round(self.facts)
        result = await workflow.execute_activity(
            activity_names.SCORE_PROPOSALS,
            ScoreRequest(
                reference=self.facts.reference,
                plan=self.facts.spec.scoring or {},
                scores=[s.model_dump(mode="json") for s in payload.scores],
                proposals=self.facts.ranking,
                offers=[(b.bid_id, b.vendor) for b in self.facts.bids],
                round=bafo[0] if bafo else None,
                cutoff=bafo[1] if bafo else None,
                at=now,
                seq=self.facts.seq + 1,
            ),
            result_type=TabulateResult,
            start_to_close_timeout=_ACTIVITY_TIMEOUT,
            retry_policy=_PERSIST_RETRY,
        )
        return payload.model_copy(update={"ranking": result.ranking})

    def _command_result(self, trigger: str) -> dict[str, Any]:
        facts = self.facts
        if trigger == "file_protest" and facts.protests:
            return {"protest_id": facts.protests[-1].protest_id}
        if trigger == "request_documents" and facts.document_requests:
            r = facts.document_requests[-1]
            return {"request_id": r.request_id, "due_on": r.due_on.isoformat()}
        return {}

    def _counted_value(self) -> str | None:
        """The value supervisors and the split check count: 12 months of a monthly price
        (44 Ill. Adm. Code 1.2020(b)(1))."""
        spec = self.facts.spec
        if spec.estimated_value is None:
            return None
        return str(
            small_purchase.counted_value(spec.pricing, spec.estimated_value, spec.options_value)
        )

    async def _persist(
        self,
        effects: list[Effects],
        *,
        force: bool = False,
        reminders: list[OutgoingMessage] | None = None,
        in_command: bool = False,
    ) -> None:
        """Write what changed: new audit rows, notices and messages, and the read model.

        A step the workflow takes by itself (its launch, a deadline) is written by a local
        activity, inside the workflow task that decided it. A command's step is written by an
        activity of its own, so the command is accepted in one workflow task and answered in
        a later one: a task that both accepts a command and cancels a timer about to fire is
        refused by the time-skipping server, and the command with it."""
        now = workflow.now()
        upcoming = schedule.next_deadline(self.facts, now)
        next_key = (upcoming.name, upcoming.at) if upcoming else (None, None)
        new_history = [h for h in self.facts.history if h.seq > self.persisted_seq]
        if not (force or new_history or reminders or next_key != self.persisted_next):
            return
        # fire() returns one Effects per history record it appended, in the same order.
        keyed = list(zip(new_history[-len(effects) :] if effects else [], effects, strict=True))
        notices = [
            OutgoingNotice(seq=h.seq, kind=n["kind"], published_at=h.at, content=n["content"])
            for h, e in keyed
            for n in e.notices
        ]
        messages = [
            OutgoingMessage(seq=h.seq, kind=m["kind"], recipient=r, content=m["content"])
            for h, e in keyed
            for m in e.messages
            for r in m["recipients"]
        ] + list(reminders or [])
        self.revision += 1
        step = PersistStep(
            reference=self.facts.reference,
            revision=self.revision,
            agency=self.facts.notice.agency,
            method=self.facts.method,
            state=self.facts.state,
            title=self.facts.notice.title,
            next_deadline_name=next_key[0],
            next_deadline_at=next_key[1],
            launch_digest=self.facts.launch_digest,
            estimated_value=self._counted_value(),
            description_key=description_key(self.facts.spec.title),
            created_at=self.facts.created_at,
            updated_at=now,
            snapshot=read_model_snapshot(self.facts),
            audit=new_history,
            notices=notices,
            messages=messages,
        )
        if self.local_persist and not in_command:
            await workflow.execute_local_activity(
                activity_names.PERSIST_STEP,
                step,
                start_to_close_timeout=_ACTIVITY_TIMEOUT,
                retry_policy=_PERSIST_RETRY,
            )
        else:
            await workflow.execute_activity(
                activity_names.PERSIST_STEP,
                step,
                start_to_close_timeout=_ACTIVITY_TIMEOUT,
                retry_policy=_PERSIST_RETRY,
            )
        self.persisted_seq = self.facts.seq
        self.persisted_next = next_key
        self._upsert_search_attributes(next_key[1])

    def _carried(self) -> LaunchInput:
        """This run's input for the next: the launch as it was, with the facts as they are.
        Every step is written by now, so the history the audit trail holds is left out."""
        facts = self.facts.model_copy(
            update={"history": [h for h in self.facts.history if h.seq > self.persisted_seq]}
        )
        return self.launch.model_copy(
            update={
                "carried": Carried(
                    facts=facts,
                    revision=self.revision,
                    persisted_seq=self.persisted_seq,
                    persisted_next=self.persisted_next,
                    reminders_on=self.reminders_on,
                    search_on=self.search_on,
                )
            }
        )

    def _upsert_search_attributes(self, next_at: Any) -> None:
        values = (self.facts.state, self.facts.notice.agency, self.facts.method, next_at)
        if not self.search_on or values == self.search_values:
            return
        updates: list[SearchAttributeUpdate[Any]] = [
            search.STATE.value_set(self.facts.state),
            search.AGENCY.value_set(self.facts.notice.agency),
            search.METHOD.value_set(self.facts.method),
            search.NEXT_DEADLINE.value_set(next_at)
            if next_at is not None
            else search.NEXT_DEADLINE.value_unset(),
        ]
        workflow.upsert_search_attributes(updates)
        self.search_values = values
