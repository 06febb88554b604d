"""An index for searching users by the start of their email (the admin's merchant search).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04

``ix_users_email_lower`` on ``users.email_lower``: on PostgreSQL with the
``varchar_pattern_ops`` operator class, so ``email_lower LIKE 'prefix%'`` is an index range
whatever the database's collation (the unique constraint's index serves it only under the
``C`` collation); on SQLite a plain index, searched as a range of the column.

Self-contained on purpose: a migration must not change when application code does.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_users_email_lower",
        "users",
        ["email_lower"],
        postgresql_ops={"email_lower": "varchar_pattern_ops"},
    )


def downgrade() -> None:
    op.drop_index("ix_users_email_lower", table_name="users")
