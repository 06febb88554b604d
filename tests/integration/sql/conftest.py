"""Fixtures for the SQL adapter tests: every test runs on SQLite and on PostgreSQL.

Each test gets its own migrated database (``sqlite_url``: a fresh file; ``postgres_url``:
a fresh database, dropped afterwards).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from paygate_adapters.sql import SqlUnitOfWorkFactory, create_database_engine, upgrade_schema


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """An empty database of each kind."""
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine over a database migrated to the newest schema."""
    engine = create_database_engine(database_url)
    upgrade_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def uow_factory(engine: Engine) -> Iterator[SqlUnitOfWorkFactory]:
    factory = SqlUnitOfWorkFactory(engine)
    yield factory
    factory.close()
