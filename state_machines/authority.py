"""Who may do what: each command's roles, with the rule that gives it to them.

Pure. The API checks it before sending a command and the workflow's validator checks it again,
so no path around the API skips it. Agency buyers and State purchasing officers act only on
their own agency's procurements; the determinations the Code gives the State purchasing
officer (an award other than to the lowest, a tie decided otherwise than by rule, a bid
withdrawn after opening, a divided need, an auction's award date) are the SPO's alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rules import citations
from state_machines.models import ROLE_NAMES, Facts, Principal

AGENCY_ROLES = frozenset({"agency_buyer", "spo"})
OVERSIGHT_ROLES = frozenset({"cpo", "ppb", "cei"})

Check = Callable[[Principal, Facts, Any], str | None]


def _names(roles: frozenset[str]) -> str:
    """The roles' names, with the article the first one takes: "a State purchasing officer or
    agency buyer", "an agency buyer"."""
    names = " or ".join(sorted(ROLE_NAMES[r] for r in roles))
    return ("an " if names[:1].lower() in "aeiou" else "a ") + names


def roles(*allowed: str, own_agency: bool = False, why: str = "") -> Check:
    allowed_set = frozenset(allowed)

    def check(principal: Principal, facts: Facts, payload: Any) -> str | None:
        if principal.role not in allowed_set:
            return f"Only {_names(allowed_set)} may do this{why}."
        if own_agency and principal.agency != facts.notice.agency:
            return (
                f"{principal.name} acts for {principal.agency or 'no agency'}; this procurement "
                f"belongs to {facts.notice.agency}."
            )
        return None

    return check


def _agency(why: str = "") -> Check:
    return roles("agency_buyer", "spo", own_agency=True, why=why)


def _spo(why: str) -> Check:
    return roles("spo", own_agency=True, why=why)


def _award(principal: Principal, facts: Facts, payload: Any) -> str | None:
    refusal = _agency()(principal, facts, payload)
    if refusal:
        return refusal
    if getattr(payload, "explanation", None) is not None and principal.role != "spo":
        return (
            "An award other than to the lowest responsible and responsive bidder is the State "
            f"purchasing officer's determination ({citations.AWARD})."
        )
    if getattr(payload, "tie_decision", None) is not None and principal.role != "spo":
        return f"Deciding a tie otherwise than by rule is the State purchasing officer's ({citations.TIE_BIDS}(b)(2))."
    return None


def _own_bid(principal: Principal, facts: Facts, payload: Any) -> str | None:
    if principal.role != "vendor":
        return "Only a vendor submits or withdraws its bids."
    vendor = getattr(payload, "vendor", None)
    if vendor is None:
        bid_id = getattr(payload, "bid_id", None)
        vendor = next((b.vendor for b in facts.bids if b.bid_id == bid_id), None)
        if vendor is None:
            return None  # an unknown bid: the guards refuse it with the reason
    if vendor != principal.vendor:
        return f"{principal.name} acts for {principal.vendor}, not for {vendor}."
    return None


def _withdraw(principal: Principal, facts: Facts, payload: Any) -> str | None:
    if facts.opened_at is None:
        return _own_bid(principal, facts, payload)
    return _spo(
        " after the opening: withdrawal then needs the State purchasing officer's written "
        f"determination ({citations.BID_CORRECTION}; {citations.BID_WITHDRAWAL})"
    )(principal, facts, payload)


def _member_of(principal: Principal, body: str | None) -> str | None:
    expected = {"PPB": "ppb", "CEI": "cei"}.get(body or "")
    if principal.role != expected:
        return f"Only a member of the body named ({body}) acts for it ({citations.REVIEW_WINDOW})."
    return None


def _review_body(principal: Principal, facts: Facts, payload: Any) -> str | None:
    return _member_of(principal, getattr(payload, "body", None))


def _recommending_body(principal: Principal, facts: Facts, payload: Any) -> str | None:
    """A recommendation is made by the body it names, and its hearing held by that body."""
    body = getattr(payload, "body", None) or (facts.recommendation or {}).get("body")
    if body is None:  # before recommendations named their body: either body's member
        return (
            None
            if principal.role in ("ppb", "cei")
            else (
                f"Only a member of the Board or the Commission acts for it "
                f"({citations.BOARD_RECOMMENDATION})."
            )
        )
    return _member_of(principal, body)


def _awardee(principal: Principal, facts: Facts, payload: Any) -> str | None:
    awardee = facts.award.vendor if facts.award else None
    if principal.role != "vendor" or principal.vendor != awardee:
        return (
            f"Only the vendor concerned responds to the Board ({citations.BOARD_RECOMMENDATION})."
        )
    return None


RULES: dict[str, Check] = {
    "amend": _agency(),
    "publish": _agency(),
    "register_bid": _own_bid,
    "withdraw_bid": _withdraw,
    "open_bids": _agency(),
    "determine_bid": _agency(),
    "qualify_offer": _agency(),
    "invite_bids": _agency(),
    "score_proposals": _agency(),
    "request_best_and_final": _agency(),
    "extend_award_date": _spo(f" (mutual written consent of the SPO, {citations.REVERSE_AUCTION})"),
    "hold_hearing": _agency(),
    "determine_split": _spo(f" ({citations.REPETITIVE_NEED})"),
    "award": _award,
    "record_bidder_notice": _agency(),
    "request_documents": _review_body,
    "answer_documents": _agency(),
    "grant_waiver": _review_body,
    "board_recommendation": _recommending_body,
    "vendor_response": _awardee,
    "request_review_hearing": _awardee,
    "hold_review_hearing": _recommending_body,
    "final_recommendation": roles("cei", why=f" ({citations.CEI_RECOMMENDATION})"),
    "decide_recommendation": roles("cpo", why=f" ({citations.BOARD_RECOMMENDATION})"),
    "record_explanation_filing": _agency(),
    "deliver_failed_bid_notice": _agency(),
    "execute": _agency(),
    "publish_disclosure": _agency(),
    "extend_emergency": roles(
        "cpo", why=f": an extension needs the CPO's approval ({citations.EMERGENCY})"
    ),
    "file_protest": roles("vendor", why=f" ({citations.PROTESTS})"),
    "decide_protest": roles(
        "cpo", why=f": the chief procurement officer decides protests ({citations.PROTESTS})"
    ),
    "proceed_despite_protest": roles("cpo", why=f" ({citations.PROTESTS})"),
    "cancel": _agency(),
}


def forbidden(trigger: str, principal: Principal | None, facts: Facts, payload: Any) -> str | None:
    """Why this principal may not fire this trigger, or None. No principal: an older history."""
    if principal is None:
        return None
    check = RULES.get(trigger)
    if check is None:
        return f"'{trigger}' is not a command anyone may send."
    return check(principal, facts, payload)


# Commands whose check reads the body to know who acts (the body named): offered to its roles.
_ACTS_FOR_A_BODY = {"request_documents": {"ppb", "cei"}, "grant_waiver": {"ppb", "cei"}}


def offered(trigger: str, principal: Principal, facts: Facts) -> bool:
    """Whether to offer ``trigger`` to this principal at all: the role may send it for some
    body (what a particular body may still refuse is the command's answer)."""
    roles_for_body = _ACTS_FOR_A_BODY.get(trigger)
    if roles_for_body is not None:
        return principal.role in roles_for_body
    return forbidden(trigger, principal, facts, None) is None


def may_read(principal: Principal | None, agency: str) -> bool:
    """Procurement records: the agency's own buyers and SPOs, and the oversight roles."""
    if principal is None:
        return False
    if principal.role in OVERSIGHT_ROLES:
        return True
    return principal.role in AGENCY_ROLES and principal.agency == agency


def may_launch(principal: Principal, agency: str) -> str | None:
    if principal.role not in AGENCY_ROLES:
        return f"Only {_names(AGENCY_ROLES)} launches a procurement."
    if principal.agency != agency:
        return f"{principal.name} acts for {principal.agency}; it cannot launch for {agency}."
    return None
