"""The relational schema as SQLAlchemy Core tables (ADR 0003).

The database is created only by the Alembic migrations in ``migrations/``; this metadata is
what the repositories query and what the schema test compares the migrated database with.
Rows are plain tuples converted to domain objects in the repositories, never mapped classes.

Every table has a UUID key (the stats rollups, derived data, a natural composite one) and
UTC ``created_at``/``updated_at``; money is ``amount_minor BIGINT`` + ``currency CHAR(3)``.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.types import CHAR

from paygate_adapters.sql.types import UtcDateTime

__all__ = [
    "COUNTERS",
    "credential_epoch",
    "global_stats_rollup",
    "idempotency_records",
    "merchant_stats_rollup",
    "merchants",
    "metadata",
    "orders",
    "payments",
    "refresh_tokens",
    "refunds",
    "revoked_access_tokens",
    "users",
    "web_sessions",
    "webhook_attempts",
    "webhook_events",
]

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _timestamps() -> tuple[Column[object], Column[object]]:
    return (
        Column("created_at", UtcDateTime(), nullable=False),
        Column("updated_at", UtcDateTime(), nullable=False),
    )


def _money(prefix: str = "amount") -> Column[object]:
    return Column(f"{prefix}_minor", BigInteger(), nullable=False)


_ORDER_STATUSES = ("created", "paid", "failed")
_PAYMENT_STATUSES = ("pending", "authorized", "captured", "refunded", "failed")
_EVENT_TYPES = ("payment.authorized", "payment.failed", "payment.captured", "payment.refunded")
_DELIVERY_STATUSES = ("pending", "delivered", "failed", "skipped")

users = Table(
    "users",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("email", String(254), nullable=False),
    # Emails are unique in any case: the lower-cased copy carries the unique constraint.
    Column("email_lower", String(254), nullable=False, unique=True),
    Column("name", String(255), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(16), nullable=False),
    Column("deleted", Boolean(), nullable=False),
    Column("deleted_at", UtcDateTime(), nullable=True),
    *_timestamps(),
    CheckConstraint(_in("role", ("admin", "merchant")), name="role"),
    Index(None, "created_at", "id"),
    Index(None, "role", "created_at", "id"),
    # Email searches by prefix (migration 0011): PostgreSQL needs the pattern operator class
    # for LIKE 'prefix%' under any collation; SQLite searches a range of it.
    Index(None, "email_lower", postgresql_ops={"email_lower": "varchar_pattern_ops"}),
)

merchants = Table(
    "merchants",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("user_id", Uuid(), ForeignKey("users.id"), nullable=False, unique=True),
    Column("webhook_url", String(2048), nullable=True),
    Column("api_key", String(128), nullable=False, unique=True),
    Column("webhook_secret", String(128), nullable=False),
    *_timestamps(),
    Index(None, "created_at", "id"),
)

# One row, moved on by triggers whenever a user or merchant changes (migration 0003).
credential_epoch = Table(
    "credential_epoch",
    metadata,
    Column("id", Integer(), primary_key=True, autoincrement=False),
    Column("value", BigInteger(), nullable=False),
    CheckConstraint("id = 1", name="single_row"),
)

orders = Table(
    "orders",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("merchant_id", Uuid(), ForeignKey("merchants.id"), nullable=False),
    _money(),
    Column("currency", CHAR(3), nullable=False),
    Column("status", String(16), nullable=False),
    Column("receipt", String(40), nullable=True),
    Column("notes", JSON(), nullable=False),
    *_timestamps(),
    # Hosted checkout's way back to the merchant (migration 0012).
    Column("return_url", String(2048), nullable=True),
    CheckConstraint("amount_minor > 0", name="amount_positive"),
    CheckConstraint(_in("status", _ORDER_STATUSES), name="status"),
    Index(None, "merchant_id", "created_at", "id"),
    Index(None, "merchant_id", "status", "created_at", "id"),
    Index(None, "created_at"),
)

payments = Table(
    "payments",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("order_id", Uuid(), ForeignKey("orders.id"), nullable=False),
    Column("merchant_id", Uuid(), ForeignKey("merchants.id"), nullable=False),
    _money(),
    _money("amount_refunded"),
    Column("currency", CHAR(3), nullable=False),
    Column("status", String(16), nullable=False),
    Column("failure_reason", String(255), nullable=True),
    # The card's last four digits and keyed fingerprint only: never the number or the CVV.
    Column("card_last4", CHAR(4), nullable=False),
    Column("card_fingerprint", CHAR(64), nullable=False),
    *_timestamps(),
    CheckConstraint("amount_minor > 0", name="amount_positive"),
    CheckConstraint(
        "amount_refunded_minor >= 0 AND amount_refunded_minor <= amount_minor",
        name="refunded_within_amount",
    ),
    CheckConstraint(_in("status", _PAYMENT_STATUSES), name="status"),
    Index(None, "merchant_id", "created_at", "id"),
    Index(None, "merchant_id", "status", "created_at", "id"),
    Index(None, "order_id", "created_at", "id"),
    Index(None, "created_at"),
)

refunds = Table(
    "refunds",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("payment_id", Uuid(), ForeignKey("payments.id"), nullable=False),
    Column("order_id", Uuid(), ForeignKey("orders.id"), nullable=False),
    Column("merchant_id", Uuid(), ForeignKey("merchants.id"), nullable=False),
    _money(),
    Column("currency", CHAR(3), nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", String(255), nullable=True),
    *_timestamps(),
    CheckConstraint("amount_minor > 0", name="amount_positive"),
    CheckConstraint(_in("status", ("processed",)), name="status"),
    Index(None, "merchant_id", "created_at", "id"),
    Index(None, "payment_id", "created_at", "id"),
    Index(None, "order_id"),
    Index(None, "created_at"),
)

webhook_events = Table(
    "webhook_events",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("merchant_id", Uuid(), ForeignKey("merchants.id"), nullable=False),
    Column("payment_id", Uuid(), nullable=False),
    Column("event_type", String(32), nullable=False),
    # The webhook body as of the event (PaymentEvent.payload()): a snapshot, not a join.
    Column("payload", JSON(), nullable=False),
    Column("delivery_status", String(16), nullable=False),
    Column("attempts", Integer(), nullable=False),
    Column("next_attempt_at", UtcDateTime(), nullable=True),
    Column("last_attempt_at", UtcDateTime(), nullable=True),
    *_timestamps(),
    CheckConstraint(_in("event_type", _EVENT_TYPES), name="event_type"),
    CheckConstraint(_in("delivery_status", _DELIVERY_STATUSES), name="delivery_status"),
    CheckConstraint("attempts >= 0", name="attempts_not_negative"),
    Index(None, "merchant_id", "created_at", "id"),
    Index(None, "delivery_status", "next_attempt_at"),
)

webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("event_id", Uuid(), ForeignKey("webhook_events.id"), nullable=False),
    Column("merchant_id", Uuid(), ForeignKey("merchants.id"), nullable=False),
    Column("event_type", String(32), nullable=False),
    Column("payment_id", Uuid(), nullable=False),
    Column("attempt", Integer(), nullable=False),
    Column("url", String(2048), nullable=False),
    Column("status", String(16), nullable=False),
    Column("http_status", Integer(), nullable=True),
    Column("response_body", Text(), nullable=True),
    Column("error", Text(), nullable=True),
    Column("duration_ms", Integer(), nullable=False),
    *_timestamps(),
    CheckConstraint(_in("event_type", _EVENT_TYPES), name="event_type"),
    CheckConstraint(_in("status", ("sent", "failed")), name="status"),
    CheckConstraint("attempt >= 1", name="attempt_positive"),
    Index(None, "merchant_id", "created_at", "id"),
    Index(None, "event_id", "created_at", "id"),
    Index(None, "payment_id", "created_at", "id"),
)

idempotency_records = Table(
    "idempotency_records",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("merchant_id", Uuid(), ForeignKey("merchants.id"), nullable=False),
    Column("idempotency_key", String(255), nullable=False),
    Column("request_hash", String(128), nullable=False),
    Column("status_code", Integer(), nullable=True),
    Column("response_body", LargeBinary(), nullable=True),
    *_timestamps(),
    UniqueConstraint("merchant_id", "idempotency_key"),
    Index(None, "created_at"),
)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("jti", Uuid(), primary_key=True),
    Column("user_id", Uuid(), ForeignKey("users.id"), nullable=False),
    Column("family", Uuid(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("revoked", Boolean(), nullable=False),
    *_timestamps(),
    Index(None, "user_id"),
    Index(None, "family"),
    Index(None, "expires_at"),
)

revoked_access_tokens = Table(
    "revoked_access_tokens",
    metadata,
    Column("jti", Uuid(), primary_key=True),
    Column("expires_at", UtcDateTime(), nullable=False),
    *_timestamps(),
    Index(None, "expires_at"),
)

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("user_id", Uuid(), ForeignKey("users.id"), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("last_seen_at", UtcDateTime(), nullable=False),
    Index(None, "user_id"),
    Index(None, "created_at"),
    Index(None, "last_seen_at"),
)
"""One row per signed-in browser; ``digest`` is the keyed hash of its session id."""

# --- statistics rollups (derived; maintained in the writing transaction, see rollup.py) ---

COUNTERS = (
    "orders",
    "payments",
    "successful_payments",
    "failed_payments",
    "refunds",
    "paid_minor",
    "refunded_minor",
)
_GRAINS = ("hour", "day", "month")


def _counters() -> list[Column[object]]:
    return [Column(name, BigInteger(), nullable=False) for name in COUNTERS]


def _shard() -> Column[object]:
    """One hex digit: concurrent writers add to different rows of a bucket (their shards), so
    they never wait on each other's row locks. A bucket's counters are the sum over its
    shards; a single writer (SQLite, a rebuild) uses shard ``0`` only."""
    return Column("shard", CHAR(1), nullable=False)


merchant_stats_rollup = Table(
    "merchant_stats_rollup",
    metadata,
    Column("merchant_id", Uuid(), nullable=False),
    Column("grain", String(5), nullable=False),
    Column("bucket", UtcDateTime(), nullable=False),
    Column("currency", CHAR(3), nullable=False),
    _shard(),
    *_counters(),
    *_timestamps(),
    PrimaryKeyConstraint("merchant_id", "grain", "bucket", "currency", "shard"),
    CheckConstraint(_in("grain", _GRAINS), name="grain"),
)

global_stats_rollup = Table(
    "global_stats_rollup",
    metadata,
    Column("grain", String(5), nullable=False),
    Column("bucket", UtcDateTime(), nullable=False),
    _shard(),
    Column("currency", CHAR(3), nullable=False),
    *_counters(),
    *_timestamps(),
    PrimaryKeyConstraint("grain", "bucket", "shard", "currency"),
    CheckConstraint(_in("grain", _GRAINS), name="grain"),
)
