"""The SQL unit of work: one connection, one transaction, every repository bound to it.

Writing units of work lock as ADR 0003 says: SQLite ``BEGIN IMMEDIATE`` takes the database's
single write lock at the start (so two payments on one order, or two refunds on one payment,
run one after the other), queued beforehand on the engine's ``WriterLock`` (writer_lock.py)
so that waiting writers wake at once instead of polling; PostgreSQL locks the rows asked
``for_update``. Read-only units of work take no write lock and cannot write (a deferred
``BEGIN`` under ``PRAGMA query_only`` on SQLite, a ``READ ONLY`` transaction on
PostgreSQL); their ``commit()`` keeps nothing.
Leaving without ``commit()`` rolls back: no row, no outbox event and no statistics delta
survives.
"""

from __future__ import annotations

from contextlib import ExitStack
from types import TracebackType
from typing import Self

from sqlalchemy import Connection, Engine

from paygate_adapters.sql.accounts import SqlMerchants, SqlUsers
from paygate_adapters.sql.context import Context
from paygate_adapters.sql.engine import BEGIN_MODE
from paygate_adapters.sql.idempotency import SqlIdempotencyStore
from paygate_adapters.sql.outbox import SqlEventOutbox
from paygate_adapters.sql.payments import SqlOrders, SqlPayments, SqlRefunds
from paygate_adapters.sql.stats import SqlStatsReader
from paygate_adapters.sql.tokens import SqlTokenStore
from paygate_adapters.sql.writer_lock import writer_lock

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

    def __init__(self, engine: Engine, *, read_only: bool = False) -> None:
        self._engine = engine
        self._read_only = read_only
        self._context: Context | None = None
        self._held = ExitStack()

    def __enter__(self) -> Self:
        if self._context is not None:
            raise RuntimeError("a unit of work cannot be entered twice")
        with ExitStack() as held:
            if not self._read_only and self._engine.dialect.name == "sqlite":
                # Queue for SQLite's write lock here, not in its polling busy handler.
                held.enter_context(writer_lock(self._engine).held())
            connection = held.enter_context(self._engine.connect())
            self._start(connection)
            self._held = held.pop_all()  # released by __exit__, after the connection
        context = self._context = Context(connection, read_only=self._read_only)
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
            if self._read_only:
                _sqlite_query_only(connection, on=True)  # back off in __exit__
            connection.execution_options(
                **{BEGIN_MODE: "DEFERRED" if self._read_only else "IMMEDIATE"})
        elif self._read_only:
            connection.execution_options(postgresql_readonly=True)
        # Begin now, not at the first statement: the write lock is the point on SQLite.
        connection.begin()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        context, self._context = self._context, None
        if context is None:
            return
        try:
            if context.connection.in_transaction():
                context.connection.rollback()
            if context.is_sqlite and self._read_only:
                # The connection goes back to the pool: other users of the engine write.
                _sqlite_query_only(context.connection, on=False)
        finally:
            self._held.close()  # closes the connection, then lets the next writer in

    def _active(self) -> Context:
        if self._context is None:
            raise RuntimeError("the unit of work is not active (use it in a with block)")
        return self._context

    def commit(self) -> None:
        """Make the changes durable. The unit of work stays usable: later statements run in
        a new transaction (with the same locking mode)."""
        context = self._active()
        if self._read_only:
            context.rollup.clear()
            context.connection.rollback()  # nothing to keep; ends the snapshot
            return
        context.flush_rollup()
        context.connection.commit()

    def rollback(self) -> None:
        context = self._active()
        context.rollup.clear()
        context.connection.rollback()


def _sqlite_query_only(connection: Connection, *, on: bool) -> None:
    """Set on the driver's connection, outside any transaction."""
    driver = connection.connection.driver_connection
    assert driver is not None  # a checked-out connection always has one
    driver.execute(f"PRAGMA query_only = {int(on)}")


class SqlUnitOfWorkFactory:
    """The ``UnitOfWorkFactory`` port over an engine from ``create_database_engine``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __call__(self, *, read_only: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, read_only=read_only)
