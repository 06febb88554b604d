"""Orders and their state machine.

``created`` -> ``paid`` | ``failed``; ``failed`` -> ``paid`` | ``failed`` (a failed order may
be paid again); ``paid`` accepts no further payment and stays ``paid`` after refunds.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from uuid import UUID

import attrs

from paygate_core.errors import OrderAlreadyPaid, ValidationFailed
from paygate_core.money import Money
from paygate_core.network import MAX_URL_LENGTH, url_problem
from paygate_core.text import check_storable

__all__ = [
    "MAX_NOTES",
    "MAX_RECEIPT_LENGTH",
    "MAX_RETURN_URL_LENGTH",
    "ORDER_TRANSITIONS",
    "Order",
    "OrderStatus",
    "validate_notes",
    "validate_receipt",
    "validate_return_url",
]

MAX_RECEIPT_LENGTH = 40
MAX_NOTES = 15
MAX_NOTE_LENGTH = 256
MAX_RETURN_URL_LENGTH = MAX_URL_LENGTH


class OrderStatus(enum.StrEnum):
    CREATED = "created"
    PAID = "paid"
    FAILED = "failed"


ORDER_TRANSITIONS: Mapping[OrderStatus, frozenset[OrderStatus]] = MappingProxyType(
    {
        OrderStatus.CREATED: frozenset({OrderStatus.PAID, OrderStatus.FAILED}),
        OrderStatus.FAILED: frozenset({OrderStatus.PAID, OrderStatus.FAILED}),
        OrderStatus.PAID: frozenset(),
    }
)


@attrs.define
class Order:
    id: UUID
    merchant_id: UUID
    amount: Money
    status: OrderStatus
    receipt: str | None
    notes: dict[str, str]
    created_at: datetime
    updated_at: datetime
    # Where hosted checkout sends the shopper back after a successful payment.
    return_url: str | None = None

    def ensure_payable(self) -> None:
        if not ORDER_TRANSITIONS[self.status]:
            raise OrderAlreadyPaid("The order has already been paid")

    def record_payment(self, *, approved: bool, now: datetime) -> None:
        """Move to ``paid`` or ``failed`` after a payment attempt."""
        target = OrderStatus.PAID if approved else OrderStatus.FAILED
        if target not in ORDER_TRANSITIONS[self.status]:
            raise OrderAlreadyPaid("The order has already been paid")
        self.status = target
        self.updated_at = now


def validate_receipt(raw: object) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise ValidationFailed(fields={"receipt": "must be a string"})
    if len(raw) > MAX_RECEIPT_LENGTH:
        raise ValidationFailed(
            fields={"receipt": f"must be at most {MAX_RECEIPT_LENGTH} characters"}
        )
    return check_storable(raw, "receipt")


def validate_notes(raw: object) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ValidationFailed(fields={"notes": "must be an object of string pairs"})
    if len(raw) > MAX_NOTES:
        raise ValidationFailed(fields={"notes": f"must have at most {MAX_NOTES} entries"})
    for key, value in raw.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise ValidationFailed(fields={"notes": "keys and values must be strings"})
        if len(key) > MAX_NOTE_LENGTH or len(value) > MAX_NOTE_LENGTH:
            raise ValidationFailed(
                fields={"notes": f"keys and values must be at most {MAX_NOTE_LENGTH} characters"}
            )
        check_storable(key + value, "notes")
    return dict(raw)


def validate_return_url(raw: object, *, allow_private: bool = False) -> str | None:
    """An absolute ``https`` URL of at most 2048 characters; ``http`` and literal internal
    addresses only when ``allow_private`` (local development and tests), as for webhooks."""
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise ValidationFailed(fields={"return_url": "must be a string or null"})
    reason = url_problem(raw, https_only=not allow_private, allow_private=allow_private)
    if reason:
        raise ValidationFailed(fields={"return_url": reason})
    return raw
