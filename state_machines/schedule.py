"""Every statutory date of a procurement, derived from its facts: a pure function.

The workflow sleeps until the earliest instant returned by :func:`next_wakeup` (or a command)
and then re-runs whatever is due, so a late or missed wake-up only delays, never skips, a
step. The API uses :func:`deadlines` to show every date by name; :func:`reminders_due` says
which reminders the workflow owes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from rules import citations, periods
from rules.award import EXPLANATION_FILING_DAYS
from rules.calendar import (
    CalendarRules,
    end_of_day,
    is_excluded_day,
    local_date,
    start_of_day,
    statutory_deadline,
)
from rules.periods import (
    MAX_TOLLING_DAYS,
    AwardProtestPeriod,
    ProtestRules,
    award_protest_period,
    earliest_opening,
    review_window_ends_on,
    review_window_exemption,
    solicitation_protest_closes_at,
    tolling_expires_at,
)
from state_machines import pinned
from state_machines.models import Facts

# Methods without competition have no award protest period and no Board review window.
UNCONTESTED_METHODS = frozenset({"small_purchase", "emergency", "contract_renewal"})
# A change order has the review window of a contract let (5-30(a)) but no bidders to protest.
NO_PROTEST_METHODS = UNCONTESTED_METHODS | {"contract_change"}


def calendar_rules(facts: Facts) -> CalendarRules:
    """The procurement's pinned calendar, converted once per facts object."""
    cached = facts._calendar_rules
    if cached is None or cached[0] is not facts.calendar:
        cached = (facts.calendar, CalendarRules.from_dict(facts.calendar))
        facts._calendar_rules = cached
    rules: CalendarRules = cached[1]
    return rules


def noticed_on(facts: Facts) -> date | None:
    """The day the invitation whose opening is pending appeared in the Bulletin: in
    multi-step sealed bidding, once issued, the invitation for priced bids (20-10(c),(h))."""
    if facts.technical is not None:
        return facts.technical.invited_on
    return facts.published_on


def protest_rules(facts: Facts) -> ProtestRules:
    return ProtestRules.from_dict(facts.protest_rules)


def window_exemption(facts: Facts) -> str | None:
    """Whether 5-30(c) exempts this contract from the review window: judged by the contract as
    awarded (its price at award), the estimate standing in only until then. Procurements
    pinned to rules before 2026.2 keep judging by the estimate."""
    spec = facts.spec
    value = spec.estimated_value
    if facts.award is not None and pinned.since(facts.rules_version, pinned.AWARDED_VALUE):
        value = facts.award.price
    return review_window_exemption(
        facts.method, spec.category, spec.renewable, spec.term_months, value
    )


def window_ends_on(facts: Facts) -> date | None:
    if facts.award is None or window_exemption(facts) is not None:
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


def renewal_notice_due(facts: Facts) -> date | None:
    change = facts.spec.contract
    if facts.method != "contract_renewal" or change is None:
        return None
    return periods.renewal_notice_due(change.determined_on, calendar_rules(facts))


def protest_period(facts: Facts, now: datetime) -> AwardProtestPeriod | None:
    if facts.award is None or facts.method in NO_PROTEST_METHODS:
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
    # A duty someone must perform by then: reminded before, flagged overdue after.
    duty: bool = False
    # When a duty that happens *at* a moment (an opening, a hearing) counts as overdue: the
    # end of its day, not the minute it is set for.
    grace_until: datetime | None = None

    @property
    def overdue_at(self) -> datetime:
        return self.grace_until or self.at

    @property
    def due_on(self) -> date:
        return self.last_day or local_date(self.at)

    def status(self, now: datetime) -> str:
        if self.met:
            return "met"
        if now < self.at:
            return "upcoming"
        if not self.duty:
            return "passed"
        return "overdue" if now >= self.overdue_at else "due"

    def as_dict(self, now: datetime) -> dict[str, object]:
        return {
            "name": self.name,
            "due_at": self.at.isoformat(),
            "due_on": self.due_on.isoformat(),
            "citation": self.citation,
            "description": self.description,
            "status": self.status(now),
            "provisional": self.provisional,
        }


def deadlines(facts: Facts, now: datetime) -> list[Deadline]:
    """Every statutory date this procurement has reached or will reach, in date order."""
    rules = calendar_rules(facts)
    out: list[Deadline] = []
    notice = facts.notice
    noticed = periods.noticed_opening(facts.method)
    invited_on = noticed_on(facts)
    if invited_on is not None:
        first = earliest_opening(invited_on, rules)
        out.append(
            Deadline(
                f"earliest_{noticed.noun}",
                start_of_day(first),
                noticed.period_citation,
                f"The {noticed.noun} may not be before {first.isoformat()}, 14 days after the "
                "notice appeared in the Bulletin.",
                # A "not before" date, not a duty: it never counts as the next deadline.
                met=True,
            )
        )
        closes = solicitation_protest_deadline(facts)
        if closes is not None and facts.state == "published" and facts.method != "sole_source":
            out.append(
                Deadline(
                    "solicitation_protest_closes",
                    closes,
                    protest_rules(facts).citation,
                    "Last moment to protest the notice or solicitation.",
                    met=facts.opened_at is not None,
                )
            )
    if (
        notice.opening_at is not None
        and facts.state in ("draft", "published")
        and (facts.method not in ("sole_source", "small_purchase", "emergency"))
    ):
        out.append(
            Deadline(
                "technical_offer_opening" if facts.in_technical_step else noticed.opening,
                notice.opening_at,
                citations.MULTI_STEP if facts.in_technical_step else noticed.opening_citation,
                "Unpriced technical offers are due and are opened with witnesses."
                if facts.in_technical_step
                else "Offers are due and are opened with witnesses.",
                met=facts.opened_at is not None,
                duty=facts.state == "published",
                grace_until=end_of_day(local_date(notice.opening_at)),
            )
        )
    if (
        facts.method == "sole_source"
        and notice.hearing_at is not None
        and facts.state
        in (
            "draft",
            "published",
        )
    ):
        out.append(
            Deadline(
                "hearing",
                notice.hearing_at,
                citations.SOLE_SOURCE,
                "The sole source hearing.",
                met=facts.hearing_held_at is not None,
                duty=facts.state == "published",
                grace_until=end_of_day(local_date(notice.hearing_at)),
            )
        )
    bafo = facts.bafo
    if bafo is not None and not bafo.get("closed"):
        out.append(
            Deadline(
                "best_and_final_due",
                datetime.fromisoformat(bafo["due_at"]),
                citations.BEST_AND_FINAL,
                "Best and final offers are due from the offerors in the competitive range.",
            )
        )
    if facts.award_due_on is not None and facts.state == "evaluation":
        out.append(
            Deadline(
                "award_due",
                end_of_day(facts.award_due_on),
                citations.REVERSE_AUCTION,
                "The award is due within 60 calendar days after the auction, unless extended by "
                "mutual written consent.",
                met=facts.award is not None,
                last_day=facts.award_due_on,
                duty=True,
            )
        )
    if facts.recommendation is not None and facts.recommendation.get("decision") is None:
        out.extend(_recommendation(facts.recommendation))
    renewal_due = renewal_notice_due(facts)
    if renewal_due is not None:
        out.append(
            Deadline(
                "renewal_notice_due",
                end_of_day(renewal_due),
                citations.CONTRACT_RENEWAL,
                "Post the renewal's notice in the Bulletin (awarding the renewal publishes it).",
                met=facts.award is not None,
                last_day=renewal_due,
                duty=facts.state == "draft",
            )
        )
    for i, owed in enumerate(facts.failed_bid_notices, start=1):
        due = date.fromisoformat(owed["due_on"])
        out.append(
            Deadline(
                f"failed_bid_notice_due:{i}",
                end_of_day(due),
                citations.FAILED_BID_NOTICE,
                f"Give {owed['vendor']} in writing, by certified copy, why each of its 4 "
                "consecutive bids was not awarded (within the calendar quarter).",
                met=owed.get("delivered_at") is not None,
                last_day=due,
                duty=True,
            )
        )
    emergency = facts.method == "emergency"
    for request in facts.document_requests:
        out.append(
            Deadline(
                f"documents_due:{request.request_id}",
                end_of_day(request.due_on),
                citations.REVIEW_EXEMPTIONS if emergency else citations.REVIEW_WINDOW,
                f"The contract and its documents requested by the {request.body} are due."
                if emergency
                else f"Documents requested by the {request.body} are due.",
                met=request.answered_at is not None,
                last_day=request.due_on,
                duty=True,
            )
        )
    for i, disclosure in enumerate(facts.disclosures, start=1):
        due = date.fromisoformat(disclosure["due_on"])
        out.append(
            Deadline(
                f"emergency_disclosure_due:{i}",
                end_of_day(due),
                citations.EMERGENCY_DISCLOSURE,
                "Publish the emergency purchase in the Bulletin: description, reasons, cost and "
                "contractor.",
                met=disclosure.get("published_at") is not None,
                last_day=due,
                duty=True,
            )
        )
    if facts.emergency_term_ends_on is not None and facts.state == "awarded":
        out.append(
            Deadline(
                "emergency_term_ends",
                end_of_day(facts.emergency_term_ends_on),
                citations.EMERGENCY,
                "The emergency contract ends (at most 90 days unless extended).",
                last_day=facts.emergency_term_ends_on,
            )
        )
    if facts.award is not None and facts.method not in UNCONTESTED_METHODS:
        out.extend(_after_award(facts, now, rules))
    out.sort(key=lambda d: (d.at, d.name))
    return out


def _after_award(facts: Facts, now: datetime, rules: CalendarRules) -> list[Deadline]:
    award = facts.award
    assert award is not None
    out: list[Deadline] = []
    last = window_ends_on(facts)
    if last is not None:
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
    if award.explanation is not None:
        due = statutory_deadline(local_date(award.decided_at), EXPLANATION_FILING_DAYS, rules)
        out.append(
            Deadline(
                "written_explanation_filing",
                end_of_day(due),
                citations.AWARD,
                "File the written explanation with the Legislative Audit Commission, the "
                "Commission on Equity and Inclusion and the Procurement Policy Board.",
                met=set(facts.explanation_filed_with) >= {"LAC", "CEI", "PPB"},
                last_day=due,
                duty=True,
            )
        )
    period = protest_period(facts, now)
    if period is None:
        return out
    if facts.bidders_notified_at is None:
        out.append(
            Deadline(
                "bidder_notice_tolling_ends",
                tolling_expires_at(award.notice_on),
                citations.BIDDER_NOTICE,
                "Bidders have not been notified electronically; the protest period is "
                "tolled until they are, at most 7 days.",
                last_day=award.notice_on + timedelta(days=MAX_TOLLING_DAYS - 1),
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
    return out


def next_deadline(facts: Facts, now: datetime) -> Deadline | None:
    """The first deadline not yet met nor passed: what a supervisor watches next."""
    for d in deadlines(facts, now):
        if not d.met and d.at > now:
            return d
    return None


# ---- reminders ------------------------------------------------------------------------------


def offset_label(days: int) -> str:
    if days == 0:
        return "due"
    return f"{days}_business_day{'s' if days != 1 else ''}_before"


def business_days_before(day: date, count: int, rules: CalendarRules) -> date:
    """The day ``count`` business days before ``day`` (weekends and 15-45 holidays skipped)."""
    current = day
    remaining = count
    while remaining > 0:
        current -= timedelta(days=1)
        if not is_excluded_day(current, rules):
            remaining -= 1
    return current


# Period ends reminded like duties (30 ILCS 500/5-30(a): the Board review window;
# 15-25(b), 44 Ill. Adm. Code 1.5550: the award protest period), for procurements that
# pinned them at launch.
def _recommendation(rec: dict[str, Any]) -> list[Deadline]:
    """An open recommendation's dates: the vendor's response, the hearing it asked for, and
    the Commission's recommendation after its hearing (5-5(h); 5-7(e))."""
    cited = rec.get("citation", citations.BOARD_RECOMMENDATION)
    due = date.fromisoformat(rec["response_due_on"])
    out = [
        Deadline(
            "board_recommendation_response",
            end_of_day(due),
            cited,
            "The vendor's written response to the recommendation is due.",
            met=rec.get("response") is not None,
            last_day=due,
        )
    ]
    hearing = rec.get("hearing")
    if hearing is not None:
        hearing_on = date.fromisoformat(hearing["due_on"])
        out.append(
            Deadline(
                "recommendation_hearing_due",
                end_of_day(hearing_on),
                cited,
                "The hearing the vendor requested is held no later than this day.",
                met=hearing.get("held_at") is not None,
                last_day=hearing_on,
                duty=True,
            )
        )
        if hearing.get("final_due_on"):
            final_on = date.fromisoformat(hearing["final_due_on"])
            out.append(
                Deadline(
                    "cei_recommendation_after_hearing_due",
                    end_of_day(final_on),
                    citations.CEI_RECOMMENDATION,
                    "The Commission delivers its recommendation within 7 days after the hearing.",
                    met=rec.get("final") is not None,
                    last_day=final_on,
                    duty=True,
                )
            )
    return out


REMINDED_PERIODS = ("review_window_ends", "award_protest_closes")


@dataclass(frozen=True)
class Reminder:
    key: str
    deadline: Deadline
    offset: str
    at: datetime


def reminder_schedule(facts: Facts, now: datetime) -> list[Reminder]:
    """Every reminder the procurement's duties call for, sent or not, in time order.

    A reminder's key names its deadline, the deadline's instant and the offset, so a moved
    deadline gets reminders of its own and none is ever sent twice for the same one.
    """
    if facts.state in ("closed", "cancelled"):
        return []
    rules = calendar_rules(facts)
    out: list[Reminder] = []
    for d in deadlines(facts, now):
        if d.met or not (d.duty or d.name in facts.reminded_periods):
            continue
        for days in sorted(set(facts.reminder_offsets), reverse=True):
            label = offset_label(days)
            at = start_of_day(business_days_before(d.due_on, days, rules))
            if days == 0:
                at = min(start_of_day(d.due_on), d.at)
            out.append(Reminder(f"{d.name}@{d.at.isoformat()}:{label}", d, label, at))
        if d.duty:
            # Only a duty can be overdue; a period simply ends.
            out.append(Reminder(f"{d.name}@{d.at.isoformat()}:overdue", d, "overdue", d.overdue_at))
    out.sort(key=lambda r: (r.at, r.key))
    return out


def reminders_due(facts: Facts, now: datetime) -> tuple[list[Reminder], list[Reminder]]:
    """Reminders whose time has come and that have not been sent: (to send, to pass over).

    When several reminders of one deadline are due at once (a procurement launched a day
    before a deadline, a worker that was down), only the latest goes out; the earlier ones
    are passed over, and both are then recorded so neither is ever sent later.
    """
    sent = set(facts.reminders_sent)
    due = [r for r in reminder_schedule(facts, now) if r.at <= now and r.key not in sent]
    latest: dict[str, Reminder] = {}
    for r in due:
        latest[r.deadline.name] = r
    send = sorted(latest.values(), key=lambda r: (r.at, r.key))
    chosen = {r.key for r in send}
    return send, [r for r in due if r.key not in chosen]


def next_wakeup(facts: Facts, now: datetime, *, reminders: bool = True) -> datetime | None:
    """The next instant at which something may become due without a command."""
    if facts.state in ("closed", "cancelled"):
        return None
    sent = set(facts.reminders_sent)
    upcoming = [d.at for d in deadlines(facts, now) if d.at > now and not d.met]
    if reminders:
        upcoming += [
            r.at for r in reminder_schedule(facts, now) if r.at > now and r.key not in sent
        ]
    return min(upcoming) if upcoming else None
