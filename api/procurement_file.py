"""The procurement file for public inspection: the whole record of one procurement, in one
export (30 ILCS 500/20-10(d): "After the award of the contract, the winning bid and the
record of each unsuccessful bid shall be open to public inspection"; 20-15(d) for proposals).

It holds the notices as the Bulletin published them (the invitation, its addenda, the award),
the tabulation, the determinations of responsiveness and responsibility, the award, every
step taken, and the audit chain with its verification. Before the award only those who keep
the records read it, and never with a tabulation that is still sealed.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import asyncpg

from api import queries
from db import audit
from rules import citations

COLUMNS = ("section", "position", "at", "who", "what", "citation", "detail")


def is_public(row: asyncpg.Record) -> bool:
    """After the award the record is open to public inspection (20-10(d), 20-15(d))."""
    return row["snapshot"].get("award") is not None or row["state"] in ("awarded", "closed")


async def assemble(pool: asyncpg.Pool, row: asyncpg.Record) -> dict[str, Any]:
    reference = row["reference"]
    snapshot = row["snapshot"]
    opened = snapshot.get("opened_at") is not None
    sealed_proposals = row["method"] == "competitive_sealed_proposals" and not is_public(row)
    verification = await audit.verify(pool, reference)
    return {
        "reference": reference,
        "title": row["title"],
        "agency": row["agency"],
        "method": row["method"],
        "state": row["state"],
        "public": is_public(row),
        "citation": "30 ILCS 500/20-10(d); 30 ILCS 500/20-15(d)",
        "notices": [
            {
                "seq": n["seq"],
                "kind": n["kind"],
                "published_at": n["published_at"].isoformat(),
                "content": n["content"],
            }
            for n in await queries.procurement_notices(pool, reference)
        ],
        "tabulation": await queries.tabulation(pool, reference)
        if opened and not sealed_proposals
        else None,
        # Multi-step sealed bidding's first step (20-10(h)): opened before any price was.
        "technical_offers": await queries.technical_offers(pool, reference, snapshot)
        if row["method"] == "multi_step_sealed_bidding"
        else None,
        "determinations": snapshot.get("determinations") or [],
        "award": snapshot.get("award"),
        "steps": await queries.history(pool, reference),
        "audit": {
            "verification": verification.as_dict(),
            "entries": await queries.audit_trail(pool, reference),
        },
    }


def as_csv(record: dict[str, Any]) -> str:
    """One row per item of the record, sections in the order of the JSON."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for n in record["notices"]:
        writer.writerow(
            (
                "notice",
                n["seq"],
                n["published_at"],
                record["agency"],
                n["kind"],
                "",
                json.dumps(n["content"], sort_keys=True),
            )
        )
    for r in record["tabulation"] or []:
        writer.writerow(
            (
                "tabulation",
                r["rank"],
                r["opened_at"],
                r["vendor"],
                r["amount"],
                citations.BID_OPENING,
                json.dumps(
                    {
                        k: r[k]
                        for k in (
                            "bid_id",
                            "bid_credit",
                            "evaluated_amount",
                            "commitment",
                            "digest_matches",
                        )
                    },
                    sort_keys=True,
                ),
            )
        )
    for r in record["technical_offers"] or []:
        writer.writerow(
            (
                "technical_offer",
                "",
                r["opened_at"],
                r["vendor"],
                "",
                citations.MULTI_STEP,
                json.dumps(
                    {k: r[k] for k in ("bid_id", "commitment", "digest_matches", "qualification")},
                    sort_keys=True,
                ),
            )
        )
    for i, d in enumerate(record["determinations"], 1):
        writer.writerow(
            (
                "determination",
                i,
                d.get("at") or "",
                d.get("bid_id"),
                "responsive and responsible"
                if d.get("responsive") and d.get("responsible")
                else "not responsive or not responsible",
                citations.BID_ACCEPTANCE,
                d.get("reason") or "",
            )
        )
    if record["award"]:
        a = record["award"]
        writer.writerow(
            (
                "award",
                1,
                a.get("decided_at"),
                a.get("vendor"),
                a.get("price") or "",
                "",
                json.dumps(a, sort_keys=True),
            )
        )
    for s in record["steps"]:
        writer.writerow(
            ("step", s["seq"], s["at"], s["actor"], s["trigger"], s["citation"], s["summary"])
        )
    for e in record["audit"]["entries"]:
        writer.writerow(
            (
                "audit",
                e["position"],
                e["at"],
                e["actor"],
                f"{e['command']}: {e['outcome']}",
                e["citation"],
                e["hash"],
            )
        )
    return out.getvalue()
