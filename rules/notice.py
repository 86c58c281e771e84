"""What a Bulletin notice must say (30 ILCS 500/15-25(a), (b-5)) and which fields are missing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rules import citations

# 15-25(a) ends with an encouragement every notice carries; the service writes it, so an
# agency can never publish a notice without it.
HIRING_ENCOURAGEMENT = (
    "Potential contractors are encouraged to hire qualified veterans, as defined by Section "
    "45-67 of the Illinois Procurement Code, and qualified Illinois minorities, women, persons "
    "with disabilities, and residents discharged from any Illinois adult correctional center."
)


@dataclass(frozen=True)
class RequiredItem:
    """One item 15-25(a) requires, the field that supplies it, and who fills it in."""

    field: str
    item: str
    supplied_by: str  # "agency" or "service"


# The order follows the sentence of 15-25(a).
INVITATION_ITEMS: tuple[RequiredItem, ...] = (
    RequiredItem("date_first_offered", "the date first offered", "service"),
    RequiredItem("offers_due_at", "the date submission of offers is due", "agency"),
    RequiredItem(
        "submission_location", "the location that offers are to be submitted to", "agency"
    ),
    RequiredItem("agency", "the purchasing State agency", "agency"),
    RequiredItem("state_purchasing_officer", "the responsible State purchasing officer", "agency"),
    RequiredItem("description", "a brief purchase description", "agency"),
    RequiredItem("method", "the method of source selection", "service"),
    RequiredItem(
        "documents_info",
        "how to obtain a comprehensive purchase description and any disclosure and contract forms",
        "agency",
    ),
    RequiredItem(
        "hiring_encouragement", "the encouragement to hire qualified veterans ...", "service"
    ),
)


# 15-25(c-15): before a sole source contract, a written description of intent with the item
# and the intended contractor, posted at least 14 days before the hearing of 20-25.
SOLE_SOURCE_ITEMS: tuple[RequiredItem, ...] = (
    RequiredItem("description", "a description of the item to be procured", "agency"),
    RequiredItem("intended_contractor", "the intended sole source contractor", "agency"),
    RequiredItem("agency", "the purchasing State agency", "agency"),
    RequiredItem("state_purchasing_officer", "the responsible State purchasing officer", "agency"),
    RequiredItem("hearing_at", "the date of the hearing", "agency"),
)


def missing_invitation_items(
    fields: Mapping[str, Any], items: tuple[RequiredItem, ...] = INVITATION_ITEMS
) -> list[RequiredItem]:
    """The required items an agency has not supplied (blank strings count as missing)."""
    missing = []
    for item in items:
        if item.supplied_by != "agency":
            continue
        value = fields.get(item.field)
        if value is None or (isinstance(value, str) and not value.strip()):
            missing.append(item)
    return missing


def describe_missing(missing: list[RequiredItem], citation: str = citations.BULLETIN_NOTICE) -> str:
    names = "; ".join(f"{m.item} (field '{m.field}')" for m in missing)
    return f"The Bulletin notice must include {names} ({citation})."
