"""Schema migrations, run from code: the Alembic environment ships inside the package.

Several processes may start at once (server workers, the CLI): the upgrade runs in one
transaction that first takes a lock (SQLite ``BEGIN IMMEDIATE``, a PostgreSQL advisory
lock), so the first one migrates and the others find the schema at head.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, text

from paygate_adapters.sql.engine import BEGIN_MODE, create_database_engine, is_sqlite

__all__ = ["MIGRATIONS", "alembic_config", "upgrade_schema"]

MIGRATIONS: Final = Path(__file__).with_name("migrations")
_PG_MIGRATION_LOCK: Final = 0x5061_7967_6174_6531  # "Paygate1": any constant shared by all


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration without alembic.ini, optionally bound to a connection."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade_schema(url_or_engine: str | Engine) -> None:
    """Bring the database schema up to the newest migration (idempotent)."""
    engine = (
        create_database_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
    )
    try:
        with engine.connect() as connection:
            connection.execution_options(**{BEGIN_MODE: "IMMEDIATE"})
            with connection.begin():
                if not is_sqlite(connection):
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK}
                    )
                command.upgrade(alembic_config(connection), "head")
    finally:
        if isinstance(url_or_engine, str):
            engine.dispose()
