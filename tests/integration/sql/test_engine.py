"""Engine set-up, readiness, and what the database itself guarantees (types, constraints)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from paygate_adapters.sql import SqlUnitOfWorkFactory, create_database_engine, database_ready
from paygate_adapters.sql.tables import orders, payments
from paygate_core.accounts import Role
from paygate_core.money import Money
from paygate_core.stats import StatsPeriod
from paygate_core.testing.contract import Builder, seed_merchant, write


def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(sqlite_url: str) -> None:
    engine = create_database_engine(sqlite_url)
    try:
        with engine.connect() as connection:
            pragmas = {
                name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "foreign_keys", "busy_timeout")
            }
    finally:
        engine.dispose()
    assert pragmas == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 5000}


@pytest.mark.postgres
def test_plain_postgresql_urls_use_psycopg_3(postgres_url: str) -> None:
    engine = create_database_engine(postgres_url.replace("postgresql+psycopg://", "postgresql://"))
    try:
        assert engine.dialect.driver == "psycopg"
        assert database_ready(engine)
    finally:
        engine.dispose()


def test_ready_when_the_database_answers(engine: Engine) -> None:
    assert database_ready(engine)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://postgres@127.0.0.1:1/nowhere",
        "sqlite:////nonexistent-directory/paygate.db",
    ],
)
def test_not_ready_when_the_database_does_not_answer(url: str) -> None:
    engine = create_database_engine(url)
    try:
        assert not database_ready(engine)
    finally:
        engine.dispose()


def test_unsupported_urls_are_refused() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        create_database_engine("mysql://localhost/paygate")


def test_read_only_unit_of_work_cannot_write(uow_factory: SqlUnitOfWorkFactory) -> None:
    b = Builder()
    with pytest.raises(DBAPIError), uow_factory(read_only=True) as uow:
        uow.users.add(b.user())


def test_a_read_only_unit_of_work_hands_its_connection_back_writable(
    uow_factory: SqlUnitOfWorkFactory, engine: Engine
) -> None:
    with uow_factory(read_only=True) as uow:
        uow.users.count(Role.ADMIN)
    with engine.begin() as connection:  # most likely the same pooled connection
        connection.execute(orders.delete())
    write(uow_factory, Builder().user())


def test_money_is_stored_as_exact_integer_minor_units(
    uow_factory: SqlUnitOfWorkFactory, engine: Engine
) -> None:
    b = Builder()
    _, merchant = seed_merchant(uow_factory, b)
    dinar = b.order(merchant, Money.of("12.345", "KWD"))
    dollars = b.order(merchant, Money.of("99999999.99", "USD"))
    write(uow_factory, dinar, dollars)
    with engine.connect() as connection:
        stored = dict(connection.execute(select(orders.c.currency, orders.c.amount_minor)).all())
    assert stored == {"KWD": 12345, "USD": 9999999999}


def test_timestamps_come_back_in_utc_with_microseconds(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    b = Builder()
    _, merchant = seed_merchant(uow_factory, b)
    india = timezone(timedelta(hours=5, minutes=30))
    order = b.order(merchant, created_at=datetime(2026, 1, 1, 5, 30, 0, 1, tzinfo=india))
    write(uow_factory, order)
    with uow_factory(read_only=True) as uow:
        stored = uow.orders.get(order.id, merchant.id)
        early = uow.stats.merchant_stats(
            merchant.id, StatsPeriod(end=datetime(2026, 1, 1, 0, 0, 0, 2, tzinfo=UTC))
        )
    assert stored is not None
    assert stored.created_at == datetime(2026, 1, 1, 0, 0, 0, 1, tzinfo=UTC)
    assert stored.created_at.tzinfo == UTC
    assert early.total_orders == 1


def test_the_database_refuses_impossible_rows(
    uow_factory: SqlUnitOfWorkFactory, engine: Engine
) -> None:
    b = Builder()
    _, merchant = seed_merchant(uow_factory, b)
    order = b.order(merchant)
    payment = b.payment(order)
    write(uow_factory, order, payment)
    statements = [
        payments.update().values(amount_refunded_minor=payments.c.amount_minor + 1),
        payments.update().values(amount_refunded_minor=-1),
        orders.update().values(amount_minor=0),
        orders.update().values(status="shipped"),
        orders.update().values(merchant_id=b.new_id()),  # no such merchant
    ]
    for statement in statements:
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(statement)


def test_payments_keep_no_card_number_or_cvv(engine: Engine) -> None:
    with engine.connect() as connection:
        columns = set(connection.execute(text("SELECT * FROM payments")).keys())
    assert {name for name in columns if "card" in name or "cvv" in name} == {
        "card_last4",
        "card_fingerprint",
    }
