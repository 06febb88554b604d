"""Refunds and the refund-amount rule.

A refund takes an explicit positive amount in the payment's minor units, or by default the
whole refundable balance. The sum of a payment's refunds never exceeds its amount; the
``Payment`` aggregate enforces that under the payment lock.
"""

from __future__ import annotations

import enum
from datetime import datetime
from uuid import UUID

import attrs

from paygate_core.errors import InvalidAmount, InvalidRefundAmount, ValidationFailed
from paygate_core.money import Money, parse_amount
from paygate_core.payments import Payment
from paygate_core.text import check_storable

__all__ = ["MAX_REASON_LENGTH", "Refund", "RefundStatus", "refund_amount", "validate_reason"]

MAX_REASON_LENGTH = 255


class RefundStatus(enum.StrEnum):
    PROCESSED = "processed"


@attrs.frozen
class Refund:
    id: UUID
    payment_id: UUID
    order_id: UUID
    merchant_id: UUID
    amount: Money
    status: RefundStatus
    reason: str | None
    created_at: datetime


def refund_amount(payment: Payment, raw: object) -> Money:
    """The amount to refund: ``raw`` parsed in the payment's currency, or the whole balance.

    Checks the payment's status first, so a failed payment answers 1012 whatever the amount.
    """
    payment.ensure_refundable()
    if raw is None:
        return payment.refundable_balance
    try:
        amount = parse_amount(raw, payment.amount.currency)
    except InvalidAmount as exc:
        raise InvalidRefundAmount(fields=exc.fields) from None
    if amount > payment.refundable_balance:
        raise InvalidRefundAmount(
            fields={
                "amount": f"exceeds the refundable balance {payment.refundable_balance.format()}"
            }
        )
    return amount


def validate_reason(raw: object) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise ValidationFailed(fields={"reason": "must be a string"})
    if len(raw) > MAX_REASON_LENGTH:
        raise ValidationFailed(fields={"reason": f"must be at most {MAX_REASON_LENGTH} characters"})
    return check_storable(raw, "reason")
