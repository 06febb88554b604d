"""SQL persistence: SQLAlchemy 2 Core adapters for every repository port of
``paygate_core.ports``, on SQLite and PostgreSQL (psycopg 3), with the Alembic migrations
shipped inside the package. ADR 0003 explains the schema and the locking.

    engine = create_database_engine("sqlite:///paygate.db")
    upgrade_schema(engine)
    uow = SqlUnitOfWorkFactory(engine)       # the UnitOfWorkFactory port
    database_ready(engine)                   # for /ready
"""

from paygate_adapters.sql.engine import create_database_engine, database_ready, is_sqlite
from paygate_adapters.sql.migrate import upgrade_schema
from paygate_adapters.sql.rollup import rebuild_stats_rollup
from paygate_adapters.sql.unit_of_work import SqlUnitOfWork, SqlUnitOfWorkFactory

__all__ = [
    "SqlUnitOfWork",
    "SqlUnitOfWorkFactory",
    "create_database_engine",
    "database_ready",
    "is_sqlite",
    "rebuild_stats_rollup",
    "upgrade_schema",
]
