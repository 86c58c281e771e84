"""The list of procurements sorted by creation, in either direction.

The first index on ``created_at`` mixed directions (newest first, then reference ascending),
which neither direction of a keyset on (created_at, reference) can use; a plain ascending
index serves both, read forwards or backwards.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DROP INDEX procurements_created_idx")
    op.execute("CREATE INDEX procurements_created_idx ON procurements (created_at, reference)")


def downgrade() -> None:
    op.execute("DROP INDEX procurements_created_idx")
    op.execute("CREATE INDEX procurements_created_idx ON procurements (created_at DESC, reference)")
