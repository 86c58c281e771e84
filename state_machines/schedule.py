"""Every statutory date of a procurement, derived from its facts: a pure function.

The workflow sleeps until the earliest instant returned by :func:`next_wakeup` (or a command)
and then re-runs whatever is due, so a late or missed wake-up only delays, never skips, a
step. The API uses :func:`deadlines` to show every date by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from rules import citations
from rules.award import EXPLANATION_FILING_DAYS
from rules.calendar import CalendarRules, end_of_day, local_date, start_of_day, statutory_deadline
from rules.periods import (
    MAX_TOLLING_DAYS,
    AwardProtestPeriod,
    ProtestRules,
    award_protest_period,
    earliest_opening,
    review_window_ends_on,
    solicitation_protest_closes_at,
    tolling_expires_at,
)
from state_machines.models import Facts


def calendar_rules(facts: Facts) -> CalendarRules:
    return CalendarRules.from_dict(facts.calendar)


def protest_rules(facts: Facts) -> ProtestRules:
    return ProtestRules.from_dict(facts.protest_rules)


def window_ends_on(facts: Facts) -> date | None:
    if facts.award is None:
        return None
    return review_window_ends_on(facts.award.notice_on, calendar_rules(facts))


def window_expires_at(facts: Facts) -> datetime | None:
    """The instant the 5-30(a) window has run: the start of the day after its last day."""
    last = window_ends_on(facts)
    return None if last is None else end_of_day(last)


def waived_by_both(facts: Facts) -> bool:
    return {w.body for w in facts.waivers} >= {"PPB", "CEI"}


def window_open(facts: Facts, now: datetime) -> bool:
    expires = window_expires_at(facts)
    return expires is not None and now < expires and not waived_by_both(facts)


def protest_period(facts: Facts, now: datetime) -> AwardProtestPeriod | None:
    if facts.award is None:
        return None
    notified = local_date(facts.bidders_notified_at) if facts.bidders_notified_at else None
    return award_protest_period(
        facts.award.notice_on,
        notified,
        local_date(now),
        calendar_rules(facts),
        protest_rules(facts),
    )


def solicitation_protest_deadline(facts: Facts) -> datetime | None:
    if facts.published_on is None or facts.notice.opening_at is None:
        return None
    return solicitation_protest_closes_at(
        facts.published_on, facts.notice.opening_at, calendar_rules(facts), protest_rules(facts)
    )


def pending_protests(facts: Facts) -> list[str]:
    return [p.protest_id for p in facts.protests if p.status == "pending"]


@dataclass(frozen=True)
class Deadline:
    """One named statutory date. ``at`` is the instant it falls due (aware)."""

    name: str
    at: datetime
    citation: str
    description: str
    met: bool = False
    provisional: bool = False
    # The last day of a period that runs through a whole day; ``at`` is then the first
    # instant after it. None when the deadline is a moment in a day (an opening, 17:00).
    last_day: date | None = None

    def as_dict(self, now: datetime) -> dict[str, object]:
        status = "met" if self.met else ("past" if now >= self.at else "upcoming")
        return {
            "name": self.name,
            "due_at": self.at.isoformat(),
            "due_on": (self.last_day or local_date(self.at)).isoformat(),
            "citation": self.citation,
            "description": self.description,
            "status": status,
            "provisional": self.provisional,
        }


def deadlines(facts: Facts, now: datetime) -> list[Deadline]:
    """Every statutory date this procurement has reached or will reach, in date order."""
    rules = calendar_rules(facts)
    out: list[Deadline] = []
    if facts.published_on is not None:
        first = earliest_opening(facts.published_on, rules)
        out.append(
            Deadline(
                "earliest_opening",
                start_of_day(first),
                citations.PUBLIC_NOTICE_IFB,
                f"Bids may not be opened before {first.isoformat()}, 14 days after the notice "
                "appeared in the Bulletin.",
                # A "not before" date, not a duty: it never counts as the next deadline.
                met=True,
            )
        )
        closes = solicitation_protest_deadline(facts)
        if closes is not None and facts.state == "published":
            out.append(
                Deadline(
                    "solicitation_protest_closes",
                    closes,
                    protest_rules(facts).citation,
                    "Last moment to protest the notice or solicitation.",
                    met=facts.opened_at is not None,
                )
            )
    if facts.notice.opening_at is not None and facts.state in ("draft", "published"):
        out.append(
            Deadline(
                "bid_opening",
                facts.notice.opening_at,
                citations.BID_OPENING,
                "Bids are due and are opened publicly with witnesses.",
                met=facts.opened_at is not None,
            )
        )
    if facts.award is not None:
        last = window_ends_on(facts)
        assert last is not None
        out.append(
            Deadline(
                "review_window_ends",
                end_of_day(last),
                citations.REVIEW_WINDOW,
                f"The Procurement Policy Board and the Commission on Equity and Inclusion may "
                f"request documents through {last.isoformat()}; no contract before then unless "
                "both waive in writing.",
                met=waived_by_both(facts) or facts.executed_at is not None,
                last_day=last,
            )
        )
        for request in facts.document_requests:
            out.append(
                Deadline(
                    f"documents_due:{request.request_id}",
                    end_of_day(request.due_on),
                    citations.REVIEW_WINDOW,
                    f"Documents requested by the {request.body} are due.",
                    met=request.answered_at is not None,
                    last_day=request.due_on,
                )
            )
        if facts.award.explanation is not None:
            due = statutory_deadline(
                local_date(facts.award.decided_at), EXPLANATION_FILING_DAYS, rules
            )
            out.append(
                Deadline(
                    "written_explanation_filing",
                    end_of_day(due),
                    citations.AWARD,
                    "File the written explanation with the Legislative Audit Commission, the "
                    "Commission on Equity and Inclusion and the Procurement Policy Board.",
                    last_day=due,
                )
            )
        period = protest_period(facts, now)
        assert period is not None
        if facts.bidders_notified_at is None:
            out.append(
                Deadline(
                    "bidder_notice_tolling_ends",
                    tolling_expires_at(facts.award.notice_on),
                    citations.BIDDER_NOTICE,
                    "Bidders have not been notified electronically; the protest period is "
                    "tolled until they are, at most 7 days.",
                    last_day=facts.award.notice_on + timedelta(days=MAX_TOLLING_DAYS - 1),
                )
            )
        out.append(
            Deadline(
                "award_protest_closes",
                period.closes_at,
                protest_rules(facts).citation,
                f"Last moment to protest the award (tolled {period.tolled_days} days under "
                f"{citations.BIDDER_NOTICE}).",
                met=facts.closed_at is not None,
                provisional=not period.final,
            )
        )
    out.sort(key=lambda d: d.at)
    return out


def next_deadline(facts: Facts, now: datetime) -> Deadline | None:
    """The first deadline not yet met nor passed: what a supervisor watches next."""
    for d in deadlines(facts, now):
        if not d.met and d.at > now:
            return d
    return None


def next_wakeup(facts: Facts, now: datetime) -> datetime | None:
    """The next instant at which something may become due without a command."""
    if facts.state in ("closed", "cancelled"):
        return None
    upcoming = [d.at for d in deadlines(facts, now) if d.at > now and not d.met]
    return min(upcoming) if upcoming else None
