"""Valid domain objects with explicit timestamps and reproducible ids, for adapter tests.

Contract tests must create their own data through the ports with fixed times (no clock), so
every object here takes its ``created_at`` as an argument (an offset from ``T0`` by default).
Standard library and attrs only.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from paygate_core.accounts import Merchant, Role, User
from paygate_core.events import (
    EventType,
    PaymentEvent,
    WebhookAttempt,
    WebhookAttemptStatus,
)
from paygate_core.money import Money
from paygate_core.orders import Order, OrderStatus
from paygate_core.payments import Payment, PaymentStatus
from paygate_core.refunds import Refund, RefundStatus
from paygate_core.tokens import RefreshToken

__all__ = ["T0", "Builder", "at"]

# A fixed instant with microseconds, so lost sub-second precision shows up at once.
T0 = datetime(2026, 3, 14, 15, 9, 26, 535897, tzinfo=UTC)

_EVENT_FOR_STATUS = {
    PaymentStatus.AUTHORIZED: EventType.PAYMENT_AUTHORIZED,
    PaymentStatus.FAILED: EventType.PAYMENT_FAILED,
    PaymentStatus.CAPTURED: EventType.PAYMENT_CAPTURED,
    PaymentStatus.REFUNDED: EventType.PAYMENT_REFUNDED,
}


def at(seconds: float = 0, *, days: int = 0, microseconds: int = 0) -> datetime:
    """``T0`` moved by the given amount: ``at(5)``, ``at(days=3)``, ``at(microseconds=1)``."""
    return T0 + timedelta(days=days, seconds=seconds, microseconds=microseconds)


class Builder:
    """Makes consistent domain objects; ids count up (``...0001``, ``...0002``) per builder."""

    def __init__(self, *, first_id: int = 1) -> None:
        self._next = first_id

    def new_id(self) -> UUID:
        ident = UUID(int=(0x4000 << 64) | (0x8 << 60) | self._next)
        self._next += 1
        return ident

    def user(
        self,
        *,
        role: Role = Role.MERCHANT,
        email: str | None = None,
        name: str = "Ada Lovelace",
        created_at: datetime = T0,
        deleted_at: datetime | None = None,
    ) -> User:
        ident = self.new_id()
        return User(
            id=ident,
            email=email or f"user-{ident.int & 0xFFFFFF}@shop.example",
            name=name,
            password_hash="sha256$" + "ab" * 32,
            role=role,
            deleted=deleted_at is not None,
            deleted_at=deleted_at,
            created_at=created_at,
            updated_at=deleted_at or created_at,
        )

    def merchant(
        self,
        user: User,
        *,
        webhook_url: str | None = "https://shop.example/hooks",
        created_at: datetime | None = None,
    ) -> Merchant:
        ident = self.new_id()
        when = created_at or user.created_at
        return Merchant(
            id=ident,
            user_id=user.id,
            webhook_url=webhook_url,
            api_key=f"pk_test_{ident.hex}",
            webhook_secret=f"whsec_test_{ident.hex}",
            created_at=when,
            updated_at=when,
        )

    def order(
        self,
        merchant: Merchant | UUID,
        amount: Money | None = None,
        *,
        status: OrderStatus = OrderStatus.CREATED,
        receipt: str | None = None,
        notes: dict[str, str] | None = None,
        created_at: datetime = T0,
        updated_at: datetime | None = None,
    ) -> Order:
        return Order(
            id=self.new_id(),
            merchant_id=_merchant_id(merchant),
            amount=amount or Money.of("100.00", "USD"),
            status=status,
            receipt=receipt,
            notes=dict(notes or {}),
            created_at=created_at,
            updated_at=updated_at or created_at,
        )

    def payment(
        self,
        order: Order,
        *,
        status: PaymentStatus = PaymentStatus.AUTHORIZED,
        refunded: Money | None = None,
        failure_reason: str | None = None,
        last4: str = "4242",
        created_at: datetime | None = None,
        updated_at: datetime | None = None,
    ) -> Payment:
        """A payment of the order's amount, already in ``status``."""
        when = created_at or order.created_at
        if status is PaymentStatus.FAILED and failure_reason is None:
            failure_reason = "card_declined"
        if status is PaymentStatus.REFUNDED and refunded is None:
            refunded = order.amount
        return Payment(
            id=self.new_id(),
            order_id=order.id,
            merchant_id=order.merchant_id,
            amount=order.amount,
            status=status,
            failure_reason=failure_reason,
            amount_refunded=refunded or Money.zero(order.amount.currency),
            card_last4=last4,
            card_fingerprint=f"{self._next:064x}",
            created_at=when,
            updated_at=updated_at or when,
        )

    def refund(
        self,
        payment: Payment,
        amount: Money | None = None,
        *,
        reason: str | None = None,
        created_at: datetime | None = None,
    ) -> Refund:
        return Refund(
            id=self.new_id(),
            payment_id=payment.id,
            order_id=payment.order_id,
            merchant_id=payment.merchant_id,
            amount=amount or payment.amount,
            status=RefundStatus.PROCESSED,
            reason=reason,
            created_at=created_at or payment.updated_at,
        )

    def event(
        self,
        payment: Payment,
        type_: EventType | None = None,
        *,
        refund: Refund | None = None,
        occurred_at: datetime | None = None,
    ) -> PaymentEvent:
        """The event a change to ``payment`` would record: ``payment.refunded`` with a
        refund, else the type that follows the payment's status."""
        if type_ is None:
            type_ = EventType.PAYMENT_REFUNDED if refund else _EVENT_FOR_STATUS[payment.status]
        return PaymentEvent.of(
            self.new_id(), type_, payment, occurred_at or payment.updated_at, refund
        )

    def attempt(
        self,
        event: PaymentEvent,
        *,
        attempt: int = 1,
        status: WebhookAttemptStatus = WebhookAttemptStatus.SENT,
        http_status: int | None = 200,
        error: str | None = None,
        url: str = "https://shop.example/hooks",
        created_at: datetime | None = None,
    ) -> WebhookAttempt:
        return WebhookAttempt(
            id=self.new_id(),
            event_id=event.id,
            merchant_id=event.merchant_id,
            event_type=event.type,
            payment_id=event.payment_id,
            attempt=attempt,
            url=url,
            status=status,
            http_status=http_status,
            response_body='{"ok": true}' if http_status is not None else None,
            error=error,
            duration_ms=42,
            created_at=created_at or event.occurred_at,
        )

    def refresh_token(
        self,
        user: User | UUID,
        *,
        family: UUID | None = None,
        created_at: datetime = T0,
        lifetime: timedelta = timedelta(days=7),
    ) -> RefreshToken:
        user_id = user if isinstance(user, UUID) else user.id
        return RefreshToken(
            jti=self.new_id(),
            user_id=user_id,
            family=family or self.new_id(),
            expires_at=created_at + lifetime,
            revoked=False,
            created_at=created_at,
        )


def _merchant_id(merchant: Merchant | UUID) -> UUID:
    return merchant if isinstance(merchant, UUID) else merchant.id
