"""Statistics from the rollups equal the in-memory reference's for any period, and the
rollups kept by each transaction equal the ones rebuilt from the base tables."""

from __future__ import annotations

import copy
import itertools
import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from paygate_adapters.sql import SqlUnitOfWorkFactory, rebuild_stats_rollup
from paygate_adapters.sql.stats import plan_period
from paygate_core.accounts import Merchant
from paygate_core.money import Money
from paygate_core.pagination import PageRequest
from paygate_core.payments import Payment, PaymentStatus
from paygate_core.ports import UnitOfWorkFactory
from paygate_core.stats import StatsPeriod
from paygate_core.testing import InMemoryStore
from paygate_core.testing.contract import Builder, assert_identical, write

from .rollup_checks import (
    Rollups,
    expected_rollups,
    kept_rollups,
    write_on_an_earlier_schema,
)

# Two months and a bit from a month boundary, so every bucket size and edge is exercised.
START = datetime(2026, 6, 1, tzinfo=UTC)
SPAN = timedelta(days=62, hours=5)
_AMOUNTS = {"USD": ("0.01", "10.50", "999.99"), "JPY": ("1", "1500"), "KWD": ("12.345",)}


def _moment(rng: random.Random) -> datetime:
    """Mostly anywhere; sometimes exactly on an hour or a day boundary."""
    if rng.random() < 0.2:
        return START + timedelta(hours=rng.randrange(int(SPAN / timedelta(hours=1))))
    return START + timedelta(microseconds=rng.randrange(int(SPAN / timedelta(microseconds=1))))


def _dataset(seed: int) -> tuple[list[Merchant], list[object], list[Payment]]:
    """Merchants, their orders, payments (every status) and refunds; plus pending payments
    that a later update settles (the only change of a payment's success category)."""
    rng = random.Random(seed)
    b = Builder()
    users = [b.user() for _ in range(3)]
    merchants = [b.merchant(u) for u in users]
    rows: list[object] = [*users, *merchants]
    pending: list[Payment] = []
    for _ in range(200):
        code = rng.choice(sorted(_AMOUNTS))
        order = b.order(
            rng.choice(merchants),
            Money.of(rng.choice(_AMOUNTS[code]), code),
            created_at=_moment(rng),
        )
        rows.append(order)
        for _ in range(rng.choice((0, 1, 1, 2))):
            status = rng.choice(list(PaymentStatus))
            paid_at = order.created_at + timedelta(seconds=rng.randrange(7200))
            payment = b.payment(order, status=status, created_at=paid_at)
            rows.append(payment)
            if status is PaymentStatus.PENDING:
                pending.append(payment)
            elif status in (PaymentStatus.CAPTURED, PaymentStatus.REFUNDED):
                rows.append(
                    b.refund(
                        payment, created_at=paid_at + timedelta(microseconds=rng.randrange(10**10))
                    )
                )
    return merchants, rows, pending


def _settle(factory: UnitOfWorkFactory, pending: list[Payment]) -> None:
    with factory() as uow:
        for i, payment in enumerate(pending):
            if i % 2:
                payment.authorize(payment.created_at + timedelta(minutes=1))
            else:
                payment.fail("card_declined", payment.created_at + timedelta(minutes=1))
            uow.payments.update(payment)
        uow.commit()


@pytest.fixture
def stores(
    uow_factory: SqlUnitOfWorkFactory,
) -> tuple[list[Merchant], UnitOfWorkFactory, SqlUnitOfWorkFactory]:
    merchants, rows, pending = _dataset(seed=7)
    reference = InMemoryStore().unit_of_work
    for factory in (reference, uow_factory):
        write(factory, *rows)
        _settle(factory, copy.deepcopy(pending))
    return merchants, reference, uow_factory


_instants = st.one_of(
    st.none(),
    st.sampled_from([datetime(2026, month, 1, tzinfo=UTC) for month in range(5, 10)]),
    st.integers(-48, int(SPAN / timedelta(hours=1)) + 48).map(lambda h: START + timedelta(hours=h)),
    st.integers(-86_400_000_000, int(SPAN / timedelta(microseconds=1)) + 86_400_000_000).map(
        lambda us: START + timedelta(microseconds=us)
    ),
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=_instants, end=_instants)
def test_stats_equal_the_reference_for_any_period(
    stores: tuple[list[Merchant], UnitOfWorkFactory, SqlUnitOfWorkFactory],
    start: datetime | None,
    end: datetime | None,
) -> None:
    merchants, reference, sql = stores
    period = StatsPeriod(start, end)
    with reference(read_only=True) as expected, sql(read_only=True) as actual:
        assert_identical(actual.stats.global_stats(period), expected.stats.global_stats(period))
        for merchant in merchants:
            assert_identical(
                actual.stats.merchant_stats(merchant.id, period),
                expected.stats.merchant_stats(merchant.id, period),
            )


def _kept_and_rebuilt_rollups(engine: Engine) -> tuple[Rollups, ...]:
    """The rollups as the transactions kept them, as rebuilt from the base tables (in a
    transaction rolled back: the database is left as it was), and as counted here."""
    with engine.connect() as connection, connection.begin() as transaction:
        kept = kept_rollups(connection)
        expected = expected_rollups(connection)
        rebuild_stats_rollup(connection, datetime.now(UTC))
        rebuilt = kept_rollups(connection)
        transaction.rollback()
    return kept, rebuilt, expected


def test_rollups_kept_by_each_transaction_equal_the_rebuilt_ones(
    stores: tuple[list[Merchant], UnitOfWorkFactory, SqlUnitOfWorkFactory], engine: Engine
) -> None:
    kept, rebuilt, expected = _kept_and_rebuilt_rollups(engine)
    assert kept["merchant_stats_rollup"]
    assert kept == rebuilt == expected


def test_a_settled_pending_payment_moves_between_the_stats_categories(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    b = Builder()
    user = b.user()
    merchant = b.merchant(user)
    order = b.order(merchant, Money.of("10.00", "USD"))
    payment = b.payment(order, status=PaymentStatus.PENDING)
    write(uow_factory, user, merchant, order, payment)
    with uow_factory(read_only=True) as uow:
        before = uow.stats.merchant_stats(merchant.id, StatsPeriod())
    assert (before.total_payments, before.successful_payments, before.volume) == (1, 0, ())
    payment.authorize(order.created_at)
    with uow_factory() as uow:
        uow.payments.update(payment)
        # Read inside the writing unit of work: its own change counts already.
        inside = uow.stats.merchant_stats(merchant.id, StatsPeriod())
        uow.commit()
    with uow_factory(read_only=True) as uow:
        after = uow.stats.merchant_stats(merchant.id, StatsPeriod())
    assert inside == after
    assert (after.total_payments, after.successful_payments) == (1, 1)
    assert str(after.volume[0].paid_amount) == "10.00"


# --- the period planner (pure) -------------------------------------------------------------

_moments = st.datetimes(
    min_value=datetime(2025, 11, 20), max_value=datetime(2026, 3, 10), timezones=st.just(UTC)
)


@given(start=st.none() | _moments, end=st.none() | _moments)
def test_planned_spans_tile_the_period_exactly(
    start: datetime | None, end: datetime | None
) -> None:
    spans = sorted(plan_period(start, end), key=lambda s: s[1] or datetime.min.replace(tzinfo=UTC))
    if start is not None and end is not None and start >= end:
        assert spans == []
        return
    assert spans[0][1] == start
    assert spans[-1][2] == end
    for (_, _, left_end), (_, right_start, _) in itertools.pairwise(spans):
        assert left_end == right_start, "contiguous, no gap and no overlap"
    for source, span_start, span_end in spans:
        if source == "base":
            assert span_start is not None
            assert span_end is not None
            assert span_end - span_start < timedelta(hours=1)
        for edge in (span_start, span_end):
            if edge is not None and source != "base":
                assert (edge.minute, edge.second, edge.microsecond) == (0, 0, 0)
                assert source == "hour" or edge.hour == 0
                assert source != "month" or edge.day == 1
    counts = Counter(source for source, _, _ in spans)
    assert counts["month"] <= 1
    assert max(counts["day"], counts["hour"], counts["base"]) <= 2


def test_migration_0007_counts_every_order_once_up_and_down(sqlite_url: str) -> None:
    """Orders written under 0006 (folded into the rollups 64 at a time, the rest pending)
    are each counted once after 0007's per-row trigger takes over, and again after going
    back to 0006 and up to 0007."""
    from alembic import command

    from paygate_adapters.sql import create_database_engine
    from paygate_adapters.sql.migrate import alembic_config

    engine = create_database_engine(sqlite_url)
    sql = SqlUnitOfWorkFactory(engine)
    rng = random.Random(5)
    b = Builder()
    users = [b.user() for _ in range(2)]
    merchants = [b.merchant(user) for user in users]
    written = 0

    def orders(count: int) -> None:
        nonlocal written
        write_on_an_earlier_schema(
            sql,
            *[
                b.order(rng.choice(merchants), Money.of("2.00", "JPY"), created_at=_moment(rng))
                for _ in range(count)
            ],
        )
        written += count

    def migrate(revision: str, *, down: bool = False) -> None:
        with engine.begin() as connection:
            step = command.downgrade if down else command.upgrade
            step(alembic_config(connection), revision)

    def rollups_equal_a_rebuild() -> bool:  # counted here: the code rebuilds the newest form
        with engine.connect() as connection:
            return kept_rollups(connection) == expected_rollups(connection)

    def counted_everywhere() -> bool:  # the statistics and the admin list's totals
        with sql(read_only=True) as uow:
            total = uow.stats.global_stats(StatsPeriod()).payments.total_orders
            listed = sum(item.total_orders for item in uow.merchants.list(PageRequest()).items)
        return total == listed == written

    try:
        migrate("0006")
        write(sql, *users, *merchants)
        orders(100)  # folded up to the 64th
        assert not rollups_equal_a_rebuild()
        orders(28)  # the 128th folds the rest
        assert rollups_equal_a_rebuild()
        orders(10)  # pending
        migrate("0007")
        assert rollups_equal_a_rebuild()
        orders(50)
        assert rollups_equal_a_rebuild()
        assert counted_everywhere()
        migrate("0006", down=True)
        orders(68)  # the 192nd and the 256th fold these in
        assert rollups_equal_a_rebuild()
        orders(5)  # pending
        migrate("0007")
        assert rollups_equal_a_rebuild()
        orders(3)
        assert rollups_equal_a_rebuild()
        assert counted_everywhere()
    finally:
        engine.dispose()
