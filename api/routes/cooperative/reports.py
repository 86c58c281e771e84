"""/v1/reports/contract-use: placed orders totalled per contract, member and period, with
each contract's use of its ceiling and the reminders due."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Query

from api import cooperative_queries as cq
from api.auth import User, forbidden
from api.cooperative_views import Period, contract_use_line
from api.errors import RESPONSES, invalid
from api.routes.cooperative.common import today
from api.routes.procurements import Svc
from cooperative import rules
from db.cooperative import contract_record
from state_machines.models import REFERENCE_PATTERN

router = APIRouter(tags=["cooperative purchasing"], responses=RESPONSES)


@router.get("/v1/reports/contract-use", summary="Use of each contract by member and period")
async def contract_use(
    svc: Svc,
    user: User,
    contract: Annotated[str | None, Query(pattern=REFERENCE_PATTERN)] = None,
    period: Period = "month",
    start: Annotated[date | None, Query(alias="from", ge=date(1900, 1, 1))] = None,
    end: Annotated[date | None, Query(alias="to", le=date(2999, 12, 31))] = None,
) -> Any:
    """Placed orders totalled per contract, member and period (`from`/`to` are Chicago days,
    both included), with each contract's use of its ceiling and the reminders due: near or at
    the ceiling, near or past the end of the term, and the members they concern. Supervisors
    see every contract; a lead, its contracts; a member, its own use."""
    if start and end and end < start:
        raise invalid("query.to", "after_from", "'to' is on or after 'from'.")
    pool = await svc.db()
    supervisor = user.role in rules.SUPERVISORS
    if not supervisor and user.role not in rules.AGENCY_ROLES | {"member"}:
        raise forbidden(f"{user.name} may not read the use of contracts.")
    on = await today(svc)
    contracts = await cq.report_contracts(pool, contract)
    orders = await cq.placed_orders(pool, contract)
    by_contract: dict[str, list[asyncpg.Record]] = defaultdict(list)
    for o in orders:
        by_contract[o["contract_reference"]].append(o)
    out = []
    own = user.agency if user.role == "member" else None
    for c in contracts:
        lead_sees_all = supervisor or user.agency == c["lead"]
        placed = by_contract[c["reference"]]
        mine = [o for o in placed if lead_sees_all or o["member_name"] == own]
        if not lead_sees_all and not mine:
            continue
        used = sum((o["total"] for o in placed), Decimal("0"))
        out.append(
            contract_use_line(
                contract_record(c), used, mine, period=period, start=start, end=end, today=on
            )
        )
    return {
        "as_of": on.isoformat(),
        "period": period,
        "from": start.isoformat() if start else None,
        "to": end.isoformat() if end else None,
        "thresholds": {
            "near_ceiling": f"{rules.THRESHOLDS.near_ceiling}",
            "term_ending_days": rules.THRESHOLDS.term_ending_days,
        },
        "contracts": out,
    }
