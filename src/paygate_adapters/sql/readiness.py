"""``database_ready``: whether the database answers *and can write* (the ``/ready`` probe).

SQLite: ``BEGIN IMMEDIATE`` (the file opens and its write lock can be taken) and
``ROLLBACK``. A full disk only shows when pages are written, so after a write failed with a
fault (``faults.writes_failing``) the probe commits a write of its own (page 1, by setting
``user_version`` to its own value) and answers ready only once that succeeds.

PostgreSQL: not a standby (``pg_is_in_recovery()``), and a committed transaction with a
transaction id (``txid_current()``): the commit record must reach the WAL, which a full
disk or a read-only server refuses.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine

from paygate_adapters.sql.engine import BEGIN_MODE, is_sqlite
from paygate_adapters.sql.faults import note_write_succeeded, writes_failing
from paygate_adapters.sql.writer_lock import writer_lock

__all__ = ["database_ready"]


def database_ready(engine: Engine) -> bool:
    """True when the database answers and can write (see the module docstring)."""
    try:
        if is_sqlite(engine):
            with writer_lock(engine).held(), engine.connect() as connection:
                _sqlite_can_write(engine, connection)
        else:
            with engine.connect() as connection:
                _postgresql_can_write(connection)
    except Exception:  # whatever it is, the database cannot serve
        return False
    note_write_succeeded(engine)
    return True


def _sqlite_can_write(engine: Engine, connection: Connection) -> None:
    connection.execution_options(**{BEGIN_MODE: "IMMEDIATE"})
    with connection.begin() as transaction:
        if not writes_failing(engine):
            transaction.rollback()
            return
        version = connection.exec_driver_sql("PRAGMA user_version").scalar()
        connection.exec_driver_sql(f"PRAGMA user_version = {int(version or 0)}")


def _postgresql_can_write(connection: Connection) -> None:
    with connection.begin():
        if connection.exec_driver_sql("SELECT pg_is_in_recovery()").scalar():
            raise RuntimeError("the server is a standby: it cannot write")
        connection.exec_driver_sql("SELECT txid_current()")
