"""Statistics rollups: counters per merchant (and for the whole platform) per hour, day and
month and currency, kept in the same transaction as the rows they count (ADR 0003, 0013).

Each rollup row also has a ``shard``: a bucket's counters are the sum of its rows over the
shards. On SQLite, per-row triggers (migrations 0002, 0007, 0008) update shard ``0`` in the
statement that writes the order, payment or refund: one writer at a time, no lock to share.
On PostgreSQL every ``add`` of an order, payment or refund, and every payment update that
changes its success category (only ``pending`` -> ``authorized`` or ``failed`` can), records
a delta here; the unit of work writes the merged deltas just before it commits, with one
cached ``INSERT ... ON CONFLICT DO UPDATE`` per table executed for the rows in key order.
Their shard is ``stats_rollup_shard()`` (migration 0008): the lowest of 16 advisory slots no
other transaction holds, taken until the end of the transaction. Concurrent writers of the
same merchant and hour therefore update different rows and never queue on a row lock until
the other's commit; a quiet database writes shard ``0`` only, and a busy one at most as
many shards per bucket as transactions were committing at once.

``rebuild_stats_rollup`` recomputes both tables from the base tables (bulk loads, repairs).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Final, Protocol
from uuid import UUID

from sqlalchemy import (
    Connection,
    Executable,
    Table,
    bindparam,
    func,
    text,
)
from sqlalchemy.dialects import postgresql

from paygate_adapters.sql.tables import (
    COUNTERS,
    global_stats_rollup,
    merchant_stats_rollup,
)
from paygate_adapters.sql.types import UtcDateTime, to_minor
from paygate_core.orders import Order
from paygate_core.payments import SUCCESSFUL, Payment, PaymentStatus
from paygate_core.refunds import Refund
from paygate_core.timestamps import as_utc

__all__ = [
    "GRAINS",
    "RollupDeltas",
    "RollupRecorder",
    "TriggerMaintained",
    "ceil_to",
    "floor_to",
    "rebuild_stats_rollup",
]

GRAINS: Final = ("month", "day", "hour")
"""Bucket sizes, coarsest first."""

SINGLE_WRITER_SHARD: Final = "0"
"""The shard of rows written with no concurrent writer to avoid (triggers, rebuilds)."""

Counts = dict[str, int]
_MerchantKey = tuple[UUID, str, datetime, str]
_GlobalKey = tuple[str, datetime, str]


def floor_to(moment: datetime, grain: str) -> datetime:
    """The start of the UTC hour, day or month holding ``moment``."""
    utc = as_utc(moment).replace(minute=0, second=0, microsecond=0)
    if grain == "hour":
        return utc
    day = utc.replace(hour=0)
    return day if grain == "day" else day.replace(day=1)


def ceil_to(moment: datetime, grain: str) -> datetime:
    """The first hour, day or month boundary at or after ``moment``."""
    floor = floor_to(moment, grain)
    if floor == as_utc(moment):
        return floor
    if grain == "hour":
        return floor + timedelta(hours=1)
    if grain == "day":
        return floor + timedelta(days=1)
    return floor.replace(year=floor.year + floor.month // 12, month=floor.month % 12 + 1)


def _payment_category(status: PaymentStatus, amount_minor: int) -> Counts:
    successful = status in SUCCESSFUL
    return {
        "successful_payments": int(successful),
        "failed_payments": int(status is PaymentStatus.FAILED),
        "paid_minor": amount_minor if successful else 0,
    }


class RollupRecorder(Protocol):
    """What the repositories tell about their writes, for the statistics rollups."""

    records: bool
    """False when the database keeps the rollups itself (nothing to tell it)."""

    def order_added(self, order: Order) -> None: ...
    def payment_added(self, payment: Payment) -> None: ...
    def payment_changed(self, before: PaymentStatus, payment: Payment) -> None: ...
    def refund_added(self, refund: Refund) -> None: ...
    def clear(self) -> None: ...
    def flush(self, connection: Connection, now: datetime) -> None: ...


class TriggerMaintained:
    """SQLite: triggers keep the rollups in the statement that writes the row (migrations
    0002, 0007 and 0008); with one writer at a time there is no lock to avoid by deferring."""

    records = False

    def order_added(self, order: Order) -> None:
        pass

    def payment_added(self, payment: Payment) -> None:
        pass

    def payment_changed(self, before: PaymentStatus, payment: Payment) -> None:
        pass

    def refund_added(self, refund: Refund) -> None:
        pass

    def clear(self) -> None:
        pass

    def flush(self, connection: Connection, now: datetime) -> None:
        pass


class RollupDeltas:
    """PostgreSQL: the counter changes of one unit of work, merged per rollup row until
    flushed at commit into the transaction's own shard."""

    records = True

    def __init__(self) -> None:
        self._merchant: dict[_MerchantKey, Counts] = {}
        self._global: dict[_GlobalKey, Counts] = {}

    def order_added(self, order: Order) -> None:
        self._add(order.merchant_id, order.created_at, order.amount.currency.code, {"orders": 1})

    def payment_added(self, payment: Payment) -> None:
        category = _payment_category(payment.status, to_minor(payment.amount))
        self._add(
            payment.merchant_id,
            payment.created_at,
            payment.amount.currency.code,
            {"payments": 1, **category},
        )

    def payment_changed(self, before: PaymentStatus, payment: Payment) -> None:
        amount = to_minor(payment.amount)
        old = _payment_category(before, amount)
        new = _payment_category(payment.status, amount)
        delta = {name: new[name] - old[name] for name in new if new[name] != old[name]}
        if delta:
            self._add(payment.merchant_id, payment.created_at, payment.amount.currency.code, delta)

    def refund_added(self, refund: Refund) -> None:
        self._add(
            refund.merchant_id,
            refund.created_at,
            refund.amount.currency.code,
            {"refunds": 1, "refunded_minor": to_minor(refund.amount)},
        )

    def _add(self, merchant_id: UUID, moment: datetime, currency: str, counts: Counts) -> None:
        for grain in GRAINS:
            bucket = floor_to(moment, grain)
            _merge(self._merchant.setdefault((merchant_id, grain, bucket, currency), {}), counts)
            _merge(self._global.setdefault((grain, bucket, currency), {}), counts)

    def clear(self) -> None:
        self._merchant.clear()
        self._global.clear()

    def flush(self, connection: Connection, now: datetime) -> None:
        for table, deltas in (
            (merchant_stats_rollup, self._merchant),
            (global_stats_rollup, self._global),
        ):
            if deltas:
                _upsert(connection, table, deltas.items(), now)
        self.clear()


def _merge(into: Counts, counts: Mapping[str, int]) -> None:
    for name, value in counts.items():
        into[name] = into.get(name, 0) + value


def _upsert(
    connection: Connection,
    table: Table,
    deltas: Iterable[tuple[tuple[object, ...], Counts]],
    now: datetime,
) -> None:
    """One cached ``INSERT ... ON CONFLICT DO UPDATE`` executed once per row (executemany):
    compiling a fresh multi-row statement on every commit cost more than the whole rest of
    a write."""
    keys = _key_names(table)
    rows = [
        {
            **dict(zip(keys, key, strict=True)),
            **{name: counts.get(name, 0) for name in COUNTERS},
            "created_at": now,
            "updated_at": now,
        }
        for key, counts in sorted(deltas, key=lambda item: _sort_key(item[0]))
    ]
    connection.execute(_upsert_statement(table), rows)


@functools.cache
def _key_names(table: Table) -> tuple[str, ...]:
    """The primary key's columns but the shard, which the database picks."""
    return tuple(column.name for column in table.primary_key.columns if column.name != "shard")


@functools.cache
def _upsert_statement(table: Table) -> Executable:
    """Built once per table; SQLAlchemy's compiled cache then reuses its SQL."""
    insert = postgresql.insert(table).values(shard=func.stats_rollup_shard())
    return insert.on_conflict_do_update(
        index_elements=list(table.primary_key.columns),
        set_={
            **{name: table.c[name] + insert.excluded[name] for name in COUNTERS},
            "updated_at": insert.excluded.updated_at,
        },
    )


def _sort_key(key: Iterable[object]) -> tuple[str, ...]:
    return tuple(str(part) for part in key)


# --- rebuilding from the base tables ---------------------------------------------------------

_SUCCESSFUL_SQL = ", ".join(f"'{status.value}'" for status in sorted(SUCCESSFUL))
_ACTIVITY = f"""
    SELECT merchant_id, created_at, currency, 1 AS orders, 0 AS payments,
           0 AS successful_payments, 0 AS failed_payments, 0 AS refunds,
           0 AS paid_minor, 0 AS refunded_minor
      FROM orders
    UNION ALL
    SELECT merchant_id, created_at, currency, 0, 1,
           CASE WHEN status IN ({_SUCCESSFUL_SQL}) THEN 1 ELSE 0 END,
           CASE WHEN status = 'failed' THEN 1 ELSE 0 END, 0,
           CASE WHEN status IN ({_SUCCESSFUL_SQL}) THEN amount_minor ELSE 0 END, 0
      FROM payments
    UNION ALL
    SELECT merchant_id, created_at, currency, 0, 0, 0, 0, 1, 0, amount_minor
      FROM refunds
"""  # noqa: S608 - constants, no input
_SUMS = ", ".join(f"SUM({name})" for name in COUNTERS)
_COLUMNS = ", ".join(COUNTERS)


_SQLITE_BUCKETS: Final = {
    "month": "%Y-%m-01 00:00:00.000000",
    "day": "%Y-%m-%d 00:00:00.000000",
    "hour": "%Y-%m-%d %H:00:00.000000",
}


def _bucket_sql(dialect: str, grain: str) -> str:
    if dialect == "sqlite":  # the text form SQLAlchemy stores, truncated
        return f"strftime('{_SQLITE_BUCKETS[grain]}', created_at)"
    return f"date_trunc('{grain}', created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"


def rebuild_stats_rollup(connection: Connection, now: datetime) -> None:
    """Recompute both rollup tables from orders, payments and refunds, in the caller's
    transaction (hold the write lock: on PostgreSQL lock the base tables first). Every
    bucket gets one row, in the single writer's shard."""
    dialect = connection.dialect.name
    now_param = bindparam("now", type_=UtcDateTime())
    shard = f"'{SINGLE_WRITER_SHARD}'"
    connection.execute(text("DELETE FROM merchant_stats_rollup"))
    connection.execute(text("DELETE FROM global_stats_rollup"))
    for grain in GRAINS:
        bucket = _bucket_sql(dialect, grain)
        connection.execute(
            text(f"""
            INSERT INTO merchant_stats_rollup (merchant_id, grain, bucket, currency, shard,
                                               {_COLUMNS}, created_at, updated_at)
            SELECT merchant_id, '{grain}', {bucket}, currency, {shard}, {_SUMS}, :now, :now
              FROM ({_ACTIVITY}) AS activity
             GROUP BY merchant_id, {bucket}, currency
        """).bindparams(now_param),  # noqa: S608 - constants, no input
            {"now": now},
        )
    connection.execute(
        text(f"""
        INSERT INTO global_stats_rollup
               (grain, bucket, shard, currency, {_COLUMNS}, created_at, updated_at)
        SELECT grain, bucket, {shard}, currency, {_SUMS}, :now, :now
          FROM merchant_stats_rollup
         GROUP BY grain, bucket, currency
    """).bindparams(now_param),  # noqa: S608 - constants, no input
        {"now": now},
    )
