"""Bid intake in PostgreSQL: a bid is received in one transaction, never through the workflow.

- ``bids``: what a row replaced, a keyed fingerprint of its contents (a resubmission of the
  same bid is recognized), when it was withdrawn, the idempotency key that created it; an
  index for a vendor's own bids.
- ``bid_openings``: the fence of each intake round. The opening (and each best-and-final
  round) writes its row under an exclusive lock that every bid transaction holds shared, so
  the set it counts is exactly the bids received before the cutoff; no bid is received after.
- ``tabulations``: each row's commitment, the nonce that opens it and the contents received,
  so anyone can check a row against the list of commitments published before unsealing.
- ``outbox``: which messages were addressed to a procurement's bidders, so no one but the
  bidder learns from them who bid before the opening.
- ``idempotency_keys``: the database session holding a key, so a key held by a process that
  died is free at once.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

UPGRADE = (
    "ALTER TABLE bids ADD COLUMN replaces text",
    "ALTER TABLE bids ADD COLUMN content_key text",
    "ALTER TABLE bids ADD COLUMN withdrawn_at timestamptz",
    # An Idempotency-Key names the bid it created (hashed with its caller), once.
    "ALTER TABLE bids ADD COLUMN request_key text UNIQUE",
    "CREATE INDEX bids_vendor_idx ON bids (reference, vendor, status)",
    """
    CREATE TABLE bid_openings (
        reference   text NOT NULL,
        round       text NOT NULL,
        cutoff      timestamptz NOT NULL,
        closed_at   timestamptz NOT NULL,
        bid_ids     jsonb NOT NULL,
        commitments jsonb NOT NULL,
        set_digest  text NOT NULL,
        PRIMARY KEY (reference, round)
    )
    """,
    "ALTER TABLE tabulations ADD COLUMN commitment text",
    "ALTER TABLE tabulations ADD COLUMN nonce text",
    "ALTER TABLE tabulations ADD COLUMN contents jsonb",
    "ALTER TABLE outbox ADD COLUMN to_bidder boolean NOT NULL DEFAULT false",
    # An idempotency key is held by a database session of the API process that claimed it:
    # when that process dies, its session ends and the key is free.
    "ALTER TABLE idempotency_keys ADD COLUMN holder_pid integer",
    "ALTER TABLE idempotency_keys ADD COLUMN holder_started timestamptz",
)


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    op.execute("ALTER TABLE idempotency_keys DROP COLUMN holder_started")
    op.execute("ALTER TABLE idempotency_keys DROP COLUMN holder_pid")
    op.execute("ALTER TABLE outbox DROP COLUMN to_bidder")
    op.execute("ALTER TABLE tabulations DROP COLUMN contents")
    op.execute("ALTER TABLE tabulations DROP COLUMN nonce")
    op.execute("ALTER TABLE tabulations DROP COLUMN commitment")
    op.execute("DROP TABLE bid_openings")
    op.execute("DROP INDEX bids_vendor_idx")
    op.execute("ALTER TABLE bids DROP COLUMN request_key")
    op.execute("ALTER TABLE bids DROP COLUMN withdrawn_at")
    op.execute("ALTER TABLE bids DROP COLUMN content_key")
    op.execute("ALTER TABLE bids DROP COLUMN replaces")
