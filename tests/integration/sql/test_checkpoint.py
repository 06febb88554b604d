"""WAL checkpoints on their own thread (checkpoint.py): the engine's connections leave them
to it (their own automatic checkpoint only as a far-off backstop), and the thread copies
committed pages back into the database file while nobody waits for it."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from paygate_adapters.sql import SqlUnitOfWorkFactory, create_database_engine, upgrade_schema
from paygate_adapters.sql.checkpoint import WalCheckpointer
from paygate_adapters.sql.engine import BACKSTOP_CHECKPOINT_PAGES
from paygate_core.testing.contract import Builder, seed_merchant


@pytest.fixture
def engine(sqlite_url: str) -> Iterator[Engine]:
    engine = create_database_engine(sqlite_url, checkpoint_in_background=True)
    upgrade_schema(engine)
    yield engine
    engine.dispose()


def _database_file(engine: Engine) -> Path:
    assert engine.url.database is not None
    return Path(engine.url.database)


def test_connections_leave_checkpoints_to_the_thread(engine: Engine) -> None:
    with engine.connect() as connection:
        pages = connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
    assert pages == BACKSTOP_CHECKPOINT_PAGES


def test_the_thread_copies_committed_pages_back_into_the_database_file(engine: Engine) -> None:
    WalCheckpointer(engine).checkpoint()
    before = os.path.getsize(_database_file(engine))
    factory = SqlUnitOfWorkFactory(engine)
    b = Builder()
    _, merchant = seed_merchant(factory, b)
    for _ in range(300):  # committed to the WAL only: nobody checkpoints yet
        with factory() as uow:
            uow.orders.add(b.order(merchant))
            uow.commit()
    assert os.path.getsize(_database_file(engine)) == before
    checkpointer = WalCheckpointer(engine, interval=0.01).start()
    try:
        deadline = time.monotonic() + 5
        while os.path.getsize(_database_file(engine)) == before:
            assert time.monotonic() < deadline, "no checkpoint ran"
            time.sleep(0.01)
    finally:
        checkpointer.stop()
    result = WalCheckpointer(engine).checkpoint()
    assert not result.busy
    assert result.checkpointed_pages == result.wal_pages  # nothing was left behind
    factory.close()


def test_stop_returns_once_the_thread_is_done(engine: Engine) -> None:
    checkpointer = WalCheckpointer(engine, interval=0.01).start()
    time.sleep(0.05)
    checkpointer.stop()
    checkpointer.stop()  # twice is harmless


def test_postgresql_has_no_wal_to_checkpoint(postgres_url: str) -> None:
    engine = create_database_engine(postgres_url)
    try:
        with pytest.raises(ValueError, match="SQLite"):
            WalCheckpointer(engine)
    finally:
        engine.dispose()
