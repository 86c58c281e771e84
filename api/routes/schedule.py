"""/v1/schedule: every statutory date of a planned procurement, launching nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from pydantic import Field

from api import queries
from api.errors import RESPONSES
from rules.calendar import local_date
from rules.periods import PROTEST_RULES_BY_OFFICE
from state_machines.models import Category, Method, Model, Office
from state_machines.preview import preview

router = APIRouter(prefix="/v1/schedule", tags=["planning"], responses=RESPONSES)


class SchedulePlan(Model):
    method: Method
    publication_date: date = Field(description="The planned day the notice appears.")
    estimated_value: Decimal | None = Field(default=None, ge=0, max_digits=15, decimal_places=2)
    category: Category = "supplies"
    renewable: bool = True
    term_months: int | None = Field(default=None, ge=1, le=600)
    award_date: date | None = Field(
        default=None, description="When the award is expected; the earliest day if omitted."
    )
    chief_procurement_office: Office = "CPO-GS"
    with_written_explanation: bool = False


@router.post("", summary="Preview every statutory date of a planned procurement")
async def schedule(plan: SchedulePlan, request: Request) -> Any:
    services = request.app.state.services
    limit = None
    if plan.method == "small_purchase":
        found = await queries.small_purchase_limit(
            await services.db(), local_date(await services.clock.now())
        )
        limit = found[0] if found else None
    result = preview(
        method=plan.method,
        publication_date=plan.publication_date,
        rules=services.settings.calendar_rules(),
        protest_rules=PROTEST_RULES_BY_OFFICE[plan.chief_procurement_office],
        value=plan.estimated_value,
        category=plan.category,
        renewable=plan.renewable,
        term_months=plan.term_months,
        award_date=plan.award_date,
        small_purchase_limit=limit,
        with_written_explanation=plan.with_written_explanation,
    )
    return result.as_dict()
