"""Claiming, completing, releasing and purging idempotency keys (``paygate_core.idempotency``).

Each runs in a committed unit of work of its own: a claim commits before the operation it
guards runs, so the operation's transaction is independent of the key's. The answer of an
operation that changes something is not completed here but by the operation itself, with
its change (``IdempotentAnswer``); ``complete_key`` stores the answers of requests that
changed nothing (a refusal, a validation error).
"""

from __future__ import annotations

from uuid import UUID

from paygate_core.idempotency import (
    LEASE,
    RETENTION,
    ClaimDecision,
    ClaimOutcome,
    decide_claim,
)
from paygate_core.ports import Clock, UnitOfWorkFactory

__all__ = ["claim_key", "complete_key", "purge_expired_keys", "release_key"]


def claim_key(
    merchant_id: UUID,
    key: str,
    request_hash: str,
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
) -> ClaimDecision:
    """Claim ``key`` for the request fingerprinted ``request_hash``: what the attempt means."""
    with uow() as work:
        now = clock.now()
        existing = work.idempotency.claim(merchant_id, key, request_hash, now, LEASE)
        work.commit()
    if existing is None:
        return ClaimDecision(ClaimOutcome.OWNED)
    decision = decide_claim(existing, request_hash, now, LEASE)
    if decision.outcome is ClaimOutcome.OWNED:
        # The store kept the record: another request took the stale key over first (by a
        # clock behind this one), so it is in progress, not ours.
        return ClaimDecision(ClaimOutcome.IN_PROGRESS)
    return decision


def complete_key(
    merchant_id: UUID,
    key: str,
    code: int,
    body: bytes,
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
) -> None:
    """Store the finished answer of a claimed key."""
    with uow() as work:
        work.idempotency.complete(merchant_id, key, code, body, clock.now())
        work.commit()


def release_key(merchant_id: UUID, key: str, *, uow: UnitOfWorkFactory) -> None:
    """Give an unfinished key back (its answer must not be stored); a finished one stays."""
    with uow() as work:
        work.idempotency.release(merchant_id, key)
        work.commit()


def purge_expired_keys(*, uow: UnitOfWorkFactory, clock: Clock) -> int:
    """Delete the records older than ``RETENTION``; how many went."""
    with uow() as work:
        purged = work.idempotency.purge(clock.now() - RETENTION)
        work.commit()
    return purged
