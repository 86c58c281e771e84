"""Outbox delivery: a status per message, retries with backoff, subscriptions and a log.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

UPGRADE = (
    # A message is pending until every channel of its recipient has it, or dead once its
    # retries are spent; ``channel`` says how it left (inbox, webhook, email).
    """
    ALTER TABLE outbox
        ADD COLUMN status text NOT NULL DEFAULT 'pending'
            CONSTRAINT outbox_status_check CHECK (status IN ('pending', 'delivered', 'dead')),
        ADD COLUMN next_attempt_at timestamptz NOT NULL DEFAULT now(),
        ADD COLUMN last_error text,
        ADD COLUMN channel text
    """,
    "UPDATE outbox SET status = 'delivered' WHERE delivered_at IS NOT NULL",
    "CREATE INDEX outbox_due_idx ON outbox (status, next_attempt_at)",
    # Where a recipient wants its messages besides the in-service inbox. ``kinds`` NULL takes
    # every kind; 'reminder' takes every 'reminder' and 'reminder' followed by a colon.
    """
    CREATE TABLE subscriptions (
        subscription_id bigserial PRIMARY KEY,
        recipient       text NOT NULL,
        channel         text NOT NULL CHECK (channel IN ('webhook', 'email')),
        target          text NOT NULL,
        secret          text,
        kinds           text[],
        created_at      timestamptz NOT NULL DEFAULT now(),
        disabled_at     timestamptz
    )
    """,
    """
    CREATE INDEX subscriptions_recipient_idx ON subscriptions (recipient)
        WHERE disabled_at IS NULL
    """,
    # Every delivery attempt, to a subscription or (subscription_id NULL) to the inbox.
    """
    CREATE TABLE deliveries (
        delivery_id     bigserial PRIMARY KEY,
        message_id      bigint NOT NULL REFERENCES outbox (message_id),
        subscription_id bigint REFERENCES subscriptions (subscription_id),
        attempt         integer NOT NULL,
        at              timestamptz NOT NULL,
        ok              boolean NOT NULL,
        detail          text
    )
    """,
    "CREATE INDEX deliveries_message_idx ON deliveries (message_id, at)",
)

DOWNGRADE = (
    "DROP TABLE deliveries",
    "DROP TABLE subscriptions",
    "DROP INDEX outbox_due_idx",
    """
    ALTER TABLE outbox
        DROP COLUMN channel,
        DROP COLUMN last_error,
        DROP COLUMN next_attempt_at,
        DROP COLUMN status
    """,
)


def upgrade() -> None:
    # asyncpg prepares each statement, so each runs on its own.
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
