"""A cooperative order's states and steps, as data, and the machine built from them.

The same idiom as a procurement's routes (``state_machines/routes.py``): a trigger moves the
order, and its ``Route`` says from which states it may fire and to which state it leads. A
command (what a member or the clock sends) says in which states it is accepted, which checks
it must meet, and which triggers its decision may fire. ``OrderMachine`` is the
``transitions`` machine of those routes; it keeps the order's state and its recorded steps.

Pure: no Temporal, no database; the time of a step is given to it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, cast

from transitions import Machine

from cooperative.models import OrderEvent, OrderState, Outcome, Refusal

STATES: tuple[OrderState, ...] = ("received", "placed", "held", "refused", "withdrawn")


@dataclass(frozen=True)
class Route:
    """Where a trigger may fire and where it leads."""

    sources: tuple[OrderState, ...]
    dest: OrderState
    # A step that stands only once the write confirms it: placing checks the contract's
    # ceiling again under a lock, and a ceiling filled meanwhile means it never happened.
    provisional: bool = False


# The trigger of a decision is its outcome (``Decision.outcome``); ``withdraw`` is the member's.
ROUTES: dict[str, Route] = {
    "place": Route(("received", "held"), "placed", provisional=True),
    "hold": Route(("received",), "held"),
    "refuse": Route(("received", "held"), "refused"),
    "withdraw": Route(("held",), "withdrawn"),
}
TRIGGER_OF: dict[Outcome, str] = {"place": "place", "hold": "hold", "refuse": "refuse"}


@dataclass(frozen=True)
class OrderCtx:
    """What a command's checks read: the order as it stands and the command asked for."""

    reference: str
    state: str
    citation: str  # the program's, or the service rule's before the contract is known
    command: str


Guard = Callable[[OrderCtx], Refusal | None]

# How the refusal of a command outside a held order ends its sentence.
_ONLY_HELD = {"documents_recorded": "checked again.", "withdraw": "withdrawn."}


def only_held(ctx: OrderCtx) -> Refusal | None:
    """Only a held order is checked again or withdrawn; a placed one is with the vendor."""
    if ctx.state == "held":
        return None
    return Refusal(
        code="not_held",
        citation=ctx.citation,
        reason=f"Order {ctx.reference} is {ctx.state}; only a held order is "
        + _ONLY_HELD[ctx.command],
        field=None,
    )


@dataclass(frozen=True)
class Command:
    """What is sent to an order: the checks it must meet and the triggers it may fire.

    A decision that leaves the order where it was (a held order still missing its MICPA)
    fires nothing and records nothing.
    """

    triggers: tuple[str, ...]
    guards: tuple[Guard, ...] = ()
    # "clock": the workflow's own daily look; its steps are recorded as automatic.
    fired_by: Literal["caller", "clock"] = "caller"


COMMANDS: dict[str, Command] = {
    "submit": Command(("place", "hold", "refuse")),
    "documents_recorded": Command(("place", "refuse"), (only_held,)),
    "recheck": Command(("place", "refuse"), fired_by="clock"),
    "withdraw": Command(("withdraw",), (only_held,)),
}


def step_outcome(command: str, trigger: str) -> Literal["accepted", "refused", "automatic"]:
    """How the audit trail names a step: the clock's are automatic, and an order refused
    when it is sent is refused; every other step was accepted."""
    if COMMANDS[command].fired_by == "clock":
        return "automatic"
    if command == "submit" and trigger == "refuse":
        return "refused"
    return "accepted"


class OrderMachine:
    """An order's state on a ``transitions`` machine of ``ROUTES``, and its steps.

    ``check`` says why a command would be refused now; ``fire`` moves the order and records
    the step. A provisional step is pending until ``confirm`` or ``void``: until then the
    order reads as moved (what the write records), and nothing else may fire.
    """

    state: str

    def __init__(self, state: OrderState = "received", events: Sequence[OrderEvent] = ()) -> None:
        self.events: list[OrderEvent] = list(events)
        self.pending: OrderEvent | None = None
        self.machine = Machine(
            model=self,
            states=list(STATES),
            initial=state,
            transitions=[
                {"trigger": name, "source": list(route.sources), "dest": route.dest}
                for name, route in ROUTES.items()
            ],
            auto_transitions=False,
        )

    @property
    def current(self) -> OrderState:
        return cast(OrderState, self.state)

    @property
    def placed_at(self) -> datetime | None:
        """When the order was placed: the time of its placing step."""
        return next((e.at for e in self.events if e.to_state == "placed"), None)

    def check(self, command: str, reference: str, citation: str) -> Refusal | None:
        ctx = OrderCtx(reference=reference, state=self.state, citation=citation, command=command)
        for guard in COMMANDS[command].guards:
            refusal = guard(ctx)
            if refusal is not None:
                return refusal
        return None

    def fire(
        self,
        trigger: str,
        *,
        command: str,
        actor: str,
        role: str,
        at: datetime,
        citation: str,
        summary: str,
        request_id: str | None,
    ) -> OrderEvent:
        """Move the order by ``trigger`` on behalf of ``command`` and record the step."""
        if self.pending is not None:
            raise RuntimeError(f"'{trigger}' fired while step {self.pending.seq} is pending")
        if trigger not in COMMANDS[command].triggers:
            raise ValueError(f"'{command}' does not fire '{trigger}'")
        before = self.current
        # Raises MachineError when the order is not in one of the route's sources.
        getattr(self, trigger)()
        event = OrderEvent(
            seq=len(self.events) + 1,
            command=command,
            outcome=step_outcome(command, trigger),
            from_state=before,
            to_state=self.current,
            actor=actor,
            role=role,
            at=at,
            citation=citation,
            summary=summary,
            request_id=request_id,
        )
        self.events.append(event)
        if ROUTES[trigger].provisional:
            self.pending = event
        return event

    def confirm(self) -> None:
        """The write recorded the pending step: it stands."""
        assert self.pending is not None
        self.pending = None

    def void(self) -> None:
        """The write refused the pending step: the order is where it was, as if never fired."""
        event = self.pending
        assert event is not None and self.events[-1] is event
        self.events.pop()
        self.machine.set_state(event.from_state, model=self)
        self.pending = None
