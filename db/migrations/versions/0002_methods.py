"""Every method: bidder claims, evaluated tabulations, proposal scores, small purchase limits.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

STATEMENTS = (
    # What a bidder claims for the Article 45 preferences and the tie rules.
    "ALTER TABLE bids ADD COLUMN claims jsonb NOT NULL DEFAULT '{}'::jsonb",
    # Each preference applied with its citation, and a proposal's scores (20-15(e)).
    "ALTER TABLE tabulations ADD COLUMN adjustments jsonb NOT NULL DEFAULT '[]'::jsonb",
    "ALTER TABLE tabulations ADD COLUMN scoring jsonb",
    # For the split-purchase check of 20-20(a) and for supervisors' lists.
    "ALTER TABLE procurements ADD COLUMN estimated_value numeric(15, 2)",
    "ALTER TABLE procurements ADD COLUMN description_key text",
    "CREATE INDEX procurements_split_idx ON procurements (agency, method, description_key, created_at)",
    # The small purchase limit is data with an effective date: the July 1 CPI adjustment of
    # 20-20(b) is an insert, not a code change.
    """
    CREATE TABLE small_purchase_limits (
        effective_from date PRIMARY KEY,
        amount         numeric(15, 2) NOT NULL CHECK (amount > 0),
        citation       text NOT NULL,
        recorded_at    timestamptz NOT NULL DEFAULT now()
    )
    """,
    """
    INSERT INTO small_purchase_limits (effective_from, amount, citation) VALUES
        ('2023-01-23', 100000.00,
         '30 ILCS 500/20-20(a) (P.A. 102-1119); 44 Ill. Adm. Code 1.2020(a)')
    """,
)


def upgrade() -> None:
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TABLE small_purchase_limits")
    op.execute("DROP INDEX procurements_split_idx")
    op.execute("ALTER TABLE procurements DROP COLUMN description_key, DROP COLUMN estimated_value")
    op.execute("ALTER TABLE tabulations DROP COLUMN scoring, DROP COLUMN adjustments")
    op.execute("ALTER TABLE bids DROP COLUMN claims")
