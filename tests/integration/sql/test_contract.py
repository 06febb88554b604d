"""The adapter contract of ``paygate_core.testing.contract`` on SQLite and PostgreSQL:
every port's tests, and random operation sequences compared with the in-memory reference."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import settings
from sqlalchemy import Engine

from paygate_adapters.sql import SqlUnitOfWorkFactory, create_database_engine, upgrade_schema
from paygate_adapters.sql.tables import metadata
from paygate_core.testing.contract import UnitOfWorkContract, adapter_state_machine


class TestSqlUnitOfWork(UnitOfWorkContract):
    """Every port, behaving as the in-memory reference (``uow_factory`` from conftest)."""


# --- random sequences, side by side with the reference ------------------------------------


class _Bound:
    """The engine of the running test; each generated example empties its tables."""

    engine: Engine | None = None


def _fresh_factory() -> SqlUnitOfWorkFactory:
    engine = _Bound.engine
    assert engine is not None, "bound by the test class's autouse fixture"
    with engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            connection.execute(table.delete())
    return SqlUnitOfWorkFactory(engine)


_Machine = adapter_state_machine(_fresh_factory)
# Each step compares the whole observable state (hundreds of queries): at most 50 examples
# keeps the CI profile (200) from costing minutes, the default profile (30) is unchanged.
_SETTINGS = settings(max_examples=min(settings().max_examples, 50), stateful_step_count=20)


@pytest.fixture
def _bind(request: pytest.FixtureRequest) -> Iterator[None]:
    url: str = request.getfixturevalue(request.cls.url_fixture)
    engine = create_database_engine(url)
    upgrade_schema(engine)
    _Bound.engine = engine
    yield
    _Bound.engine = None
    engine.dispose()


class TestSqliteAgreesWithReference(_Machine.TestCase):  # type: ignore[name-defined]
    url_fixture = "sqlite_url"
    settings = _SETTINGS

    @pytest.fixture(autouse=True)
    def _database(self, _bind: None) -> None:
        """unittest-style classes take fixtures through an autouse one."""


@pytest.mark.postgres
class TestPostgresAgreesWithReference(_Machine.TestCase):  # type: ignore[name-defined]
    url_fixture = "postgres_url"
    settings = _SETTINGS

    @pytest.fixture(autouse=True)
    def _database(self, _bind: None) -> None:
        """unittest-style classes take fixtures through an autouse one."""
