"""Joint and cooperative purchasing: members and their documents, contracts open to joint or
cooperative use, orders; the role of a member's purchasing official.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from alembic import op

from db import role_constraint

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

KINDS = "('municipality', 'county', 'school_district', 'other_unit', 'state_use_facility')"

UPGRADE = (
    # Units of local government (and State Use facilities) registered to buy off State and
    # cooperative contracts; only eligible units are registered (30 ILCS 525/1, 2(b)).
    f"""
    CREATE TABLE members (
        member_id           text PRIMARY KEY,
        name                text NOT NULL UNIQUE,
        kind                text NOT NULL CHECK (kind IN {KINDS}),
        created_by_statute  boolean NOT NULL,
        has_taxing_power    boolean NOT NULL,
        purchasing_official text,
        eligibility         text NOT NULL,
        citation            text NOT NULL,
        digest              text NOT NULL,
        registered_by       text NOT NULL,
        registered_role     text NOT NULL,
        registered_at       timestamptz NOT NULL
    )
    """,
    # Participation resolutions and MICPAs on file, with who recorded them; the same document
    # recorded twice is one row.
    """
    CREATE TABLE member_documents (
        document_id     bigserial PRIMARY KEY,
        member_id       text NOT NULL REFERENCES members (member_id),
        kind            text NOT NULL CHECK (kind IN ('participation_resolution', 'micpa')),
        dated           date NOT NULL,
        governing_board text NOT NULL,
        identifier      text,
        recorded_by     text NOT NULL,
        recorded_role   text NOT NULL,
        recorded_at     timestamptz NOT NULL,
        UNIQUE (member_id, kind, dated, governing_board)
    )
    """,
    """
    CREATE TABLE cooperative_contracts (
        reference             text PRIMARY KEY,
        program               text NOT NULL CHECK (program IN ('joint', 'cooperative')),
        title                 text NOT NULL,
        vendor                text NOT NULL,
        lead                  text NOT NULL,
        statute               text NOT NULL,
        starts_on             date NOT NULL,
        ends_on               date NOT NULL,
        ceiling               numeric(15, 2) CHECK (ceiling > 0),
        items                 jsonb NOT NULL DEFAULT '[]'::jsonb,
        scope                 text,
        open_to               jsonb NOT NULL,
        procurement_reference text,
        award                 jsonb NOT NULL,
        digest                text NOT NULL,
        opened_by             text NOT NULL,
        opened_role           text NOT NULL,
        opened_at             timestamptz NOT NULL,
        CHECK (ends_on >= starts_on)
    )
    """,
    "CREATE INDEX cooperative_contracts_lead_idx ON cooperative_contracts (lead)",
    # The read model of the order workflows, written by their activities.
    """
    CREATE TABLE orders (
        reference          text PRIMARY KEY,
        member_name        text NOT NULL,
        member_id          text,
        contract_reference text NOT NULL,
        program            text,
        vendor             text,
        lead               text,
        state              text NOT NULL CHECK (state IN
                               ('received', 'placed', 'held', 'refused', 'withdrawn')),
        total              numeric(15, 2) NOT NULL,
        digest             text NOT NULL,
        submitted_by       text NOT NULL,
        revision           integer NOT NULL,
        snapshot           jsonb NOT NULL,
        created_at         timestamptz NOT NULL,
        updated_at         timestamptz NOT NULL,
        placed_at          timestamptz
    )
    """,
    "CREATE INDEX orders_contract_state_idx ON orders (contract_reference, state)",
    "CREATE INDEX orders_member_idx ON orders (member_name, created_at)",
    "CREATE INDEX orders_lead_idx ON orders (lead, created_at)",
)

DOWNGRADE = (
    "DROP TABLE orders",
    "DROP TABLE cooperative_contracts",
    "DROP TABLE member_documents",
    "DROP TABLE members",
)


def upgrade() -> None:
    # asyncpg prepares each statement, so each runs on its own.
    for statement in UPGRADE:
        op.execute(statement)
    roles = role_constraint.roles()
    if "member" not in roles:
        # A member: a purchasing official of a unit of local government, acting for the unit.
        role_constraint.set_roles([*roles, "member"])


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
    # Identities issued as members stay; they no longer satisfy the narrower check.
    role_constraint.set_roles([r for r in role_constraint.roles() if r != "member"], validate=False)
