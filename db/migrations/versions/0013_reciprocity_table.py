"""The other states' resident preferences as data with an effective date and sources
(30 ILCS 500/45-10(a); 44 Ill. Adm. Code 1.4510(c)): a new version is loaded with
``procure reciprocity load``; a procurement evaluates with the version in force on the day it
was first advertised. Seeded with the table the service shipped, which says it is
illustrative.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

SHIPPED_SOURCE = (
    "Illustrative values shipped with the service, not taken from an authoritative source: "
    "verify before production use."
)
SHIPPED = {
    "IA": "0", "IN": "1", "KY": "0", "MI": "0", "MO": "0",
    "MT": "3", "NM": "5", "WI": "0", "WV": "2.5", "WY": "5",
}  # fmt: skip


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE reciprocal_preferences (
            effective_from date NOT NULL,
            state          char(2) NOT NULL CHECK (state ~ '^[A-Z]{2}$'),
            percent        numeric(5, 2) NOT NULL CHECK (percent >= 0 AND percent < 100),
            law            text,
            source         text NOT NULL,
            read_on        date NOT NULL,
            recorded_at    timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (effective_from, state)
        )
        """
    )
    values = ", ".join(
        f"('2026-01-01', '{state}', {percent}, NULL, '{SHIPPED_SOURCE}', '2026-01-01')"
        for state, percent in SHIPPED.items()
    )
    op.execute(
        "INSERT INTO reciprocal_preferences (effective_from, state, percent, law, source, "
        f"read_on) VALUES {values}"
    )


def downgrade() -> None:
    op.execute("DROP TABLE reciprocal_preferences")
