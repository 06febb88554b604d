"""Read-only connections kept checked out, one per thread, for its read-only units of work.

Checking a connection out of SQLAlchemy's pool and back in costs more than the short read
transaction it serves: 23 us for checkout, ``BEGIN``, ``ROLLBACK`` and checkin, against 6 us
for ``BEGIN`` and ``ROLLBACK`` on a connection already held. Authenticating an API key is one
such read on every request. So on a SQLite file the first ``limit`` threads that read keep a
connection of the read-only pool; other threads, and a read-only unit of work opened while
its thread's connection is in use, check one out per unit of work.

A held connection goes back to the pool when its thread ends or at ``close()``.
"""

from __future__ import annotations

import threading
import weakref

from sqlalchemy import Connection, Engine

__all__ = ["HeldReaders"]

_NONE_LEFT = False  # this thread found every slot taken: it checks out per unit of work


class HeldReaders:
    def __init__(self, engine: Engine, *, limit: int = 4) -> None:
        self._engine = engine
        self._limit = limit
        self._local = threading.local()
        self._lock = threading.Lock()
        self._held: set[Connection] = set()
        self._closed = False

    def take(self) -> Connection | None:
        """This thread's held connection, idle; ``None`` when the caller must check one out
        (no slot left, or the held one is in use by an enclosing unit of work)."""
        connection: Connection | bool | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = self._hold()
        if not isinstance(connection, Connection):  # _NONE_LEFT
            return None
        if connection.closed or connection.invalidated:
            self._release(connection)
            self._local.connection = None
            return None
        return None if connection.in_transaction() else connection

    def _hold(self) -> Connection | bool:
        with self._lock:
            if self._closed or len(self._held) >= self._limit:
                return _NONE_LEFT
            connection = self._engine.connect()
            self._held.add(connection)
        weakref.finalize(threading.current_thread(), self._release, connection)
        return connection

    def _release(self, connection: Connection) -> None:
        with self._lock:
            self._held.discard(connection)
        connection.close()

    def close(self) -> None:
        """Return every held connection to the pool; later reads check out per unit of work."""
        with self._lock:
            self._closed = True
            held, self._held = self._held, set()
        for connection in held:
            connection.close()
