"""Which database errors leave a unit of work as ``StorageUnavailable`` (503 9005): the
database's condition (refused connection, a full database), not the statement's (SQL it
rejects, a write in a read-only unit of work), which stay errors (500)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from faults_harness import free_port
from sqlalchemy import Engine, event
from sqlalchemy.exc import DBAPIError

from paygate_adapters.sql import (
    SqlUnitOfWorkFactory,
    create_database_engine,
    database_ready,
    storage_unavailable,
    upgrade_schema,
)
from paygate_adapters.sql.faults import writes_failing
from paygate_core.errors import StorageUnavailable
from paygate_core.testing.contract import Builder


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_database_engine(f"sqlite:///{tmp_path}/paygate.db")
    upgrade_schema(engine)
    yield engine
    engine.dispose()


def test_a_refused_connection_is_storage_unavailable() -> None:
    engine = create_database_engine(f"postgresql://postgres@127.0.0.1:{free_port()}/x")
    try:
        with pytest.raises(StorageUnavailable) as raised, SqlUnitOfWorkFactory(engine)():
            pass
        assert raised.value.retry_after >= 1
        assert isinstance(raised.value.__cause__, DBAPIError)
        assert not database_ready(engine)
    finally:
        engine.dispose()


def test_a_full_database_is_storage_unavailable_and_remembered_until_a_write_succeeds(
    engine: Engine,
) -> None:
    # SQLite's page limit: the same SQLITE_FULL ("database or disk is full") as a full disk.
    limit = {"pages": 1}

    @event.listens_for(engine, "checkout")
    def _limit(dbapi_connection: object, *_: object) -> None:
        dbapi_connection.execute(  # type: ignore[attr-defined]
            f"PRAGMA max_page_count = {limit['pages']}"
        )

    page_count = engine.connect().exec_driver_sql("PRAGMA page_count").scalar()
    limit["pages"] = int(page_count or 0)
    factory = SqlUnitOfWorkFactory(engine)
    b = Builder()
    with pytest.raises(StorageUnavailable) as raised:
        _add_users(factory, b, 200)
    chain, error = [], raised.value.__cause__
    while error is not None:
        chain.append(str(error))
        error = error.__context__
    assert any("database or disk is full" in message for message in chain)
    assert writes_failing(engine)
    with engine.connect() as connection:  # nothing half written
        assert connection.exec_driver_sql("SELECT count(*) FROM users").scalar() == 0
    limit["pages"] = 1_000_000
    _add_users(factory, b, 1)
    assert not writes_failing(engine)
    factory.close()


def _add_users(factory: SqlUnitOfWorkFactory, b: Builder, count: int) -> None:
    with factory() as uow:
        for _ in range(count):
            uow.users.add(b.user())
        uow.commit()


def test_sql_the_database_rejects_stays_an_error(tmp_path: Path) -> None:
    engine = create_database_engine(f"sqlite:///{tmp_path}/unmigrated.db")
    factory = SqlUnitOfWorkFactory(engine)
    try:
        with pytest.raises(DBAPIError, match="no such table") as raised, factory() as uow:
            uow.users.add(Builder().user())
        assert storage_unavailable(raised.value) is None
        assert not writes_failing(engine)
    finally:
        factory.close()
        engine.dispose()


def test_a_write_in_a_read_only_unit_of_work_stays_an_error(engine: Engine) -> None:
    factory = SqlUnitOfWorkFactory(engine)
    with pytest.raises(DBAPIError), factory(read_only=True) as uow:
        uow.users.add(Builder().user())
    factory.close()
