"""Shared fixtures: hypothesis profiles and throw-away PostgreSQL databases / Redis prefixes.

PostgreSQL and Redis tests skip with a reason when the servers are not reachable, except
under ``CI=true``, where they are required and fail instead.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from paygate_adapters.sql import SqlUnitOfWorkFactory, create_database_engine, upgrade_schema

IN_CI = os.environ.get("CI", "").lower() == "true"
PG_HOST = os.environ.get("PAYGATE_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("PAYGATE_TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("PAYGATE_TEST_PG_USER", "postgres")
PG_ADMIN_DB = os.environ.get("PAYGATE_TEST_PG_DB", "test")
REDIS_HOST = os.environ.get("PAYGATE_TEST_REDIS_HOST", "127.0.0.1")
REDIS_PORT = int(os.environ.get("PAYGATE_TEST_REDIS_PORT", "6379"))

settings.register_profile(
    "default", max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("ci" if IN_CI else os.environ.get("HYPOTHESIS_PROFILE", "default"))


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_server(name: str, host: str, port: int) -> None:
    """Skip (or, under CI=true, fail) when a server the test needs is not reachable."""
    if _reachable(host, port):
        return
    message = f"{name} is not reachable at {host}:{port}"
    if IN_CI:
        pytest.fail(f"{message}; it is required under CI=true")
    pytest.skip(message)


def _admin_execute(sql: str) -> None:
    import psycopg

    with psycopg.connect(
        host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=PG_ADMIN_DB, autocommit=True
    ) as conn:
        conn.execute(sql)


@pytest.fixture(scope="session")
def postgres_server() -> None:
    require_server("PostgreSQL", PG_HOST, PG_PORT)


@pytest.fixture
def postgres_url(postgres_server: None) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    name = f"paygate_test_{uuid.uuid4().hex[:12]}"
    _admin_execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: object) -> str:
    """A fresh SQLite database file for one test."""
    return f"sqlite:///{tmp_path}/paygate.db"


@pytest.fixture
def sqlite_uow_factory(sqlite_url: str) -> Iterator[SqlUnitOfWorkFactory]:
    """The SQL unit-of-work factory over a fresh, migrated SQLite file."""
    engine = create_database_engine(sqlite_url)
    upgrade_schema(engine)
    factory = SqlUnitOfWorkFactory(engine)
    yield factory
    factory.close()
    engine.dispose()


@pytest.fixture
def redis_url() -> str:
    """A Redis URL; tests must use their own key prefix (see ``redis_prefix``)."""
    require_server("Redis", REDIS_HOST, REDIS_PORT)
    return f"redis://{REDIS_HOST}:{REDIS_PORT}/0"


@pytest.fixture
def redis_prefix() -> str:
    return f"paygate-test-{uuid.uuid4().hex[:12]}:"
