"""Indexes for the lookups renewals, change orders and overruns added: the notices of changes
to a contract, read with the original's own for its OCDS package and procurement file
(15-25(a),(b),(b-5),(c-10)), and the procurements completing an overrun small purchase
(44 Ill. Adm. Code 1.2020(b)(3)), read with its view. Without them each read scans the table.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX bulletin_notices_contract_of_idx ON bulletin_notices "
        "((content->>'contract_of')) WHERE content ? 'contract_of'"
    )
    op.execute(
        "CREATE INDEX procurements_completes_idx ON procurements "
        "((snapshot->'spec'->'completes_small_purchase'->>'small_purchase')) "
        "WHERE snapshot->'spec'->'completes_small_purchase' IS NOT NULL"
    )


def downgrade() -> None:
    op.execute("DROP INDEX procurements_completes_idx")
    op.execute("DROP INDEX bulletin_notices_contract_of_idx")
