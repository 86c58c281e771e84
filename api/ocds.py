"""The public Bulletin as Open Contracting Data Standard (OCDS 1.1) releases: what each
notice makes of its procurement's contracting process, and the release packages published.

Pure, like :mod:`api.bulletin_views` whose notices it takes: plain data in, plain data out;
nothing here reads a database or a clock.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from api.bulletin_views import CURRENCY, OCDS_PUBLISHER_NAME, label, notice_citation
from state_machines.models import METHOD_NAMES

# The ocid prefix registered for this publisher: every process is identified as
# f"{OCID_PREFIX}-{reference}".
OCID_PREFIX = "ocds-prcflw"
OCDS_VERSION = "1.1"

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
