"""One SQLite writer at a time, queued without polling.

SQLite lets one connection write at a time; the others wait in its busy handler, which
polls with sleeps growing to 100 ms. Under load that turns a 1 ms write into a p99 of a
second or more. So writing units of work queue *before* ``BEGIN IMMEDIATE``: on a
``threading.Lock`` per engine (the threads of one process) and then on an exclusive
``flock`` of a lock file beside the database (the processes of ``--workers N``). Both wake
the next waiter the moment the holder lets go, and the kernel drops a dead process's
``flock``. The busy handler stays as the fallback for writers that bypass the queue
(migrations, other tools): with the queue they meet nobody else inside it.

The lock is held until the unit of work ends (after its commit or rollback), released on
every path by ``WriterLock.held``'s ``finally``.
"""

from __future__ import annotations

import fcntl
import os
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from sqlalchemy import Engine

from paygate_adapters.sql.engine import is_sqlite_memory

__all__ = ["WriterLock", "writer_lock"]

THREAD_WAIT_SECONDS: Final = 30.0
"""Past this a writer stops queueing in-process and leaves it to SQLite's busy timeout
(a stuck holder then surfaces as "database is locked", never as a hung request)."""


class WriterLock:
    """The in-process and cross-process writer queue of one SQLite engine."""

    def __init__(self, lock_path: str | None) -> None:
        self._thread_lock = threading.Lock()
        self._lock_path = lock_path
        self._fd: int | None = None
        self._fd_pid = 0
        self._fd_guard = threading.Lock()

    @contextmanager
    def held(self) -> Iterator[None]:
        """Hold the writer lock for the ``with`` block."""
        taken = self.acquire()
        try:
            yield
        finally:
            if taken:
                self.release()

    def acquire(self) -> bool:
        """Wait until this process, then this thread, holds the lock. False when the
        in-process wait timed out: the queue is bypassed (SQLite's busy handler decides)
        and there is nothing to ``release``."""
        if not self._thread_lock.acquire(timeout=THREAD_WAIT_SECONDS):
            return False
        return self._lock_file(blocking=True)

    def try_acquire(self) -> bool:
        """Take the lock if nobody holds it; never waits."""
        if not self._thread_lock.acquire(blocking=False):
            return False
        return self._lock_file(blocking=False)

    def release(self) -> None:
        """Let the next writer in (any thread may release what another acquired)."""
        try:
            fd = self._file()
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            self._thread_lock.release()

    def _lock_file(self, *, blocking: bool) -> bool:
        """The cross-process half, with the thread lock held (released on failure)."""
        try:
            fd = self._file()
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_EX if blocking else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._thread_lock.release()
            return False
        except BaseException:
            self._thread_lock.release()
            raise
        return True

    def _file(self) -> int | None:
        """The lock file's descriptor, opened once (an ``flock`` belongs to it)."""
        if self._lock_path is None:
            return None
        with self._fd_guard:
            # A forked child must not share its parent's open file (and so its flock).
            if self._fd is None or self._fd_pid != os.getpid():
                self._fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
                self._fd_pid = os.getpid()
            return self._fd

    def close(self) -> None:
        with self._fd_guard:
            if self._fd is not None and self._fd_pid == os.getpid():
                os.close(self._fd)
                self._fd = None


_locks: weakref.WeakKeyDictionary[Engine, WriterLock] = weakref.WeakKeyDictionary()
_locks_guard = threading.Lock()


def writer_lock(engine: Engine) -> WriterLock:
    """The writer lock of a SQLite engine (a lock file only for a database file)."""
    with _locks_guard:
        lock = _locks.get(engine)
        if lock is None:
            database = engine.url.database
            path = (
                None
                if is_sqlite_memory(engine.url) or str(database).startswith("file:")
                else f"{os.path.abspath(str(database))}.lock"
            )
            lock = _locks[engine] = WriterLock(path)
            weakref.finalize(engine, lock.close)
        return lock
