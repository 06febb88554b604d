"""Group commit of the writing use cases on SQLite, for callers on an event loop (ADR 0006).

``GroupCommit`` runs a synchronous use case the way an ``async`` caller awaits it: a call
is queued, and once per turn of the event loop the queue is run back to back inside one
SQL transaction (``SqlUnitOfWorkFactory.batch``), each use case in its own savepoint. Every
caller is answered after the commit, so nothing is reported done before it is durable::

    write = GroupCommit(factory)
    order = await write(paygate.create_order, command)

Requests that arrive together share one commit (the WAL write and sync of every page they
touch) and the writer lock is held only while the batch runs, never while a request is
parsed or answered. The use cases run on the loop (microseconds each); the ``COMMIT`` and
its sync (milliseconds with ``synchronous = FULL``) run on a thread of the group commit's
own, which then lets the writer lock go, while the loop goes on reading, authenticating and
queueing the next requests: they form the next batch as soon as the commit returns. While
another process (``serve --workers N``) writes, the loop does not block on the lock either:
a worker thread waits for it. A use case that raises loses only its own savepoint. If the
batch cannot be written (the writer lock, ``BEGIN`` or ``COMMIT`` fails with an operational
error: I/O error, disk full) every caller of the batch gets ``StorageUnavailable`` chained
from that error, and nothing of the batch is kept.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import ExitStack
from typing import Any, Final, ParamSpec, TypeVar

import attrs
from sqlalchemy.exc import OperationalError

from paygate_adapters.sql.batch import BatchAborted, WriteBatch, leave_batch
from paygate_adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from paygate_core.errors import StorageUnavailable

__all__ = ["MAX_BATCH", "GroupCommit"]

P = ParamSpec("P")
R = TypeVar("R")

MAX_BATCH: Final = 64
"""Calls per transaction at most: bounds how long one batch holds the writer lock."""

STORAGE_FAILURES: Final = (
    OperationalError,
    sqlite3.OperationalError,
    BatchAborted,
    OSError,
    StorageUnavailable,
)
"""What a batch that could not be written raises: the database's fault, not the request's
(``OSError``: the writer lock's file)."""

_log = logging.getLogger("paygate.sql.group_commit")


@attrs.define
class _Call:
    function: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    future: asyncio.Future[Any]
    outcome: tuple[bool, Any] | None = None  # (succeeded, result or exception)


class GroupCommit:
    """The writing-use-case runner described in the module docstring (one per process and
    database; SQLite files only).

    The writer lock is taken on the event loop when it is free; when another process holds
    it, a worker thread waits for it, so the loop goes on parsing and answering requests
    meanwhile (and those that arrive join the waiting batch)."""

    def __init__(self, factory: SqlUnitOfWorkFactory) -> None:
        self._factory = factory
        self._writer = factory.writer_lock
        self._queue: list[_Call] = []
        self._draining: asyncio.Task[None] | None = None
        # One thread: batches commit one after the other anyway (the writer lock), and a
        # commit never waits behind other work of the loop's default executor.
        self._committer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="paygate-commit")
        self._committing: Future[None] | None = None

    async def __call__(self, function: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        loop = asyncio.get_running_loop()
        call = _Call(function, args, kwargs, loop.create_future())
        # A caller cancelled meanwhile (client gone) never reads the outcome: mark it read.
        call.future.add_done_callback(_retrieved)
        self._queue.append(call)
        if self._draining is None:
            # Starts after the callbacks already due: the requests of this turn join in.
            self._draining = loop.create_task(self._drain())
        result: R = await asyncio.shield(call.future)
        return result

    def wait_for_commit(self, timeout: float | None = None) -> None:
        """Block until the commit in progress, if any, has returned (at shutdown, before the
        engine goes)."""
        committing = self._committing
        if committing is not None:
            wait([committing], timeout)

    async def _drain(self) -> None:
        try:
            while self._queue:
                await self._run_batch()
                await asyncio.sleep(0)  # let the answers out before the next batch
        finally:
            self._draining = None

    async def _run_batch(self) -> None:
        try:
            taken = await self._take_writer()
        except STORAGE_FAILURES as exc:  # the lock file: this batch cannot run
            _fail(self._take_calls(), exc)
            return
        calls = self._take_calls()
        try:
            writing = self._write(calls, taken)
        except Exception as exc:
            _answer(calls, exc)
            return
        committing = self._committing = self._committer.submit(writing.close)
        committed = asyncio.wrap_future(committing)
        committed.add_done_callback(lambda _: _answer(calls, committed.exception()))
        # Not cancelled with this task (shutdown): the commit runs on, its callers hear of it.
        await asyncio.wait([committed])

    def _take_calls(self) -> list[_Call]:
        calls, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
        return calls

    async def _take_writer(self) -> bool:
        if self._writer.try_acquire():
            return True
        waiting = asyncio.get_running_loop().run_in_executor(None, self._writer.acquire)
        try:
            return await asyncio.shield(waiting)
        except asyncio.CancelledError:  # shutting down: hand the lock back once it comes
            waiting.add_done_callback(self._release_if_taken)
            raise

    def _release_if_taken(self, waiting: asyncio.Future[bool]) -> None:
        if not waiting.cancelled() and waiting.exception() is None and waiting.result():
            self._writer.release()

    def _write(self, calls: list[_Call], taken: bool) -> ExitStack:
        """On the loop: ``BEGIN`` and the use cases. Returns what is left to do on the
        committing thread: ``COMMIT``, then letting the writer lock go (``close()``). If
        this raises, the batch is rolled back and the lock let go already."""
        with ExitStack() as held:
            if taken:
                held.callback(self._writer.release)
            batch = held.enter_context(self._factory.batch(locked=True))
            for call in calls:
                call.outcome = _outcome(batch, call)
            # The loop's next units of work (reads, while this commits) run on their own.
            leave_batch(self._factory.engine)
            return held.pop_all()


def _outcome(batch: WriteBatch, call: _Call) -> tuple[bool, Any]:
    try:
        return True, batch.run(call.function, *call.args, **call.kwargs)
    except Exception as exc:
        if batch.aborted:  # the transaction is gone: so is every earlier call's work
            raise
        return False, exc


def _answer(calls: list[_Call], error: BaseException | None) -> None:
    """Answer the callers of a batch that committed (``error`` None) or did not."""
    if error is None:
        for call in calls:
            assert call.outcome is not None
            _settle(call.future, call.outcome)
    elif isinstance(error, STORAGE_FAILURES):  # the batch is lost: nobody's work was kept
        _fail(calls, error)
    else:
        _log.error("group commit failed", exc_info=error, extra={"fields": {"calls": len(calls)}})
        for call in calls:
            _settle(call.future, (False, error))


def _fail(calls: list[_Call], cause: BaseException) -> None:
    """Answer every caller of a batch that could not be written: storage unavailable."""
    _log.error(
        "group commit could not write", exc_info=cause, extra={"fields": {"calls": len(calls)}}
    )
    for call in calls:
        failure = StorageUnavailable()
        failure.__cause__ = cause
        _settle(call.future, (False, failure))


def _settle(future: asyncio.Future[Any], outcome: tuple[bool, Any]) -> None:
    if future.done():
        return
    succeeded, value = outcome
    if succeeded:
        future.set_result(value)
    else:
        future.set_exception(value)


def _retrieved(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()
