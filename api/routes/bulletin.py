"""/v1/bulletin: the notices this service has published, public and unauthenticated."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from api import queries
from state_machines.models import REFERENCE_PATTERN

router = APIRouter(prefix="/v1/bulletin", tags=["bulletin"])


@router.get("", summary="Bulletin notices, newest first")
async def bulletin(
    request: Request,
    reference: Annotated[str | None, Query(pattern=REFERENCE_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Any:
    pool = await request.app.state.services.db()
    return {"notices": await queries.bulletin(pool, reference, limit)}


@router.get("/messages", summary="Electronic notices sent to one recipient (a bidder)")
async def messages(
    request: Request, recipient: Annotated[str, Query(min_length=1, max_length=200)]
) -> Any:
    pool = await request.app.state.services.db()
    return {"recipient": recipient, "messages": await queries.messages_for(pool, recipient)}
