"""A form that moves money runs at most once, however often it is submitted.

The confirmation page of a refund carries a fresh random key; the refund's POST claims it
(``Paygate.claim_idempotency_key``: the keys behind the API's ``Idempotency-Key``, under a
``dashboard:`` prefix of the merchant's keys) and passes the claim to the use case,
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

from paygate_core.idempotency import ClaimOutcome, IdempotentAnswer
from paygate_http.services import services_of
from paygate_http.web.merchant_common import AnyRequest

__all__ = ["ONCE_FIELD", "Claimed", "claim_once", "new_once_key", "release_once"]

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
    decision = await services.offload_write(
        services.paygate.claim_idempotency_key, merchant_id, key, _FINGERPRINT + digest
    )
    return Claimed(merchant_id, key) if decision.outcome is ClaimOutcome.OWNED else None


async def release_once(request: AnyRequest, claimed: Claimed) -> None:
    """Give the key back after a refused submission (nothing was done under it)."""
    services = services_of(request)
    await services.offload_write(
        services.paygate.release_idempotency_key, claimed.merchant_id, claimed.key
    )
