"""Orders keep the merchant's ``return_url`` for hosted checkout.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04

A nullable ``orders.return_url`` (at most 2048 characters): existing orders have none.
The checkout token itself is a MAC and needs no column.

Self-contained on purpose: a migration must not change when application code does.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN on both databases: SQLite's batch mode would copy the table and
    # drop the rollup triggers that live on it.
    op.add_column("orders", sa.Column("return_url", sa.String(2048), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE orders DROP COLUMN return_url")
