"""The name of every activity a workflow asks for, spelled once: the activities register under
these names and the workflows call them by them. A name is part of every recorded history, so
one is never changed, only added."""

from __future__ import annotations

PERSIST_STEP = "persist_step"
RECIPROCAL_TABLE = "reciprocal_table"
TABULATE_BIDS = "tabulate_bids"
SCORE_PROPOSALS = "score_proposals"
FAILED_BID_NOTICES = "failed_bid_notices"
COOPERATIVE_ORDER_FACTS = "cooperative_order_facts"
COOPERATIVE_PERSIST_ORDER = "cooperative_persist_order"
