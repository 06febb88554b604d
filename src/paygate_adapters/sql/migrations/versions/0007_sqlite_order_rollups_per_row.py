"""SQLite: every order reaches the rollups as it is inserted, by a per-row trigger.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

Orders, payments and refunds all keep the statistics rollups by per-row triggers (ADR 0006).
Upgrading counts the orders that migration 0004's ``orders_rollup_fold`` trigger had not
folded in yet (those above ``rollup_fold.folded_through``; a missing row means none were),
drops that trigger and ``rollup_fold``, and creates ``orders_rollup_insert`` as migration
0002 did: six upserts of the order's merchant, bucket and currency. ``rollup_fold`` goes on
PostgreSQL too, where it was never used; nothing else changes there (its writers fold their
rollup deltas at commit, ADR 0003).

Downgrading restores 0004's state: ``rollup_fold`` marks every order as counted and the
fold trigger replaces the per-row one.

Self-contained on purpose: a migration must not change when application code does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
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
_FOLDED = "COALESCE((SELECT folded_through FROM rollup_fold WHERE source = 'orders'), 0)"


def _upserts(at: str, stamp: str, counts: Mapping[str, str]) -> str:
    """Add ``counts`` to the six rollup rows (3 grains x merchant and global) of NEW's
    merchant and currency at the moment ``at`` (migration 0002's form)."""
    columns = ", ".join(_COUNTERS)
    values = ", ".join(counts.get(name, "0") for name in _COUNTERS)
    update = ", ".join(f"{name} = {name} + excluded.{name}" for name in _COUNTERS)
    update += ", updated_at = excluded.updated_at"
    statements = []  # constants only, no input: S608 does not apply
    for grain, pattern in _BUCKETS.items():
        bucket = f"strftime('{pattern}', {at})"
        statements.append(
            f"INSERT INTO merchant_stats_rollup (merchant_id, grain, bucket, currency, "  # noqa: S608
            f"{columns}, created_at, updated_at) VALUES (NEW.merchant_id, '{grain}', "
            f"{bucket}, NEW.currency, {values}, {stamp}, {stamp}) ON CONFLICT "
            f"(merchant_id, grain, bucket, currency) DO UPDATE SET {update};"
        )
        statements.append(
            f"INSERT INTO global_stats_rollup (grain, bucket, shard, currency, {columns}, "  # noqa: S608
            f"created_at, updated_at) VALUES ('{grain}', {bucket}, "
            f"substr(NEW.merchant_id, -1), NEW.currency, {values}, {stamp}, {stamp}) "
            f"ON CONFLICT (grain, bucket, shard, currency) DO UPDATE SET {update};"
        )
    return "\n  ".join(statements)


def _count(orders_where: str) -> str:
    """Add the orders matching ``orders_where`` to the six rollups, grouped by merchant,
    bucket and currency (migration 0004's form)."""
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
    """Migration 0004's fold: count the orders with ``folded_through < rowid <= upto`` and
    move ``folded_through`` to ``upto``."""
    moved = (
        f"INSERT INTO rollup_fold (source, folded_through) VALUES ('orders', {upto}) "  # noqa: S608
        f"ON CONFLICT (source) DO UPDATE SET folded_through = excluded.folded_through;"
    )
    return _count(f"orders.rowid > {_FOLDED} AND orders.rowid <= {upto}") + "\n  " + moved


def _execute_each(statements: str) -> None:
    for statement in statements.split(";"):
        if statement.strip():
            op.execute(statement)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS orders_rollup_fold")
        _execute_each(_count(f"orders.rowid > {_FOLDED}"))
        op.execute(
            f"CREATE TRIGGER orders_rollup_insert AFTER INSERT ON orders\nBEGIN\n  "
            f"{_upserts('NEW.created_at', 'NEW.created_at', {'orders': '1'})}\nEND"
        )
    op.drop_table("rollup_fold")


def downgrade() -> None:
    op.create_table(
        "rollup_fold",
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("folded_through", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("source", name="pk_rollup_fold"),
    )
    if op.get_bind().dialect.name != "sqlite":
        return
    # Every order there is was counted by the per-row trigger.
    op.execute(
        "INSERT INTO rollup_fold (source, folded_through) "
        "SELECT 'orders', COALESCE(max(rowid), 0) FROM orders"
    )
    op.execute("DROP TRIGGER IF EXISTS orders_rollup_insert")
    op.execute(
        f"CREATE TRIGGER orders_rollup_fold AFTER INSERT ON orders "
        f"WHEN NEW.rowid % {FOLD_EVERY} = 0\nBEGIN\n  {_fold('NEW.rowid')}\nEND"
    )
