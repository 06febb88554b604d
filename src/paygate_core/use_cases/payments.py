"""Orders, payments, captures and refunds."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import attrs

from paygate_core.cards import parse_card
from paygate_core.errors import (
    OrderNotFound,
    PaymentNotFound,
    RefundNotFound,
    ValidationFailed,
)
from paygate_core.events import EventType, PaymentEvent
from paygate_core.idempotency import IdempotentAnswer
from paygate_core.money import DEFAULT_CURRENCY, currency_of, parse_amount
from paygate_core.orders import (
    Order,
    OrderStatus,
    validate_notes,
    validate_receipt,
    validate_return_url,
)
from paygate_core.pagination import Page, PageRequest
from paygate_core.payments import Payment, PaymentStatus
from paygate_core.ports import Clock, IdGenerator, PaymentProcessor, UnitOfWork, UnitOfWorkFactory
from paygate_core.refunds import Refund, RefundStatus, refund_amount, validate_reason
from paygate_core.use_cases._parsing import parse_choice, parse_optional_uuid, parse_uuid

__all__ = [
    "CreateOrder",
    "OrderDetails",
    "PayOrder",
    "PaymentDetails",
    "RefundOutcome",
    "RefundPayment",
    "capture_payment",
    "create_order",
    "get_order",
    "get_payment",
    "get_refund",
    "list_orders",
    "list_payments",
    "list_refunds",
    "pay_order",
    "refund_payment",
]


@attrs.frozen
class CreateOrder:
    merchant_id: UUID
    amount: object
    currency: object = None
    receipt: object = None
    notes: object = None
    return_url: object = None
    idempotency: IdempotentAnswer[Order] | None = attrs.field(default=None, kw_only=True)
    """A claimed Idempotency-Key: completed with the order, in its unit of work."""


@attrs.frozen(repr=False)
class PayOrder:
    """Raw card fields travel only inside this command; its repr hides them."""

    merchant_id: UUID
    order_id: object
    card_number: object
    expiry: object
    cvv: object
    idempotency: IdempotentAnswer[Payment] | None = attrs.field(default=None, kw_only=True)

    def __repr__(self) -> str:
        return f"PayOrder(merchant_id={self.merchant_id!s}, order_id={self.order_id!s})"


@attrs.frozen
class RefundPayment:
    merchant_id: UUID
    payment_id: object
    amount: object = None
    reason: object = None
    idempotency: IdempotentAnswer[RefundOutcome] | None = attrs.field(default=None, kw_only=True)


@attrs.frozen
class OrderDetails:
    order: Order
    payments: Sequence[Payment]


@attrs.frozen
class PaymentDetails:
    payment: Payment
    refunds: Sequence[Refund]


@attrs.frozen
class RefundOutcome:
    refund: Refund
    payment: Payment


def _record_event(
    work: UnitOfWork,
    ids: IdGenerator,
    type_: EventType,
    payment: Payment,
    refund: Refund | None = None,
) -> None:
    """Queue the event in the same unit of work as the change it reports (the outbox)."""
    merchant = work.merchants.get(payment.merchant_id)
    event = PaymentEvent.of(ids.new_id(), type_, payment, payment.updated_at, refund)
    deliver = merchant is not None and merchant.webhook_url is not None
    work.outbox.add(event, deliver=deliver, now=payment.updated_at)


def create_order(
    cmd: CreateOrder,
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    ids: IdGenerator,
    allow_private_urls: bool = False,
) -> Order:
    currency = DEFAULT_CURRENCY if cmd.currency is None else currency_of(cmd.currency)
    if cmd.amount is None:
        raise ValidationFailed(fields={"amount": "is required"})
    amount = parse_amount(cmd.amount, currency)
    receipt = validate_receipt(cmd.receipt)
    notes = validate_notes(cmd.notes)
    return_url = validate_return_url(cmd.return_url, allow_private=allow_private_urls)
    now = clock.now()
    order = Order(
        id=ids.new_id(),
        merchant_id=cmd.merchant_id,
        amount=amount,
        status=OrderStatus.CREATED,
        receipt=receipt,
        notes=notes,
        created_at=now,
        updated_at=now,
        return_url=return_url,
    )
    with uow() as work:
        work.orders.add(order)
        if cmd.idempotency is not None:
            cmd.idempotency.record(work, cmd.merchant_id, order, now)
        work.commit()
    return order


def get_order(merchant_id: UUID, order_id: object, *, uow: UnitOfWorkFactory) -> OrderDetails:
    ident = parse_uuid(order_id, "order_id", OrderNotFound)
    with uow(read_only=True) as work:
        order = work.orders.get(ident, merchant_id)
        if order is None:
            raise OrderNotFound("Order not found")
        return OrderDetails(order, tuple(work.payments.for_order(order.id)))


def list_orders(
    merchant_id: UUID, page: PageRequest, *, status: object = None, uow: UnitOfWorkFactory
) -> Page[Order]:
    wanted = parse_choice(status, OrderStatus, "status")
    with uow(read_only=True) as work:
        return work.orders.list(merchant_id, page, status=wanted)


def pay_order(
    cmd: PayOrder,
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    ids: IdGenerator,
    processor: PaymentProcessor,
    card_key: bytes,
) -> Payment:
    """Charge a card for an order. Declines are recorded too (status ``failed``).

    The order stays locked while the processor decides, so of two concurrent payments on
    one order exactly one can succeed (ADR 0003 explains why the in-process simulator makes
    this safe to do inside the transaction).
    """
    order_id = parse_uuid(cmd.order_id, "order_id")
    card = parse_card(cmd.card_number, cmd.expiry, cmd.cvv, today=clock.now().date())
    with uow() as work:
        order = work.orders.get(order_id, cmd.merchant_id, for_update=True)
        if order is None:
            raise OrderNotFound("Order not found")
        order.ensure_payable()
        decision = processor.authorize(card, order.amount)
        now = clock.now()
        payment = Payment(
            id=ids.new_id(),
            order_id=order.id,
            merchant_id=order.merchant_id,
            amount=order.amount,
            status=PaymentStatus.PENDING,
            failure_reason=None,
            amount_refunded=type(order.amount).zero(order.amount.currency),
            card_last4=card.last4,
            card_fingerprint=card.fingerprint(card_key),
            created_at=now,
            updated_at=now,
        )
        if decision.approved:
            payment.authorize(now)
        else:
            payment.fail(decision.failure_reason or "card_declined", now)
        order.record_payment(approved=decision.approved, now=now)
        work.payments.add(payment)
        work.orders.update(order)
        _record_event(
            work,
            ids,
            EventType.PAYMENT_AUTHORIZED if decision.approved else EventType.PAYMENT_FAILED,
            payment,
        )
        if cmd.idempotency is not None:
            cmd.idempotency.record(work, cmd.merchant_id, payment, now)
        work.commit()
    return payment


def capture_payment(
    merchant_id: UUID, payment_id: object, *, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator
) -> Payment:
    ident = parse_uuid(payment_id, "payment_id", PaymentNotFound)
    with uow() as work:
        payment = work.payments.get(ident, merchant_id, for_update=True)
        if payment is None:
            raise PaymentNotFound("Payment not found")
        payment.capture(clock.now())
        work.payments.update(payment)
        _record_event(work, ids, EventType.PAYMENT_CAPTURED, payment)
        work.commit()
    return payment


def refund_payment(
    cmd: RefundPayment, *, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator
) -> RefundOutcome:
    """Refund all that is left, or part of it; the payment lock keeps the total in bounds."""
    payment_id = parse_uuid(cmd.payment_id, "payment_id")
    reason = validate_reason(cmd.reason)
    with uow() as work:
        payment = work.payments.get(payment_id, cmd.merchant_id, for_update=True)
        if payment is None:
            raise PaymentNotFound("Payment not found")
        amount = refund_amount(payment, cmd.amount)
        now = clock.now()
        payment.apply_refund(amount, now)
        refund = Refund(
            id=ids.new_id(),
            payment_id=payment.id,
            order_id=payment.order_id,
            merchant_id=payment.merchant_id,
            amount=amount,
            status=RefundStatus.PROCESSED,
            reason=reason,
            created_at=now,
        )
        work.refunds.add(refund)
        work.payments.update(payment)
        _record_event(work, ids, EventType.PAYMENT_REFUNDED, payment, refund)
        outcome = RefundOutcome(refund, payment)
        if cmd.idempotency is not None:
            cmd.idempotency.record(work, cmd.merchant_id, outcome, now)
        work.commit()
    return outcome


def get_payment(
    merchant_id: UUID,
    payment_id: object,
    *,
    uow: UnitOfWorkFactory,
) -> PaymentDetails:
    ident = parse_uuid(payment_id, "payment_id", PaymentNotFound)
    with uow(read_only=True) as work:
        payment = work.payments.get(ident, merchant_id)
        if payment is None:
            raise PaymentNotFound("Payment not found")
        return PaymentDetails(payment, tuple(work.refunds.for_payment(payment.id)))


def list_payments(
    merchant_id: UUID,
    page: PageRequest,
    *,
    status: object = None,
    order_id: object = None,
    uow: UnitOfWorkFactory,
) -> Page[Payment]:
    wanted = parse_choice(status, PaymentStatus, "status")
    order = parse_optional_uuid(order_id, "order_id")
    with uow(read_only=True) as work:
        return work.payments.list(merchant_id, page, status=wanted, order_id=order)


def get_refund(merchant_id: UUID, refund_id: object, *, uow: UnitOfWorkFactory) -> Refund:
    ident = parse_uuid(refund_id, "refund_id", RefundNotFound)
    with uow(read_only=True) as work:
        refund = work.refunds.get(ident, merchant_id)
    if refund is None:
        raise RefundNotFound("Refund not found")
    return refund


def list_refunds(
    merchant_id: UUID, page: PageRequest, *, payment_id: object = None, uow: UnitOfWorkFactory
) -> Page[Refund]:
    payment = parse_optional_uuid(payment_id, "payment_id")
    with uow(read_only=True) as work:
        return work.refunds.list(merchant_id, page, payment_id=payment)
