"""/v1/solicitations/{number}: a solicitation let in lots, each lot a procurement of its own
(:mod:`api.lots`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from api import lots
from api.auth import Caller
from api.errors import problem
from api.routes.procurements import ERRORS, Svc
from state_machines.authority import may_read
from state_machines.models import REFERENCE_PATTERN

router = APIRouter(prefix="/v1/solicitations", tags=["procurements"])
Number = Annotated[str, Path(pattern=REFERENCE_PATTERN, description="The solicitation number.")]


@router.get("/{number}", responses=ERRORS, summary="A solicitation's lots")
async def solicitation(number: Number, svc: Svc, caller: Caller) -> Any:
    """Each lot's reference, state and opening, and once awarded its awardee and price (public
    after the award, 30 ILCS 500/20-10(d)). A lot still a draft is shown only to those who keep
    its agency's records."""
    shown = [
        lot
        for lot in await lots.solicitation(await svc.db(), number)
        if lot["state"] != "draft" or may_read(caller, lot["agency"])
    ]
    if not shown:
        raise problem("not_found", f"No solicitation {number} has a lot you may see.")
    return {"solicitation": number, "lots": shown}
