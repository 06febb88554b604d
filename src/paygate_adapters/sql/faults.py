"""Database faults: which driver errors mean "the database cannot be reached or cannot
write", translated to the core's ``StorageUnavailable`` (503 9005) at the adapter boundary.

A fault is a condition of the database, not of the statement: retrying the same request
later may succeed. Everything else (an unexpected ``IntegrityError``, SQL the database
rejects) is a programming error and stays what it is (500 9000)::

    try:
        ...
    except Exception as exc:
        fault = storage_unavailable(exc, writer=engine)
        if fault is None:
            raise
        raise fault from exc

Faults:

- the connection is lost or refused: SQLAlchemy's ``connection_invalidated``, a psycopg
  ``OperationalError`` without SQLSTATE (connecting) or of classes 08 (connection), 53
  (disk full, out of memory, too many connections), 57P01-57P03 (server shutting down or
  starting), 58 (I/O), a psycopg ``InterfaceError`` (connection closed), and SQLAlchemy's
  pool timeout. 25006 (a write in a read-only transaction) is not one: read-only units of
  work get it when they write, a bug (a standby shows in ``/ready`` instead);
- SQLite cannot write or open its file: ``SQLITE_FULL`` ("database or disk is full"),
  ``SQLITE_IOERR`` ("disk I/O error"), ``SQLITE_CANTOPEN`` ("unable to open database
  file"), and the extended ``SQLITE_READONLY_*`` codes (file or directory turned read-only).
  A plain ``SQLITE_READONLY`` is what a read-only unit of work that writes gets: a bug;
- a group-commit batch that SQLite ended itself (``BatchAborted``);
- any error raised while one of the above was being handled (a rollback to a savepoint
  that the failure already took away).

``writer``: the engine whose write failed. ``/ready`` answers 503 from then until a write
on it succeeds (``writes_failing``, ``note_write_succeeded``): a probe that only connects
cannot see a full disk.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import weakref
from typing import Final

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, PendingRollbackError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from paygate_adapters.sql.batch import BatchAborted
from paygate_core.errors import StorageUnavailable

__all__ = [
    "RETRY_AFTER",
    "note_write_succeeded",
    "storage_unavailable",
    "writes_failing",
]

RETRY_AFTER: Final = 1
"""Seconds a client is told to wait (``Retry-After``) before retrying."""

_SQLITE_FAULTS: Final = frozenset(
    {sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN}
)
_PG_FAULT_CLASSES: Final = frozenset({"08", "53", "58"})
_PG_FAULT_STATES: Final = frozenset({"57P01", "57P02", "57P03"})

_failing_writes: weakref.WeakKeyDictionary[Engine, float] = weakref.WeakKeyDictionary()
_failing_lock = threading.Lock()


def storage_unavailable(
    exc: BaseException,
    *,
    writer: Engine | None = None,
) -> StorageUnavailable | None:
    """``exc`` as ``StorageUnavailable`` if it is a database fault (module docstring), else
    None. With ``writer``, a fault is remembered as a failed write on that engine."""
    if isinstance(exc, StorageUnavailable):
        fault: StorageUnavailable | None = exc
    elif _is_fault(exc) or _while_handling_fault(exc):
        fault = StorageUnavailable(
            "The database is unavailable; retry shortly", retry_after=RETRY_AFTER
        )
    else:
        return None
    if writer is not None:
        with _failing_lock:
            _failing_writes[writer] = time.monotonic()
    return fault


def writes_failing(engine: Engine) -> bool:
    """Whether the last write on ``engine`` failed with a fault (and none succeeded since)."""
    return bool(_failing_writes) and engine in _failing_writes


def note_write_succeeded(engine: Engine) -> None:
    """A write on ``engine`` was committed: writes work again."""
    if _failing_writes:  # the common case costs one truth test
        with _failing_lock:
            _failing_writes.pop(engine, None)


def _while_handling_fault(exc: BaseException) -> bool:
    """Raised while a fault was being handled: e.g. ``ROLLBACK TO SAVEPOINT`` failing with
    "no such savepoint" because SQLite rolled the whole transaction back on SQLITE_FULL."""
    cause = exc.__context__
    for _ in range(3):  # the fault is never far down
        if cause is None:
            return False
        if isinstance(cause, StorageUnavailable) or _is_fault(cause):
            return True
        cause = cause.__context__
    return False


def _is_fault(exc: BaseException) -> bool:
    if isinstance(exc, BatchAborted | PoolTimeout | PendingRollbackError):
        return True
    if isinstance(exc, DBAPIError):
        return exc.connection_invalidated or _is_driver_fault(exc.orig)
    return _is_driver_fault(exc)


def _is_driver_fault(error: BaseException | None) -> bool:
    if isinstance(error, sqlite3.Error):
        return _is_sqlite_fault(error)
    module = type(error).__module__
    if module.startswith("psycopg"):
        return _is_psycopg_fault(error)
    return False


def _is_sqlite_fault(error: sqlite3.Error) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    if code is None:  # raised by the sqlite3 module itself, not by SQLite
        return False
    primary = code & 0xFF
    return primary in _SQLITE_FAULTS or (
        primary == sqlite3.SQLITE_READONLY and code != sqlite3.SQLITE_READONLY
    )


def _is_psycopg_fault(error: BaseException | None) -> bool:
    import psycopg

    if isinstance(error, psycopg.InterfaceError):
        return True
    state = getattr(error, "sqlstate", None)
    if state is None:
        return isinstance(error, psycopg.OperationalError)
    return state[:2] in _PG_FAULT_CLASSES or state in _PG_FAULT_STATES
