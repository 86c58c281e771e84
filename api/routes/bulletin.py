"""/v1/bulletin: the notices this service has published, public and unauthenticated."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from api import queries
from api.auth import User, forbidden
from api.errors import RESPONSES
from state_machines.authority import AGENCY_ROLES
from state_machines.models import REFERENCE_PATTERN

router = APIRouter(prefix="/v1/bulletin", tags=["bulletin"], responses=RESPONSES)


@router.get("", summary="Bulletin notices, newest first")
async def bulletin(
    request: Request,
    reference: Annotated[str | None, Query(pattern=REFERENCE_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Any:
    pool = await request.app.state.services.db()
    return {"notices": await queries.bulletin(pool, reference, limit)}


@router.get("/messages", summary="Electronic notices sent to the caller")
async def messages(
    request: Request,
    user: User,
    recipient: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
) -> Any:
    """A vendor reads the notices sent to it; an agency, its reminders; the chief procurement
    officer, anyone's."""
    own = (
        user.vendor
        if user.role == "vendor"
        else (f"agency:{user.agency}" if user.role in AGENCY_ROLES else None)
    )
    if recipient is None:
        recipient = own
    if recipient is None or (recipient != own and user.role != "cpo"):
        raise forbidden(f"{user.name} reads only the notices sent to {own or 'it'}.")
    pool = await request.app.state.services.db()
    return {
        "recipient": recipient,
        "messages": await queries.messages_for(pool, recipient, own=recipient == own),
    }
