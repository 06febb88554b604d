"""SQLite writers queue on the engine's writer lock (threads and processes) before
``BEGIN IMMEDIATE``, and every way out of a unit of work lets the next writer in."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from paygate_adapters.sql import SqlUnitOfWorkFactory, create_database_engine, upgrade_schema
from paygate_adapters.sql.writer_lock import writer_lock


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    engine = create_database_engine(sqlite_url)
    upgrade_schema(engine)
    yield engine
    engine.dispose()


def _writer_gets_in(factory: SqlUnitOfWorkFactory, within: float = 2.0) -> bool:
    entered = threading.Event()

    def write() -> None:
        with factory():
            entered.set()

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return entered.wait(within)


def test_a_failed_unit_of_work_lets_the_next_writer_in(sqlite_engine: Engine) -> None:
    factory = SqlUnitOfWorkFactory(sqlite_engine)
    with pytest.raises(RuntimeError), factory():
        raise RuntimeError("boom")
    assert _writer_gets_in(factory)


def test_a_committed_unit_of_work_lets_the_next_writer_in(sqlite_engine: Engine) -> None:
    factory = SqlUnitOfWorkFactory(sqlite_engine)
    with factory() as work:
        work.commit()
    assert _writer_gets_in(factory)


def test_a_writer_waits_for_the_writer_of_another_engine_on_the_same_file(
    sqlite_url: str, sqlite_engine: Engine
) -> None:
    # Another engine holds its own lock file descriptor, as another worker process would.
    other = create_database_engine(sqlite_url)
    try:
        with SqlUnitOfWorkFactory(sqlite_engine)():
            assert not _writer_gets_in(SqlUnitOfWorkFactory(other), within=0.3)
        assert _writer_gets_in(SqlUnitOfWorkFactory(other))
    finally:
        other.dispose()


def test_read_only_units_of_work_do_not_queue_behind_a_writer(sqlite_engine: Engine) -> None:
    factory = SqlUnitOfWorkFactory(sqlite_engine)
    with factory():
        started = time.monotonic()
        with factory(read_only=True) as work:
            assert work.users.get_by_email("nobody@example.com") is None
        assert time.monotonic() - started < 1.0


def test_the_lock_file_sits_beside_the_database_file(
    sqlite_url: str, sqlite_engine: Engine
) -> None:
    with SqlUnitOfWorkFactory(sqlite_engine)():
        pass
    database = Path(sqlite_url.removeprefix("sqlite:///"))
    assert writer_lock(sqlite_engine) is writer_lock(sqlite_engine)
    assert Path(f"{database}.lock").exists()
