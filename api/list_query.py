"""The query parameters the lists of procurements share: filters, sort, order and paging.

``GET /v1/procurements`` (for programs) and ``GET /v1/dashboard/procurements`` (for the
dashboard) take the same filters over the read model; only their default order and page size
differ. The caller's scope is applied here: a buyer's list is always its own agency's.
"""

# No ``from __future__ import annotations``: FastAPI reads the parameters of the dependency
# built below, whose annotations name the factory's arguments.

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Query

from api import dashboard_queries as dq
from api.auth import User, list_scope
from api.errors import invalid_query
from state_machines.models import Method, State


@dataclass(frozen=True)
class ListQuery:
    filters: dq.Filters
    sort: str
    order: str
    limit: int
    cursor: dq.Cursor | None


def list_query(default_sort: dq.Sort, max_limit: int) -> Callable[..., ListQuery]:
    """A FastAPI dependency reading the list parameters, scoped to the caller."""

    def read(
        user: User,
        state: State | None = None,
        agency: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
        method: Method | None = None,
        due_within_days: Annotated[
            int | None,
            Query(
                ge=0,
                le=3650,
                description="The deadline to watch falls due between now and the end of the "
                "Nth day from today (Chicago).",
            ),
        ] = None,
        overdue: Annotated[bool, Query(description="A statutory duty is overdue.")] = False,
        protest_pending: Annotated[
            bool, Query(description="A protest awaits the chief procurement officer's decision.")
        ] = False,
        sort: dq.Sort = default_sort,
        order: dq.Order | None = None,
        limit: Annotated[int, Query(ge=1, le=max_limit)] = 50,
        cursor: Annotated[str | None, Query(max_length=1000)] = None,
    ) -> ListQuery:
        filters = dq.Filters(
            state=state,
            agency=list_scope(user, agency),
            method=method,
            due_within_days=due_within_days,
            overdue=overdue,
            protest_pending=protest_pending,
        )
        direction: str = order or dq.DEFAULT_ORDER[sort]
        position = None
        if cursor:
            try:
                position = dq.Cursor.decode(cursor)
            except ValueError as exc:
                raise invalid_query(
                    "cursor", "Unknown cursor: start again from the first page."
                ) from exc
            if (position.sort, position.order) != (sort, direction):
                raise invalid_query("cursor", "The cursor belongs to another sort order.")
        return ListQuery(filters, sort, direction, limit, position)

    return read
