"""The order workflow: a member's purchase off a contract open to joint or cooperative use.

One durable run per order; its id is the order reference, so the same order sent twice reaches
the same run and is never placed twice. On start it reads the member and the contract and
applies ``cooperative.rules``:

- ``placed``: the order is written with its purchase order to the vendor in the outbox, in
  one transaction that checks the contract's ceiling again under a lock on the contract;
- ``held``: a school district's first cooperative order, when the only thing missing is its
  MICPA. The order waits, with the next step named, until the MICPA is recorded (the
  ``documents_recorded`` update), the member withdraws it, or the contract's term ends; it
  also looks again once a day, so a recorded MICPA is never missed;
- ``refused``: with the reason and the citation (not eligible, no resolution on file, outside
  the contract's term, over its ceiling, not on the contract).

The order's states and steps are the routes of ``cooperative.routes``: the workflow fires
the trigger a decision names and never sets the state itself; a placement stands only once
the write confirms it.

A placed order then reminds its member when the contract's term is about to end and when it
has ended. Commands are Temporal updates with validators, so a refused command leaves no trace
in the history; every step is audited under the order reference.

A held order can wait for as long as its contract runs and a placed one sleeps until its term
reminders, so a run hands over to a fresh run of the same id (continue-as-new) before
Temporal's per-execution limits bind (``workflows.continuation``): at the top of each look of
the held loop and before each term reminder, with every handler finished. The next run gets
the order's whole state in ``OrderInput.carried`` and carries on where the last one was; it
decides, writes and sends nothing again.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, NoReturn

from temporalio import workflow
from temporalio.common import RetryPolicy

from workflows import activity_names, continuation
from workflows.errors import forbidden_error, refusal_error

with workflow.unsafe.imports_passed_through():
    from cooperative import rules
    from cooperative.models import (
        ContractRecord,
        Decision,
        DocumentsRecorded,
        FactsRequest,
        MemberRecord,
        OrderCarried,
        OrderEvent,
        OrderFacts,
        OrderInput,
        OrderMessage,
        OrderOutcome,
        OrderState,
        OrderStep,
        PersistResult,
        Refusal,
        Withdrawal,
    )
    from cooperative.routes import TRIGGER_OF, OrderMachine
    from rules.calendar import end_of_day, local_date, start_of_day
    from state_machines.models import Principal
    from state_machines.procurement import SYSTEM_ACTOR

WORKFLOW_NAME = "Order"
RECHECK_EVERY = timedelta(days=1)

_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=1),
)
_TIMEOUT = timedelta(seconds=10)


@workflow.defn(name=WORKFLOW_NAME)
class OrderWorkflow:
    @workflow.init
    def __init__(self, order: OrderInput) -> None:
        self.order = order
        # The order's state and steps: moved only by firing the triggers of
        # ``cooperative.routes``.
        self.machine = OrderMachine()
        self.decision: Decision | None = None
        self.member: MemberRecord | None = None
        self.contract: ContractRecord | None = None
        self.revision = 0
        self.created_at = workflow.now()
        self.withdrawal: dict[str, Any] | None = None
        self.lock = asyncio.Lock()
        self.decided = False
        self.next_check: datetime | None = None
        self.reminders_sent = 0
        # Temporal's update limit is per execution: each run counts its own from zero.
        self.updates_accepted = 0
        self.patched = False
        carried = order.carried
        if carried is not None:
            # ``placed_at`` is the time of the placing step, which the events carry.
            self.machine = OrderMachine(carried.state, carried.events)
            self.decision = carried.decision
            self.member = carried.member
            self.contract = carried.contract
            self.revision = carried.revision
            self.created_at = carried.created_at
            self.withdrawal = carried.withdrawal
            self.decided = carried.decided
            self.next_check = carried.next_check
            self.reminders_sent = carried.reminders_sent

    @property
    def state(self) -> OrderState:
        return self.machine.current

    @property
    def events(self) -> list[OrderEvent]:
        return self.machine.events

    @property
    def placed_at(self) -> datetime | None:
        return self.machine.placed_at

    # ---- run -------------------------------------------------------------------------------
    @workflow.run
    async def run(self, order: OrderInput) -> str:
        # Asked once, first: a run recorded before continue-as-new existed answers False and
        # replays exactly as it ran; every run since answers True.
        self.patched = workflow.patched(continuation.PATCH)
        if order.carried is None:
            async with self.lock:
                decision = await self._check()
                await self._apply(
                    decision,
                    "submit",
                    order.submitted_by.name,
                    order.submitted_by.role,
                    order.request_id,
                )
                self.decided = True
        await self._while_held()
        if self.state == "placed":
            await self._term_reminders()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.state

    async def _while_held(self) -> None:
        while self.state == "held":
            if self.next_check is None:
                self.next_check = self._held_wakeup(workflow.now())
            if self._due():
                await workflow.wait_condition(workflow.all_handlers_finished)
                # A handler may have placed or withdrawn it meanwhile: then there is nothing
                # left to wait for here, and the loop ends in this run.
                if self.state == "held":
                    self._continue_as_new()
                continue
            now = workflow.now()
            timeout = max(self.next_check - now, timedelta(seconds=1))
            timed_out = False
            try:
                # Woken early too when the run should hand over, so a burst of updates never
                # meets the per-execution limit while it waits for the day to pass; not while
                # a command runs (ending the wait as a command is accepted is refused by the
                # time-skipping server, and the command's end is soon enough).
                await workflow.wait_condition(
                    lambda: (
                        self.state != "held" or (workflow.all_handlers_finished() and self._due())
                    ),
                    timeout=timeout,
                )
            except TimeoutError:
                timed_out = True
            async with self.lock:
                # Unpatched, only a timeout leaves it held here, as before; patched, an early
                # wake to hand over does not look again before the day is out.
                if self.state == "held" and (timed_out or not self.patched):
                    self.next_check = None
                    decision = await self._check()
                    if decision.outcome != "hold":
                        await self._apply(decision, "recheck", SYSTEM_ACTOR, "system", None)

    def _due(self) -> bool:
        return self.patched and continuation.due(
            self.updates_accepted, self.order.continue_as_new_events
        )

    def _continue_as_new(self) -> NoReturn:
        """Hand the order to a fresh run of the same id; callers reach it by the id alone."""
        workflow.continue_as_new(self.order.model_copy(update={"carried": self._carried()}))

    def _carried(self) -> OrderCarried:
        assert self.machine.pending is None
        return OrderCarried(
            state=self.state,
            decision=self.decision,
            member=self.member,
            contract=self.contract,
            events=list(self.events),
            revision=self.revision,
            created_at=self.created_at,
            placed_at=self.placed_at,
            withdrawal=self.withdrawal,
            decided=self.decided,
            next_check=self.next_check,
            reminders_sent=self.reminders_sent,
        )

    def _held_wakeup(self, now: datetime) -> datetime:
        """Look again daily, and at the end of the contract's term, when a held order lapses."""
        wake = now + RECHECK_EVERY
        if self.contract is not None:
            wake = min(wake, end_of_day(self.contract.ends_on))
        return wake

    async def _term_reminders(self) -> None:
        contract = self.contract
        assert contract is not None
        reminders = rules.term_reminders(contract.ends_on)
        # Counted, not iterated: a run that continues an earlier one starts at the first
        # reminder not yet sent.
        while self.reminders_sent < len(reminders):
            if self._due():
                await workflow.wait_condition(workflow.all_handlers_finished)
                self._continue_as_new()
            kind, day = reminders[self.reminders_sent]
            at = start_of_day(day)
            now = workflow.now()
            if at > now:
                if not self.patched:
                    await workflow.sleep(at - now)
                else:
                    try:
                        await workflow.wait_condition(
                            lambda: workflow.all_handlers_finished() and self._due(),
                            timeout=at - now,
                        )
                    except TimeoutError:
                        pass
                    else:
                        continue  # woken to hand over before the reminder's day
            message = OrderMessage(
                reference=contract.reference,
                seq=0,
                kind=f"reminder:{kind}",
                recipient=rules.member_recipient(self.order.member_name),
                content={**rules.reminder_content(kind, contract), "order": self._reference},
            )
            async with self.lock:
                await self._persist([], [message])
            self.reminders_sent += 1

    # ---- commands ----------------------------------------------------------------------------
    @workflow.update
    async def confirm(self, digest: str) -> OrderOutcome:
        """The same order sent again gets the order as it stands."""
        self.updates_accepted += 1
        await workflow.wait_condition(lambda: self.decided)
        return self._outcome()

    @confirm.validator
    def _validate_confirm(self, digest: str) -> None:
        if digest != self.order.digest:
            raise refusal_error(
                Refusal(
                    code="reference_in_use",
                    citation=rules.SERVICE_RULE,
                    reason=f"Order {self._reference} was already sent with different contents; "
                    "a reference names one order.",
                    field="reference",
                )
            )

    @workflow.update
    async def documents_recorded(self, note: DocumentsRecorded) -> OrderOutcome:
        """A document was put on file for the member: a held order is checked again and placed
        if nothing is missing now."""
        self.updates_accepted += 1
        await workflow.wait_condition(lambda: self.decided)
        async with self.lock:
            self._may_act(note.principal, "documents_recorded")
            decision = await self._check()
            if decision.outcome != "hold":
                await self._apply(
                    decision,
                    "documents_recorded",
                    note.principal.name,
                    note.principal.role,
                    note.request_id,
                )
            return self._outcome()

    @documents_recorded.validator
    def _validate_documents(self, note: DocumentsRecorded) -> None:
        self._may_act(note.principal, "documents_recorded")

    @workflow.update
    async def withdraw(self, withdrawal: Withdrawal) -> OrderOutcome:
        """The member withdraws a held order; a placed one is with the vendor already."""
        self.updates_accepted += 1
        await workflow.wait_condition(lambda: self.decided)
        async with self.lock:
            self._may_act(withdrawal.principal, "withdraw")
            now = workflow.now()
            self.withdrawal = {
                "by": withdrawal.principal.name,
                "at": now.isoformat(),
                "reason": withdrawal.reason,
            }
            event = self._step(
                "withdraw",
                "withdraw",
                withdrawal.principal.name,
                withdrawal.principal.role,
                rules.PROGRAMS[self.contract.program].citation if self.contract else "",
                f"Withdrawn by {withdrawal.principal.name}: {withdrawal.reason}",
                withdrawal.request_id,
            )
            await self._persist([event], [self._member_notice("order_withdrawn", event.summary)])
            return self._outcome()

    @withdraw.validator
    def _validate_withdraw(self, withdrawal: Withdrawal) -> None:
        self._may_act(withdrawal.principal, "withdraw")

    @workflow.query
    def snapshot(self) -> dict[str, Any]:
        return self._snapshot()

    def _may_act(self, principal: Principal, command: str) -> None:
        denied = rules.may_act_on_order(principal, self.order.member_name)
        if denied is not None:
            raise forbidden_error(denied)
        refusal = self.machine.check(
            command,
            self._reference,
            rules.PROGRAMS[self.contract.program].citation if self.contract else rules.SERVICE_RULE,
        )
        if refusal is not None:
            raise refusal_error(refusal)

    # ---- steps -------------------------------------------------------------------------------
    @property
    def _reference(self) -> str:
        return self.order.request.reference

    async def _check(self) -> Decision:
        facts = await workflow.execute_activity(
            activity_names.COOPERATIVE_ORDER_FACTS,
            FactsRequest(
                reference=self._reference,
                member_name=self.order.member_name,
                contract_reference=self.order.request.contract,
            ),
            result_type=OrderFacts,
            start_to_close_timeout=_TIMEOUT,
            retry_policy=_RETRY,
        )
        self.member = facts.member
        self.contract = facts.contract
        return rules.evaluate(
            member_name=self.order.member_name,
            member=facts.member,
            contract=facts.contract,
            lines=self.order.request.lines,
            placed_total=facts.placed_total,
            today=local_date(workflow.now()),
        )

    async def _apply(
        self,
        decision: Decision,
        command: str,
        actor: str,
        role: str,
        request_id: str | None,
    ) -> None:
        """Fire the trigger the decision names and record it; placing checks the ceiling again
        in the write, and a ceiling filled meanwhile turns the placement into a refusal."""
        if decision.outcome == "place":
            self.decision = decision
            event = self._decision_step(decision, command, actor, role, request_id)
            result = await self._persist([event], self._placed_messages(decision), place=True)
            if result.placed:
                self.machine.confirm()
                return
            # Nothing was written: the placement never happened, and the same step becomes a
            # refusal.
            assert result.refusal is not None
            self.machine.void()
            refusal = result.refusal
            decision = decision.model_copy(
                update={
                    "outcome": "refuse",
                    "code": refusal.code,
                    "citation": refusal.citation,
                    "reason": refusal.reason,
                    "field": refusal.field,
                }
            )
        self.decision = decision
        event = self._decision_step(decision, command, actor, role, request_id)
        kind = "order_held" if decision.outcome == "hold" else "order_refused"
        await self._persist([event], [self._member_notice(kind, decision.reason)])

    def _decision_step(
        self,
        decision: Decision,
        command: str,
        actor: str,
        role: str,
        request_id: str | None,
    ) -> OrderEvent:
        return self._step(
            TRIGGER_OF[decision.outcome],
            command,
            actor,
            role,
            decision.citation,
            decision.reason,
            request_id,
        )

    def _step(
        self,
        trigger: str,
        command: str,
        actor: str,
        role: str,
        citation: str,
        summary: str,
        request_id: str | None,
    ) -> OrderEvent:
        return self.machine.fire(
            trigger,
            command=command,
            actor=actor,
            role=role,
            at=workflow.now(),
            citation=citation,
            summary=summary,
            request_id=request_id,
        )

    def _placed_messages(self, decision: Decision) -> list[OrderMessage]:
        contract = self.contract
        assert contract is not None
        seq = len(self.events)  # the placing step's own
        purchase_order = {
            "order": self._reference,
            "contract": contract.reference,
            "program": rules.PROGRAMS[contract.program].name,
            "statute": contract.statute,
            "buyer": self.order.member_name,
            "ordered_by": self.order.submitted_by.name,
            "lead": contract.lead,
            "lines": [line.model_dump(mode="json") for line in decision.lines],
            "total": f"{decision.total:.2f}",
            "delivery": self.order.request.delivery,
            "placed_at": workflow.now().isoformat(),
        }
        notice = {
            "order": self._reference,
            "contract": contract.reference,
            "vendor": contract.vendor,
            "buyer": self.order.member_name,
            "total": f"{decision.total:.2f}",
            "summary": decision.reason,
        }
        return [
            OrderMessage(
                reference=self._reference,
                seq=seq,
                kind="purchase_order",
                recipient=contract.vendor,
                content=purchase_order,
            ),
            OrderMessage(
                reference=self._reference,
                seq=seq,
                kind="order_placed",
                recipient=rules.member_recipient(self.order.member_name),
                content=notice,
            ),
            OrderMessage(
                reference=self._reference,
                seq=seq,
                kind="order_placed",
                recipient=rules.lead_recipient(contract),
                content=notice,
            ),
        ]

    def _member_notice(self, kind: str, summary: str) -> OrderMessage:
        decision = self.decision
        content: dict[str, Any] = {
            "order": self._reference,
            "contract": self.order.request.contract,
            "state": self.state,
            "summary": summary,
        }
        if decision is not None and kind != "order_withdrawn":
            content |= {
                "code": decision.code,
                "citation": decision.citation,
                "next_step": decision.next_step,
            }
        return OrderMessage(
            reference=self._reference,
            seq=len(self.events),
            kind=kind,
            recipient=rules.member_recipient(self.order.member_name),
            content=content,
        )

    def _outcome(self) -> OrderOutcome:
        d = self.decision
        return OrderOutcome(
            reference=self._reference,
            state=self.state,
            total=d.total if d else Decimal("0.00"),
            code=d.code if d else None,
            citation=d.citation if d else None,
            reason=d.reason if d else None,
            field=d.field if d else None,
            next_step=d.next_step if d and self.state == "held" else None,
        )

    def _snapshot(self) -> dict[str, Any]:
        d = self.decision
        contract = self.contract
        return {
            "reference": self._reference,
            "state": self.state,
            "member": self.order.member_name,
            "member_id": self.member.member_id if self.member else None,
            "contract": self.order.request.contract,
            "program": contract.program if contract else None,
            "vendor": contract.vendor if contract else None,
            "lead": contract.lead if contract else None,
            "lines": [line.model_dump(mode="json") for line in d.lines] if d else [],
            "requested_lines": [
                line.model_dump(mode="json", exclude_none=True) for line in self.order.request.lines
            ],
            "total": f"{d.total:.2f}" if d else "0.00",
            "delivery": self.order.request.delivery,
            "decision": {
                "code": d.code,
                "citation": d.citation,
                "reason": d.reason,
                "field": d.field,
                "next_step": d.next_step if self.state == "held" else None,
            }
            if d
            else None,
            "submitted_by": self.order.submitted_by.name,
            "created_at": self.created_at.isoformat(),
            "placed_at": self.placed_at.isoformat() if self.placed_at else None,
            "withdrawal": self.withdrawal,
            "history": [e.model_dump(mode="json") for e in self.events],
        }

    async def _persist(
        self, audit: list[OrderEvent], messages: list[OrderMessage], *, place: bool = False
    ) -> PersistResult:
        contract = self.contract
        d = self.decision
        self.revision += 1
        step = OrderStep(
            reference=self._reference,
            revision=self.revision,
            state=self.state,
            member_name=self.order.member_name,
            member_id=self.member.member_id if self.member else None,
            contract_reference=self.order.request.contract,
            program=contract.program if contract else None,
            vendor=contract.vendor if contract else None,
            lead=contract.lead if contract else None,
            total=d.total if d else Decimal("0.00"),
            digest=self.order.digest,
            submitted_by=self.order.submitted_by.name,
            created_at=self.created_at,
            updated_at=workflow.now(),
            placed_at=self.placed_at,
            place=place,
            snapshot=self._snapshot(),
            audit=audit,
            messages=messages,
        )
        result: PersistResult = await workflow.execute_activity(
            activity_names.COOPERATIVE_PERSIST_ORDER,
            step,
            result_type=PersistResult,
            start_to_close_timeout=_TIMEOUT,
            retry_policy=_RETRY,
        )
        return result
