"""An index for the lots of a solicitation: each lot is a procurement of its own, found by the
solicitation number its launch names (``snapshot->'spec'->'lot'``), read when a lot is
launched (checked against its siblings) and by the solicitation's view.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX procurements_solicitation_idx ON procurements "
        "((snapshot->'spec'->'lot'->>'solicitation')) WHERE snapshot->'spec'->'lot' IS NOT NULL"
    )


def downgrade() -> None:
    op.execute("DROP INDEX procurements_solicitation_idx")
