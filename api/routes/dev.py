"""/v1/dev/clock: the simulated clock, present only under ``procure dev --simulated-clock``.

Anyone may read it: the time every deadline and receipt is judged at is no secret. Only an
operator moves it, since moving it moves every procurement's time at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from pydantic import AwareDatetime, Field, model_validator

from api.auth import Operated
from api.errors import RESPONSES, ApiError
from procure.clock import SimulatedClock
from state_machines.models import Model

router = APIRouter(prefix="/v1/dev", tags=["dev"], responses=RESPONSES)


class Advance(Model):
    days: float | None = Field(default=None, gt=0, le=3650)
    hours: float | None = Field(default=None, gt=0, le=87600)
    to: AwareDatetime | None = None

    @model_validator(mode="after")
    def _one(self) -> Advance:
        if sum(v is not None for v in (self.days, self.hours, self.to)) != 1:
            raise ValueError("give exactly one of 'days', 'hours' or 'to'")
        return self


def _clock(request: Request) -> SimulatedClock:
    clock = request.app.state.services.clock
    assert isinstance(clock, SimulatedClock)
    return clock


@router.get("/clock", summary="The simulated time")
async def get_clock(request: Request) -> Any:
    return {"now": (await _clock(request).now()).isoformat(), "simulated": True}


@router.post("/clock/advance", summary="Move the simulated time forward")
async def advance(body: Advance, request: Request, _: Operated) -> Any:
    """An operator's token only (``procure users create --role operator``)."""
    clock = _clock(request)
    now = await clock.now()
    if body.to is not None:
        delta = body.to - now
        if delta <= timedelta(0):
            raise ApiError(
                409,
                {
                    "error": "refused",
                    "code": "clock_backwards",
                    "citation": "simulated clock",
                    "reason": f"The clock is at {now.isoformat()}; it only moves forward.",
                    "field": "to",
                },
            )
    else:
        delta = timedelta(days=body.days or 0, hours=body.hours or 0)
    before: datetime = now
    after = await clock.advance(delta)
    return {"before": before.isoformat(), "now": after.isoformat(), "simulated": True}
