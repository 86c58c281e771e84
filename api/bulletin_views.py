"""The public Bulletin's shapes: notices as pages and feed entries, clearinghouse rows, and
Open Contracting Data Standard (OCDS 1.1) releases.

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

from state_machines.models import METHOD_NAMES

CHICAGO = ZoneInfo("America/Chicago")

BULLETIN_CITATION = "30 ILCS 500/15-25"
CLEARINGHOUSE_CITATION = "30 ILCS 500/15-30"
BULLETIN_TITLE = "Illinois Procurement Bulletin"

# Open Contracting: the ocid prefix registered for this publisher, and the publisher's name.
# Every process is identified as f"{OCID_PREFIX}-{reference}".
OCID_PREFIX = "ocds-prcflw"
OCDS_PUBLISHER_NAME = "Illinois Procurement Bulletin (procureflow)"
OCDS_VERSION = "1.1"
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

# OCDS procurementMethod (open, selective, limited, direct) for each method of source selection.
PROCUREMENT_METHODS: dict[str, str] = {
    "competitive_sealed_bidding": "open",
    # 20-10(h): the first step is open to all; the second is limited to the qualified.
    "multi_step_sealed_bidding": "open",
    "competitive_sealed_proposals": "open",
    "reverse_auction": "open",
    "small_purchase": "direct",
    "sole_source": "direct",
    "emergency": "direct",
}
PROCUREMENT_CATEGORIES: dict[str, str] = {
    "supplies": "goods",
    "construction": "works",
    "services": "services",
    "professional_artistic": "services",
    "telecommunications": "services",
}
_METHOD_KEYS = {name: key for key, name in METHOD_NAMES.items()}


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


# ----------------------------------------------------------------------------------------
# Open Contracting Data Standard 1.1
# ----------------------------------------------------------------------------------------


def ocid(reference: str) -> str:
    return f"{OCID_PREFIX}-{reference}"


def _compact(value: Any) -> Any:
    """Drop absent values: in a release, a null would say the value was removed."""
    if isinstance(value, dict):
        out = {k: _compact(v) for k, v in value.items() if v is not None}
        return {k: v for k, v in out.items() if v not in ({}, [])}
    if isinstance(value, list):
        return [_compact(v) for v in value if v is not None]
    return value


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "unnamed"


def _party(role: str, name: str) -> dict[str, Any]:
    return {"id": f"{role}-{_slug(name)}", "name": name}


def _amount(value: Any) -> dict[str, Any] | None:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    if value is None or not amount.is_finite():
        return None
    return {"amount": float(amount), "currency": CURRENCY}


def _iso(value: datetime | str | None) -> str | None:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _method_key(notice: dict[str, Any]) -> str | None:
    procurement = notice.get("procurement") or {}
    method = procurement.get("method")
    if method:
        return str(method)
    if notice["kind"] == "emergency_disclosure":
        return "emergency"
    if notice["kind"] == "sole_source_intent":
        return "sole_source"
    return _METHOD_KEYS.get(notice["content"].get("method") or "")


def _agency(notice: dict[str, Any]) -> str | None:
    agency = notice["content"].get("agency") or (notice.get("procurement") or {}).get("agency")
    return str(agency) if agency else None


def award_id(seq: int) -> str:
    return f"award-{seq}"


def contract_id(seq: int) -> str:
    return f"contract-{seq}"


def _tender(notice: dict[str, Any], status: str | None) -> dict[str, Any]:
    content = notice["content"]
    method = _method_key(notice)
    agency = _agency(notice)
    category = (notice.get("procurement") or {}).get("category")
    details = content.get("method") or (METHOD_NAMES.get(method, "") if method else "")
    citation = notice_citation(notice)
    return {
        "id": notice["reference"],
        "title": content.get("title"),
        "description": content.get("description"),
        "status": status,
        "procuringEntity": _party("agency", agency) if agency else None,
        "procurementMethod": PROCUREMENT_METHODS.get(method or ""),
        "procurementMethodDetails": f"{details}; notice under {citation}" if details else None,
        "mainProcurementCategory": PROCUREMENT_CATEGORIES.get(category or ""),
        "submissionMethodDetails": content.get("submission_location"),
        "tenderPeriod": (
            {"endDate": content["offers_due_at"]} if content.get("offers_due_at") else None
        ),
    }


def _release(
    notice: dict[str, Any], release_id: str, tag: list[str], when: datetime | str
) -> dict[str, Any]:
    agency = _agency(notice)
    parties = []
    if agency:
        parties.append(_party("agency", agency) | {"roles": ["buyer", "procuringEntity"]})
    return {
        "ocid": ocid(notice["reference"]),
        "id": release_id,
        "date": _iso(when),
        "tag": tag,
        "initiationType": "tender",
        "language": "en",
        "buyer": _party("agency", agency) if agency else None,
        "parties": parties,
    }


def _add_supplier(release: dict[str, Any], name: str | None) -> dict[str, Any] | None:
    if not name:
        return None
    supplier = _party("supplier", name)
    release["parties"].append(supplier | {"roles": ["supplier"]})
    return supplier


def _notice_release_id(notice: dict[str, Any]) -> str:
    return f"{notice['seq']}-{notice['kind']}"


def _contract_release(
    notice: dict[str, Any], award_seq: int, value: dict[str, Any] | None, supplier: str | None
) -> dict[str, Any] | None:
    """The contract, once the read model shows it entered into (executed, or awarded)."""
    procurement = notice.get("procurement") or {}
    executed_at = procurement.get("executed_at")
    if notice.get("superseded"):
        return None
    if not executed_at and procurement.get("state") not in ("awarded", "closed"):
        return None
    if supplier and procurement.get("award_vendor") not in (None, supplier):
        return None
    when = executed_at or notice["published_at"]
    release = _release(notice, contract_id(award_seq), ["awardUpdate", "contract"], when)
    _add_supplier(release, supplier)
    release["awards"] = [{"id": award_id(award_seq), "status": "active"}]
    release["contracts"] = [
        {
            "id": contract_id(award_seq),
            "awardID": award_id(award_seq),
            "title": notice["content"].get("title"),
            "status": "active",
            "value": value,
            "dateSigned": executed_at,
        }
    ]
    return release


def _amendment_release(notice: dict[str, Any], release_id: str, when: Any) -> dict[str, Any]:
    """A renewal or change order amends the original's contract: a release of the original's
    contracting process, the contract identified by the original award's notice."""
    content = notice["content"]
    original = str(content["contract_of"])
    release = _release(notice, f"{notice['reference']}-{release_id}", ["contractAmendment"], when)
    release["ocid"] = ocid(original)
    seq = content.get("award_seq")
    what = {
        "renewal": "Renewal",
        "change_order": "Change order",
        "renegotiation": "Renegotiated contract",
    }.get(str(content.get("change")), "Change")
    contract: dict[str, Any] = {
        "id": contract_id(seq) if seq is not None else f"contract-{original}",
        "awardID": award_id(seq) if seq is not None else None,
        "value": _amount(content.get("contract_price")),
        "amendments": [
            {
                "id": notice["reference"],
                "date": _iso(when),
                "description": f"{what} under {notice['reference']}, determined on "
                f"{content.get('determined_on')}: {content.get('description') or content.get('title')}",
                "rationale": content.get("description"),
            }
        ],
    }
    release["contracts"] = [contract]
    return release


def notice_releases(notice: dict[str, Any]) -> list[dict[str, Any]]:
    """The OCDS releases a Bulletin notice makes: none for a notice OCDS has no place for."""
    content, kind, seq = notice["content"], notice["kind"], notice["seq"]
    release_id = _notice_release_id(notice)
    when = notice["published_at"]
    prior = notice.get("prior_award_seq")
    releases: list[dict[str, Any]] = []
    if kind in ("invitation_for_bids", "request_for_proposals", "sole_source_intent"):
        release = _release(notice, release_id, ["tender"], when)
        tender = _tender(notice, "active")
        if tender.get("tenderPeriod") is not None:
            tender["tenderPeriod"] = {"startDate": _iso(when)} | tender["tenderPeriod"]
        if kind == "sole_source_intent" and content.get("intended_contractor"):
            tender["procurementMethodRationale"] = (
                f"Intended sole source contractor: {content['intended_contractor']}"
            )
        release["tender"] = tender
        releases.append(release)
    elif kind == "bid_commitments" and content.get("round") == "opening":
        # The opening: how many offers were received (OCDS has no place for commitments).
        release = _release(notice, release_id, ["tenderUpdate"], when)
        release["tender"] = {
            "id": notice["reference"],
            "numberOfTenderers": content.get("offers_received"),
        }
        releases.append(release)
    elif kind == "amendment":
        release = _release(notice, release_id, ["tenderAmendment"], when)
        amended = ", ".join(label(str(f)) for f in content.get("amended_fields") or [])
        release["tender"] = _tender(notice, "active") | {
            "amendments": [
                {
                    "id": str(seq),
                    "date": _iso(when),
                    "description": f"Amended: {amended}." if amended else "Notice amended.",
                }
            ]
        }
        releases.append(release)
    elif kind == "notice_of_intent_to_award":
        release = _release(notice, release_id, ["award"], when)
        supplier = _add_supplier(release, content.get("awardee"))
        tender = _tender(notice, "complete")
        bidders = content.get("unsuccessful_bidders")
        if isinstance(bidders, int) and not isinstance(bidders, bool):
            tender["numberOfTenderers"] = bidders + 1
        release["tender"] = tender
        price = content.get("contract_price")
        procurement = notice.get("procurement") or {}
        if price is None and procurement.get("award_vendor") == content.get("awardee"):
            price = procurement.get("award_price")
        value = _amount(price)
        release["awards"] = [
            {
                "id": award_id(seq),
                "title": content.get("title"),
                "description": content.get("basis"),
                "status": "pending",
                "date": _iso(when),
                "value": value,
                "suppliers": [supplier] if supplier else [],
            }
        ]
        releases.append(release)
        contract = _contract_release(notice, seq, value, content.get("awardee"))
        if contract is not None:
            releases.append(contract)
    elif kind == "emergency_disclosure" and content.get("kind") == "award":
        release = _release(notice, release_id, ["award"], when)
        supplier = _add_supplier(release, content.get("contractor"))
        estimate = " The total cost is an estimate." if content.get("cost_is_estimate") else ""
        release["tender"] = _tender(notice, "complete") | {
            "title": content.get("description"),
            "procurementMethodRationale": content.get("reasons"),
        }
        value = _amount(content.get("total_cost"))
        release["awards"] = [
            {
                "id": award_id(seq),
                "description": f"{content.get('description') or ''}{estimate}".strip() or None,
                "status": "active",
                "date": _iso(when),
                "value": value,
                "suppliers": [supplier] if supplier else [],
            }
        ]
        releases.append(release)
        contract = _contract_release(notice, seq, value, content.get("contractor"))
        if contract is not None:
            contract["contracts"][0]["title"] = content.get("description")
            releases.append(contract)
    elif kind == "emergency_disclosure" and prior is not None:
        release = _release(notice, release_id, ["contractAmendment"], when)
        release["contracts"] = [
            {
                "id": contract_id(prior),
                "awardID": award_id(prior),
                "amendments": [
                    {
                        "id": str(seq),
                        "date": _iso(when),
                        "rationale": content.get("reasons"),
                        "description": content.get("description"),
                    }
                ],
            }
        ]
        releases.append(release)
    elif kind in ("contract_renewal", "change_order_award") and content.get("contract_of"):
        releases.append(_amendment_release(notice, release_id, when))
    elif kind == "cancellation":
        tag = ["tenderCancellation"]
        release = _release(notice, release_id, tag, when)
        release["tender"] = {
            "id": notice["reference"],
            "status": "cancelled",
            "procurementMethodRationale": content.get("reason"),
        }
        if prior is not None:
            tag.append("awardCancellation")
            release["awards"] = [{"id": award_id(prior), "status": "cancelled"}]
        releases.append(release)
    elif kind == "award_rescinded" and prior is not None:
        release = _release(notice, release_id, ["awardCancellation"], when)
        release["awards"] = [{"id": award_id(prior), "status": "cancelled"}]
        releases.append(release)
    elif kind == "contract_voided" and prior is not None:
        release = _release(notice, release_id, ["contractTermination"], when)
        release["contracts"] = [
            {"id": contract_id(prior), "awardID": award_id(prior), "status": "cancelled"}
        ]
        releases.append(release)
    return [_compact(r) for r in releases]


def procurement_releases(notices: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every release of one procurement, oldest first."""
    releases = [r for n in notices for r in notice_releases(n)]
    return sorted(releases, key=lambda r: datetime.fromisoformat(r["date"]))


def release_package(
    releases: list[dict[str, Any]],
    *,
    uri: str,
    published: datetime,
    next_uri: str | None = None,
) -> dict[str, Any]:
    """An OCDS release package; ``published`` is the latest change the releases report."""
    package: dict[str, Any] = {
        "uri": uri,
        "version": OCDS_VERSION,
        "publishedDate": published.isoformat(),
        "publisher": {"name": OCDS_PUBLISHER_NAME},
        "releases": releases,
    }
    if next_uri is not None:
        package["links"] = {"next": next_uri}
    return package


def latest(releases: list[dict[str, Any]], default: datetime) -> datetime:
    return max((datetime.fromisoformat(r["date"]) for r in releases), default=default)
