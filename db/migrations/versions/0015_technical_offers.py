"""Multi-step sealed bidding (30 ILCS 500/20-10(h)): the record of the first step's opening.

``technical_offers`` holds each unpriced technical offer as opened: its vendor, documents, the
commitment it was received under and the nonce and contents that let anyone check it, like a
row of ``tabulations`` but without a price, so the priced tabulation, its ranks and every
reader of prices never meet an unpriced offer. Whether an offer qualified is a decision of the
procurement, kept with its facts and its audit trail.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE technical_offers (
            reference       text NOT NULL,
            bid_id          text NOT NULL REFERENCES bids (bid_id),
            vendor          text NOT NULL,
            opened_at       timestamptz NOT NULL,
            witnesses       jsonb NOT NULL,
            documents       jsonb NOT NULL DEFAULT '[]'::jsonb,
            digest_matches  boolean NOT NULL,
            commitment      text NOT NULL,
            nonce           text,
            contents        jsonb,
            PRIMARY KEY (reference, bid_id)
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE technical_offers")
