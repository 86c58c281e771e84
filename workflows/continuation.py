"""When a long-lived workflow continues as new: before Temporal's per-execution limits bind.

Temporal refuses an execution's 2,001st update and fails it at 51,200 history events (warning
from 10,240). A procurement or an order can live for years, so each checks at the top of its
main loop, with every handler finished, whether to hand its facts to a fresh run of the same
workflow id: when the server suggests it, when its history reaches the configured number of
events, or when the updates it accepted near the per-execution limit. Callers address the
workflow by id, never by run, so nothing outside can tell the runs apart.

Executions started before this check existed keep running as they were (``PATCH``): their
recorded histories replay unchanged.
"""

from __future__ import annotations

from temporalio import workflow

PATCH = "continue-as-new"
# The history length at which a run hands over, when the server has not suggested it first;
# below Temporal's warning (10,240) and far below its limit (51,200).
DEFAULT_EVENTS = 10_000
# Temporal accepts at most 2,000 updates in one execution; leave room for those in flight.
MAX_UPDATES = 1_800


def due(updates: int, events: int | None) -> bool:
    """Whether this run should continue as new now. ``updates``: updates it accepted so far;
    ``events``: the configured history length (None: the default)."""
    info = workflow.info()
    return (
        info.is_continue_as_new_suggested()
        or info.get_current_history_length() >= (events or DEFAULT_EVENTS)
        or updates >= MAX_UPDATES
    )
