"""The procurement state machine (``transitions``), built from the procurement's method.

Pure and deterministic: it reads the clock only from the ``now`` it is given and never does
I/O. The workflow fires triggers and performs the effects each returns (Bulletin notices,
messages); the API asks it which actions are allowed now. Each guard names the rule it
enforces, so an illegal trigger is refused with that reason and citation.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ValidationError
from transitions import EventData, Machine

from rules import citations
from state_machines.context import Ctx, Effects, Refusal, Refused
from state_machines.models import Empty, Facts, Model, TransitionRecord
from state_machines.routes import COMMANDS, ROUTES, STATES, TERMINAL, TRIGGERS, Route

__all__ = [
    "COMMANDS",
    "STATES",
    "SYSTEM_ACTOR",
    "TERMINAL",
    "TRIGGERS",
    "Effects",
    "ProcurementMachine",
    "Refusal",
    "Refused",
]

SYSTEM_ACTOR = "system"


class ProcurementMachine:
    """Wraps a procurement's :class:`Facts` in a ``transitions`` machine of its method.

    ``check`` says why a trigger would be refused; ``fire`` applies it (or raises
    :class:`Refused`) and returns the effects; ``allowed_actions`` lists what may be done now.
    """

    state: str

    def __init__(self, facts: Facts) -> None:
        self.facts = facts
        self.routes: dict[str, Route] = ROUTES[facts.method]
        self._effects: Effects | None = None
        self.machine = Machine(
            model=self,
            states=list(STATES),
            initial=facts.state,
            transitions=[
                {
                    "trigger": name,
                    "source": list(route.sources),
                    "dest": route.dest,
                    # The guards are judged once, by ``check``, before the trigger is fired:
                    # the library moves the state and runs the effect, nothing more.
                    "before": "_apply",
                }
                for name, route in self.routes.items()
            ],
            auto_transitions=False,
            send_event=True,
        )

    # transitions callbacks -------------------------------------------------------------
    def _apply(self, event: EventData) -> None:
        ctx: Ctx = event.kwargs["ctx"]
        self._effects = self.routes[event.event.name].apply(ctx)

    # public ------------------------------------------------------------------------------
    @staticmethod
    def parse(trigger: str, payload: dict[str, Any]) -> Model:
        spec = TRIGGERS.get(trigger)
        if spec is None:
            raise Refused(_unknown(trigger))
        try:
            return spec.payload.model_validate(payload)
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = ".".join(str(p) for p in first["loc"]) or None
            raise Refused(
                Refusal("invalid_payload", spec.citation, f"{loc}: {first['msg']}", loc)
            ) from exc

    def citation(self, trigger: str) -> str:
        route = self.routes.get(trigger)
        return (route.citation if route else None) or TRIGGERS[trigger].citation

    def check(
        self, trigger: str, payload: Model | None, actor: str, now: datetime
    ) -> Refusal | None:
        if trigger not in TRIGGERS:
            return _unknown(trigger)
        route = self.routes.get(trigger)
        if route is None:
            return Refusal(
                "not_in_method",
                citations.SOURCE_SELECTION,
                f"'{trigger}' is not a step of a {self.facts.method.replace('_', ' ')} "
                f"procurement ({citations.SOURCE_SELECTION}).",
            )
        if self.facts.state not in route.sources:
            allowed = ", ".join(route.sources)
            return Refusal(
                "illegal_transition",
                self.citation(trigger),
                f"'{trigger}' is not allowed while the procurement is '{self.facts.state}'; "
                f"it is allowed only in: {allowed}. The Code's steps run in order "
                f"({self.citation(trigger)}).",
            )
        ctx = Ctx(self.facts, now, actor, payload)
        return self._first_failing(route, ctx, with_payload=payload is not None)

    def fire(
        self,
        trigger: str,
        payload: Model,
        actor: str,
        now: datetime,
        *,
        role: str | None = None,
        request_id: str | None = None,
        checked: bool = False,
    ) -> list[Effects]:
        """Apply a trigger and any follow-up it causes; returns the effects of each.

        ``checked``: the caller has just judged this very trigger, payload and instant with
        ``check`` and it passed, so the guards are not run a second time for one decision.
        """
        refusal = None if checked else self.check(trigger, payload, actor, now)
        if refusal is not None:
            raise Refused(refusal)
        before = self.facts.state
        ctx = Ctx(self.facts, now, actor, payload)
        self._effects = None
        if not getattr(self, trigger)(ctx=ctx):
            raise Refused(Refusal("refused", self.citation(trigger), f"'{trigger}' was refused."))
        effects = self._effects or Effects()
        self.facts.state = self.state  # type: ignore[assignment]
        self.facts.seq += 1
        self.facts.history.append(
            TransitionRecord(
                seq=self.facts.seq,
                trigger=trigger,
                from_state=before,
                to_state=self.facts.state,
                actor=actor,
                at=now,
                citation=self.citation(trigger),
                summary=effects.summary,
                role=role,
                request_id=request_id,
            )
        )
        out = [effects]
        if effects.follow_up is not None:
            name, data = effects.follow_up
            out.extend(
                self.fire(
                    name,
                    TRIGGERS[name].payload.model_validate(data),
                    actor,
                    now,
                    role=role,
                    request_id=request_id,
                )
            )
        return out

    def record_launch(
        self, actor: str, now: datetime, summary: str, *, role: str | None = None
    ) -> None:
        """The first line of the history: who launched the procurement, under which method."""
        self.facts.seq += 1
        self.facts.history.append(
            TransitionRecord(
                seq=self.facts.seq,
                trigger="launch",
                from_state="draft",
                to_state="draft",
                actor=actor,
                at=now,
                citation=citations.SOURCE_SELECTION,
                summary=summary,
                role=role,
            )
        )

    def allowed_actions(self, now: datetime) -> list[str]:
        """Commands whose state and time guards pass now (a payload may still be refused)."""
        return [
            name
            for name in COMMANDS
            if name in self.routes and self.check(name, None, "", now) is None
        ]

    def due_automatic(self, now: datetime) -> list[str]:
        """Clock-driven triggers whose every guard passes now."""
        return [
            name
            for name, spec in TRIGGERS.items()
            if spec.fired_by == "clock"
            and name in self.routes
            and self.check(name, Empty(), SYSTEM_ACTOR, now) is None
        ]

    @staticmethod
    def _first_failing(route: Route, ctx: Ctx, *, with_payload: bool) -> Refusal | None:
        for guard in route.guards:
            if guard.on_payload and not with_payload:
                continue
            reason = guard.test(ctx)
            if reason is not None:
                return Refusal(guard.code, guard.citation, reason, guard.field)
        return None


def _unknown(trigger: str) -> Refusal:
    return Refusal(
        "unknown_command",
        citations.SOURCE_SELECTION,
        f"'{trigger}' is not a command of a procurement.",
    )
