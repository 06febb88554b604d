"""Alembic environment, run by ``paygate_adapters.sql.upgrade_schema`` (no alembic.ini).

``upgrade_schema`` hands over a connection already inside its transaction (see migrate.py);
the ``alembic`` command line works too, with ``-x url=...`` or ``sqlalchemy.url`` set.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from paygate_adapters.sql.engine import create_database_engine
from paygate_adapters.sql.tables import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things: later migrations rebuild tables in batches.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _main() -> None:
    if context.is_offline_mode():
        raise RuntimeError("offline (SQL script) migrations are not supported")
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise RuntimeError("no database: pass -x url=... or set sqlalchemy.url")
    engine = create_database_engine(url)
    try:
        with engine.connect() as own:
            _run(own)
    finally:
        engine.dispose()


_main()
