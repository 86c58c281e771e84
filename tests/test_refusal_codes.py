"""The OpenAPI document lists every code a 409 refusal can carry, and nothing else.

The code base is read for every code it refuses with (a guard's declaration, a ``Refusal``,
a refusal body), so a new refusal that the list lacks, or a listed code nothing returns any
more, fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from api.refusal_codes import OUTSIDE_ROUTES, codes

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("api", "state_machines", "workflows", "rules", "activities", "cooperative", "db")
DECLARED = re.compile(
    r'(?:Refusal\(|@when\(|@on_payload\(|Guard\(|"code":\s*|code=)\s*"([a-z_]+)"', re.S
)
# Codes of other statuses written in the same shape.
# (an Idempotency-Key reused with another request is a 422, as the IETF draft has it).
NOT_REFUSALS = {"forbidden", "idempotency_key_reused"}
# Made from a pattern: notice_period_kept's f"{noun}_too_early".
PATTERNED = {"opening_too_early", "hearing_too_early"}


def _in_the_code() -> set[str]:
    found: set[str] = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if path.name != "refusal_codes.py":
                found.update(DECLARED.findall(path.read_text(encoding="utf-8")))
    return found - NOT_REFUSALS


def test_every_code_in_the_code_is_listed_and_every_listed_code_is_used() -> None:
    in_code = _in_the_code() | PATTERNED
    listed = set(codes())
    assert in_code - listed == set(), "refused with but not listed"
    assert set(OUTSIDE_ROUTES) - in_code == set(), "listed but nothing refuses with it"
    assert {"opening_too_early", "hearing_too_early", "emergency_term_too_long"} <= listed


async def test_the_openapi_document_lists_them(api: httpx.AsyncClient) -> None:
    schema = (await api.get("/openapi.json")).json()
    body = schema["components"]["schemas"]["RefusalProblem"]
    assert body["properties"]["code"]["enum"] == codes()
