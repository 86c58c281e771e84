"""The public Bulletin's shapes: notices as pages and feed entries, and clearinghouse rows.
Their Open Contracting Data Standard releases are :mod:`api.ocds`'s.

Pure: every function takes notices as ``api.queries`` reads them (``notice_id``, ``reference``,
``seq``, ``kind``, ``published_at``, ``content``, ``superseded``, ``prior_award_seq`` and the
procurement's public facts) and returns plain data, text or XML; nothing here reads a database
or a clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from feedgen.feed import FeedGenerator

CHICAGO = ZoneInfo("America/Chicago")

BULLETIN_CITATION = "30 ILCS 500/15-25"
CLEARINGHOUSE_CITATION = "30 ILCS 500/15-30"
BULLETIN_TITLE = "Illinois Procurement Bulletin"

# The publisher's name, in the feed and in every OCDS package (api.ocds), and the currency
# of every amount.
OCDS_PUBLISHER_NAME = "Illinois Procurement Bulletin (procureflow)"
CURRENCY = "USD"

# Atom entry ids are tag URIs (RFC 4151): a domain name the publisher held on the date given,
# then the notice's own key (reference, step, kind), which never changes.
FEED_TAG_AUTHORITY = "procureflow.example,2099"

KIND_NAMES: dict[str, str] = {
    "invitation_for_bids": "Invitation for bids",
    "request_for_proposals": "Request for proposals",
    "amendment": "Amended notice",
    "notice_of_intent_to_award": "Notice of intent to award",
    "sole_source_intent": "Notice of intent to enter into a sole source contract",
    "emergency_disclosure": "Emergency purchase disclosure",
    "cancellation": "Notice of cancellation",
    "award_rescinded": "Award rescinded",
    "board_recommendation": "Procurement Policy Board recommendation",
    "cei_recommendation": "Commission on Equity and Inclusion recommendation",
    "contract_renewal": "Contract renewal",
    "change_order_award": "Change order or renegotiated contract awarded",
    "contract_voided": "Contract voided",
    "bid_commitments": "Offers received: their commitments, published before the opening",
}

# The 15-25 content of a notice, in the order a reader looks for it.
FIELD_LABELS: dict[str, str] = {
    "reference": "Reference",
    "title": "Purchase",
    "description": "Brief purchase description",
    "agency": "Purchasing State agency",
    "state_purchasing_officer": "Responsible State purchasing officer",
    "chief_procurement_office": "Chief procurement office",
    "method": "Method of source selection",
    "date_first_offered": "Date first offered",
    "offers_due_at": "Offers due",
    "submission_location": "Where offers are submitted",
    "documents_info": "Comprehensive purchase description, disclosure and contract forms",
    "awardee": "Successful responsible bidder or offeror",
    "contract_price": "Contract price",
    "unsuccessful_bidders": "Number of unsuccessful bidders or offerors",
    "lowest": "Lowest responsible and responsive bid",
    "basis": "Basis of award",
    "written_explanation": "Written explanation",
    "tie": "Tie",
    "intended_contractor": "Intended sole source contractor",
    "hearing_at": "Hearing",
    "kind": "Disclosure of",
    "contractor": "Business or person contracted with",
    "total_cost": "Total cost",
    "cost_is_estimate": "Total cost is an estimate",
    "reasons": "Reasons",
    "amended_fields": "Amended",
    "reason": "Reason",
    "rescinded_awardee": "Award rescinded from",
    "voided_contractor": "Contract voided with",
    "action": "Recommended action",
    "grounds": "Grounds",
    "response_due_on": "Vendor may respond by",
    "hiring_encouragement": "Hiring encouragement",
    "round": "Round",
    "closed_at": "Received until",
    "offers_received": "Offers received",
    "set_digest": "SHA-256 of the commitments, sorted, one per line",
    "commitments": "Commitments (HMAC-SHA256 of each offer, keyed with its vendor's nonce)",
}
# Kept in the JSON, not shown on a page: the citation is shown apart, the bid id is internal.
HIDDEN_FIELDS = frozenset({"citation", "bid_id"})
MONEY_FIELDS = frozenset({"contract_price", "total_cost", "amount", "price"})
# Fields shown in a feed entry's summary, when the notice has them.
SUMMARY_FIELDS = (
    "agency",
    "awardee",
    "contract_price",
    "contractor",
    "total_cost",
    "intended_contractor",
    "date_first_offered",
    "offers_due_at",
    "hearing_at",
    "amended_fields",
    "reason",
    "rescinded_awardee",
    "voided_contractor",
    "action",
)


# ----------------------------------------------------------------------------------------
# Reading notices
# ----------------------------------------------------------------------------------------


def kind_name(kind: str) -> str:
    return KIND_NAMES.get(kind, kind.replace("_", " ").capitalize())


def label(key: str) -> str:
    return FIELD_LABELS.get(key, key.replace("_", " ").capitalize())


def notice_title(notice: dict[str, Any]) -> str:
    content = notice["content"]
    what = content.get("title") or content.get("description") or notice["reference"]
    return f"{kind_name(notice['kind'])}: {what}"


def notice_citation(notice: dict[str, Any]) -> str:
    citation = notice["content"].get("citation")
    return str(citation) if citation else BULLETIN_CITATION


def money(value: Any) -> str | None:
    """'91500.5' as '$91,500.50'; None when it is not an amount."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    if not amount.is_finite() or abs(amount) >= 10**18:
        return None
    return f"${amount:,.2f}"


def moment(value: datetime | str | None) -> str | None:
    """An instant as Chicago reads it: 'Monday 16 March 2099, 14:00 CDT'."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            instant = datetime.fromisoformat(value)
        except ValueError:
            return value
    else:
        instant = value
    if instant.tzinfo is None:
        return instant.isoformat()
    local = instant.astimezone(CHICAGO)
    return f"{local:%A} {local.day} {local:%B %Y}, {local:%H:%M %Z}"


def day(value: date | str | None) -> str | None:
    """A calendar day: 'Monday 2 March 2099'."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            the_day = date.fromisoformat(value)
        except ValueError:
            return value
    else:
        the_day = value
    return f"{the_day:%A} {the_day.day} {the_day:%B %Y}"


@dataclass
class Field:
    """One labelled value of a notice; ``machine`` is the value a <time> element carries,
    ``parts`` the labelled values of a structured one."""

    label: str
    text: str = ""
    machine: str | None = None
    parts: list[Field] = field(default_factory=list)


def _field(key: str, value: Any) -> Field | None:
    name = label(key)
    if value is None or value == "" or value == [] or value == {}:
        return None
    if isinstance(value, bool):
        return Field(name, "Yes" if value else "No")
    if isinstance(value, dict):
        parts = [f for k, v in value.items() if (f := _field(k, v)) is not None]
        return Field(name, parts=parts)
    if isinstance(value, list):
        if all(isinstance(v, str | int | float) for v in value):
            return Field(
                name, ", ".join(label(str(v)) if key == "amended_fields" else str(v) for v in value)
            )
        parts = [f for i, v in enumerate(value, 1) if (f := _field(str(i), v)) is not None]
        return Field(name, parts=parts)
    if key in MONEY_FIELDS:
        return Field(name, money(value) or str(value))
    if isinstance(value, str) and (key.endswith("_at")):
        return Field(name, moment(value) or value, machine=value)
    if isinstance(value, str) and (key.endswith("_on") or key == "date_first_offered"):
        return Field(name, day(value) or value, machine=value)
    if key == "kind":
        return Field(name, "the award" if value == "award" else f"the {value}")
    return Field(name, str(value))


def notice_fields(content: dict[str, Any]) -> list[Field]:
    """The notice's content as labelled fields, known fields first, its citation apart."""
    keys = [k for k in FIELD_LABELS if k in content]
    keys += sorted(k for k in content if k not in FIELD_LABELS and k not in HIDDEN_FIELDS)
    return [f for k in keys if (f := _field(k, content[k])) is not None]


def notice_path(notice_id: int) -> str:
    return f"/bulletin/{notice_id}"


def notice_view(notice: dict[str, Any]) -> dict[str, Any]:
    """What a page shows of one notice."""
    published: datetime = notice["published_at"]
    return {
        "notice_id": notice["notice_id"],
        "reference": notice["reference"],
        "kind": notice["kind"],
        "kind_name": kind_name(notice["kind"]),
        "title": notice_title(notice),
        "citation": notice_citation(notice),
        "published_at": published.isoformat(),
        "published": moment(published),
        "fields": notice_fields(notice["content"]),
        "path": notice_path(notice["notice_id"]),
        "superseded": bool(notice.get("superseded"))
        and notice["kind"] == "notice_of_intent_to_award",
    }


def notice_summary(notice: dict[str, Any]) -> str:
    content = notice["content"]
    parts = []
    for key in SUMMARY_FIELDS:
        f = _field(key, content.get(key))
        if f is not None and f.text:
            parts.append(f"{f.label}: {f.text}")
    parts.append(notice_citation(notice))
    return ". ".join(parts) + "."


# ----------------------------------------------------------------------------------------
# The Atom feed
# ----------------------------------------------------------------------------------------

_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(text: str) -> str:
    return _XML_ILLEGAL.sub("", text)


def entry_id(notice: dict[str, Any]) -> str:
    return (
        f"tag:{FEED_TAG_AUTHORITY}:bulletin/{notice['reference']}/{notice['seq']}/{notice['kind']}"
    )


def atom_feed(
    notices: list[dict[str, Any]],
    *,
    reference: str | None = None,
    feed_url: str,
    page_url: str,
    notice_url: Any,
    updated: datetime,
) -> bytes:
    """An Atom 1.0 document of the notices (of one procurement, with ``reference``), newest
    first; ``notice_url(notice_id)`` gives each entry's page."""
    fg = FeedGenerator()
    if reference is None:
        fg.id(f"tag:{FEED_TAG_AUTHORITY}:bulletin")
        fg.title(BULLETIN_TITLE)
    else:
        fg.id(f"tag:{FEED_TAG_AUTHORITY}:bulletin/{reference}")
        fg.title(f"{BULLETIN_TITLE}: {reference}")
    fg.subtitle(f"Notices published under {BULLETIN_CITATION}.")
    fg.author({"name": OCDS_PUBLISHER_NAME})
    fg.link(href=page_url, rel="alternate", type="text/html")
    fg.link(href=feed_url, rel="self", type="application/atom+xml")
    fg.language("en")
    fg.updated(max((n["published_at"] for n in notices), default=updated))
    for notice in notices:
        entry = fg.add_entry(order="append")
        entry.id(entry_id(notice))
        entry.title(_xml_text(notice_title(notice)))
        entry.updated(notice["published_at"])
        entry.published(notice["published_at"])
        entry.link(href=notice_url(notice["notice_id"]), rel="alternate", type="text/html")
        entry.summary(_xml_text(notice_summary(notice)))
        entry.category(term=notice["kind"], label=kind_name(notice["kind"]))
    xml: bytes = fg.atom_str(pretty=True)
    return xml


# ----------------------------------------------------------------------------------------
# The clearinghouse (15-30)
# ----------------------------------------------------------------------------------------


def clearinghouse_row(row: dict[str, Any]) -> dict[str, Any]:
    """A contract awarded, as the JSON clearinghouse lists it."""
    return {
        "reference": row["reference"],
        "awardee": row["awardee"],
        "contract_price": row["contract_price"],
        "currency": CURRENCY,
        "supply_or_service": row["supply_or_service"],
        "description": row["description"],
        "agency": row["agency"],
        "date_first_offered": row["date_first_offered"],
        "method": row["method"],
        "status": row["status"],
        "notice_id": row["notice_id"],
        "notice_kind": row["source"],
        "published_at": row["published_at"].isoformat(),
        "notice_path": notice_path(row["notice_id"]),
    }


def clearinghouse_row_view(row: dict[str, Any]) -> dict[str, Any]:
    """A contract awarded, as the clearinghouse page shows it."""
    return clearinghouse_row(row) | {
        "price": money(row["contract_price"]) if row["contract_price"] else "Not stated",
        "first_offered": day(row["date_first_offered"]) or "",
    }
