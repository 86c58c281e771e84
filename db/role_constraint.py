"""The roles the users table allows, as its CHECK constraint lists them: read and replaced by
the migrations that add a role (0006 a member's purchasing official, 0012 an operator)."""

from __future__ import annotations

import re

from alembic import op
from sqlalchemy import text


def roles() -> list[str]:
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


def set_roles(allowed: list[str], *, validate: bool = True) -> None:
    listed = ", ".join(f"'{r}'" for r in allowed)
    op.execute("ALTER TABLE users DROP CONSTRAINT users_role_check")
    op.execute(
        f"ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ({listed}))"
        + ("" if validate else " NOT VALID")
    )
