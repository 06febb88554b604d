"""Group commit on SQLite: several use cases in one transaction, each in its own savepoint.

SQLite has one writer at a time, and a commit writes every page the transaction touched to
the WAL: for a payment that is 20 pages and 40% of the whole request. Run back to back
in one transaction, the use cases of a batch share the pages they have in common (the
rollup rows, the newest index pages) and the commit::

    with factory.batch() as batch:        # writer lock, BEGIN IMMEDIATE
        a = batch.run(paygate.create_order, first)
        b = batch.run(paygate.pay_order, second)  # raises what the use case raised
    # COMMIT here: a and b are durable together (or, if it fails, neither is)

While a batch is open, every unit of work of the same factory entered *on the thread that
opened it* uses the batch's connection: a writing one inside ``SAVEPOINT`` (its
``commit()`` is ``RELEASE``, leaving without it ``ROLLBACK TO``), a read-only one inside a
savepoint that is always rolled back. Another thread's units of work are untouched: they
queue on the writer lock as usual. Nothing a unit of work did is durable before the batch
commits: whoever reports success must wait for the end of the ``with`` block (as
``group_commit.GroupCommit`` does, ADR 0006).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import ParamSpec, TypeVar

from sqlalchemy import Connection, Engine

from paygate_adapters.sql.engine import BEGIN_MODE
from paygate_adapters.sql.writer_lock import writer_lock

__all__ = ["BatchAborted", "Savepoint", "WriteBatch", "leave_batch", "open_batch", "open_batch_of"]

P = ParamSpec("P")
R = TypeVar("R")

_open = threading.local()


class BatchAborted(Exception):
    """SQLite ended the batch's transaction itself (I/O error, disk full): nothing of the
    batch is kept, and no further use case can run in it."""


class WriteBatch:
    """An open group-commit transaction on one connection (see the module docstring)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._savepoints = 0

    def savepoint(self) -> Savepoint:
        """A new savepoint at this point of the batch (driver statements: SQLAlchemy keeps
        seeing the one outer transaction, which is what it is)."""
        self._savepoints += 1
        savepoint = Savepoint(self.connection, f"uow_{self._savepoints}")
        savepoint.execute("SAVEPOINT")
        return savepoint

    @property
    def aborted(self) -> bool:
        """True once SQLite has ended the transaction by itself (see ``BatchAborted``)."""
        return not (self.connection.in_transaction() and _driver_in_transaction(self.connection))

    def run(self, function: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        """Call ``function``; its units of work join this batch."""
        if self.aborted:
            raise BatchAborted("the database ended the batch's transaction")
        try:
            return function(*args, **kwargs)
        finally:
            if self.aborted:
                raise BatchAborted("the database ended the batch's transaction")


class Savepoint:
    """One unit of work's share of a batch."""

    def __init__(self, connection: Connection, name: str) -> None:
        self._driver = connection.connection.driver_connection
        self.name = name
        self.open = True

    def execute(self, verb: str) -> None:
        assert self._driver is not None  # a checked-out connection always has one
        self._driver.execute(f"{verb} {self.name}")

    def release(self) -> None:
        """Keep what was done since the savepoint (as part of the batch)."""
        self.execute("RELEASE")
        self.open = False

    def rollback(self) -> None:
        """Undo what was done since the savepoint, and drop it."""
        self.execute("ROLLBACK TO")
        self.execute("RELEASE")
        self.open = False


def _driver_in_transaction(connection: Connection) -> bool:
    driver = connection.connection.driver_connection
    return bool(getattr(driver, "in_transaction", True))


def open_batch_of(engine: Engine) -> WriteBatch | None:
    """The batch this thread holds open on ``engine``, if any."""
    batches: dict[int, WriteBatch] = getattr(_open, "batches", {})
    return batches.get(id(engine))


def leave_batch(engine: Engine) -> None:
    """This thread's units of work stop joining its open batch on ``engine``, so the rest of
    the ``with`` block (the COMMIT) may run on another thread while this one goes on."""
    batches: dict[int, WriteBatch] = getattr(_open, "batches", {})
    batches.pop(id(engine), None)


@contextmanager
def open_batch(engine: Engine, *, locked: bool = False) -> Iterator[WriteBatch]:
    """Take the writer lock (unless the caller holds it already: ``locked``), ``BEGIN
    IMMEDIATE``, and commit at the end of the block (roll back if it raises). SQLite only."""
    if engine.dialect.name != "sqlite":
        raise ValueError("group commit is for SQLite (PostgreSQL writers run concurrently)")
    batches: dict[int, WriteBatch] = _open.__dict__.setdefault("batches", {})
    if id(engine) in batches:
        raise RuntimeError("a batch is already open on this thread")
    with ExitStack() as held:
        if not locked:
            held.enter_context(writer_lock(engine).held())
        connection = held.enter_context(engine.connect())
        connection.execution_options(**{BEGIN_MODE: "IMMEDIATE"})
        transaction = connection.begin()
        batch = batches[id(engine)] = WriteBatch(connection)
        try:
            yield batch
        except BaseException:
            if transaction.is_active:
                transaction.rollback()
            raise
        finally:
            if batches.get(id(engine)) is batch:  # not left already (``leave_batch``)
                del batches[id(engine)]
        transaction.commit()
