"""Subscriptions per procurement: a subscription may name one procurement, and then takes
only that procurement's messages to its recipient; without one it takes them all.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE subscriptions ADD COLUMN reference text")


def downgrade() -> None:
    op.execute("ALTER TABLE subscriptions DROP COLUMN reference")
