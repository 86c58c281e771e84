"""The calendar of deadlines: every statutory date of each procurement, kept by its writes.

``procurement_deadlines`` has one row per deadline (``db.deadlines``), replaced in the
transaction that writes the procurement's read model, and indexed by the day it falls due,
alone and per agency, so the supervisors' calendar of a month or two weeks is an index range.
Rows already in the read model are filled here, as of their last write.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from typing import Any

from alembic import op
from sqlalchemy import text

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

UPGRADE = (
    """
    CREATE TABLE procurement_deadlines (
        reference   text NOT NULL REFERENCES procurements (reference) ON DELETE CASCADE,
        agency      text NOT NULL,
        method      text NOT NULL,
        name        text NOT NULL,
        due_at      timestamptz NOT NULL,
        due_on      date NOT NULL,
        last_day    date,
        grace_until timestamptz,
        met         boolean NOT NULL,
        duty        boolean NOT NULL,
        provisional boolean NOT NULL,
        citation    text NOT NULL,
        description text NOT NULL
    )
    """,
    "CREATE INDEX procurement_deadlines_reference_idx ON procurement_deadlines (reference)",
    "CREATE INDEX procurement_deadlines_day_idx ON procurement_deadlines (due_on, due_at)",
    """
    CREATE INDEX procurement_deadlines_agency_day_idx
        ON procurement_deadlines (agency, due_on, due_at)
    """,
    # The periods that may still move without a write: few, and read apart.
    """
    CREATE INDEX procurement_deadlines_provisional_idx ON procurement_deadlines (due_on)
        WHERE provisional
    """,
)


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)
    _fill()


def downgrade() -> None:
    op.execute("DROP TABLE procurement_deadlines")


def _fill() -> None:
    from pydantic import ValidationError

    from db.deadlines import COLUMNS, deadline_rows, facts_of

    bind = op.get_bind()
    insert = text(
        f"INSERT INTO procurement_deadlines ({', '.join(COLUMNS)}) "
        f"VALUES ({', '.join(':' + c for c in COLUMNS)})"
    )
    after = ""
    while True:
        # A thousand snapshots at a time, by keyset, so memory stays flat however many.
        page: Any = (
            bind.execute(
                text(
                    "SELECT reference, agency, method, snapshot, updated_at FROM procurements "
                    "WHERE reference > :after ORDER BY reference LIMIT 1000"
                ),
                {"after": after},
            )
            .mappings()
            .all()
        )
        if not page:
            return
        batch: list[dict[str, Any]] = []
        for row in page:
            try:
                facts = facts_of(row["snapshot"])
            except ValidationError:
                # A snapshot no reader can take: its next write (or `procure reconcile`)
                # fills it.
                continue
            for values in deadline_rows(
                row["reference"], row["agency"], row["method"], facts, row["updated_at"]
            ):
                batch.append(dict(zip(COLUMNS, values, strict=True)))
        if batch:
            bind.execute(insert, batch)
        after = page[-1]["reference"]
