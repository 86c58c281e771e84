"""The read model, audit trail, Bulletin, sealed bids, tabulations and outbox.

Revision ID: 0001
Revises:
"""

import re

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _execute_script(sql: str) -> None:
    # asyncpg prepares each statement, so a script runs one statement at a time.
    for statement in re.split(r";\s*$", sql, flags=re.MULTILINE):
        if statement.strip():
            op.execute(statement)


def upgrade() -> None:
    _execute_script(
        """
        -- The read model: one row per procurement, written by the workflow's persist step.
        -- ``revision`` only grows, so a late retry never overwrites a newer snapshot.
        CREATE TABLE procurements (
            reference          text PRIMARY KEY,
            agency             text NOT NULL,
            method             text NOT NULL,
            state              text NOT NULL,
            title              text NOT NULL,
            next_deadline_name text,
            next_deadline_at   timestamptz,
            launch_digest      text NOT NULL,
            revision           bigint NOT NULL,
            snapshot           jsonb NOT NULL,
            created_at         timestamptz NOT NULL,
            updated_at         timestamptz NOT NULL
        );
        CREATE INDEX procurements_state_idx ON procurements (state, updated_at DESC);
        CREATE INDEX procurements_agency_idx ON procurements (agency, updated_at DESC);
        CREATE INDEX procurements_created_idx ON procurements (created_at DESC, reference);

        -- Every step of every procurement, in order; rows are never updated.
        CREATE TABLE audit_log (
            reference   text NOT NULL,
            seq         integer NOT NULL,
            at          timestamptz NOT NULL,
            actor       text NOT NULL,
            trigger     text NOT NULL,
            from_state  text NOT NULL,
            to_state    text NOT NULL,
            citation    text NOT NULL,
            summary     text NOT NULL,
            PRIMARY KEY (reference, seq)
        );

        -- The Illinois Procurement Bulletin as this service publishes it (15-25).
        CREATE TABLE bulletin_notices (
            notice_id    bigserial PRIMARY KEY,
            reference    text NOT NULL,
            seq          integer NOT NULL,
            kind         text NOT NULL,
            published_at timestamptz NOT NULL,
            content      jsonb NOT NULL,
            UNIQUE (reference, seq, kind)
        );
        CREATE INDEX bulletin_published_idx ON bulletin_notices (published_at DESC, notice_id);

        -- Sealed bids: amounts and documents live here, never in workflow history.
        CREATE TABLE bids (
            bid_id        text PRIMARY KEY,
            reference     text NOT NULL,
            vendor        text NOT NULL,
            amount        numeric(15, 2) NOT NULL CHECK (amount >= 0),
            bid_credit    numeric(15, 2) NOT NULL DEFAULT 0 CHECK (bid_credit >= 0),
            documents     jsonb NOT NULL DEFAULT '[]'::jsonb,
            digest        text NOT NULL,
            status        text NOT NULL CHECK (status IN ('pending', 'received', 'refused', 'opened')),
            submitted_at  timestamptz NOT NULL,
            received_at   timestamptz,
            refusal       jsonb
        );
        CREATE INDEX bids_reference_idx ON bids (reference, status);

        -- The opening's record (20-10(d)): each bidder, amount and bid credit, and the rank.
        CREATE TABLE tabulations (
            reference         text NOT NULL,
            bid_id            text NOT NULL REFERENCES bids (bid_id),
            vendor            text NOT NULL,
            amount            numeric(15, 2) NOT NULL,
            bid_credit        numeric(15, 2) NOT NULL,
            evaluated_amount  numeric(15, 2) NOT NULL,
            rank              integer NOT NULL,
            opened_at         timestamptz NOT NULL,
            witnesses         jsonb NOT NULL,
            PRIMARY KEY (reference, bid_id)
        );

        -- Electronic notices to bidders, written with the step they report (outbox).
        CREATE TABLE outbox (
            message_id   bigserial PRIMARY KEY,
            reference    text NOT NULL,
            seq          integer NOT NULL,
            kind         text NOT NULL,
            recipient    text NOT NULL,
            content      jsonb NOT NULL,
            created_at   timestamptz NOT NULL,
            delivered_at timestamptz,
            attempts     integer NOT NULL DEFAULT 0,
            UNIQUE (reference, seq, kind, recipient)
        );
        CREATE INDEX outbox_recipient_idx ON outbox (recipient, created_at);
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE outbox, tabulations, bids, bulletin_notices, audit_log, procurements")
