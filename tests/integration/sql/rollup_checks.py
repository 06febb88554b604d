"""The statistics rollups as stored and as they must be, for the rollup and migration tests.

Both sides are keyed without the shard (a bucket's counters are the sum over its shards), so
they compare across schema revisions (with or without a merchant shard) and across however
many shards concurrent writers spread a bucket over. The expectation is counted in Python
from the base tables, independently of ``rebuild_stats_rollup``.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, MetaData, Table, func, select

from paygate_adapters.sql import SqlUnitOfWorkFactory
from paygate_adapters.sql.rollup import GRAINS, floor_to
from paygate_adapters.sql.tables import (
    COUNTERS,
    global_stats_rollup,
    merchant_stats_rollup,
    orders,
    payments,
    refunds,
)
from paygate_adapters.sql.types import to_minor
from paygate_core.orders import Order
from paygate_core.payments import SUCCESSFUL, PaymentStatus
from paygate_core.testing.contract import write

Rollups = dict[str, dict[tuple[Any, ...], tuple[int, ...]]]

_KEYS = {
    "merchant_stats_rollup": ("merchant_id", "grain", "bucket", "currency"),
    "global_stats_rollup": ("grain", "bucket", "currency"),
}
_SUCCESSFUL = {status.value for status in SUCCESSFUL}


def kept_rollups(connection: Connection) -> Rollups:
    """Per table, each bucket's counters summed over its shards (buckets all zero left out)."""
    kept: Rollups = {}
    for table in (merchant_stats_rollup, global_stats_rollup):
        keys = [table.c[name] for name in _KEYS[table.name]]
        rows = connection.execute(
            select(*keys, *[func.sum(table.c[name]) for name in COUNTERS]).group_by(*keys)
        )
        kept[table.name] = {
            tuple(row[: len(keys)]): counts
            for row in rows
            if any(counts := tuple(int(v) for v in row[len(keys) :]))
        }
    return kept


def expected_rollups(connection: Connection) -> Rollups:
    """The rollups that the orders, payments and refunds stored call for."""
    merchant: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0] * len(COUNTERS))
    platform: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0] * len(COUNTERS))

    def add(row: Any, counts: dict[str, int]) -> None:
        for grain in GRAINS:
            bucket: datetime = floor_to(row.created_at, grain)
            for into, key in (
                (merchant, (row.merchant_id, grain, bucket, row.currency)),
                (platform, (grain, bucket, row.currency)),
            ):
                for name, value in counts.items():
                    into[key][COUNTERS.index(name)] += value

    for row in _rows(connection, orders):
        add(row, {"orders": 1})
    for row in _rows(connection, payments):
        successful = row.status in _SUCCESSFUL
        add(
            row,
            {
                "payments": 1,
                "successful_payments": int(successful),
                "failed_payments": int(row.status == PaymentStatus.FAILED.value),
                "paid_minor": row.amount_minor if successful else 0,
            },
        )
    for row in _rows(connection, refunds):
        add(row, {"refunds": 1, "refunded_minor": row.amount_minor})
    return {
        name: {key: tuple(counts) for key, counts in table.items() if any(counts)}
        for name, table in (("merchant_stats_rollup", merchant), ("global_stats_rollup", platform))
    }


def _rows(connection: Connection, table: Table) -> list[Any]:
    columns = [table.c[name] for name in ("merchant_id", "created_at", "currency", "amount_minor")]
    if table is payments:
        columns.append(table.c.status)
    return list(connection.execute(select(*columns)))


def write_on_an_earlier_schema(uow_factory: SqlUnitOfWorkFactory, *objects: object) -> None:
    """Write ``objects`` on a SQLite database migrated to an earlier revision: orders go in
    with only the columns that schema has (its triggers keep the rollups, as they did when
    it was current), everything else through today's unit of work."""
    placed = [item for item in objects if isinstance(item, Order)]
    with uow_factory.engine.begin() as connection:
        present = set(Table("orders", MetaData(), autoload_with=connection).c.keys())
        for order in placed:
            values = {
                "id": order.id,
                "merchant_id": order.merchant_id,
                "amount_minor": to_minor(order.amount),
                "currency": order.amount.currency.code,
                "status": order.status.value,
                "receipt": order.receipt,
                "notes": order.notes,
                "created_at": order.created_at,
                "updated_at": order.updated_at,
            }
            connection.execute(
                orders.insert().values(  # today's column types
                    {name: value for name, value in values.items() if name in present}
                )
            )
    rest = [item for item in objects if not isinstance(item, Order)]
    if rest:
        write(uow_factory, *rest)
