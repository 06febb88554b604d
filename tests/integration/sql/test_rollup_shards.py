"""Sharded statistics rollups (ADR 0013): concurrent PostgreSQL writers of one merchant and
hour never wait for each other's rollup rows and the statistics stay exact; migration 0008
keeps every sum, up and down, on both databases."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from alembic import command
from sqlalchemy import Connection, Engine, func, inspect, select, text

from paygate_adapters.sql import SqlUnitOfWorkFactory
from paygate_adapters.sql.migrate import alembic_config
from paygate_adapters.sql.tables import global_stats_rollup, merchant_stats_rollup
from paygate_core import (
    CreateOrder,
    Paygate,
    PayOrder,
    RefundPayment,
    SimulatedProcessor,
    UUID4Ids,
)
from paygate_core.accounts import Merchant
from paygate_core.money import Money
from paygate_core.payments import PaymentStatus
from paygate_core.stats import PaymentStats, StatsPeriod
from paygate_core.testing import FixedClock, PlainPasswordHasher, UnsignedTokenService
from paygate_core.testing.contract import Builder, write

from .rollup_checks import expected_rollups, kept_rollups, write_on_an_earlier_schema

NOW = datetime(2026, 5, 1, 12, 30, tzinfo=UTC)
SHARDS = 16
postgres_only = pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


def _rollups_are_exact(engine: Engine) -> bool:
    with engine.connect() as connection:
        return kept_rollups(connection) == expected_rollups(connection)


def _shards_in_use(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return {
            shard
            for (shard,) in connection.execute(select(merchant_stats_rollup.c.shard).distinct())
        }


@contextmanager
def _shard_taken(engine: Engine) -> Iterator[Connection]:
    """A transaction holding a rollup shard (as one between its flush and its COMMIT)."""
    with engine.connect() as connection, connection.begin():
        connection.execute(text("SELECT stats_rollup_shard()"))
        yield connection


def _in_thread(action: Callable[[], None]) -> tuple[threading.Thread, list[BaseException]]:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            action()
        except BaseException as exc:  # the test inspects it
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, errors


# --- concurrency (PostgreSQL) -----------------------------------------------------------------


@postgres_only
def test_a_writer_does_not_wait_for_an_uncommitted_writer_of_the_same_rows(
    uow_factory: SqlUnitOfWorkFactory, engine: Engine
) -> None:
    b = Builder()
    user = b.user()
    merchant = b.merchant(user)
    write(uow_factory, user, merchant)
    with uow_factory() as first:
        first.orders.add(b.order(merchant, created_at=NOW))
        first.stats.merchant_stats(merchant.id, StatsPeriod())  # its rollup rows, written
        second, errors = _in_thread(
            lambda: write(uow_factory, b.order(merchant, created_at=NOW + timedelta(seconds=1)))
        )
        second.join(timeout=10)
        done_before_the_first_commits = not second.is_alive()
        first.commit()
    second.join()
    assert errors == []
    assert done_before_the_first_commits
    assert _shards_in_use(engine) == {"0", "1"}
    with uow_factory(read_only=True) as uow:
        assert uow.stats.merchant_stats(merchant.id, StatsPeriod()).total_orders == 2
    assert _rollups_are_exact(engine)


@postgres_only
def test_with_every_shard_taken_a_writer_waits_for_one(
    uow_factory: SqlUnitOfWorkFactory, engine: Engine
) -> None:
    b = Builder()
    user = b.user()
    merchant = b.merchant(user)
    write(uow_factory, user, merchant)
    with ExitStack() as holders:
        for _ in range(SHARDS):
            holders.enter_context(_shard_taken(engine))
        writer, errors = _in_thread(lambda: write(uow_factory, b.order(merchant)))
        writer.join(timeout=1)
        waited = writer.is_alive()
    writer.join(timeout=10)
    assert waited
    assert not writer.is_alive()
    assert errors == []
    assert _rollups_are_exact(engine)


@postgres_only
def test_many_concurrent_transactions_keep_the_statistics_exact(
    uow_factory: SqlUnitOfWorkFactory, engine: Engine
) -> None:
    clock = FixedClock(NOW)  # one hour: every transaction adds to the same buckets
    gateway = Paygate(
        uow=uow_factory,
        clock=clock,
        ids=UUID4Ids(),
        processor=SimulatedProcessor(seed=3),
        hasher=PlainPasswordHasher(),
        tokens=UnsignedTokenService(clock),
        card_key=b"test-card-key",
    )
    b = Builder()
    users = [b.user() for _ in range(2)]
    merchants = [b.merchant(user) for user in users]
    write(uow_factory, *users, *merchants)
    start = threading.Barrier(16)

    def shop(index: int) -> None:
        merchant_id = merchants[index % 2].id
        start.wait()
        for _ in range(8):
            order = gateway.create_order(CreateOrder(merchant_id=merchant_id, amount="10.00"))
            payment = gateway.pay_order(
                PayOrder(
                    merchant_id=merchant_id,
                    order_id=order.id,
                    card_number="4242424242424242",
                    expiry="12/30",
                    cvv="123",
                )
            )
            if payment.status is PaymentStatus.AUTHORIZED:
                gateway.refund_payment(
                    RefundPayment(merchant_id=merchant_id, payment_id=payment.id, amount="2.50")
                )

    with ThreadPoolExecutor(max_workers=16) as pool:
        for future in [pool.submit(shop, i) for i in range(16)]:
            future.result()

    assert _rollups_are_exact(engine)
    for merchant in merchants:
        _assert_counted(gateway.merchant_stats(merchant.id), orders=64)
    _assert_counted(gateway.global_stats().payments, orders=128)
    assert len(_shards_in_use(engine)) > 1, "the writers overlapped, and so did their shards"


def _assert_counted(stats: PaymentStats, *, orders: int) -> None:
    assert stats.total_orders == stats.total_payments == orders
    assert stats.successful_payments + stats.canceled_payments == orders
    assert stats.successful_refunds == stats.successful_payments
    assert len(stats.volume) == 1
    volume = stats.volume[0]
    assert volume.paid_amount == Decimal("10.00") * stats.successful_payments
    assert volume.refunded_amount == Decimal("2.50") * stats.successful_refunds


# --- migration 0008 with data (SQLite and PostgreSQL) -----------------------------------------


def _activity(
    b: Builder, merchants: list[Merchant], rng: random.Random, count: int
) -> list[object]:
    """Orders with payments of every status and refunds, over two days in three currencies."""
    rows: list[object] = []
    for _ in range(count):
        code, amount = rng.choice((("USD", "10.50"), ("JPY", "1500"), ("KWD", "12.345")))
        order = b.order(
            rng.choice(merchants),
            Money.of(amount, code),
            created_at=NOW + timedelta(minutes=rng.randrange(2 * 24 * 60)),
        )
        rows.append(order)
        status = rng.choice(list(PaymentStatus))
        payment = b.payment(
            order, status=status, created_at=order.created_at + timedelta(minutes=rng.randrange(90))
        )
        rows.append(payment)
        if status in (PaymentStatus.CAPTURED, PaymentStatus.REFUNDED):
            rows.append(b.refund(payment, created_at=payment.created_at + timedelta(hours=1)))
    return rows


def _migrate(engine: Engine, revision: str, *, down: bool = False) -> None:
    with engine.begin() as connection:
        (command.downgrade if down else command.upgrade)(alembic_config(connection), revision)


def _total_orders(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(
                select(func.coalesce(func.sum(merchant_stats_rollup.c.orders), 0)).where(
                    merchant_stats_rollup.c.grain == "month"
                )
            ).scalar_one()
        )


def test_migration_0008_keeps_every_sum_up_and_down(
    uow_factory: SqlUnitOfWorkFactory, engine: Engine
) -> None:
    postgres = engine.dialect.name == "postgresql"
    rng = random.Random(8)
    b = Builder()
    users = [b.user() for _ in range(3)]
    merchants = [b.merchant(user) for user in users]
    write(uow_factory, *users, *merchants)
    written = 0

    def orders(count: int, *, beside_another_writer: bool = False) -> None:
        nonlocal written
        with ExitStack() as stack:
            if beside_another_writer:  # PostgreSQL: these land in shard 1
                stack.enter_context(_shard_taken(engine))
            write(uow_factory, *_activity(b, merchants, rng, count))
        written += count

    orders(30)
    if postgres:
        orders(30, beside_another_writer=True)
        assert _shards_in_use(engine) == {"0", "1"}
    assert _rollups_are_exact(engine)

    _migrate(engine, "0007", down=True)
    assert "shard" not in {c["name"] for c in inspect(engine).get_columns("merchant_stats_rollup")}
    assert _rollups_are_exact(engine)
    if not postgres:  # 0007's triggers are back (PostgreSQL's writers are today's code)
        write_on_an_earlier_schema(uow_factory, *_activity(b, merchants, rng, 20))
        written += 20
        assert _rollups_are_exact(engine)

    _migrate(engine, "head")
    assert _rollups_are_exact(engine)
    with engine.connect() as connection:
        shards = {s for (s,) in connection.execute(select(global_stats_rollup.c.shard).distinct())}
    assert shards == {"0"}, "the global rows are gathered into shard 0"
    orders(20, beside_another_writer=postgres)
    assert _rollups_are_exact(engine)
    assert _total_orders(engine) == written
    with uow_factory(read_only=True) as uow:
        assert uow.stats.global_stats(StatsPeriod()).payments.total_orders == written
