"""Held read-only connections (held_readers.py): one per thread, reused while idle, never
shared with an enclosing unit of work, given back when the thread ends or at close; read-only
units of work on them still see every commit made before they start."""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from uuid import UUID

import pytest
from sqlalchemy import Engine

from paygate_adapters.sql import SqlUnitOfWorkFactory, create_database_engine
from paygate_adapters.sql.held_readers import HeldReaders
from paygate_core.testing.contract import Builder, seed_merchant


@pytest.fixture
def reader(sqlite_uow_factory: SqlUnitOfWorkFactory) -> Iterator[Engine]:
    engine = create_database_engine(sqlite_uow_factory.engine.url, read_only=True)
    yield engine
    engine.dispose()


def _on_thread(function: Callable[[], object]) -> object:
    result: list[object] = []
    thread = threading.Thread(target=lambda: result.append(function()))
    thread.start()
    thread.join()
    return result[0]


def test_a_thread_reuses_its_connection_while_idle(reader: Engine) -> None:
    readers = HeldReaders(reader)
    first = readers.take()
    assert first is not None
    assert readers.take() is first
    first.begin()  # an enclosing unit of work is using it
    assert readers.take() is None
    first.rollback()
    assert readers.take() is first
    assert _on_thread(readers.take) not in (None, first)  # another thread, its own
    readers.close()


def test_at_most_limit_threads_hold_one_and_a_finished_thread_gives_it_back(reader: Engine) -> None:
    readers = HeldReaders(reader, limit=1)
    assert _on_thread(readers.take) is not None
    gc.collect()  # the finished thread's finaliser returned its connection
    assert reader.pool.checkedout() == 0  # type: ignore[attr-defined]
    assert readers.take() is not None
    assert _on_thread(readers.take) is None  # the one slot is this thread's
    assert reader.pool.checkedout() == 1  # type: ignore[attr-defined]
    readers.close()
    assert reader.pool.checkedout() == 0  # type: ignore[attr-defined]
    assert readers.take() is None  # closed: check out per unit of work


def test_read_only_units_of_work_see_each_new_commit_and_may_nest(
    sqlite_uow_factory: SqlUnitOfWorkFactory,
) -> None:
    b = Builder()
    _, merchant = seed_merchant(sqlite_uow_factory, b)
    first, second = b.order(merchant), b.order(merchant)

    def stored(order_ids: tuple[UUID, ...]) -> list[bool]:
        with sqlite_uow_factory(read_only=True) as outer:
            found = [outer.orders.get(ident, merchant.id) is not None for ident in order_ids]
            with sqlite_uow_factory(read_only=True) as inner:  # not the held connection
                assert [
                    inner.orders.get(ident, merchant.id) is not None for ident in order_ids
                ] == found
            return found

    for order in (first, second):
        with sqlite_uow_factory() as uow:
            uow.orders.add(order)
            uow.commit()
        assert all(stored((order.id,)))
    assert stored((first.id, second.id)) == [True, True]
