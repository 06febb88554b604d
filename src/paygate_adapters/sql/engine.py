"""Engines for SQLite and PostgreSQL, set up so the unit of work controls transactions.

SQLite: WAL (readers never block the writer), ``synchronous = FULL`` (a commit is on disk
when it returns), a 5 s busy timeout, foreign keys on, and the
``sqlite3`` driver's own implicit BEGIN switched off; instead a ``begin`` hook emits
``BEGIN IMMEDIATE`` for units of work that write (one writer at a time: that is what
serialises payments on one order) and a deferred ``BEGIN`` for read-only ones. This is the
recipe of SQLAlchemy's pysqlite notes ("Serializable isolation / Savepoints / Transactional
DDL"), and it also makes SAVEPOINTs work.

PostgreSQL: psycopg 3 (``postgresql://`` URLs are mapped to it), pooled, pre-pinged, every
session with ``synchronous_commit = on`` (a commit is flushed to the WAL when it returns).
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any, Final

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import ConnectionPoolEntry, PoolResetState, StaticPool

__all__ = [
    "BACKSTOP_CHECKPOINT_PAGES",
    "BEGIN_MODE",
    "PG_CONNECT_TIMEOUT",
    "create_database_engine",
    "is_sqlite",
    "is_sqlite_file",
    "is_sqlite_memory",
]

BEGIN_MODE: Final = "paygate_sqlite_begin"
"""Execution option naming the SQLite BEGIN flavour: ``"IMMEDIATE"`` or ``"DEFERRED"``."""

SQLITE_BUSY_TIMEOUT_MS: Final = 5000

PG_CONNECT_TIMEOUT: Final = 5
"""Seconds a PostgreSQL connection attempt may take (unless the URL says otherwise): an
unreachable host is then a fault within seconds, not after the system's TCP timeout."""

BACKSTOP_CHECKPOINT_PAGES: Final = 10_000
"""WAL size (4 KiB pages) at which a committing connection checkpoints by itself when a
``WalCheckpointer`` is meant to: only if that thread falls behind."""


def _normalised_url(url: str | URL) -> URL:
    parsed = make_url(url)
    if parsed.drivername in {"postgresql", "postgres", "postgresql+psycopg2"}:
        return parsed.set(drivername="postgresql+psycopg")
    return parsed


def is_sqlite(bind: Engine | Connection) -> bool:
    return bind.dialect.name == "sqlite"


def create_database_engine(
    url: str | URL, *, read_only: bool = False, checkpoint_in_background: bool = False
) -> Engine:
    """A pooled engine for a ``sqlite:///path`` or ``postgresql[+psycopg]://`` URL.

    ``read_only`` (SQLite files): every connection refuses writes (``PRAGMA query_only``),
    set once when it opens: toggling the pragma per unit of work would make SQLite
    discard the connection's prepared statements, triggers included, every time.

    ``checkpoint_in_background`` (SQLite): the caller runs a ``WalCheckpointer``; the
    connections' own automatic checkpoint is left as a safety net only (at
    ``BACKSTOP_CHECKPOINT_PAGES`` instead of 1,000 pages)."""
    parsed = _normalised_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = _sqlite_engine(parsed, read_only=read_only)
        if checkpoint_in_background:
            event.listen(engine, "connect", _backstop_checkpoint)
        return engine
    if parsed.get_backend_name() == "postgresql":
        # Each commit waits for its WAL flush, whatever the server's default says.
        connect_args: dict[str, Any] = {"options": "-c synchronous_commit=on"}
        if "connect_timeout" not in parsed.query:
            connect_args["connect_timeout"] = PG_CONNECT_TIMEOUT
        return create_engine(
            parsed, pool_pre_ping=True, pool_size=10, max_overflow=10, connect_args=connect_args
        )
    raise ValueError(f"unsupported database URL scheme: {parsed.drivername!r}")


def is_sqlite_memory(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def is_sqlite_file(url: str | URL) -> bool:
    """A SQLite database in a file (it has a WAL), not in memory."""
    parsed = make_url(url)
    return parsed.get_backend_name() == "sqlite" and not is_sqlite_memory(parsed)


def _sqlite_engine(url: URL, *, read_only: bool) -> Engine:
    options: dict[str, Any] = {
        "connect_args": {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
    }
    if is_sqlite_memory(url):
        # One shared connection, or every checkout would see its own empty database.
        # Good for single-threaded scripts only; servers and tests use a file.
        options["poolclass"] = StaticPool
    else:
        # LIFO: the connection used last is reused first, its statement cache warm.
        options.update(pool_size=10, max_overflow=10, pool_use_lifo=True)
    engine = create_engine(url, **options)
    event.listen(engine, "connect", _configure_sqlite_connection)
    if read_only:
        event.listen(engine, "connect", _refuse_writes)
    event.listen(engine, "begin", _begin_sqlite_transaction)
    event.listen(engine, "reset", _end_leftover_transaction)
    return engine


def _configure_sqlite_connection(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # The driver must not open transactions by itself: the "begin" hook below does.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        _use_wal(cursor)
        # A commit is synced to the WAL before it returns: a 2xx survives a power cut
        # (NORMAL would be durable against process crashes only). Group commit shares
        # the sync among the writes of one loop turn.
        cursor.execute("PRAGMA synchronous = FULL")
        # Savepoints (one per use case in a group commit) copy each page they first touch
        # to a sub-journal: in memory rather than a temporary file (-13% CPU per payment).
        cursor.execute("PRAGMA temp_store = MEMORY")
    finally:
        cursor.close()


def _end_leftover_transaction(
    dbapi_connection: Any, _record: ConnectionPoolEntry, _state: PoolResetState
) -> None:
    """Roll back what a failed COMMIT left open before the connection goes back to the pool.

    SQLAlchemy takes a transaction whose COMMIT raised as ended and skips the pool's
    rollback, but SQLite may keep it open (and its write lock): the next ``BEGIN`` on the
    connection would fail and other processes could not write. A failing rollback makes
    the pool discard the connection."""
    if dbapi_connection.in_transaction:
        dbapi_connection.rollback()


def _backstop_checkpoint(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    dbapi_connection.execute(f"PRAGMA wal_autocheckpoint = {BACKSTOP_CHECKPOINT_PAGES}")


def _refuse_writes(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    dbapi_connection.execute("PRAGMA query_only = 1")


def _use_wal(cursor: sqlite3.Cursor) -> None:
    """Switch a new database file to WAL (a setting of the file, kept from then on).

    Switching needs the file to itself and SQLite answers "database is locked" at once,
    without waiting, when other connections are at it too (several workers starting on a
    fresh file): retry within the busy timeout.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _begin_sqlite_transaction(connection: Connection) -> None:
    mode = connection.get_execution_options().get(BEGIN_MODE, "DEFERRED")
    if mode not in {"DEFERRED", "IMMEDIATE"}:
        raise ValueError(f"unknown SQLite BEGIN mode {mode!r}")
    # On the driver itself: this runs once per unit of work, and SQLAlchemy's statement
    # machinery around a bare BEGIN cost more than the BEGIN.
    driver = connection.connection.driver_connection
    assert driver is not None  # a checked-out connection always has one
    statement = f"BEGIN {mode}"
    try:
        driver.execute(statement)
    except sqlite3.Error as exc:  # as SQLAlchemy would raise it
        raise DBAPIError.instance(statement, (), exc, sqlite3.Error) from exc
