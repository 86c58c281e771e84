"""Identities, the hash-chained audit trail, idempotency keys, and sealed bid storage.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from typing import Any

from alembic import op
from sqlalchemy import text

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

STATEMENTS = (
    # Tokens issued by `procure users create`: only a hash is kept.
    """
    CREATE TABLE users (
        user_id     text PRIMARY KEY,
        name        text NOT NULL,
        role        text NOT NULL CHECK (role IN
                        ('agency_buyer', 'spo', 'cpo', 'vendor', 'ppb', 'cei')),
        agency      text,
        vendor      text,
        token_hash  text NOT NULL UNIQUE,
        created_at  timestamptz NOT NULL DEFAULT now(),
        disabled_at timestamptz
    )
    """,
    """
    CREATE TABLE audit_heads (
        reference text PRIMARY KEY,
        position  integer NOT NULL,
        hash      text NOT NULL
    )
    """,
    """
    CREATE TABLE audit_trail (
        reference  text NOT NULL,
        position   integer NOT NULL,
        step_seq   integer,
        request_id text,
        at         timestamptz NOT NULL,
        actor      text NOT NULL,
        role       text NOT NULL,
        command    text NOT NULL,
        outcome    text NOT NULL CHECK (outcome IN ('accepted', 'refused', 'automatic')),
        from_state text NOT NULL,
        to_state   text NOT NULL,
        citation   text NOT NULL,
        summary    text NOT NULL,
        prev_hash  text NOT NULL,
        hash       text NOT NULL,
        PRIMARY KEY (reference, position),
        UNIQUE (reference, step_seq)
    )
    """,
    # Append-only: no row of the trail is ever changed or removed through SQL.
    """
    CREATE FUNCTION audit_trail_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'the audit trail is append-only';
    END
    $$
    """,
    """
    CREATE TRIGGER audit_trail_no_update BEFORE UPDATE OR DELETE ON audit_trail
        FOR EACH ROW EXECUTE FUNCTION audit_trail_append_only()
    """,
    """
    CREATE TABLE idempotency_keys (
        principal_id    text NOT NULL,
        key             text NOT NULL,
        method          text NOT NULL,
        path            text NOT NULL,
        body_hash       text NOT NULL,
        status          text NOT NULL CHECK (status IN ('in_progress', 'done')),
        response_status integer,
        response_body   jsonb,
        created_at      timestamptz NOT NULL DEFAULT now(),
        completed_at    timestamptz,
        PRIMARY KEY (principal_id, key)
    )
    """,
    # Sealed bids: contents encrypted until the opening; the clear amount appears only then.
    "ALTER TABLE bids ADD COLUMN sealed bytea",
    "ALTER TABLE bids ALTER COLUMN amount DROP NOT NULL",
    "ALTER TABLE bids DROP CONSTRAINT bids_status_check",
    "ALTER TABLE bids ADD CONSTRAINT bids_status_check CHECK (status IN "
    "('pending', 'received', 'refused', 'opened', 'withdrawn', 'replaced'))",
    "ALTER TABLE tabulations ADD COLUMN digest_matches boolean",
    # After the opening nothing about a bid changes, through any path (20-10(f)).
    """
    CREATE FUNCTION bids_sealed_after_opening() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF OLD.status = 'opened' THEN
            RAISE EXCEPTION 'bid % was opened; it cannot change (30 ILCS 500/20-10(f))', OLD.bid_id;
        END IF;
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END
    $$
    """,
    """
    CREATE TRIGGER bids_no_change_after_opening BEFORE UPDATE OR DELETE ON bids
        FOR EACH ROW EXECUTE FUNCTION bids_sealed_after_opening()
    """,
)


def upgrade() -> None:
    for statement in STATEMENTS:
        op.execute(statement)
    _move_audit_log()
    op.execute("DROP TABLE audit_log")


def _move_audit_log() -> None:
    """Chain the entries recorded before the trail existed, in their order."""
    from db.audit import GENESIS, AuditEntry, entry_hash

    bind = op.get_bind()
    rows: Any = (
        bind.execute(text("SELECT * FROM audit_log ORDER BY reference, seq")).mappings().all()
    )
    heads: dict[str, tuple[int, str]] = {}
    for row in rows:
        position, prev = heads.get(row["reference"], (0, GENESIS))
        position += 1
        entry = AuditEntry(
            reference=row["reference"],
            at=row["at"],
            actor=row["actor"],
            role="unrecorded",
            command=row["trigger"],
            outcome="automatic" if row["actor"] == "system" else "accepted",
            from_state=row["from_state"],
            to_state=row["to_state"],
            citation=row["citation"],
            summary=row["summary"],
            step_seq=row["seq"],
        )
        digest = entry_hash(prev, entry, position)
        bind.execute(
            text(
                "INSERT INTO audit_trail (reference, position, step_seq, request_id, at, actor, "
                "role, command, outcome, from_state, to_state, citation, summary, prev_hash, hash) "
                "VALUES (:reference, :position, :step_seq, NULL, :at, :actor, :role, :command, "
                ":outcome, :from_state, :to_state, :citation, :summary, :prev_hash, :hash)"
            ),
            {
                "reference": entry.reference,
                "position": position,
                "step_seq": entry.step_seq,
                "at": entry.at,
                "actor": entry.actor,
                "role": entry.role,
                "command": entry.command,
                "outcome": entry.outcome,
                "from_state": entry.from_state,
                "to_state": entry.to_state,
                "citation": entry.citation,
                "summary": entry.summary,
                "prev_hash": prev,
                "hash": digest,
            },
        )
        heads[row["reference"]] = (position, digest)
    for reference, (position, digest) in heads.items():
        bind.execute(
            text("INSERT INTO audit_heads (reference, position, hash) VALUES (:r, :p, :h)"),
            {"r": reference, "p": position, "h": digest},
        )


def downgrade() -> None:
    raise NotImplementedError("the audit trail is not unwound")
