"""Operators, and Idempotency-Keys that expire.

- ``users``: the role ``operator``, whoever runs the service (it moves the simulated clock);
  not a role of the Procurement Code.
- ``idempotency_keys``: indexed by when each key was first used, so the records past their
  lifetime (``PROCURE_IDEMPOTENCY_KEY_HOURS``) are found and deleted without a scan.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

from alembic import op

from db import role_constraint

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    roles = role_constraint.roles()
    if "operator" not in roles:
        role_constraint.set_roles([*roles, "operator"])
    op.execute("CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at)")


def downgrade() -> None:
    op.execute("DROP INDEX idempotency_keys_created_idx")
    # Operators issued already stay; they no longer satisfy the narrower check.
    role_constraint.set_roles(
        [r for r in role_constraint.roles() if r != "operator"], validate=False
    )
