"""Statistics over time by SQL aggregates over the rollups (ADR 0003, 0013).

A series' range starts and ends on its interval's boundaries (``SeriesQuery``), so each of its
buckets is exactly one rollup bucket of the same grain: an ``hour`` series reads the hour
rows, a ``day`` series the day rows, and no base-table row is ever read. The rollup's
``bucket`` column already holds the UTC start of its hour or day (the triggers and the
upserts truncate ``created_at`` when they write it), so grouping by it is grouping by bucket;
the sum runs over the shards and merchants of each bucket and currency. The statement is
the same on SQLite and PostgreSQL, reads ``buckets x currencies x shards`` rows through the
tables' primary keys (``merchant_id, grain, bucket, ...`` and ``grain, bucket, ...``), and is
built once per table.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Select, String, Uuid, bindparam, func, select

from paygate_adapters.sql.tables import COUNTERS, global_stats_rollup, merchant_stats_rollup
from paygate_adapters.sql.types import UtcDateTime, minor_to_decimal
from paygate_core.money import currency_of
from paygate_core.stats import CurrencyVolume, PaymentStats
from paygate_core.stats_series import SeriesBucket, SeriesQuery
from paygate_core.timestamps import as_utc

__all__ = ["read_series", "stats_of_rows"]


@functools.cache
def _statement(per_merchant: bool) -> Select[Any]:
    table = merchant_stats_rollup if per_merchant else global_stats_rollup
    conditions = [
        table.c.grain == bindparam("grain", type_=String()),
        table.c.bucket >= bindparam("start", type_=UtcDateTime()),
        table.c.bucket < bindparam("end", type_=UtcDateTime()),
    ]
    if per_merchant:
        conditions.append(table.c.merchant_id == bindparam("merchant_id", type_=Uuid()))
    return (
        select(
            table.c.bucket,
            table.c.currency,
            *[func.sum(table.c[name]).label(name) for name in COUNTERS],
        )
        .where(*conditions)
        .group_by(table.c.bucket, table.c.currency)
        .order_by(table.c.bucket, table.c.currency)
    )


def read_series(
    connection: Connection,
    merchant_id: UUID | None,
    query: SeriesQuery,
) -> Sequence[SeriesBucket]:
    """The buckets of ``query`` with activity, in order (``merchant_id`` None: everyone's)."""
    if query.start == query.end:
        return []
    params: dict[str, Any] = {"grain": query.interval.value, "start": query.start, "end": query.end}
    if merchant_id is not None:
        params["merchant_id"] = merchant_id
    rows = connection.execute(_statement(merchant_id is not None), params)
    by_bucket: dict[datetime, list[Any]] = {}
    for row in rows:
        by_bucket.setdefault(as_utc(row.bucket), []).append(row)
    return [
        SeriesBucket(start, stats_of_rows(bucket_rows))
        for start, bucket_rows in sorted(by_bucket.items())
    ]


def stats_of_rows(rows: list[Any]) -> PaymentStats:
    """The figures of rollup rows summed per currency (one bucket's, or a whole range's for
    ``SqlStatsReader``): counts added up, volume per currency with activity."""
    totals = dict.fromkeys(COUNTERS, 0)
    volume: list[CurrencyVolume] = []
    for row in rows:
        counts = {name: int(row._mapping[name] or 0) for name in COUNTERS}
        for name, value in counts.items():
            totals[name] += value
        if counts["successful_payments"] or counts["refunds"]:
            currency = currency_of(row.currency)
            volume.append(
                CurrencyVolume(
                    currency,
                    minor_to_decimal(Decimal(counts["paid_minor"]), currency),
                    minor_to_decimal(Decimal(counts["refunded_minor"]), currency),
                )
            )
    return PaymentStats(
        total_orders=totals["orders"],
        successful_payments=totals["successful_payments"],
        successful_refunds=totals["refunds"],
        canceled_payments=totals["failed_payments"],
        total_payments=totals["payments"],
        volume=tuple(volume),
    )
