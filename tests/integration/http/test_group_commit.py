"""The HTTP layer's group commit (group_commit.py) over the SQLite adapter's batches: the
writes of one turn of the event loop share a commit, each caller gets its own outcome, and
nobody hears of success before the commit."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import ParamSpec, TypeVar

import pytest

from paygate_adapters.sql import SqlUnitOfWorkFactory
from paygate_adapters.sql.batch import WriteBatch
from paygate_core.orders import Order
from paygate_core.testing.contract import Builder, seed_merchant
from paygate_http.group_commit import MAX_BATCH, GroupCommit

P = ParamSpec("P")
R = TypeVar("R")


class CountingBatch:
    """A ``WriteBatch`` that counts the calls it runs."""

    def __init__(self, batch: WriteBatch) -> None:
        self.batch = batch
        self.runs = 0

    @property
    def aborted(self) -> bool:
        return self.batch.aborted

    def run(self, function: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        self.runs += 1
        return self.batch.run(function, *args, **kwargs)


class Batches:
    """``factory.batch`` that records batch sizes and can fail at the commit."""

    def __init__(self, factory: SqlUnitOfWorkFactory) -> None:
        self.factory = factory
        self.sizes: list[int] = []
        self.fail_commit = False

    def __call__(self) -> AbstractContextManager[CountingBatch]:
        return self._open()

    @contextmanager
    def _open(self) -> Iterator[CountingBatch]:
        with self.factory.batch(locked=True) as batch:
            counting = CountingBatch(batch)
            yield counting
            self.sizes.append(counting.runs)
            if self.fail_commit:
                raise OSError("disk I/O error")


@pytest.fixture
def factory(sqlite_uow_factory: SqlUnitOfWorkFactory) -> SqlUnitOfWorkFactory:
    return sqlite_uow_factory


def _add_order(factory: SqlUnitOfWorkFactory, order: Order) -> Order:
    with factory() as uow:
        uow.orders.add(order)
        uow.commit()
    return order


def _refuse(reason: str) -> None:
    raise ValueError(reason)


def _stored(factory: SqlUnitOfWorkFactory, order: Order) -> bool:
    with factory(read_only=True) as uow:
        return uow.orders.get(order.id, order.merchant_id) is not None


def test_the_writes_of_one_turn_share_one_commit(factory: SqlUnitOfWorkFactory) -> None:
    b = Builder()
    _, merchant = seed_merchant(factory, b)
    orders = [b.order(merchant) for _ in range(MAX_BATCH + 6)]
    batches = Batches(factory)

    async def scenario() -> list[Order]:
        group = GroupCommit(batches, factory.writer_lock)
        return await asyncio.gather(*(group(_add_order, factory, o) for o in orders))

    assert asyncio.run(scenario()) == orders
    assert batches.sizes == [MAX_BATCH, 6]
    assert all(_stored(factory, order) for order in orders)


def test_each_caller_gets_its_own_outcome(factory: SqlUnitOfWorkFactory) -> None:
    b = Builder()
    _, merchant = seed_merchant(factory, b)
    kept = b.order(merchant)

    async def scenario() -> list[object]:
        group = GroupCommit(Batches(factory), factory.writer_lock)
        return list(await asyncio.gather(group(_refuse, "declined"),
                                         group(_add_order, factory, kept),
                                         return_exceptions=True))

    refused, added = asyncio.run(scenario())
    assert isinstance(refused, ValueError)
    assert str(refused) == "declined"
    assert added == kept
    assert _stored(factory, kept)


def test_a_failed_commit_fails_every_caller_and_keeps_nothing(
        factory: SqlUnitOfWorkFactory) -> None:
    b = Builder()
    _, merchant = seed_merchant(factory, b)
    orders = [b.order(merchant) for _ in range(3)]
    batches = Batches(factory)
    batches.fail_commit = True

    async def scenario() -> list[object]:
        group = GroupCommit(batches, factory.writer_lock)
        return await asyncio.gather(*(group(_add_order, factory, o) for o in orders),
                                    return_exceptions=True)

    outcomes = asyncio.run(scenario())
    assert all(isinstance(outcome, OSError) for outcome in outcomes)
    assert not any(_stored(factory, order) for order in orders)


def test_callers_hear_back_only_after_the_commit(factory: SqlUnitOfWorkFactory) -> None:
    b = Builder()
    _, merchant = seed_merchant(factory, b)
    order = b.order(merchant)
    seen: list[bool] = []

    async def scenario() -> None:
        group = GroupCommit(lambda: factory.batch(locked=True), factory.writer_lock)
        await group(_add_order, factory, order)
        seen.append(_stored(factory, order))

    asyncio.run(scenario())
    assert seen == [True]


def test_the_loop_runs_on_while_another_writer_holds_the_lock(
        factory: SqlUnitOfWorkFactory) -> None:
    b = Builder()
    _, merchant = seed_merchant(factory, b)
    order = b.order(merchant)
    lock = factory.writer_lock
    ticks = 0

    async def scenario() -> Order:
        nonlocal ticks
        group = GroupCommit(lambda: factory.batch(locked=True), lock)
        assert lock.acquire()  # another writer (in production: another worker process)
        write = asyncio.ensure_future(group(_add_order, factory, order))
        for _ in range(20):  # the loop is free while the write waits for the lock
            await asyncio.sleep(0.005)
            ticks += 1
        assert not write.done()
        lock.release()
        return await write

    assert asyncio.run(scenario()) == order
    assert ticks == 20
    assert _stored(factory, order)
