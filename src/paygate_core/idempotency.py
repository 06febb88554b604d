"""Idempotency keys: a retried operation takes effect once and answers as the first did.

The protocol, with no transport in it. A caller (the REST layer's ``Idempotency-Key``, a
dashboard form) claims a key for a request it identifies by a fingerprint
(``use_cases.idempotency.claim_key``, in a unit of work of its own). ``decide_claim`` says
what the attempt means given the record already under the key: the request owns the key,
replays the stored answer, waits for a first request still in progress, or reuses the key
for another request. An owner whose record stays unfinished longer than ``LEASE`` is
presumed dead and its key is taken over.

The owner passes an ``IdempotentAnswer`` in the command of the operation it runs
(``CreateOrder``, ``PayOrder``, ``RefundPayment``): the use case renders its result into a
``StoredAnswer`` and completes the record in the *same* unit of work as the change, so the
order, payment or refund and the answer a retry gets commit together or not at all (ADR
0005). What the answer's ``code`` and ``body`` mean is the caller's business (an HTTP status
and the bytes sent, for the API).

This module imports no port: ``ports.IdempotencyStore`` exchanges its ``IdempotencyRecord``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Generic, Protocol, TypeVar
from uuid import UUID

import attrs

__all__ = [
    "LEASE",
    "RETENTION",
    "ClaimDecision",
    "ClaimOutcome",
    "IdempotencyRecord",
    "IdempotentAnswer",
    "StoredAnswer",
    "decide_claim",
]

LEASE = timedelta(seconds=60)
"""An unfinished record older than this belongs to a dead request and is taken over."""
RETENTION = timedelta(hours=24)
"""Records are kept at least this long, then purged."""

R = TypeVar("R")


@attrs.frozen(repr=False)
class StoredAnswer:
    """A finished request's answer as its caller rendered it: a ``code`` and the exact
    ``body`` bytes a retry gets back."""

    code: int
    body: bytes

    def __repr__(self) -> str:  # the body may hold customer data: never in logs
        return f"StoredAnswer(code={self.code}, body=<{len(self.body)} bytes>)"


@attrs.frozen(repr=False)
class IdempotencyRecord:
    """A claimed key: the fingerprint of the request that holds it and, once that request
    finished, its answer."""

    merchant_id: UUID
    key: str
    request_hash: str
    answer: StoredAnswer | None
    created_at: datetime

    @property
    def completed(self) -> bool:
        return self.answer is not None

    def __repr__(self) -> str:
        code = None if self.answer is None else self.answer.code
        return f"IdempotencyRecord(key={self.key!r}, code={code})"


class ClaimOutcome(enum.Enum):
    """What claiming a key means for the request that tries."""

    OWNED = "owned"
    """The request runs: the key was free or its owner's lease ran out."""
    REPLAY = "replay"
    """The key holds this request's finished answer: send it, do nothing else."""
    IN_PROGRESS = "in progress"
    """The same request claimed the key first and has not finished: its lease still runs."""
    KEY_REUSED = "key reused"
    """The key holds another request."""


@attrs.frozen
class ClaimDecision:
    """The outcome of a claim, with what the key holds when that matters to the caller."""

    outcome: ClaimOutcome
    answer: StoredAnswer | None = None
    """The finished answer the key holds, if any: the one to replay for ``REPLAY``."""


def decide_claim(
    existing: IdempotencyRecord | None, request_hash: str, now: datetime, lease: timedelta
) -> ClaimDecision:
    """What a claim by the request ``request_hash`` at ``now`` means, given the record
    ``existing`` under the key (None: no record). A different request is told so even once
    the first finished; an unfinished record of the same request is taken over after
    ``lease``; a finished one never is."""
    if existing is None:
        return ClaimDecision(ClaimOutcome.OWNED)
    if existing.request_hash != request_hash:
        return ClaimDecision(ClaimOutcome.KEY_REUSED, existing.answer)
    if existing.answer is not None:
        return ClaimDecision(ClaimOutcome.REPLAY, existing.answer)
    if existing.created_at <= now - lease:
        return ClaimDecision(ClaimOutcome.OWNED)
    return ClaimDecision(ClaimOutcome.IN_PROGRESS)


class _AnswerStore(Protocol):
    """The one ``IdempotencyStore`` operation an answer needs (this module imports no port)."""

    def complete(
        self, merchant_id: UUID, key: str, code: int, body: bytes, now: datetime
    ) -> None: ...


class _Work(Protocol):
    """The part of a ``UnitOfWork`` an answer is stored in."""

    @property
    def idempotency(self) -> _AnswerStore: ...


@attrs.frozen
class IdempotentAnswer(Generic[R]):
    """A claimed key and how the operation's result becomes the stored answer.

    ``render`` must be pure (it runs inside the transaction, perhaps on another thread):
    the result in, the answer's ``(code, body)`` out."""

    key: str
    render: Callable[[R], tuple[int, bytes]]

    def record(self, work: _Work, merchant_id: UUID, result: R, now: datetime) -> None:
        """Complete the claimed record with the rendered answer, in ``work``."""
        code, body = self.render(result)
        work.idempotency.complete(merchant_id, self.key, code, body, now)
