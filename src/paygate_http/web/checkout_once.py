"""A checkout form pays at most once, however often it is submitted.

Each checkout page carries a fresh random nonce. Its POST claims
``checkout:<order id>:<nonce>`` (``Paygate.claim_idempotency_key``: the keys behind the
API's ``Idempotency-Key``, among the merchant's keys under a prefix of its own) and passes
the claim to ``pay_order``, which completes it with the payment's id in the payment's unit
of work (ADR 0005). A second submit of the same page finds the key taken: it waits briefly
for the first to finish and is sent to that payment's outcome. Nothing of the card is part
of the key or its fingerprint.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from uuid import UUID

from paygate_core.checkout import CheckoutTicket
from paygate_core.idempotency import ClaimOutcome, IdempotentAnswer
from paygate_core.payments import Payment
from paygate_http.services import services_of
from paygate_http.web.merchant_common import AnyRequest

__all__ = ["NONCE_FIELD", "CheckoutClaim", "claim_checkout", "new_nonce", "release_checkout"]

NONCE_FIELD = "nonce"
_NONCE = re.compile(r"[A-Za-z0-9_-]{16,64}")
_PREFIX = "checkout:"
_WAIT_STEPS = 40
_WAIT_STEP = 0.05  # seconds: a second submit waits up to 2 s for the first one's payment


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


class CheckoutClaim:
    """The outcome of claiming a page's nonce: ``owned`` (this request pays) or the
    ``payment_id`` an earlier submit of the page made (None: unknown or still running)."""

    def __init__(
        self, merchant_id: UUID, key: str, *, owned: bool, payment_id: str | None = None
    ) -> None:
        self.merchant_id = merchant_id
        self.key = key
        self.owned = owned
        self.payment_id = payment_id

    def answer(self) -> IdempotentAnswer[Payment]:
        return IdempotentAnswer(self.key, _payment_answer)


def _payment_answer(payment: Payment) -> tuple[int, bytes]:
    return 303, str(payment.id).encode()


async def claim_checkout(
    request: AnyRequest, ticket: CheckoutTicket, nonce: str
) -> CheckoutClaim | None:
    """The claim on this page's nonce; None for a nonce no checkout page gave out."""
    if _NONCE.fullmatch(nonce) is None:
        return None
    key = f"{_PREFIX}{ticket.order_id}:{nonce}"
    fingerprint = f"{_PREFIX}{ticket.order_id}"
    services = services_of(request)
    for _ in range(_WAIT_STEPS):
        decision = await services.offload_write(
            services.paygate.claim_idempotency_key, ticket.merchant_id, key, fingerprint
        )
        if decision.outcome is ClaimOutcome.OWNED:
            return CheckoutClaim(ticket.merchant_id, key, owned=True)
        if decision.answer is not None:  # the payment's id, stored with the payment
            return CheckoutClaim(
                ticket.merchant_id,
                key,
                owned=False,
                payment_id=decision.answer.body.decode("ascii", "replace"),
            )
        await asyncio.sleep(_WAIT_STEP)
    return CheckoutClaim(ticket.merchant_id, key, owned=False)


async def release_checkout(request: AnyRequest, claim: CheckoutClaim) -> None:
    """Give the nonce back after a refused submission (no payment was made under it)."""
    services = services_of(request)
    await services.offload_write(
        services.paygate.release_idempotency_key, claim.merchant_id, claim.key
    )
