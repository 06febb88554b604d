"""Idempotent operations: the answer to a keyed request is stored with the operation itself.

A caller (the HTTP layer) first claims an ``Idempotency-Key`` through the
``IdempotencyStore`` port, in a unit of work of its own. It then passes an
``IdempotentAnswer`` in the command of the operation it runs (``CreateOrder``, ``PayOrder``,
``RefundPayment``): the use case renders its result with ``render`` and completes the
claimed record in the *same* unit of work as the change, so the order, payment or refund
and the answer a retry will get commit together or not at all (ADR 0005). No crash between
the two can leave a committed change behind a key that a later retry would run again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Generic, TypeVar
from uuid import UUID

import attrs

from paygate_core.ports import UnitOfWork

__all__ = ["IdempotentAnswer"]

R = TypeVar("R")


@attrs.frozen
class IdempotentAnswer(Generic[R]):
    """A claimed key and how the operation's result becomes the stored answer.

    ``render`` must be pure (it runs inside the transaction, perhaps on another thread):
    the result in, the answer's ``(status_code, body)`` out."""

    key: str
    render: Callable[[R], tuple[int, bytes]]

    def record(self, work: UnitOfWork, merchant_id: UUID, result: R, now: datetime) -> None:
        """Complete the claimed record with the rendered answer, in ``work``."""
        status_code, body = self.render(result)
        work.idempotency.complete(merchant_id, self.key, status_code, body, now)
