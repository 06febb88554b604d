"""The credential epoch: one counter that every change to users or merchants moves on.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28

Who an API key belongs to, and whether that user is still active, is decided by the rows of
``users`` and ``merchants``. Triggers add one to ``credential_epoch.value`` in the same
transaction as any update or delete of those rows, so a reader that saw the same value
before and after knows its remembered answers still hold (``credential_cache.py``). Inserts
do not move it: a new row cannot change what was already answered for another key.

Self-contained on purpose: a migration must not change when application code does.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("users", "merchants")
_BUMP = "UPDATE credential_epoch SET value = value + 1 WHERE id = 1"


def upgrade() -> None:
    op.create_table(
        "credential_epoch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_credential_epoch"),
        sa.CheckConstraint("id = 1", name="ck_credential_epoch_single_row"),
    )
    op.execute("INSERT INTO credential_epoch (id, value) VALUES (1, 0)")
    if op.get_bind().dialect.name == "sqlite":
        for table in _TABLES:
            for event in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_credential_epoch_{event.lower()} "
                    f"AFTER {event} ON {table} BEGIN {_BUMP}; END"
                )
        return
    op.execute(
        "CREATE FUNCTION bump_credential_epoch() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN {_BUMP}; RETURN NULL; END $$"
    )
    for table in _TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_credential_epoch AFTER UPDATE OR DELETE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION bump_credential_epoch()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in _TABLES:
            for event in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_credential_epoch_{event}")
    else:
        for table in _TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_credential_epoch ON {table}")
        op.execute("DROP FUNCTION IF EXISTS bump_credential_epoch()")
    op.drop_table("credential_epoch")
