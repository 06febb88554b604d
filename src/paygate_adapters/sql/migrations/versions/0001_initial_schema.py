"""Initial schema: accounts, orders, payments, refunds, the webhook outbox, idempotency,
tokens and the statistics rollups (ADR 0003).

Revision ID: 0001
Revises:
Create Date: 2026-11-28

Self-contained on purpose: a migration must not change when application code does.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_EVENT_TYPES = "'payment.authorized', 'payment.failed', 'payment.captured', 'payment.refunded'"


def _timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}")


def _index(table: str, *columns: str) -> None:
    op.create_index(f"ix_{table}_{'_'.join(columns)}", table, list(columns))


def _accounts() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("email_lower", sa.String(254), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        *_timestamps(),
        sa.CheckConstraint("role IN ('admin', 'merchant')", name="ck_users_role"),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("email_lower", name="uq_users_email_lower"),
    )
    _index("users", "created_at", "id")
    _index("users", "role", "created_at", "id")

    op.create_table(
        "merchants",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("webhook_url", sa.String(2048), nullable=True),
        sa.Column("api_key", sa.String(128), nullable=False),
        sa.Column("webhook_secret", sa.String(128), nullable=False),
        *_timestamps(),
        _fk("merchants", "user_id", "users"),
        sa.PrimaryKeyConstraint("id", name="pk_merchants"),
        sa.UniqueConstraint("api_key", name="uq_merchants_api_key"),
        sa.UniqueConstraint("user_id", name="uq_merchants_user_id"),
    )
    _index("merchants", "created_at", "id")


def _payments() -> None:
    op.create_table(
        "orders",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.CHAR(3), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("receipt", sa.String(40), nullable=True),
        sa.Column("notes", sa.JSON(), nullable=False),
        *_timestamps(),
        sa.CheckConstraint("amount_minor > 0", name="ck_orders_amount_positive"),
        sa.CheckConstraint("status IN ('created', 'paid', 'failed')", name="ck_orders_status"),
        _fk("orders", "merchant_id", "merchants"),
        sa.PrimaryKeyConstraint("id", name="pk_orders"),
    )
    _index("orders", "merchant_id", "created_at", "id")
    _index("orders", "merchant_id", "status", "created_at", "id")
    _index("orders", "created_at")

    op.create_table(
        "payments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("amount_refunded_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.CHAR(3), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("failure_reason", sa.String(255), nullable=True),
        sa.Column("card_last4", sa.CHAR(4), nullable=False),
        sa.Column("card_fingerprint", sa.CHAR(64), nullable=False),
        *_timestamps(),
        sa.CheckConstraint("amount_minor > 0", name="ck_payments_amount_positive"),
        sa.CheckConstraint(
            "amount_refunded_minor >= 0 AND amount_refunded_minor <= amount_minor",
            name="ck_payments_refunded_within_amount",
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'authorized', 'captured', 'refunded', 'failed')",
            name="ck_payments_status",
        ),
        _fk("payments", "order_id", "orders"),
        _fk("payments", "merchant_id", "merchants"),
        sa.PrimaryKeyConstraint("id", name="pk_payments"),
    )
    _index("payments", "merchant_id", "created_at", "id")
    _index("payments", "merchant_id", "status", "created_at", "id")
    _index("payments", "order_id", "created_at", "id")
    _index("payments", "created_at")

    op.create_table(
        "refunds",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("payment_id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.CHAR(3), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(255), nullable=True),
        *_timestamps(),
        sa.CheckConstraint("amount_minor > 0", name="ck_refunds_amount_positive"),
        sa.CheckConstraint("status IN ('processed')", name="ck_refunds_status"),
        _fk("refunds", "payment_id", "payments"),
        _fk("refunds", "order_id", "orders"),
        _fk("refunds", "merchant_id", "merchants"),
        sa.PrimaryKeyConstraint("id", name="pk_refunds"),
    )
    _index("refunds", "merchant_id", "created_at", "id")
    _index("refunds", "payment_id", "created_at", "id")
    _index("refunds", "order_id")
    _index("refunds", "created_at")


def _webhooks() -> None:
    op.create_table(
        "webhook_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("payment_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.String(32), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("delivery_status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        *_timestamps(),
        sa.CheckConstraint(f"event_type IN ({_EVENT_TYPES})", name="ck_webhook_events_event_type"),
        sa.CheckConstraint(
            "delivery_status IN ('pending', 'delivered', 'failed', 'skipped')",
            name="ck_webhook_events_delivery_status",
        ),
        sa.CheckConstraint("attempts >= 0", name="ck_webhook_events_attempts_not_negative"),
        _fk("webhook_events", "merchant_id", "merchants"),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_events"),
    )
    _index("webhook_events", "merchant_id", "created_at", "id")
    _index("webhook_events", "delivery_status", "next_attempt_at")

    op.create_table(
        "webhook_attempts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.String(32), nullable=False),
        sa.Column("payment_id", sa.Uuid(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        *_timestamps(),
        sa.CheckConstraint(
            f"event_type IN ({_EVENT_TYPES})", name="ck_webhook_attempts_event_type"
        ),
        sa.CheckConstraint("status IN ('sent', 'failed')", name="ck_webhook_attempts_status"),
        sa.CheckConstraint("attempt >= 1", name="ck_webhook_attempts_attempt_positive"),
        sa.ForeignKeyConstraint(
            ["event_id"], ["webhook_events.id"], name="fk_webhook_attempts_event_id_webhook_events"
        ),
        _fk("webhook_attempts", "merchant_id", "merchants"),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_attempts"),
    )
    _index("webhook_attempts", "merchant_id", "created_at", "id")
    _index("webhook_attempts", "event_id", "created_at", "id")
    _index("webhook_attempts", "payment_id", "created_at", "id")


def _idempotency_and_tokens() -> None:
    op.create_table(
        "idempotency_records",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=False),
        sa.Column("request_hash", sa.String(128), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.LargeBinary(), nullable=True),
        *_timestamps(),
        _fk("idempotency_records", "merchant_id", "merchants"),
        sa.PrimaryKeyConstraint("id", name="pk_idempotency_records"),
        sa.UniqueConstraint(
            "merchant_id",
            "idempotency_key",
            name="uq_idempotency_records_merchant_id_idempotency_key",
        ),
    )
    _index("idempotency_records", "created_at")

    op.create_table(
        "refresh_tokens",
        sa.Column("jti", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("family", sa.Uuid(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        *_timestamps(),
        _fk("refresh_tokens", "user_id", "users"),
        sa.PrimaryKeyConstraint("jti", name="pk_refresh_tokens"),
    )
    _index("refresh_tokens", "user_id")
    _index("refresh_tokens", "family")
    _index("refresh_tokens", "expires_at")

    op.create_table(
        "revoked_access_tokens",
        sa.Column("jti", sa.Uuid(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("jti", name="pk_revoked_access_tokens"),
    )
    _index("revoked_access_tokens", "expires_at")


_GRAINS = "grain IN ('hour', 'day', 'month')"


def _counters() -> list[sa.Column[object]]:
    names = (
        "orders",
        "payments",
        "successful_payments",
        "failed_payments",
        "refunds",
        "paid_minor",
        "refunded_minor",
    )
    return [sa.Column(name, sa.BigInteger(), nullable=False) for name in names]


def _stats_rollups() -> None:
    op.create_table(
        "merchant_stats_rollup",
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("grain", sa.String(5), nullable=False),
        sa.Column("bucket", sa.DateTime(timezone=True), nullable=False),
        sa.Column("currency", sa.CHAR(3), nullable=False),
        *_counters(),
        *_timestamps(),
        sa.CheckConstraint(_GRAINS, name="ck_merchant_stats_rollup_grain"),
        sa.PrimaryKeyConstraint(
            "merchant_id", "grain", "bucket", "currency", name="pk_merchant_stats_rollup"
        ),
    )
    op.create_table(
        "global_stats_rollup",
        sa.Column("grain", sa.String(5), nullable=False),
        sa.Column("bucket", sa.DateTime(timezone=True), nullable=False),
        sa.Column("shard", sa.CHAR(1), nullable=False),
        sa.Column("currency", sa.CHAR(3), nullable=False),
        *_counters(),
        *_timestamps(),
        sa.CheckConstraint(_GRAINS, name="ck_global_stats_rollup_grain"),
        sa.PrimaryKeyConstraint(
            "grain", "bucket", "shard", "currency", name="pk_global_stats_rollup"
        ),
    )


def upgrade() -> None:
    _accounts()
    _payments()
    _webhooks()
    _idempotency_and_tokens()
    _stats_rollups()


def downgrade() -> None:
    for table in (
        "global_stats_rollup",
        "merchant_stats_rollup",
        "revoked_access_tokens",
        "refresh_tokens",
        "idempotency_records",
        "webhook_attempts",
        "webhook_events",
        "refunds",
        "payments",
        "orders",
        "merchants",
        "users",
    ):
        op.drop_table(table)
