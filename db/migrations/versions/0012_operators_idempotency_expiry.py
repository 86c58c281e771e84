"""Operators, and Idempotency-Keys that expire.

- ``users``: the role ``operator``, whoever runs the service (it moves the simulated clock);
  not a role of the Procurement Code.
- ``idempotency_keys``: indexed by when each key was first used, so the records past their
  lifetime (``PROCURE_IDEMPOTENCY_KEY_HOURS``) are found and deleted without a scan.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import re

from alembic import op
from sqlalchemy import text

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def _roles() -> list[str]:
    """The roles the users table allows now, read from its constraint."""
    definition = (
        op.get_bind()
        .execute(
            text(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conname = 'users_role_check' AND conrelid = 'users'::regclass"
            )
        )
        .scalar()
    )
    return re.findall(r"'([a-z_]+)'", definition or "")


def _set_roles(roles: list[str], *, validate: bool = True) -> None:
    listed = ", ".join(f"'{r}'" for r in roles)
    op.execute("ALTER TABLE users DROP CONSTRAINT users_role_check")
    op.execute(
        f"ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ({listed}))"
        + ("" if validate else " NOT VALID")
    )


def upgrade() -> None:
    roles = _roles()
    if "operator" not in roles:
        _set_roles([*roles, "operator"])
    op.execute("CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at)")


def downgrade() -> None:
    op.execute("DROP INDEX idempotency_keys_created_idx")
    # Operators issued already stay; they no longer satisfy the narrower check.
    _set_roles([r for r in _roles() if r != "operator"], validate=False)
