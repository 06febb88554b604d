"""A form that moves money runs at most once, however often it is submitted.

The confirmation page of a refund carries a fresh random key; the refund's POST claims it
in the core's ``IdempotencyStore`` (the store behind the API's ``Idempotency-Key``, under
a ``dashboard:`` prefix of the merchant's keys) and passes the claim to the use case,
which completes it in the same unit of work as the refund (ADR 0005). A second submit of
the same page (a double click, a reload of the POST) finds the key taken and changes
nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from typing import Any, TypeVar
from uuid import UUID

from paygate_core.gateway import Paygate
from paygate_core.idempotency import IdempotentAnswer
from paygate_core.ports import IdempotencyRecord
from paygate_http.pipeline.idempotency import LEASE
from paygate_http.services import services_of
from paygate_http.web.merchant_common import AnyRequest

__all__ = [
    "ONCE_FIELD",
    "Claimed",
    "claim_key",
    "claim_once",
    "new_once_key",
    "release_key",
    "release_once",
]

ONCE_FIELD = "once"
_PREFIX = "dashboard:"
_FINGERPRINT = "form:"
R = TypeVar("R")


def new_once_key() -> str:
    """The key a confirmation page puts in its form."""
    return secrets.token_urlsafe(24)


class Claimed:
    """A key this request owns, and the answer its use case stores when it commits."""

    def __init__(self, merchant_id: UUID, key: str) -> None:
        self.merchant_id = merchant_id
        self.key = key

    def answer(self, render: Callable[[R], str]) -> IdempotentAnswer[R]:
        return IdempotentAnswer(self.key, lambda result: (303, render(result).encode()))


def claim_key(
    paygate: Paygate,
    merchant_id: UUID,
    key: str,
    fingerprint: str,
) -> IdempotencyRecord | None:
    """Claim a page's key in the API's idempotency store, in a transaction of its own."""
    with paygate.uow() as work:
        record = work.idempotency.claim(merchant_id, key, fingerprint, paygate.clock.now(), LEASE)
        work.commit()
    return record


def release_key(paygate: Paygate, merchant_id: UUID, key: str) -> None:
    with paygate.uow() as work:
        work.idempotency.release(merchant_id, key)
        work.commit()


async def claim_once(
    request: AnyRequest, merchant_id: UUID, raw_key: str, *form_values: Any
) -> Claimed | None:
    """The claim on ``raw_key`` for this submission, or None when it was submitted before
    (or is an empty key: a form that did not come from its confirmation page)."""
    if not raw_key:
        return None
    key = f"{_PREFIX}{raw_key[:200]}"
    digest = hashlib.sha256("|".join(map(str, form_values)).encode()).hexdigest()
    services = services_of(request)
    record = await services.offload_write(
        claim_key, services.paygate, merchant_id, key, _FINGERPRINT + digest
    )
    return Claimed(merchant_id, key) if record is None else None


async def release_once(request: AnyRequest, claimed: Claimed) -> None:
    """Give the key back after a refused submission (nothing was done under it)."""
    services = services_of(request)
    await services.offload_write(release_key, services.paygate, claimed.merchant_id, claimed.key)
