"""SQLite: the statistics rollups are kept by triggers (ADR 0006).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28

On SQLite every write runs alone (one writer at a time), so nothing is gained by deferring
the rollup upserts to commit time, and doing them in Python cost more than the rest of an
order's write. Four triggers do the same upserts inside SQLite: an order, a payment or a
refund inserted, and a payment whose status moves between the success categories. The
buckets are the text SQLAlchemy stores for a UTC ``DateTime`` (``2026-11-28 19:00:00.000000``)
and the global shard is the merchant id's last hex digit, exactly as ``rollup.py`` computes
them. PostgreSQL is unchanged: its writers run concurrently and keep deferring the upserts
to commit, in key order.

Self-contained on purpose: a migration must not change when application code does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

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
_SUCCESSFUL = ("authorized", "captured", "refunded")


def _successful(row: str) -> str:
    # ORed equalities, not IN (...): a trigger built an ephemeral table for every IN list
    # it evaluated, which made a payment's insert six times slower.
    return "(" + " OR ".join(f"{row}.status = '{status}'" for status in _SUCCESSFUL) + ")"


def _failed(row: str) -> str:
    return f"({row}.status = 'failed')"


def _upserts(at: str, stamp: str, counts: Mapping[str, str]) -> str:
    """Add ``counts`` to the six rollup rows (3 grains x merchant and global) of NEW's
    merchant and currency at the moment ``at``."""
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


_PAYMENT_CATEGORY_CHANGED = (
    f"{_successful('NEW')} != {_successful('OLD')} OR {_failed('NEW')} != {_failed('OLD')}"
)

_TRIGGERS = {
    "orders_rollup_insert": (
        "AFTER INSERT ON orders",
        _upserts("NEW.created_at", "NEW.created_at", {"orders": "1"}),
    ),
    "payments_rollup_insert": (
        "AFTER INSERT ON payments",
        _upserts(
            "NEW.created_at",
            "NEW.created_at",
            {
                "payments": "1",
                "successful_payments": _successful("NEW"),
                "failed_payments": _failed("NEW"),
                "paid_minor": f"{_successful('NEW')} * NEW.amount_minor",
            },
        ),
    ),
    "payments_rollup_status": (
        f"AFTER UPDATE OF status ON payments WHEN {_PAYMENT_CATEGORY_CHANGED}",
        _upserts(
            "NEW.created_at",
            "NEW.updated_at",
            {
                "successful_payments": f"{_successful('NEW')} - {_successful('OLD')}",
                "failed_payments": f"{_failed('NEW')} - {_failed('OLD')}",
                "paid_minor": f"({_successful('NEW')} - {_successful('OLD')}) * NEW.amount_minor",
            },
        ),
    ),
    "refunds_rollup_insert": (
        "AFTER INSERT ON refunds",
        _upserts(
            "NEW.created_at",
            "NEW.created_at",
            {"refunds": "1", "refunded_minor": "NEW.amount_minor"},
        ),
    ),
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name, (when, body) in _TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {when}\nBEGIN\n  {body}\nEND")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in _TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
