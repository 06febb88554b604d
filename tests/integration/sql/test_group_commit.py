"""Group commit (group_commit.py) over the SQLite adapter's batches: the writes of one turn
of the event loop share a commit, each caller gets its own outcome, nobody hears of success
before the commit, the loop runs on while a batch commits, and a batch that cannot be
written answers every caller with ``StorageUnavailable`` and keeps nothing."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event

from paygate_adapters.sql import SqlUnitOfWorkFactory, create_database_engine, upgrade_schema
from paygate_adapters.sql.group_commit import MAX_BATCH, GroupCommit
from paygate_core.errors import StorageUnavailable
from paygate_core.orders import Order
from paygate_core.testing.contract import Builder, seed_merchant

HOLD_SECONDS = 2.0
"""How long a held COMMIT waits at most (a commit run on the loop blocks it that long)."""


class Commits:
    """The COMMITs an engine runs, counted by SQLAlchemy's ``commit`` event (on the thread
    that commits, just before the driver's COMMIT); ``fail_next`` makes the next ones fail
    as a full or broken disk does; ``hold_next`` makes the next one wait, as a slow sync
    does, until ``let_go`` (``HOLD_SECONDS`` at most)."""

    def __init__(self, engine: Engine) -> None:
        self.count = 0
        self.failures_left = 0
        self.held = threading.Event()  # the held COMMIT has started
        self._hold = False
        self._go = threading.Event()
        event.listen(engine, "commit", self._on_commit)

    def fail_next(self, times: int = 1) -> None:
        self.failures_left = times

    def hold_next(self) -> None:
        self._hold = True

    def let_go(self) -> None:
        self._go.set()

    def _on_commit(self, _connection: Any) -> None:
        if self.failures_left:
            self.failures_left -= 1
            raise sqlite3.OperationalError("disk I/O error")
        if self._hold:
            self._hold = False
            self.held.set()
            self._go.wait(HOLD_SECONDS)
        self.count += 1


@pytest.fixture
def factory(sqlite_uow_factory: SqlUnitOfWorkFactory) -> SqlUnitOfWorkFactory:
    return sqlite_uow_factory


@pytest.fixture
def commits(factory: SqlUnitOfWorkFactory) -> Iterator[Commits]:
    counted = Commits(factory.engine)
    yield counted
    event.remove(factory.engine, "commit", counted._on_commit)


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


def test_the_writes_of_one_turn_share_one_commit(
    factory: SqlUnitOfWorkFactory, commits: Commits
) -> None:
    b = Builder()
    _, merchant = seed_merchant(factory, b)
    orders = [b.order(merchant) for _ in range(MAX_BATCH + 6)]
    before = commits.count

    async def scenario() -> list[Order]:
        write = GroupCommit(factory)
        return await asyncio.gather(*(write(_add_order, factory, o) for o in orders))

    assert asyncio.run(scenario()) == orders
    assert commits.count - before == 2  # MAX_BATCH, then 6
    assert all(_stored(factory, order) for order in orders)


def test_each_caller_gets_its_own_outcome(factory: SqlUnitOfWorkFactory) -> None:
    b = Builder()
    _, merchant = seed_merchant(factory, b)
    kept = b.order(merchant)

    async def scenario() -> list[object]:
        write = GroupCommit(factory)
        return list(
            await asyncio.gather(
                write(_refuse, "declined"), write(_add_order, factory, kept), return_exceptions=True
            )
        )

    refused, added = asyncio.run(scenario())
    assert isinstance(refused, ValueError)
    assert str(refused) == "declined"
    assert added == kept
    assert _stored(factory, kept)


def test_a_failed_commit_answers_every_caller_storage_unavailable_and_keeps_nothing(
    factory: SqlUnitOfWorkFactory, commits: Commits
) -> None:
    b = Builder()
    _, merchant = seed_merchant(factory, b)
    lost = [b.order(merchant) for _ in range(3)]
    after = b.order(merchant)

    async def scenario() -> tuple[list[Order | BaseException], Order]:
        write = GroupCommit(factory)
        commits.fail_next()
        outcomes = await asyncio.gather(
            *(write(_add_order, factory, o) for o in lost), return_exceptions=True
        )
        return outcomes, await write(_add_order, factory, after)

    outcomes, written = asyncio.run(scenario())
    assert all(isinstance(outcome, StorageUnavailable) for outcome in outcomes)
    assert all(
        isinstance(outcome, Exception) and "disk I/O error" in str(outcome.__cause__)
        for outcome in outcomes
    )
    assert not any(_stored(factory, order) for order in lost)
    assert written == after  # the next batch writes as usual
    assert _stored(factory, after)


def test_a_writer_lock_that_cannot_be_taken_answers_storage_unavailable(tmp_path: Path) -> None:
    database = tmp_path / "paygate.db"
    engine = create_database_engine(f"sqlite:///{database}")
    upgrade_schema(engine)
    factory = SqlUnitOfWorkFactory(engine)
    (tmp_path / "paygate.db.lock").mkdir()  # the lock file cannot be opened

    async def scenario() -> object:
        write = GroupCommit(factory)
        return (await asyncio.gather(write(_refuse, "never runs"), return_exceptions=True))[0]

    try:
        outcome = asyncio.run(scenario())
    finally:
        factory.close()
        engine.dispose()
    assert isinstance(outcome, StorageUnavailable)
    assert isinstance(outcome.__cause__, OSError)


def test_callers_hear_back_only_after_the_commit(factory: SqlUnitOfWorkFactory) -> None:
    b = Builder()
    _, merchant = seed_merchant(factory, b)
    order = b.order(merchant)
    seen: list[bool] = []

    async def scenario() -> None:
        write = GroupCommit(factory)
        await write(_add_order, factory, order)
        seen.append(_stored(factory, order))

    asyncio.run(scenario())
    assert seen == [True]


def test_the_loop_runs_on_while_another_writer_holds_the_lock(
    factory: SqlUnitOfWorkFactory,
) -> None:
    b = Builder()
    _, merchant = seed_merchant(factory, b)
    order = b.order(merchant)
    lock = factory.writer_lock
    ticks = 0

    async def scenario() -> Order:
        nonlocal ticks
        write = GroupCommit(factory)
        assert lock.acquire()  # another writer (in production: another worker process)
        pending = asyncio.ensure_future(write(_add_order, factory, order))
        for _ in range(20):  # the loop is free while the write waits for the lock
            await asyncio.sleep(0.005)
            ticks += 1
        assert not pending.done()
        lock.release()
        return await pending

    assert asyncio.run(scenario()) == order
    assert ticks == 20
    assert _stored(factory, order)


def test_the_loop_runs_on_and_queues_the_next_batch_while_a_batch_commits(
    factory: SqlUnitOfWorkFactory, commits: Commits
) -> None:
    b = Builder()
    _, merchant = seed_merchant(factory, b)
    first = b.order(merchant)
    queued = [b.order(merchant) for _ in range(5)]
    before = commits.count
    seen: dict[str, object] = {}

    async def scenario() -> list[Order]:
        write = GroupCommit(factory)
        commits.hold_next()
        writing = asyncio.ensure_future(write(_add_order, factory, first))
        while not commits.held.is_set():  # its COMMIT has started, on another thread
            await asyncio.sleep(0.001)
        ticks = 0
        for _ in range(10):  # the loop is free: timers fire, reads are served
            await asyncio.sleep(0.01)
            ticks += commits.count == before  # the held COMMIT has not returned yet
        seen["loop turns during the commit"] = ticks
        seen["visible before the commit returned"] = _stored(factory, first)
        seen["answered before the commit returned"] = writing.done()
        seen["writer lock free during the commit"] = taken = factory.writer_lock.try_acquire()
        if taken:
            factory.writer_lock.release()
        later = [asyncio.ensure_future(write(_add_order, factory, o)) for o in queued]
        await asyncio.sleep(0.01)
        seen["next batch started during the commit"] = any(_stored(factory, o) for o in queued)
        commits.let_go()
        return [await writing, *await asyncio.gather(*later)]

    assert asyncio.run(scenario()) == [first, *queued]
    assert seen == {
        "loop turns during the commit": 10,
        "visible before the commit returned": False,
        "answered before the commit returned": False,
        "writer lock free during the commit": False,
        "next batch started during the commit": False,
    }
    assert commits.count - before == 2  # the held batch, then all queued meanwhile
    assert all(_stored(factory, order) for order in [first, *queued])


def test_waiting_for_the_commit_returns_once_the_commit_in_progress_has(
    factory: SqlUnitOfWorkFactory, commits: Commits
) -> None:
    b = Builder()
    _, merchant = seed_merchant(factory, b)
    order = b.order(merchant)

    async def scenario() -> bool:
        write = GroupCommit(factory)
        commits.hold_next()
        writing = asyncio.ensure_future(write(_add_order, factory, order))
        while not commits.held.is_set():
            await asyncio.sleep(0.001)
        threading.Timer(0.2, commits.let_go).start()
        write.wait_for_commit()  # as at shutdown, before the engine is disposed of
        stored = _stored(factory, order)
        await writing
        return stored

    assert asyncio.run(scenario())
