"""Server-side sessions of the dashboard pages (ADR 0016).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03

``web_sessions`` holds one row per signed-in browser, keyed by an HMAC-SHA256 digest of the
session id in its cookie (the raw id is never stored): its user, when it started and when it
was last seen. Every worker process reads and writes the same rows, so a session started by
one is known to all and ended for all at once. The indexes serve the purge of sessions past
their idle or absolute limit.

Self-contained on purpose: a migration must not change when application code does.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_web_sessions_user_id_users"),
        sa.PrimaryKeyConstraint("digest", name="pk_web_sessions"),
    )
    for column in ("user_id", "created_at", "last_seen_at"):
        op.create_index(f"ix_web_sessions_{column}", "web_sessions", [column])


def downgrade() -> None:
    op.drop_table("web_sessions")
