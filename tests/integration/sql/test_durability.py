"""A committed write is on disk when the commit returns: the served SQLite engine syncs the
WAL at every commit (``synchronous = FULL``), PostgreSQL sessions commit synchronously."""

from __future__ import annotations

import pytest

from paygate_adapters.sql import create_database_engine
from paygate_http.process.wiring import open_database
from paygate_http.settings import Settings

SECRET = "durability-tests-secret-key-0123456789abcdef"


def test_the_served_sqlite_engine_syncs_every_commit(sqlite_url: str) -> None:
    settings = Settings.from_env({"PAYGATE_SECRET_KEY": SECRET, "PAYGATE_DATABASE_URL": sqlite_url})
    database = open_database(settings)  # as `paygate serve` opens it
    try:
        with database.engine.connect() as connection:
            synchronous = connection.exec_driver_sql("PRAGMA synchronous").scalar()
            journal = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
    finally:
        database.close()
    assert (synchronous, journal) == (2, "wal")  # 2: FULL


@pytest.mark.postgres
def test_postgresql_sessions_commit_synchronously(postgres_url: str) -> None:
    engine = create_database_engine(postgres_url)
    try:
        with engine.connect() as connection:
            setting = connection.exec_driver_sql("SHOW synchronous_commit").scalar()
    finally:
        engine.dispose()
    assert setting == "on"
