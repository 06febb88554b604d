"""Group commit on SQLite (batch.py): use cases share one transaction, each in a savepoint;
nothing is visible to other connections before the batch commits, a failing use case loses
only its own work, a failing batch loses everything, and other threads wait their turn."""

from __future__ import annotations

import threading

import pytest

from paygate_adapters.sql import SqlUnitOfWorkFactory, create_database_engine
from paygate_core.orders import Order
from paygate_core.testing.contract import Builder, seed_merchant


@pytest.fixture
def factory(sqlite_uow_factory: SqlUnitOfWorkFactory) -> SqlUnitOfWorkFactory:
    return sqlite_uow_factory


def _add_order(factory: SqlUnitOfWorkFactory, order: Order, *, fail: bool = False) -> Order:
    with factory() as uow:
        uow.orders.add(order)
        if fail:
            raise ValueError("the use case failed after writing")
        uow.commit()
    return order


def _stored(factory: SqlUnitOfWorkFactory, order: Order) -> bool:
    with factory(read_only=True) as uow:
        return uow.orders.get(order.id, order.merchant_id) is not None


def _stored_elsewhere(factory: SqlUnitOfWorkFactory, order: Order) -> bool:
    """Read on another thread: outside the batch, on a connection of its own."""
    found: list[bool] = []
    thread = threading.Thread(target=lambda: found.append(_stored(factory, order)))
    thread.start()
    thread.join()
    return found[0]


def test_a_batch_keeps_every_committed_use_case_at_its_end(factory: SqlUnitOfWorkFactory) -> None:
    b = Builder()
    _, merchant = seed_merchant(factory, b)
    first, second = b.order(merchant), b.order(merchant)
    with factory.batch() as batch:
        batch.run(_add_order, factory, first)
        batch.run(_add_order, factory, second)
        assert _stored(factory, first)  # this thread's units of work see the batch
        assert not _stored_elsewhere(factory, first)  # nobody else does before the commit
    assert _stored_elsewhere(factory, first)
    assert _stored_elsewhere(factory, second)


def test_a_failing_use_case_loses_only_its_own_work(factory: SqlUnitOfWorkFactory) -> None:
    b = Builder()
    _, merchant = seed_merchant(factory, b)
    kept, lost, after = b.order(merchant), b.order(merchant), b.order(merchant)
    with factory.batch() as batch:
        batch.run(_add_order, factory, kept)
        with pytest.raises(ValueError, match="failed after writing"):
            batch.run(_add_order, factory, lost, fail=True)
        batch.run(_add_order, factory, after)
    assert _stored(factory, kept)
    assert not _stored(factory, lost)
    assert _stored(factory, after)


def test_a_failing_batch_keeps_nothing(factory: SqlUnitOfWorkFactory) -> None:
    b = Builder()
    _, merchant = seed_merchant(factory, b)
    order = b.order(merchant)

    def stopped_before_the_commit() -> None:
        with factory.batch() as batch:
            batch.run(_add_order, factory, order)
            raise RuntimeError("the process stops before the commit")

    with pytest.raises(RuntimeError, match="before the commit"):
        stopped_before_the_commit()
    assert not _stored(factory, order)


def test_a_read_only_unit_of_work_in_a_batch_keeps_nothing(factory: SqlUnitOfWorkFactory) -> None:
    b = Builder()
    _, merchant = seed_merchant(factory, b)
    order = b.order(merchant)
    with factory.batch(), factory(read_only=True) as uow:
        uow.orders.add(order)
        uow.commit()
    assert not _stored(factory, order)


def test_other_threads_write_after_the_batch(factory: SqlUnitOfWorkFactory) -> None:
    b = Builder()
    _, merchant = seed_merchant(factory, b)
    inside, outside = b.order(merchant), b.order(merchant)
    done = threading.Event()

    def write_outside() -> None:
        _add_order(factory, outside)
        done.set()

    with factory.batch() as batch:
        batch.run(_add_order, factory, inside)
        writer = threading.Thread(target=write_outside)
        writer.start()
        assert not done.wait(0.3)  # queued on the writer lock the batch holds
    assert done.wait(5)
    writer.join()
    assert _stored(factory, inside)
    assert _stored(factory, outside)


@pytest.mark.postgres
def test_a_batch_is_for_sqlite_only(postgres_url: str) -> None:
    engine = create_database_engine(postgres_url)
    try:
        with pytest.raises(ValueError, match="SQLite"), SqlUnitOfWorkFactory(engine).batch():
            pass
    finally:
        engine.dispose()
