"""The schema comes from the Alembic migrations only, and they build exactly the tables the
code queries, on both databases."""

from __future__ import annotations

import threading

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from paygate_adapters.sql import create_database_engine, upgrade_schema
from paygate_adapters.sql.migrate import alembic_config
from paygate_adapters.sql.tables import metadata


def _head() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def _revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def test_migrations_build_exactly_the_table_metadata(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []
    assert _revision(engine) == _head()


def test_upgrade_is_idempotent_and_takes_a_url(database_url: str) -> None:
    upgrade_schema(database_url)
    upgrade_schema(database_url)
    engine = create_database_engine(database_url)
    try:
        assert _revision(engine) == _head()
        assert set(inspect(engine).get_table_names()) == {*metadata.tables, "alembic_version"}
    finally:
        engine.dispose()


def test_processes_starting_together_migrate_once(database_url: str) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def boot() -> None:
        start.wait()
        try:
            upgrade_schema(database_url)  # each "process" with its own engine
        except BaseException as exc:  # collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=boot) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    engine = create_database_engine(database_url)
    try:
        assert _revision(engine) == _head()
    finally:
        engine.dispose()


def test_downgrade_to_base_removes_every_table(engine: Engine) -> None:
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade_schema(engine)
    assert _revision(engine) == _head()
