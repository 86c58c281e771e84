"""What every guard and effect shares: the context it reads, what it returns, how a
refusal is told."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from rules.calendar import CHICAGO, local_date
from state_machines.models import Facts


@dataclass(frozen=True)
class Refusal:
    """Why a command may not happen now: a stable code, the rule's citation and the reason."""

    code: str
    citation: str
    reason: str
    field: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "citation": self.citation,
            "reason": self.reason,
            "field": self.field,
        }


class Refused(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.reason)
        self.refusal = refusal


@dataclass
class Ctx:
    """What a guard or an effect may look at: the facts, the time, the command."""

    facts: Facts
    now: datetime
    actor: str
    payload: Any

    @property
    def today(self) -> date:
        return local_date(self.now)


@dataclass
class Effects:
    """What the workflow must do after a trigger: publish, message, record."""

    summary: str = ""
    notices: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    follow_up: tuple[str, dict[str, Any]] | None = None


@dataclass(frozen=True)
class Guard:
    """A rule a trigger must satisfy. ``test`` returns the reason it is refused, or None.

    ``on_payload`` guards look at the command; the others only at facts and time, so they
    decide whether an action is offered at all.
    """

    code: str
    citation: str
    test: Callable[[Ctx], str | None]
    on_payload: bool = False
    field: str | None = None


GuardTest = Callable[[Ctx], str | None]


def when(code: str, citation: str, field_name: str | None = None) -> Callable[[GuardTest], Guard]:
    def wrap(test: GuardTest) -> Guard:
        return Guard(code, citation, test, on_payload=False, field=field_name)

    return wrap


def on_payload(
    code: str, citation: str, field_name: str | None = None
) -> Callable[[GuardTest], Guard]:
    def wrap(test: GuardTest) -> Guard:
        return Guard(code, citation, test, on_payload=True, field=field_name)

    return wrap


def fmt(moment: datetime) -> str:
    """A moment as Chicago reads it, for refusal messages."""
    return moment.astimezone(CHICAGO).strftime("%Y-%m-%d %H:%M %Z")
