"""The pure state machine: order of steps, guards with citations, no Temporal involved."""

from __future__ import annotations

from datetime import timedelta

import pytest

from state_machines.models import (
    AwardCommand,
    Cancel,
    Empty,
    OpenBids,
    RankEntry,
    RegisterBid,
)
from state_machines.procurement import COMMANDS, TRIGGERS, ProcurementMachine, Refused
from state_machines.routes import ROUTES
from tests.driver import T0, chicago, pure_facts


def new_machine(**overrides: object) -> ProcurementMachine:
    return ProcurementMachine(pure_facts("IFB-PURE-1", **overrides))


def test_every_trigger_names_its_citation_and_every_guard_too() -> None:
    for trigger in TRIGGERS.values():
        assert "ILCS" in trigger.citation or "Adm. Code" in trigger.citation, trigger.name
    for method, routes in ROUTES.items():
        for name, route in routes.items():
            assert name in TRIGGERS, (method, name)
            for guard in route.guards:
                assert "ILCS" in guard.citation or "Adm. Code" in guard.citation, guard.code


def test_states_only_move_in_the_codes_order() -> None:
    m = new_machine()
    assert m.state == "draft"
    with pytest.raises(Refused) as refused:
        m.fire("open_bids", OpenBids(witnesses=["W"]), "agency", T0)
    assert refused.value.refusal.code == "illegal_transition"
    assert "only in: published" in refused.value.refusal.reason

    m.fire("publish", Empty(), "agency", T0)
    m.fire("register_bid", RegisterBid(bid_id="b1", vendor="V", digest="a" * 64), "V", T0)
    with pytest.raises(Refused):
        m.fire("award", AwardCommand(bid_id="b1"), "agency", T0)

    opening = chicago(2099, 3, 16, 14)
    ranking = [RankEntry(bid_id="b1", vendor="V", rank=1)]
    m.fire("open_bids", OpenBids(witnesses=["W"], ranking=ranking), "agency", opening)
    assert m.facts.state == "evaluation"
    m.fire("award", AwardCommand(bid_id="b1"), "agency", opening + timedelta(hours=20))
    assert m.facts.state == "review_window"
    with pytest.raises(Refused) as refused:
        m.fire("execute", Empty(), "agency", opening + timedelta(days=2))
    assert refused.value.refusal.citation == "30 ILCS 500/5-30(b)"


def test_allowed_actions_follow_state_and_time() -> None:
    m = new_machine()
    assert set(m.allowed_actions(T0)) == {"amend", "publish", "cancel"}
    m.fire("publish", Empty(), "agency", T0)
    assert "register_bid" in m.allowed_actions(T0)
    assert "open_bids" not in m.allowed_actions(T0)
    at_opening = chicago(2099, 3, 16, 14)
    assert "open_bids" in m.allowed_actions(at_opening)
    assert "register_bid" not in m.allowed_actions(at_opening)


def test_publish_refusal_cites_twenty_ten_c_with_dates() -> None:
    m = new_machine(opening_at=chicago(2099, 3, 13, 14).isoformat())
    refusal = m.check("publish", Empty(), "agency", T0)
    assert refusal is not None
    assert refusal.citation == "30 ILCS 500/20-10(c)"
    assert "2099-03-13" in refusal.reason and "2099-03-16" in refusal.reason


def test_cancel_needs_reason_and_is_refused_once_awarded() -> None:
    m = new_machine()
    with pytest.raises(ValueError):
        Cancel(reason="")
    m.fire("cancel", Cancel(reason="No longer needed."), "agency", T0)
    assert m.facts.state == "cancelled"
    assert m.facts.history[-1].summary == "Cancelled: No longer needed."


def test_commands_exclude_clock_and_decision_triggers() -> None:
    assert "close" not in COMMANDS and "rescind_award" not in COMMANDS
    assert {"publish", "register_bid", "open_bids", "award", "execute", "cancel"} <= set(COMMANDS)
