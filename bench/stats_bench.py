"""Statistics benchmark: seed a large data set, then time merchant and global statistics.

    python -m bench.stats_bench --db sqlite --payments 1000000
    python -m bench.stats_bench --db postgres --payments 1000000 [--url postgresql://...]

Seeds ~300 merchants (skewed sizes), ``--payments`` payments over one year each with its
order (plus 5 % unpaid orders) and ~10 % refunds, in four currencies; bulk-loaded (COPY on
PostgreSQL, batched executemany on SQLite), then the statistics rollups are rebuilt from the
base tables (``rebuild_stats_rollup``) and the planner statistics refreshed. Each figure is
the median and p95 of ``--calls`` calls through a read-only unit of work, as the HTTP layer
makes them. ``--shards K`` then gives every rollup bucket K rows (K - 1 of them zero), the
most that K concurrent PostgreSQL writers leave (ADR 0013). ``--reuse`` times an already
seeded database again. The default databases are a
file under /tmp and a ``paygate_bench`` PostgreSQL database (dropped and re-created).

``--series`` adds the series over time (``merchants/stats/series/``, ``admin/stats/series/``):
30 daily and 48 hourly buckets through the use case (SQL plus zero-filling), median and p99 of
``--series-calls`` calls; the target is p99 under 20 ms for 30 days at 1,000,000 payments.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Engine, Table, func, insert, select, text
from sqlalchemy.engine import make_url

from paygate_adapters.sql import (
    SqlUnitOfWorkFactory,
    create_database_engine,
    rebuild_stats_rollup,
    upgrade_schema,
)
from paygate_adapters.sql.tables import merchants, orders, payments, refunds, users
from paygate_core.stats import StatsPeriod
from paygate_core.stats_series import Interval, SeriesQuery
from paygate_core.use_cases import stats_series

START = datetime(2025, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=365)
CURRENCIES = (("INR", 60), ("USD", 25), ("EUR", 10), ("JPY", 5))
# (status, share): refunded ones get a full refund, "partial" a half refund and stay captured.
OUTCOMES = (("authorized", 30), ("captured", 35), ("partial", 5), ("refunded", 5), ("failed", 25))
BATCH = 50_000
SQLITE_DEFAULT = "sqlite:////tmp/paygate_bench.db"
POSTGRES_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/paygate_bench"


@dataclass
class Batch:
    orders: list[tuple[Any, ...]] = field(default_factory=list)
    payments: list[tuple[Any, ...]] = field(default_factory=list)
    refunds: list[tuple[Any, ...]] = field(default_factory=list)


ORDER_COLUMNS = (
    "id",
    "merchant_id",
    "amount_minor",
    "currency",
    "status",
    "receipt",
    "notes",
    "created_at",
    "updated_at",
)
PAYMENT_COLUMNS = (
    "id",
    "order_id",
    "merchant_id",
    "amount_minor",
    "amount_refunded_minor",
    "currency",
    "status",
    "failure_reason",
    "card_last4",
    "card_fingerprint",
    "created_at",
    "updated_at",
)
REFUND_COLUMNS = (
    "id",
    "payment_id",
    "order_id",
    "merchant_id",
    "amount_minor",
    "currency",
    "status",
    "reason",
    "created_at",
    "updated_at",
)


class Generator:
    """Deterministic rows: the same seed gives the same data set on both databases."""

    def __init__(self, seed: int, merchant_ids: Sequence[uuid.UUID]) -> None:
        self.rng = random.Random(seed)
        self.merchant_ids = merchant_ids
        # Skewed merchant sizes: the biggest has ~20x the median's payments.
        self.merchant_weights = _cumulative([1 / (i + 1) ** 0.8 for i in range(len(merchant_ids))])
        self.currency_weights = _cumulative([w for _, w in CURRENCIES])
        self.outcome_weights = _cumulative([w for _, w in OUTCOMES])
        self.span_us = int(SPAN / timedelta(microseconds=1))

    def new_id(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def batches(self, order_count: int, payment_count: int) -> Iterator[Batch]:
        batch = Batch()
        for index in range(order_count):
            self._order(batch, paid=index < payment_count)
            if len(batch.orders) >= BATCH:
                yield batch
                batch = Batch()
        if batch.orders:
            yield batch

    def _order(self, batch: Batch, *, paid: bool) -> None:
        rng = self.rng
        merchant_id = rng.choices(self.merchant_ids, cum_weights=self.merchant_weights)[0]
        currency = rng.choices(CURRENCIES, cum_weights=self.currency_weights)[0][0]
        amount = rng.randrange(100, 500_000)
        created = START + timedelta(microseconds=rng.randrange(self.span_us))
        order_id = self.new_id()
        if not paid:
            batch.orders.append(
                (order_id, merchant_id, amount, currency, "created", None, {}, created, created)
            )
            return
        outcome = rng.choices(OUTCOMES, cum_weights=self.outcome_weights)[0][0]
        paid_at = created + timedelta(seconds=rng.randrange(1, 600))
        refunded = {"refunded": amount, "partial": max(amount // 2, 1)}.get(outcome, 0)
        status = "captured" if outcome == "partial" else outcome
        batch.orders.append(
            (
                order_id,
                merchant_id,
                amount,
                currency,
                "failed" if outcome == "failed" else "paid",
                None,
                {},
                created,
                paid_at,
            )
        )
        payment_id = self.new_id()
        batch.payments.append(
            (
                payment_id,
                order_id,
                merchant_id,
                amount,
                refunded,
                currency,
                status,
                "card_declined" if outcome == "failed" else None,
                "4242",
                "f" * 64,
                paid_at,
                paid_at,
            )
        )
        if refunded:
            refunded_at = paid_at + timedelta(microseconds=rng.randrange(7 * 86_400 * 10**6))
            batch.refunds.append(
                (
                    self.new_id(),
                    payment_id,
                    order_id,
                    merchant_id,
                    refunded,
                    currency,
                    "processed",
                    None,
                    refunded_at,
                    refunded_at,
                )
            )


def _cumulative(weights: list[float]) -> list[float]:
    total, running = 0.0, []
    for weight in weights:
        total += weight
        running.append(total)
    return running


# --- loading ---------------------------------------------------------------------------------


def _load(
    engine: Engine, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    if not rows:
        return
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            driver = connection.connection.driver_connection
            assert isinstance(driver, psycopg.Connection)
            with (
                driver.cursor() as cursor,
                cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy,
            ):
                for row in rows:  # COPY takes JSON columns as their text
                    copy.write_row([json.dumps(v) if isinstance(v, dict) else v for v in row])
        else:
            connection.execute(
                insert(table), [dict(zip(columns, row, strict=True)) for row in rows]
            )


def _seed_accounts(engine: Engine, count: int, gen_seed: int) -> list[uuid.UUID]:
    rng = random.Random(gen_seed)
    user_rows: list[dict[str, Any]] = []
    merchant_rows: list[dict[str, Any]] = []
    merchant_ids: list[uuid.UUID] = []
    for i in range(count + 3):
        user_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        role = "merchant" if i < count else "admin"
        user_rows.append(
            {
                "id": user_id,
                "email": f"user{i}@bench.example",
                "email_lower": f"user{i}@bench.example",
                "name": f"User {i}",
                "password_hash": "x",
                "role": role,
                "deleted": False,
                "deleted_at": None,
                "created_at": START,
                "updated_at": START,
            }
        )
        if role == "merchant":
            merchant_ids.append(uuid.UUID(int=rng.getrandbits(128), version=4))
            merchant_rows.append(
                {
                    "id": merchant_ids[-1],
                    "user_id": user_id,
                    "webhook_url": None,
                    "api_key": f"pk_bench_{i}",
                    "webhook_secret": "s",
                    "created_at": START,
                    "updated_at": START,
                }
            )
    with engine.begin() as connection:
        connection.execute(insert(users), user_rows)
        connection.execute(insert(merchants), merchant_rows)
    return merchant_ids


def seed(engine: Engine, *, payment_count: int, merchant_count: int) -> float:
    """Load the data set; returns the seconds it took."""
    started = time.perf_counter()
    merchant_ids = _seed_accounts(engine, merchant_count, gen_seed=1)
    generator = Generator(seed=2, merchant_ids=merchant_ids)
    order_count = payment_count + payment_count // 20
    loaded = 0
    for batch in generator.batches(order_count, payment_count):
        _load(engine, orders, ORDER_COLUMNS, batch.orders)
        _load(engine, payments, PAYMENT_COLUMNS, batch.payments)
        _load(engine, refunds, REFUND_COLUMNS, batch.refunds)
        loaded += len(batch.orders)
        print(f"  {loaded:>9,} / {order_count:,} orders loaded", end="\r", flush=True)
    print()
    with engine.begin() as connection:
        rebuild_stats_rollup(connection, datetime.now(UTC))
    with engine.connect() as connection:
        connection.execute(text("ANALYZE"))
        connection.commit()
    return time.perf_counter() - started


# --- timing ----------------------------------------------------------------------------------


def _timed(call: Callable[[], object], calls: int) -> tuple[float, float]:
    call()  # warm caches and the connection pool
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), statistics.quantiles(samples, n=20, method="inclusive")[-1]


def _merchants_by_size(engine: Engine) -> list[uuid.UUID]:
    with engine.connect() as connection:
        return [
            row[0]
            for row in connection.execute(
                select(payments.c.merchant_id)
                .group_by(payments.c.merchant_id)
                .order_by(func.count().desc())
            )
        ]


def spread_over_shards(engine: Engine, shards: int) -> None:
    """Give every rollup row ``shards - 1`` all-zero companions in the other shards: the most
    rows concurrent writers can leave in a bucket when ``shards`` of them commit at once
    (``rebuild_stats_rollup`` writes one row per bucket). The sums do not change."""
    others = " UNION ALL ".join(
        f"SELECT '{digit}' AS shard" for digit in "0123456789abcdef"[1:shards]
    )
    if not others:
        return
    zeros = ", ".join(["0"] * 7)
    columns = (
        "orders, payments, successful_payments, failed_payments, refunds, "
        "paid_minor, refunded_minor, created_at, updated_at"
    )
    with engine.begin() as connection:
        for table, key in (
            ("merchant_stats_rollup", "merchant_id, grain, bucket, currency"),
            ("global_stats_rollup", "grain, bucket, currency"),
        ):
            connection.execute(
                text(
                    f"INSERT INTO {table} ({key}, shard, {columns}) "
                    f"SELECT {key}, others.shard, {zeros}, created_at, updated_at "
                    f"FROM {table} CROSS JOIN ({others}) AS others WHERE {table}.shard = '0'"
                )
            )
    with engine.connect() as connection:
        connection.execute(text("ANALYZE"))
        connection.commit()


def run_timings(engine: Engine, calls: int) -> list[tuple[str, float, float]]:
    uow = SqlUnitOfWorkFactory(engine)
    by_size = _merchants_by_size(engine)
    biggest, median_merchant = by_size[0], by_size[len(by_size) // 2]
    # Not aligned to hours or days: both edges fall back to the base tables.
    unaligned = StatsPeriod(
        datetime(2025, 3, 14, 9, 26, 53, 589793, tzinfo=UTC),
        datetime(2025, 9, 2, 17, 45, 10, 123456, tzinfo=UTC),
    )
    cases: list[tuple[str, Callable[[], object]]] = []
    for label, period in (("all time", StatsPeriod()), ("unaligned 172 days", unaligned)):
        for who, merchant_id in (("biggest", biggest), ("median", median_merchant)):
            cases.append(
                (f"merchant ({who}), {label}", partial(_merchant_stats, uow, merchant_id, period))
            )
        cases.append((f"global, {label}", partial(_global_stats, uow, period)))
    return [(label, *_timed(call, calls)) for label, call in cases]


def _merchant_stats(
    uow: SqlUnitOfWorkFactory, merchant_id: uuid.UUID, period: StatsPeriod
) -> object:
    with uow(read_only=True) as work:
        return work.stats.merchant_stats(merchant_id, period)


def _global_stats(uow: SqlUnitOfWorkFactory, period: StatsPeriod) -> object:
    with uow(read_only=True) as work:
        return work.stats.global_stats(period)


# --- series over time ------------------------------------------------------------------------

SERIES_END = datetime(2025, 7, 1, tzinfo=UTC)
"""The series' ranges end here, inside the seeded year."""


def _median_and_p99(call: Callable[[], object], calls: int) -> tuple[float, float]:
    call()
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), statistics.quantiles(samples, n=100, method="inclusive")[-1]


def run_series_timings(engine: Engine, calls: int) -> list[tuple[str, float, float]]:
    uow = SqlUnitOfWorkFactory(engine)
    by_size = _merchants_by_size(engine)
    cases: list[tuple[str, Callable[[], object]]] = []
    for interval, count in ((Interval.DAY, 30), (Interval.HOUR, 48)):
        query = SeriesQuery(interval, SERIES_END - interval.step * count, SERIES_END)
        for who, merchant_id in (("biggest", by_size[0]), ("median", by_size[len(by_size) // 2])):
            cases.append(
                (
                    f"series merchant ({who}), {count} {interval.value}s",
                    partial(stats_series.merchant_series, merchant_id, query, uow=uow),
                )
            )
        cases.append(
            (
                f"series global, {count} {interval.value}s",
                partial(stats_series.global_series, query, uow=uow),
            )
        )
    return [(label, *_median_and_p99(call, calls)) for label, call in cases]


# --- databases -------------------------------------------------------------------------------


def _fresh_database(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        assert parsed.database
        for suffix in ("", "-wal", "-shm"):
            Path(parsed.database + suffix).unlink(missing_ok=True)
        return
    name = parsed.database
    with psycopg.connect(
        host=parsed.host,
        port=parsed.port or 5432,
        user=parsed.username,
        dbname="postgres",
        autocommit=True,
    ) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


def _row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table.name: int(
                connection.execute(select(func.count()).select_from(table)).scalar_one()
            )
            for table in (merchants, orders, payments, refunds)
        }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--url", help="database URL (default: a bench database of --db)")
    parser.add_argument("--payments", type=int, default=1_000_000)
    parser.add_argument("--merchants", type=int, default=300)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--reuse", action="store_true", help="time an already seeded database")
    parser.add_argument(
        "--shards",
        type=int,
        default=1,
        choices=range(1, 17),
        metavar="1-16",
        help="spread every rollup bucket over this many "
        "shards (rows), as that many concurrent writers would (default 1)",
    )
    parser.add_argument(
        "--series", action="store_true", help="also time the series over time (median and p99)"
    )
    parser.add_argument("--series-calls", type=int, default=500)
    args = parser.parse_args(argv)
    url = args.url or (SQLITE_DEFAULT if args.db == "sqlite" else POSTGRES_DEFAULT)
    if not args.reuse:
        _fresh_database(url)
    engine = create_database_engine(url)
    try:
        upgrade_schema(engine)
        if not args.reuse:
            print(f"seeding {args.payments:,} payments for {args.merchants} merchants ...")
            took = seed(engine, payment_count=args.payments, merchant_count=args.merchants)
            print(f"seeded in {took:.0f} s")
            spread_over_shards(engine, args.shards)
        print(", ".join(f"{name}: {count:,}" for name, count in _row_counts(engine).items()))
        print(f"\n{engine.dialect.name}: {args.calls} calls each   median ms   p95 ms")
        for label, median, p95 in run_timings(engine, args.calls):
            print(f"  {label:<40} {median:>9.2f} {p95:>8.2f}")
        if args.series:
            print(
                f"\n{engine.dialect.name}: {args.series_calls} calls each{'median ms':>23}   p99 ms"
            )
            for label, median, p99 in run_series_timings(engine, args.series_calls):
                print(f"  {label:<40} {median:>9.2f} {p99:>8.2f}")
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
