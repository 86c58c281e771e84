"""Transportation as its own figure: where a contract buys coal for fuel, the cost compared is
"including the cost of transportation" (30 ILCS 555/1), so a bid states its freight apart from
its price, kept with the bid once unsealed and with its row of the tabulation.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE bids ADD COLUMN freight numeric(15, 2)")
    op.execute("ALTER TABLE tabulations ADD COLUMN freight numeric(15, 2)")


def downgrade() -> None:
    op.execute("ALTER TABLE tabulations DROP COLUMN freight")
    op.execute("ALTER TABLE bids DROP COLUMN freight")
