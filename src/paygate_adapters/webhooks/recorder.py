"""Group commit of attempt outcomes: one unit of work for every outcome that finished while
the previous one was being written.

Recording each attempt in its own transaction costs one commit per delivery; on SQLite each
of those also takes the database's single write lock, so 32 deliveries finishing together
queued 32 write transactions behind the API's own writes (SQLite's busy handler sleeps up to
100 ms between tries). ``OutcomeRecorder`` keeps at most one write in flight per dispatcher
and hands it everything that finished meanwhile, so a burst becomes a single transaction.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

__all__ = ["OutcomeRecorder"]

T = TypeVar("T")

BatchWriter = Callable[[Sequence[T]], Sequence[BaseException | None]]
"""Writes a batch (blocking; run in a thread) and returns, per item, None when it was
written or the exception that kept it from being written. It must not raise."""


class OutcomeRecorder(Generic[T]):
    """``await record(item)`` returns once ``item`` is durably written (or raises why not).

    Writes run one at a time in a worker thread, each taking up to ``max_batch`` of the
    items waiting. Use from a single event loop.
    """

    def __init__(self, write: BatchWriter[T], *, max_batch: int = 100) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self._write = write
        self._max_batch = max_batch
        self._waiting: list[tuple[T, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def record(self, item: T) -> None:
        written: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, written))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain())
        await written

    async def _drain(self) -> None:
        while self._waiting:
            batch = self._waiting[:self._max_batch]
            del self._waiting[:self._max_batch]
            futures = [written for _, written in batch]
            try:
                errors = await asyncio.to_thread(self._write, [item for item, _ in batch])
            except BaseException as exc:  # a broken writer, or this task cancelled
                _settle(futures, [exc] * len(batch))
                raise
            if len(errors) != len(batch):
                errors = [RuntimeError("the batch writer broke its contract")] * len(batch)
            _settle(futures, errors)


def _settle(futures: Sequence[asyncio.Future[None]],
            errors: Sequence[BaseException | None]) -> None:
    for written, error in zip(futures, errors, strict=True):
        if written.done():  # its waiter was cancelled
            continue
        if error is None:
            written.set_result(None)
        else:
            written.set_exception(error)
