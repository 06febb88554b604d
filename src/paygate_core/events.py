"""Domain events and their webhook deliveries.

A ``PaymentEvent`` is a snapshot of a payment taken when it changed; it is written to the
outbox in the same unit of work as the change and its ``payload()`` is the webhook body.
``WebhookEvent`` is the outbox record with its delivery state; ``Delivery`` is one claimed
delivery of it and ``WebhookAttempt`` one logged delivery attempt. ``EventPosition`` orders
a merchant's events for live feeds.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeAlias
from uuid import UUID

import attrs

from paygate_core.money import Money, currency_of
from paygate_core.payments import Payment, PaymentStatus
from paygate_core.refunds import Refund
from paygate_core.timestamps import format_timestamp, parse_instant

__all__ = [
    "Delivery",
    "DeliveryStatus",
    "EventPosition",
    "EventType",
    "PaymentEvent",
    "RefundSnapshot",
    "WebhookAttempt",
    "WebhookAttemptStatus",
    "WebhookEvent",
]


class EventType(enum.StrEnum):
    PAYMENT_AUTHORIZED = "payment.authorized"
    PAYMENT_FAILED = "payment.failed"
    PAYMENT_CAPTURED = "payment.captured"
    PAYMENT_REFUNDED = "payment.refunded"


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    SKIPPED = "skipped"


class WebhookAttemptStatus(enum.StrEnum):
    SENT = "sent"
    FAILED = "failed"


@attrs.frozen
class RefundSnapshot:
    refund_id: UUID
    amount: Money


@attrs.frozen
class PaymentEvent:
    """What happened to a payment, and the payment as it was right then."""

    id: UUID
    type: EventType
    merchant_id: UUID
    payment_id: UUID
    order_id: UUID
    amount: Money
    status: PaymentStatus
    amount_refunded: Money
    failure_reason: str | None
    refund: RefundSnapshot | None
    payment_created_at: datetime
    occurred_at: datetime
    # The payload an event read back from the outbox was rebuilt from: rendered as stored,
    # not formatted again for each delivery attempt. Not part of the event's identity.
    _stored: Mapping[str, Any] | None = attrs.field(default=None, eq=False, repr=False)

    @classmethod
    def of(
        cls,
        event_id: UUID,
        type_: EventType,
        payment: Payment,
        occurred_at: datetime,
        refund: Refund | None = None,
    ) -> PaymentEvent:
        return cls(
            id=event_id,
            type=type_,
            merchant_id=payment.merchant_id,
            payment_id=payment.id,
            order_id=payment.order_id,
            amount=payment.amount,
            status=payment.status,
            amount_refunded=payment.amount_refunded,
            failure_reason=payment.failure_reason,
            refund=RefundSnapshot(refund.id, refund.amount) if refund else None,
            payment_created_at=payment.created_at,
            occurred_at=occurred_at,
        )

    def payload(self) -> dict[str, Any]:
        """The webhook body of the contract, JSON-ready (amounts and times as strings)."""
        if self._stored is not None:
            return dict(self._stored)
        return {
            "event_id": str(self.id),
            "event": self.type.value,
            "payment_id": str(self.payment_id),
            "order_id": str(self.order_id),
            "amount": self.amount.format(),
            "currency": self.amount.currency.code,
            "status": self.status.value,
            "amount_refunded": self.amount_refunded.format(),
            "failure_reason": self.failure_reason,
            "refund": (
                {"refund_id": str(self.refund.refund_id), "amount": self.refund.amount.format()}
                if self.refund
                else None
            ),
            "created_at": format_timestamp(self.payment_created_at),
            "occurred_at": format_timestamp(self.occurred_at),
        }

    @classmethod
    def from_payload(cls, merchant_id: UUID, payload: dict[str, Any]) -> PaymentEvent:
        """Rebuild an event from its stored ``payload()``."""
        currency = currency_of(payload["currency"])
        refund = payload["refund"]
        return cls(
            id=UUID(payload["event_id"]),
            type=EventType(payload["event"]),
            merchant_id=merchant_id,
            payment_id=UUID(payload["payment_id"]),
            order_id=UUID(payload["order_id"]),
            amount=Money.of(payload["amount"], currency),
            status=PaymentStatus(payload["status"]),
            amount_refunded=Money.of(payload["amount_refunded"], currency),
            failure_reason=payload["failure_reason"],
            refund=(
                RefundSnapshot(UUID(refund["refund_id"]), Money.of(refund["amount"], currency))
                if refund
                else None
            ),
            payment_created_at=parse_instant(payload["created_at"]),
            occurred_at=parse_instant(payload["occurred_at"]),
            stored=payload,
        )


@attrs.define
class WebhookEvent:
    """An outbox record: the event plus where its delivery stands."""

    event: PaymentEvent
    delivery_status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    created_at: datetime

    @property
    def id(self) -> UUID:
        return self.event.id


EventPosition: TypeAlias = tuple[datetime, UUID]
"""Where an event stands in its merchant's feed: its ``(created_at, id)``."""


@attrs.frozen(repr=False)
class Delivery:
    """One claimed delivery attempt: the event and where to send it, as of the claim."""

    webhook: WebhookEvent
    attempt: int
    url: str
    secret: str

    def __repr__(self) -> str:
        return f"Delivery(event_id={self.webhook.id!s}, attempt={self.attempt})"


@attrs.frozen
class WebhookAttempt:
    """One logged delivery attempt (the contract's WebhookLog)."""

    id: UUID
    event_id: UUID
    merchant_id: UUID
    event_type: EventType
    payment_id: UUID
    attempt: int
    url: str
    status: WebhookAttemptStatus
    http_status: int | None
    response_body: str | None
    error: str | None
    duration_ms: int
    created_at: datetime
