"""The SQL unit of work: one connection, one transaction, every repository bound to it.

Writing units of work lock as ADR 0003 says: SQLite ``BEGIN IMMEDIATE`` takes the database's
single write lock at the start (so two payments on one order, or two refunds on one payment,
run one after the other), queued beforehand on the engine's ``WriterLock`` (writer_lock.py)
so that waiting writers wake at once instead of polling; PostgreSQL locks the rows asked
``for_update``. Read-only units of work take no write lock and cannot write (a deferred
``BEGIN`` on a connection opened with ``PRAGMA query_only`` on SQLite, a ``READ ONLY``
transaction on PostgreSQL); their ``commit()`` keeps nothing.
Leaving without ``commit()`` rolls back: no row, no outbox event and no statistics delta
survives.

A database fault (connection lost or refused, disk full: faults.py) leaves a unit of work
as the core's ``StorageUnavailable``, whether it happens on entering, in a statement or on
``commit()``; other errors leave as they are.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Connection, Engine

from paygate_adapters.sql.accounts import SqlMerchants, SqlUsers
from paygate_adapters.sql.batch import Savepoint, WriteBatch, open_batch, open_batch_of
from paygate_adapters.sql.engine import (
    BEGIN_MODE,
    create_database_engine,
    is_sqlite_file,
)
from paygate_adapters.sql.faults import RETRY_AFTER, note_write_succeeded, storage_unavailable
from paygate_adapters.sql.held_readers import HeldReaders
from paygate_adapters.sql.idempotency import SqlIdempotencyStore
from paygate_adapters.sql.outbox import SqlEventOutbox
from paygate_adapters.sql.payments import SqlOrders, SqlPayments, SqlRefunds
from paygate_adapters.sql.prepared import Prepared
from paygate_adapters.sql.stats import SqlStatsReader
from paygate_adapters.sql.tokens import SqlTokenStore
from paygate_adapters.sql.work_connection import WorkConnection
from paygate_adapters.sql.writer_lock import WriterLock, writer_lock
from paygate_core.errors import StorageUnavailable

__all__ = ["SqlUnitOfWork", "SqlUnitOfWorkFactory"]


class SqlUnitOfWork:
    users: SqlUsers
    merchants: SqlMerchants
    orders: SqlOrders
    payments: SqlPayments
    refunds: SqlRefunds
    outbox: SqlEventOutbox
    tokens: SqlTokenStore
    idempotency: SqlIdempotencyStore
    stats: SqlStatsReader

    def __init__(
        self,
        engine: Engine,
        *,
        read_only: bool = False,
        writer: Engine | None = None,
        readers: HeldReaders | None = None,
    ) -> None:
        self._engine = engine
        self._writer = writer or engine  # whose group-commit batch this one may join
        self._read_only = read_only
        self._readers = readers if read_only else None
        self._context: WorkConnection | None = None
        self._held = ExitStack()
        self._batch: WriteBatch | None = None
        self._savepoint: Savepoint | None = None

    def __enter__(self) -> Self:
        if self._context is not None:
            raise RuntimeError("a unit of work cannot be entered twice")
        try:
            return self._open()
        except Exception as exc:
            fault = self._fault(exc)
            if fault is None:
                raise
            raise fault from exc

    def _open(self) -> Self:
        batch = open_batch_of(self._writer)
        if batch is not None:  # batch.py: this thread's use cases share one transaction
            self._batch = batch
            self._savepoint = batch.savepoint()
            return self._bind(WorkConnection(batch.connection, read_only=self._read_only))
        connection = self._readers.take() if self._readers is not None else None
        if connection is not None:  # this thread's own: nothing to check out or close
            self._start(connection)
            return self._bind(WorkConnection(connection, read_only=True))
        with ExitStack() as held:
            if not self._read_only and self._engine.dialect.name == "sqlite":
                # Queue for SQLite's write lock here, not in its polling busy handler.
                held.enter_context(writer_lock(self._engine).held())
            connection = held.enter_context(self._engine.connect())
            self._start(connection)
            self._held = held.pop_all()  # released by __exit__, after the connection
        return self._bind(WorkConnection(connection, read_only=self._read_only))

    def _bind(self, context: WorkConnection) -> Self:
        self._context = context
        self.users = SqlUsers(context)
        self.merchants = SqlMerchants(context)
        self.orders = SqlOrders(context)
        self.payments = SqlPayments(context)
        self.refunds = SqlRefunds(context)
        self.outbox = SqlEventOutbox(context)
        self.tokens = SqlTokenStore(context)
        self.idempotency = SqlIdempotencyStore(context)
        self.stats = SqlStatsReader(context)
        return self

    def _start(self, connection: Connection) -> None:
        if connection.dialect.name == "sqlite":
            connection.execution_options(
                **{BEGIN_MODE: "DEFERRED" if self._read_only else "IMMEDIATE"}
            )
        elif self._read_only:
            connection.execution_options(postgresql_readonly=True)
        # Begin now, not at the first statement: the write lock is the point on SQLite.
        connection.begin()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        context, self._context = self._context, None
        if context is None:
            return
        try:
            self._close(context)
        except Exception as cleanup:  # the connection may be gone: then so is the work
            fault = self._fault(cleanup)
            if fault is None:
                raise
            if exc is None:
                raise fault from cleanup
        if isinstance(exc, Exception) and not isinstance(exc, StorageUnavailable):
            fault = self._fault(exc)
            if fault is not None:
                raise fault from exc

    def _close(self, context: WorkConnection) -> None:
        """Roll back what was not committed and give the connection back."""
        if self._batch is not None:
            savepoint, self._savepoint, batch = self._savepoint, None, self._batch
            self._batch = None
            if savepoint is not None and savepoint.open and not batch.aborted:
                savepoint.rollback()
            return
        try:
            if context.connection.in_transaction():
                context.connection.rollback()
        finally:
            self._held.close()  # closes the connection, then lets the next writer in

    def _fault(self, exc: Exception) -> StorageUnavailable | None:
        """``exc`` as ``StorageUnavailable`` if it is a database fault (a writing unit of
        work's is remembered for ``/ready``)."""
        return storage_unavailable(exc, writer=None if self._read_only else self._writer)

    def _active(self) -> WorkConnection:
        if self._context is None:
            raise RuntimeError("the unit of work is not active (use it in a with block)")
        return self._context

    def commit(self) -> None:
        """Make the changes durable. The unit of work stays usable: later statements run in
        a new transaction (with the same locking mode)."""
        context = self._active()
        if self._batch is not None:  # in a batch: kept, durable when the batch commits
            self._end_savepoint(context, keep=not self._read_only)
            return
        if self._read_only:
            context.rollup.clear()
            context.connection.rollback()  # nothing to keep; ends the snapshot
            return
        context.flush_rollup()
        context.connection.commit()
        note_write_succeeded(self._writer)

    def rollback(self) -> None:
        context = self._active()
        if self._batch is not None:
            self._end_savepoint(context, keep=False)
            return
        context.rollup.clear()
        context.connection.rollback()

    def _end_savepoint(self, context: WorkConnection, *, keep: bool) -> None:
        """End this unit of work's savepoint; the next one opens only if a statement follows
        (most use cases commit once and leave: no empty savepoint to open and roll back)."""
        savepoint, self._savepoint = self._savepoint, None
        if savepoint is not None:
            if keep:
                savepoint.release()
            else:
                savepoint.rollback()
        context.before_next_use(self._next_savepoint)

    def _next_savepoint(self) -> None:
        if self._batch is None or open_batch_of(self._writer) is not self._batch:
            raise RuntimeError("the group-commit batch ended before its unit of work")
        self._savepoint = self._batch.savepoint()


class SqlUnitOfWorkFactory:
    """The ``UnitOfWorkFactory`` port over an engine from ``create_database_engine``.

    On a SQLite file, read-only units of work use a second pool over the same file whose
    connections refuse writes (``create_database_engine(..., read_only=True)``), disposed
    by ``close()`` or with the factory; the first threads that read keep one of its
    connections for their read-only units of work (``held_readers.py``). An in-memory
    SQLite database has one connection: its read-only units of work are read-only by
    convention only (scripts, not servers).

    ``schema_ready``: set once the schema is up to date (``startup.SchemaUpgrade.done``);
    until then every unit of work is refused with ``StorageUnavailable``.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        schema_ready: threading.Event | None = None,
    ) -> None:
        self.engine = engine
        self._schema_ready = schema_ready
        self._reader = engine
        self._held_readers: HeldReaders | None = None
        if is_sqlite_file(engine.url):
            self._reader = create_database_engine(engine.url, read_only=True)
            self._held_readers = HeldReaders(self._reader)
            weakref.finalize(self, _dispose, self._held_readers, self._reader)

    def __call__(self, *, read_only: bool = False) -> SqlUnitOfWork:
        if self._schema_ready is not None:
            self._check_schema()
        return SqlUnitOfWork(
            self._reader if read_only else self.engine,
            read_only=read_only,
            writer=self.engine,
            readers=self._held_readers,
        )

    def read_first(self, statement: Prepared, params: Mapping[str, Any]) -> Any | None:
        """The first row of one read on its own, outside any unit of work. On a SQLite file
        it runs on this thread's held connection when that is idle, as its own implicit
        transaction: no pool checkout, no ``BEGIN``/``ROLLBACK`` round trip."""
        if self._schema_ready is not None:
            self._check_schema()
        try:
            held = self._held_readers.take() if self._held_readers is not None else None
            if held is not None:
                return statement.first_on_its_own(held, params)
            with self._reader.connect() as connection:
                return statement.first(connection, params)
        except Exception as exc:
            fault = storage_unavailable(exc)
            if fault is None:
                raise
            raise fault from exc

    def _check_schema(self) -> None:
        if self._schema_ready is None or self._schema_ready.is_set():
            self._schema_ready = None  # ready for good: no more checks
            return
        raise StorageUnavailable(
            "The database is not available yet; retry shortly", retry_after=RETRY_AFTER
        )

    @contextmanager
    def batch(self, *, locked: bool = False) -> Iterator[WriteBatch]:
        """Group commit (SQLite): see batch.py. ``locked``: the caller holds
        ``writer_lock`` already. A batch that fails with a fault is remembered for
        ``/ready`` (faults.py); the error itself is the caller's to answer."""
        try:
            with open_batch(self.engine, locked=locked) as batch:
                yield batch
        except Exception as exc:
            storage_unavailable(exc, writer=self.engine)
            raise
        note_write_succeeded(self.engine)

    @property
    def writer_lock(self) -> WriterLock:
        """The SQLite writer queue of this database (writer_lock.py)."""
        return writer_lock(self.engine)

    def close(self) -> None:
        """Dispose of the read-only pool (the caller disposes of ``engine``)."""
        if self._held_readers is not None:
            _dispose(self._held_readers, self._reader)


def _dispose(readers: HeldReaders, reader: Engine) -> None:
    readers.close()
    reader.dispose()
