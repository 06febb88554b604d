"""Group commit of the writing use cases on SQLite (ADR 0006).

``GroupCommit`` is the ``Offload`` of writing routes when the database is SQLite: a call
is queued, and once per turn of the event loop the queue is run back to back inside one
SQL transaction (``SqlUnitOfWorkFactory.batch``), each use case in its own savepoint. Every
caller is answered after the commit, so nothing is reported done before it is durable::

    offload = GroupCommit(lambda: factory.batch(locked=True), factory.writer_lock)
    order = await offload(paygate.create_order, command)

Requests that arrive together share one commit (the WAL write of every page they touch)
and the writer lock is held only while the batch runs, never while a request is parsed or
answered; while another process (``serve --workers N``) writes, the loop does not block on
the lock: a worker thread waits for it. A use case that raises loses only its own
savepoint; if the commit itself fails, every caller of the batch gets that error and
nothing of the batch is kept.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, Final, ParamSpec, Protocol, TypeVar

import attrs

__all__ = ["MAX_BATCH", "Batch", "GroupCommit", "WriterQueue"]

P = ParamSpec("P")
R = TypeVar("R")

MAX_BATCH: Final = 64
"""Calls per transaction at most: bounds how long one batch holds the writer lock."""

_log = logging.getLogger("paygate.group_commit")


class Batch(Protocol):
    """``paygate_adapters.sql.batch.WriteBatch``."""

    @property
    def aborted(self) -> bool: ...

    def run(self, function: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R: ...


@attrs.define
class _Call:
    function: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    future: asyncio.Future[Any]
    outcome: tuple[bool, Any] | None = None  # (succeeded, result or exception)


class WriterQueue(Protocol):
    """``paygate_adapters.sql.writer_lock.WriterLock``: who may write next."""

    def try_acquire(self) -> bool: ...
    def acquire(self) -> bool: ...
    def release(self) -> None: ...


class GroupCommit:
    """The ``Offload`` described in the module docstring (one per process and database).

    ``open_batch`` opens a batch while the caller holds ``writer``. The writer lock is
    taken on the event loop when it is free; when another process holds it, a worker
    thread waits for it, so the loop goes on parsing and answering requests meanwhile
    (and those that arrive join the waiting batch)."""

    def __init__(self, open_batch: Callable[[], AbstractContextManager[Batch]],
                 writer: WriterQueue) -> None:
        self._open_batch = open_batch
        self._writer = writer
        self._queue: list[_Call] = []
        self._draining: asyncio.Task[None] | None = None

    async def __call__(self, function: Callable[P, R], /, *args: P.args,
                       **kwargs: P.kwargs) -> R:
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

    async def _drain(self) -> None:
        try:
            while self._queue:
                taken = await self._take_writer()
                try:
                    calls, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
                    self._commit(calls)
                finally:
                    if taken:
                        self._writer.release()
                await asyncio.sleep(0)  # let the answers out before the next batch
        finally:
            self._draining = None

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

    def _commit(self, calls: list[_Call]) -> None:
        try:
            with self._open_batch() as batch:
                for call in calls:
                    call.outcome = _outcome(batch, call)
        except Exception as exc:  # the batch is lost: nobody's work was kept
            _log.exception("group commit failed", extra={"fields": {"calls": len(calls)}})
            for call in calls:
                _settle(call.future, (False, exc))
            return
        for call in calls:
            assert call.outcome is not None
            _settle(call.future, call.outcome)


def _outcome(batch: Batch, call: _Call) -> tuple[bool, Any]:
    try:
        return True, batch.run(call.function, *call.args, **call.kwargs)
    except Exception as exc:
        if batch.aborted:  # the transaction is gone: so is every earlier call's work
            raise
        return False, exc


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
