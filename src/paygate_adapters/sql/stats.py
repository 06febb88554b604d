"""Statistics by SQL aggregates over the rollups, exact for any ``from``/``to`` (ADR 0003).

A period is cut into whole months (month rollups), whole days and then whole hours at its
edges (day and hour rollups) and the partial hours at its very ends (the base tables, over
their ``created_at`` indexes), so one query reads a few hundred rollup rows per merchant, a
few thousand for the whole platform, plus two partial hours of raw rows, however many
payments there are. The figures are the in-memory reference's:
``successful`` = authorized, captured or refunded; ``canceled`` = failed; volumes per
currency with a successful payment or a refund, paid amounts including later-refunded ones.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    Table,
    Uuid,
    and_,
    bindparam,
    case,
    func,
    literal_column,
    select,
    union_all,
)

from paygate_adapters.sql.rollup import GRAINS, ceil_to, floor_to
from paygate_adapters.sql.stats_series import read_series, stats_of_rows
from paygate_adapters.sql.tables import (
    COUNTERS,
    global_stats_rollup,
    merchant_stats_rollup,
    orders,
    payments,
    refunds,
    users,
)
from paygate_adapters.sql.types import UtcDateTime
from paygate_adapters.sql.work_connection import WorkConnection
from paygate_core.accounts import Role
from paygate_core.payments import SUCCESSFUL, PaymentStatus
from paygate_core.stats import GlobalStats, PaymentStats, StatsPeriod
from paygate_core.stats_series import SeriesBucket, SeriesQuery
from paygate_core.timestamps import as_utc

__all__ = ["SqlStatsReader", "plan_period"]

Span = tuple[str, datetime | None, datetime | None]
"""``(source, start, end)``: source is a grain of the rollups or ``"base"``; open ends None."""


def plan_period(
    start: datetime | None, end: datetime | None, grains: tuple[str, ...] = GRAINS
) -> Iterator[Span]:
    """Cut ``[start, end)`` into whole buckets of the coarsest grain that fits, the rest into
    finer ones, and what is left (under an hour at each end) into base-table spans."""
    if start is not None and end is not None and start >= end:
        return
    if not grains:
        yield ("base", start, end)
        return
    grain, finer = grains[0], grains[1:]
    inner_start = ceil_to(start, grain) if start is not None else None
    inner_end = floor_to(end, grain) if end is not None else None
    if inner_start is not None and inner_end is not None and inner_start >= inner_end:
        yield from plan_period(start, end, finer)
        return
    yield (grain, inner_start, inner_end)
    if start is not None and inner_start is not None and start < inner_start:
        yield from plan_period(start, inner_start, finer)
    if end is not None and inner_end is not None and inner_end < end:
        yield from plan_period(inner_end, end, finer)


Bounds = tuple[int, bool, bool]
"""A span's place in the query, and whether it has a start and an end."""
Shape = tuple[tuple[str, bool, bool], ...]
"""A query's structure: per span its source and whether it has a start and an end."""

_ZERO: ColumnElement[int] = literal_column("0", BigInteger())
_SUCCESSFUL = [status.value for status in SUCCESSFUL]
_MERCHANT = bindparam("merchant_id", type_=Uuid())


def _within(column: Any, bounds: Bounds) -> list[ColumnElement[bool]]:
    index, has_start, has_end = bounds
    conditions: list[ColumnElement[bool]] = []
    if has_start:
        conditions.append(column >= bindparam(f"start_{index}", type_=UtcDateTime()))
    if has_end:
        conditions.append(column < bindparam(f"end_{index}", type_=UtcDateTime()))
    return conditions


def _base_selects(per_merchant: bool, bounds: Bounds) -> list[Select[Any]]:
    """The counters of raw rows created in the span, per currency."""

    def where(table: Table) -> list[ColumnElement[bool]]:
        mine = [table.c.merchant_id == _MERCHANT] if per_merchant else []
        return mine + _within(table.c.created_at, bounds)

    successful = payments.c.status.in_(_SUCCESSFUL)
    order_counts = {"orders": func.count()}
    payment_counts = {
        "payments": func.count(),
        "successful_payments": func.sum(case((successful, 1), else_=0)),
        "failed_payments": func.sum(
            case((payments.c.status == PaymentStatus.FAILED.value, 1), else_=0)
        ),
        "paid_minor": func.sum(case((successful, payments.c.amount_minor), else_=0)),
    }
    refund_counts = {"refunds": func.count(), "refunded_minor": func.sum(refunds.c.amount_minor)}
    return [
        select(table.c.currency, *[counts.get(name, _ZERO).label(name) for name in COUNTERS])
        .where(*where(table))
        .group_by(table.c.currency)
        for table, counts in (
            (orders, order_counts),
            (payments, payment_counts),
            (refunds, refund_counts),
        )
    ]


def _rollup_select(per_merchant: bool, grain: str, bounds: Bounds) -> Select[Any]:
    table = merchant_stats_rollup if per_merchant else global_stats_rollup
    conditions = [table.c.grain == grain, *_within(table.c.bucket, bounds)]
    if per_merchant:
        conditions.append(table.c.merchant_id == _MERCHANT)
    return (
        select(table.c.currency, *[func.sum(table.c[name]).label(name) for name in COUNTERS])
        .where(and_(*conditions))
        .group_by(table.c.currency)
    )


@functools.cache
def _statement(per_merchant: bool, shape: Shape) -> Select[Any]:
    """One SQL statement per shape, built once: building it costs more than running it."""
    parts: list[Select[Any]] = []
    for index, (source, has_start, has_end) in enumerate(shape):
        bounds = (index, has_start, has_end)
        if source == "base":
            parts.extend(_base_selects(per_merchant, bounds))
        else:
            parts.append(_rollup_select(per_merchant, source, bounds))
    activity = union_all(*parts).subquery("activity")
    return (
        select(activity.c.currency, *[func.sum(activity.c[name]).label(name) for name in COUNTERS])
        .group_by(activity.c.currency)
        .order_by(activity.c.currency)
    )


def _stats_query(
    merchant_id: UUID | None,
    period: StatsPeriod,
) -> tuple[Select[Any], dict[str, Any]] | None:
    start = as_utc(period.start) if period.start is not None else None
    end = as_utc(period.end) if period.end is not None else None
    spans = list(plan_period(start, end))
    if not spans:
        return None
    params: dict[str, Any] = {} if merchant_id is None else {"merchant_id": merchant_id}
    for index, (_, span_start, span_end) in enumerate(spans):
        if span_start is not None:
            params[f"start_{index}"] = span_start
        if span_end is not None:
            params[f"end_{index}"] = span_end
    shape = tuple((source, lo is not None, hi is not None) for source, lo, hi in spans)
    return _statement(merchant_id is not None, shape), params


class SqlStatsReader:
    def __init__(self, context: WorkConnection) -> None:
        self._c = context

    def _stats(self, merchant_id: UUID | None, period: StatsPeriod) -> PaymentStats:
        self._c.flush_rollup()  # this unit of work's own writes count too
        query = _stats_query(merchant_id, period)
        rows = [] if query is None else list(self._c.connection.execute(*query))
        return stats_of_rows(rows)

    def merchant_stats(self, merchant_id: UUID, period: StatsPeriod) -> PaymentStats:
        return self._stats(merchant_id, period)

    def global_stats(self, period: StatsPeriod) -> GlobalStats:
        counts = {
            role: int(count)
            for role, count in self._c.connection.execute(
                select(users.c.role, func.count())
                .where(users.c.deleted.is_(False))
                .group_by(users.c.role)
            )
        }
        return GlobalStats(
            counts.get(Role.MERCHANT.value, 0),
            counts.get(Role.ADMIN.value, 0),
            self._stats(None, period),
        )

    def merchant_series(self, merchant_id: UUID, query: SeriesQuery) -> Sequence[SeriesBucket]:
        self._c.flush_rollup()
        return read_series(self._c.connection, merchant_id, query)

    def global_series(self, query: SeriesQuery) -> Sequence[SeriesBucket]:
        self._c.flush_rollup()
        return read_series(self._c.connection, None, query)
