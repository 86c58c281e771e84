"""Every deadline the schedule can give has a name the dashboard labels and the OpenAPI
document lists (30 ILCS 500 and the rules each cite): a new statutory date the list lacks, or a
listed one nothing gives any more, fails here."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from api.dashboard_timeline import DEADLINE_LABELS

SCHEDULE = Path(__file__).resolve().parent.parent / "state_machines" / "schedule.py"
# The first argument of each Deadline(...): a name, or an f-string's fixed part before ':'.
NAMED = re.compile(r'Deadline\(\s*f?"([a-z_]+)')
# Names made by a pattern: the earliest opening or hearing (f"earliest_{what}"), and the
# opening's own name, chosen by method from a table.
PATTERNED = {
    "earliest_opening",
    "earliest_hearing",
    "bid_opening",
    "technical_offer_opening",
    "proposal_opening",
    "auction_ends",
}


def _given() -> set[str]:
    return set(NAMED.findall(SCHEDULE.read_text(encoding="utf-8"))) - {"earliest_"}


def test_every_deadline_the_schedule_gives_is_listed_and_every_listed_one_is_given() -> None:
    given = _given() | PATTERNED
    assert given - set(DEADLINE_LABELS) == set(), "given but not listed"
    assert set(DEADLINE_LABELS) - given == set(), "listed but never given"


async def test_the_openapi_document_lists_every_deadline_name(api: httpx.AsyncClient) -> None:
    schema = (await api.get("/openapi.json")).json()
    for model in ("Watch", "CalendarDeadline"):
        described = schema["components"]["schemas"][model]["properties"]["name"]["description"]
        missing = [n for n in DEADLINE_LABELS if f"`{n}`" not in described]
        assert missing == [], (model, missing)
