"""SQLite: orders reach the rollups 64 at a time, folded by the insert of every 64th order.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29

Migration 0002's per-row trigger did six upserts for every order inserted, a third of the
database work of ``POST orders/``. Now ``rollup_fold`` remembers the highest order rowid
already counted in the rollups; the insert of every 64th order (rowids are handed out as
max + 1 and orders are never deleted, so every multiple of 64 is reached) adds all orders
above it, grouped by merchant, bucket and currency, in six ``INSERT ... SELECT ... ON
CONFLICT`` statements, and moves it on, all in that insert's transaction. The rollups
therefore count exactly the orders with ``rowid <= folded_through``; the statistics
queries count the (at most 63) others from the ``orders`` table itself
(``paygate_adapters.sql.stats``). Payments and refunds keep their per-row triggers.

The rowids stay 1..N without gaps (no deletes; a rolled-back insert's rowid is handed out
again), so a ``VACUUM``, which may renumber the rowids of a table without an INTEGER
PRIMARY KEY, renumbers them in the same order to the same values. Code that ever deletes
orders must fold first and rebuild after (``rebuild_stats_rollup`` resets the mark).

The table exists on PostgreSQL too (one schema for both), unused there: its writers fold
their rollup deltas at commit (ADR 0003).

Self-contained on purpose: a migration must not change when application code does.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FOLD_EVERY = 64
_COUNTERS = (
    "orders",
    "payments",
    "successful_payments",
    "failed_payments",
    "refunds",
    "paid_minor",
    "refunded_minor",
)
_BUCKETS = {
    "month": "%Y-%m-01 00:00:00.000000",
    "day": "%Y-%m-%d 00:00:00.000000",
    "hour": "%Y-%m-%d %H:00:00.000000",
}
# No row reads as nothing folded: a test suite that empties every table stays consistent.
_FOLDED = "COALESCE((SELECT folded_through FROM rollup_fold WHERE source = 'orders'), 0)"


def _count(orders_where: str) -> str:
    """Add the orders matching ``orders_where`` to the six rollups (3 grains x merchant and
    global), grouped by merchant, bucket and currency."""
    columns = ", ".join(_COUNTERS)
    counts = ", ".join(["count(*)"] + ["0"] * (len(_COUNTERS) - 1))
    stamp = "max(orders.created_at)"
    update = "orders = orders + excluded.orders, updated_at = excluded.updated_at"
    statements = []  # constants only, no input: S608 does not apply
    for grain, pattern in _BUCKETS.items():
        bucket = f"strftime('{pattern}', orders.created_at)"
        for table, keys, key_values, group in (
            (
                "merchant_stats_rollup",
                "merchant_id, grain, bucket, currency",
                f"orders.merchant_id, '{grain}', {bucket}",
                f"orders.merchant_id, {bucket}",
            ),
            (
                "global_stats_rollup",
                "grain, bucket, shard, currency",
                f"'{grain}', {bucket}, substr(orders.merchant_id, -1)",
                f"{bucket}, substr(orders.merchant_id, -1)",
            ),
        ):
            statements.append(
                f"INSERT INTO {table} ({keys}, {columns}, created_at, updated_at) "  # noqa: S608
                f"SELECT {key_values}, orders.currency, {counts}, {stamp}, {stamp} "
                f"FROM orders WHERE {orders_where} GROUP BY {group}, orders.currency "
                f"ON CONFLICT ({keys}) DO UPDATE SET {update};"
            )
    return "\n  ".join(statements)


def _fold(upto: str) -> str:
    """Count the orders with ``folded_through < rowid <= upto`` and move ``folded_through``
    to ``upto``."""
    moved = (
        f"INSERT INTO rollup_fold (source, folded_through) VALUES ('orders', {upto}) "  # noqa: S608
        f"ON CONFLICT (source) DO UPDATE SET folded_through = excluded.folded_through;"
    )
    return _count(f"orders.rowid > {_FOLDED} AND orders.rowid <= {upto}") + "\n  " + moved


def upgrade() -> None:
    op.create_table(
        "rollup_fold",
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("folded_through", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("source", name="pk_rollup_fold"),
    )
    if op.get_bind().dialect.name != "sqlite":
        return
    # Every order there is was counted by 0002's trigger.
    op.execute(
        "INSERT INTO rollup_fold (source, folded_through) "
        "SELECT 'orders', COALESCE(max(rowid), 0) FROM orders"
    )
    op.execute("DROP TRIGGER IF EXISTS orders_rollup_insert")
    op.execute(
        f"CREATE TRIGGER orders_rollup_fold AFTER INSERT ON orders "
        f"WHEN NEW.rowid % {FOLD_EVERY} = 0\nBEGIN\n  {_fold('NEW.rowid')}\nEND"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS orders_rollup_fold")
        for statement in _fold("(SELECT COALESCE(max(rowid), 0) FROM orders)").split(";"):
            if statement.strip():
                op.execute(statement)
        # 0002's per-row trigger, in effect: each order counted as it is inserted.
        op.execute(
            f"CREATE TRIGGER orders_rollup_insert AFTER INSERT ON orders\nBEGIN\n  "
            f"{_count('orders.rowid = NEW.rowid')}\nEND"
        )
    op.drop_table("rollup_fold")
