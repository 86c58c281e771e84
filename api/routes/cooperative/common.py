"""What the cooperative routes share: the reference a path names, the pattern of a name in a
query, and the day it is in Chicago."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Path

from api.services import Services
from rules.calendar import local_date
from state_machines.models import REFERENCE_PATTERN

RefPath = Annotated[str, Path(pattern=REFERENCE_PATTERN, description="A reference.")]
NO_NUL = r"^[^\x00]*$"


async def today(svc: Services) -> date:
    return local_date(await svc.clock.now())
