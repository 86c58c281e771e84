"""A cooperative order's declared routes and the machine built from them: where each trigger
may fire and leads, which commands are refused outside a held order, how steps are recorded,
and that a placement the write refuses leaves the order where it was."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from transitions import MachineError

from cooperative.routes import (
    COMMANDS,
    ROUTES,
    STATES,
    TRIGGER_OF,
    OrderMachine,
    step_outcome,
)

AT = datetime(2099, 3, 2, 15, tzinfo=UTC)
CITATION = "30 ILCS 525/2"


def fire(machine: OrderMachine, trigger: str, command: str) -> None:
    machine.fire(
        trigger,
        command=command,
        actor="Ada",
        role="member",
        at=AT,
        citation=CITATION,
        summary=f"{command}: {trigger}",
        request_id=None,
    )


def test_routes_and_commands_name_only_declared_states_and_triggers() -> None:
    for route in ROUTES.values():
        assert route.dest in STATES and set(route.sources) <= set(STATES)
    for command in COMMANDS.values():
        assert set(command.triggers) <= set(ROUTES)
    assert set(TRIGGER_OF.values()) <= set(ROUTES)
    # Only a placement waits on its write; nothing leaves a placed, refused or withdrawn order.
    assert [name for name, r in ROUTES.items() if r.provisional] == ["place"]
    assert not any(set(r.sources) & {"placed", "refused", "withdrawn"} for r in ROUTES.values())


@pytest.mark.parametrize(
    ("command", "trigger", "outcome"),
    [
        ("submit", "place", "accepted"),
        ("submit", "hold", "accepted"),
        ("submit", "refuse", "refused"),
        ("documents_recorded", "refuse", "accepted"),
        ("recheck", "place", "automatic"),
        ("recheck", "refuse", "automatic"),
        ("withdraw", "withdraw", "accepted"),
    ],
)
def test_a_step_is_named_by_its_command(command: str, trigger: str, outcome: str) -> None:
    assert step_outcome(command, trigger) == outcome


def test_a_held_order_is_placed_and_its_steps_recorded_in_turn() -> None:
    machine = OrderMachine()
    fire(machine, "hold", "submit")
    fire(machine, "place", "documents_recorded")
    assert machine.current == "placed" and machine.pending is machine.events[-1]
    machine.confirm()
    assert machine.pending is None
    assert [(e.seq, e.command, e.from_state, e.to_state) for e in machine.events] == [
        (1, "submit", "received", "held"),
        (2, "documents_recorded", "held", "placed"),
    ]
    assert machine.placed_at == AT


def test_a_placement_the_write_refuses_never_happened() -> None:
    machine = OrderMachine()
    fire(machine, "hold", "submit")
    fire(machine, "place", "recheck")
    with pytest.raises(RuntimeError):
        fire(machine, "refuse", "recheck")  # not while the placement waits on its write
    machine.void()
    assert machine.current == "held" and machine.pending is None
    assert len(machine.events) == 1 and machine.placed_at is None
    fire(machine, "refuse", "recheck")
    assert (machine.events[-1].seq, machine.events[-1].from_state) == (2, "held")
    assert machine.events[-1].outcome == "automatic" and machine.current == "refused"


def test_a_trigger_fires_only_from_its_sources_and_for_its_commands() -> None:
    machine = OrderMachine()
    with pytest.raises(MachineError):
        fire(machine, "withdraw", "withdraw")
    with pytest.raises(ValueError):
        fire(machine, "hold", "recheck")  # a held order still missing its MICPA stays put
    fire(machine, "refuse", "submit")
    with pytest.raises(MachineError):
        fire(machine, "place", "documents_recorded")


@pytest.mark.parametrize(
    ("command", "ending"),
    [("documents_recorded", "checked again."), ("withdraw", "withdrawn.")],
)
def test_only_a_held_order_is_checked_again_or_withdrawn(command: str, ending: str) -> None:
    held = OrderMachine("held")
    assert held.check(command, "ORD-1", CITATION) is None
    refusal = OrderMachine("placed").check(command, "ORD-1", CITATION)
    assert refusal is not None
    assert (refusal.code, refusal.citation, refusal.field) == ("not_held", CITATION, None)
    assert refusal.reason == f"Order ORD-1 is placed; only a held order is {ending}"
    assert OrderMachine("received").check("submit", "ORD-1", CITATION) is None


def test_a_continued_run_resumes_the_carried_state_and_steps() -> None:
    first = OrderMachine()
    fire(first, "hold", "submit")
    carried = OrderMachine(first.current, first.events)
    fire(carried, "withdraw", "withdraw")
    assert [e.seq for e in carried.events] == [1, 2] and len(first.events) == 1
    assert carried.current == "withdrawn" and carried.placed_at is None
