"""Payments, their state machine, and the processor's decision that settles a pending one.

``pending`` -> ``authorized`` | ``failed``; ``authorized`` -> ``captured``;
``authorized`` | ``captured`` -> ``refunded`` once refunds reach the amount; ``failed`` and
``refunded`` are terminal. Partial refunds keep the status and raise ``amount_refunded``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from uuid import UUID

import attrs

from paygate_core.errors import InvalidRefundAmount, PaymentStateConflict
from paygate_core.money import Money

__all__ = [
    "PAYMENT_TRANSITIONS",
    "REFUNDABLE",
    "SUCCESSFUL",
    "Payment",
    "PaymentStatus",
    "ProcessorDecision",
]


class PaymentStatus(enum.StrEnum):
    PENDING = "pending"
    AUTHORIZED = "authorized"
    CAPTURED = "captured"
    REFUNDED = "refunded"
    FAILED = "failed"


PAYMENT_TRANSITIONS: Mapping[PaymentStatus, frozenset[PaymentStatus]] = MappingProxyType(
    {
        PaymentStatus.PENDING: frozenset({PaymentStatus.AUTHORIZED, PaymentStatus.FAILED}),
        PaymentStatus.AUTHORIZED: frozenset({PaymentStatus.CAPTURED, PaymentStatus.REFUNDED}),
        PaymentStatus.CAPTURED: frozenset({PaymentStatus.REFUNDED}),
        PaymentStatus.REFUNDED: frozenset(),
        PaymentStatus.FAILED: frozenset(),
    }
)
REFUNDABLE = frozenset({PaymentStatus.AUTHORIZED, PaymentStatus.CAPTURED})
SUCCESSFUL = frozenset({PaymentStatus.AUTHORIZED, PaymentStatus.CAPTURED, PaymentStatus.REFUNDED})


@attrs.frozen
class ProcessorDecision:
    """What the payment processor answers for one authorization: approved, or declined with
    the reason the payment records as its ``failure_reason``."""

    approved: bool
    failure_reason: str | None = None


@attrs.define
class Payment:
    id: UUID
    order_id: UUID
    merchant_id: UUID
    amount: Money
    status: PaymentStatus
    failure_reason: str | None
    amount_refunded: Money
    card_last4: str
    card_fingerprint: str
    created_at: datetime
    updated_at: datetime

    @property
    def refundable_balance(self) -> Money:
        return self.amount - self.amount_refunded

    def _move(self, target: PaymentStatus, now: datetime, action: str) -> None:
        if target not in PAYMENT_TRANSITIONS[self.status]:
            raise PaymentStateConflict(f"Payment cannot be {action} in status '{self.status}'")
        self.status = target
        self.updated_at = now

    def authorize(self, now: datetime) -> None:
        self._move(PaymentStatus.AUTHORIZED, now, "authorized")

    def fail(self, reason: str, now: datetime) -> None:
        self._move(PaymentStatus.FAILED, now, "failed")
        self.failure_reason = reason

    def capture(self, now: datetime) -> None:
        self._move(PaymentStatus.CAPTURED, now, "captured")

    def ensure_refundable(self) -> None:
        if self.status not in REFUNDABLE:
            raise PaymentStateConflict(f"Payment cannot be refunded in status '{self.status}'")

    def apply_refund(self, amount: Money, now: datetime) -> None:
        """Add a refund; the payment becomes ``refunded`` when nothing is left to refund."""
        self.ensure_refundable()
        if amount.currency != self.amount.currency:
            raise InvalidRefundAmount(fields={"amount": "must be in the payment's currency"})
        if amount.is_zero() or amount > self.refundable_balance:
            raise InvalidRefundAmount(
                fields={
                    "amount": f"must be between 0 and the refundable balance "
                    f"{self.refundable_balance.format()}"
                }
            )
        self.amount_refunded = self.amount_refunded + amount
        self.updated_at = now
        if self.refundable_balance.is_zero():
            self._move(PaymentStatus.REFUNDED, now, "refunded")
