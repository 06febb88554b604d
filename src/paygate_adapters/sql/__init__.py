"""SQL persistence: SQLAlchemy 2 Core adapters for every repository port of
``paygate_core.ports``, on SQLite and PostgreSQL (psycopg 3), with the Alembic migrations
shipped inside the package. ADR 0003 explains the schema and the locking.

    engine = create_database_engine("sqlite:///paygate.db")
    upgrade_schema(engine)
    uow = SqlUnitOfWorkFactory(engine)       # the UnitOfWorkFactory port
    database_ready(engine)                   # for /ready: answers and can write

A database that cannot be reached or cannot write raises the core's ``StorageUnavailable``
(faults.py); ``SchemaUpgrade`` (startup.py) waits for it at start-up.
"""

from paygate_adapters.sql.engine import create_database_engine, is_sqlite
from paygate_adapters.sql.faults import storage_unavailable
from paygate_adapters.sql.migrate import upgrade_schema
from paygate_adapters.sql.readiness import database_ready
from paygate_adapters.sql.rollup import rebuild_stats_rollup
from paygate_adapters.sql.startup import SchemaUpgrade
from paygate_adapters.sql.unit_of_work import SqlUnitOfWork, SqlUnitOfWorkFactory

__all__ = [
    "SchemaUpgrade",
    "SqlUnitOfWork",
    "SqlUnitOfWorkFactory",
    "create_database_engine",
    "database_ready",
    "is_sqlite",
    "rebuild_stats_rollup",
    "storage_unavailable",
    "upgrade_schema",
]
