"""Orders, payments, captures and refunds through the Paygate facade (in-memory adapters)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from uuid import UUID

import pytest

from paygate_core import CreateOrder, Money, PayOrder, RefundPayment
from paygate_core.errors import (
    ErrorCode,
    InvalidAmount,
    InvalidCard,
    InvalidRefundAmount,
    OrderAlreadyPaid,
    OrderNotFound,
    PaymentNotFound,
    PaymentStateConflict,
    RefundNotFound,
    ValidationFailed,
)
from paygate_core.events import DeliveryStatus, EventType
from paygate_core.orders import OrderStatus
from paygate_core.pagination import PageRequest
from paygate_core.payments import Payment, PaymentStatus
from paygate_core.refunds import MAX_REASON_LENGTH
from paygate_core.testing.contract import collect_pages

from .conftest import CARD_KEY, NOW, World

APPROVES = "4242 4242 4242 4242"
DECLINES = "4000 0000 0000 0002"
NO_FUNDS = "4000 0000 0000 9995"


def order_of(
    world: World, merchant: UUID, amount: object = "100.00", currency: object = "USD"
) -> UUID:
    return world.app.create_order(CreateOrder(merchant, amount, currency)).id


def pay(world: World, merchant: UUID, order: UUID, card: str = APPROVES) -> Payment:
    return world.app.pay_order(PayOrder(merchant, str(order), card, "12/30", "123"))


@pytest.fixture
def merchant(world: World) -> UUID:
    return world.merchant().merchant.id


@pytest.fixture
def payment(world: World, merchant: UUID) -> Payment:
    return pay(world, merchant, order_of(world, merchant))


def events_of(world: World, merchant: UUID) -> list[tuple[EventType, PaymentStatus, str]]:
    listed = collect_pages(lambda p: world.app.list_webhook_events(merchant, p), 50)
    return [
        (e.event.type, e.event.status, e.event.amount_refunded.format()) for e in reversed(listed)
    ]


# --- orders --------------------------------------------------------------------------------


def test_order_defaults_to_inr_and_keeps_receipt_and_notes(world: World, merchant: UUID) -> None:
    order = world.app.create_order(CreateOrder(merchant, 100, receipt="inv-42", notes={"k": "v"}))
    assert (order.amount, order.status, order.receipt, order.notes) == (
        Money.of("100.00", "INR"),
        OrderStatus.CREATED,
        "inv-42",
        {"k": "v"},
    )
    assert order.created_at == order.updated_at == NOW


def test_order_currency_is_case_insensitive_and_stored_uppercase(
    world: World, merchant: UUID
) -> None:
    order = world.app.create_order(CreateOrder(merchant, "5", "jpy"))
    assert order.amount.currency.code == "JPY"
    assert order.amount.format() == "5"


@pytest.mark.parametrize(
    ("cmd", "error", "field"),
    [
        ({"amount": None}, ValidationFailed, "amount"),
        ({"amount": True}, ValidationFailed, "amount"),
        ({"amount": 10.5}, ValidationFailed, "amount"),
        ({"amount": "1e2"}, InvalidAmount, "amount"),
        ({"amount": "10.001"}, InvalidAmount, "amount"),
        ({"amount": "10", "currency": "XYZ"}, InvalidAmount, "currency"),
        ({"amount": "10", "currency": 840}, ValidationFailed, "currency"),
        ({"amount": "10", "receipt": "x" * 41}, ValidationFailed, "receipt"),
        ({"amount": "10", "receipt": 42}, ValidationFailed, "receipt"),
        ({"amount": "10", "notes": {str(i): "v" for i in range(16)}}, ValidationFailed, "notes"),
        ({"amount": "10", "notes": {"k": 1}}, ValidationFailed, "notes"),
        ({"amount": "10", "notes": ["k"]}, ValidationFailed, "notes"),
        ({"amount": "10", "notes": {"k\x00": "v"}}, ValidationFailed, "notes"),
        ({"amount": "10", "notes": {"k": "\x00"}}, ValidationFailed, "notes"),
        ({"amount": "10", "receipt": "inv\x00"}, ValidationFailed, "receipt"),
    ],
)
def test_invalid_orders_are_refused_naming_the_field(
    world: World, merchant: UUID, cmd: dict[str, object], error: type[Exception], field: str
) -> None:
    with pytest.raises(error) as caught:
        world.app.create_order(CreateOrder(merchant, **cmd))
    assert field in getattr(caught.value, "fields", {})
    assert collect_pages(lambda p: world.app.list_orders(merchant, p), 10) == []


def test_orders_list_newest_first_by_default(world: World, merchant: UUID) -> None:
    made = [order_of(world, merchant) for _ in range(3)]
    assert [o.id for o in world.app.list_orders(merchant, PageRequest()).items] == made[::-1]


def test_orders_list_filters_by_status(world: World, merchant: UUID) -> None:
    paid, failed, fresh = (order_of(world, merchant) for _ in range(3))
    pay(world, merchant, paid)
    pay(world, merchant, failed, DECLINES)
    for status, expected in (("paid", paid), ("FAILED", failed), ("created", fresh)):
        page = world.app.list_orders(merchant, PageRequest(), status=status)
        assert [o.id for o in page.items] == [expected]
    with pytest.raises(ValidationFailed):
        world.app.list_orders(merchant, PageRequest(), status="shipped")


def test_another_merchants_order_is_not_found(world: World, merchant: UUID) -> None:
    order = order_of(world, merchant)
    other = world.merchant().merchant.id
    for call in (
        lambda: world.app.get_order(other, order),
        lambda: world.app.get_order(merchant, "not-a-uuid"),
        lambda: pay(world, other, order),
    ):
        with pytest.raises(OrderNotFound) as caught:
            call()
        assert caught.value.code is ErrorCode.ORDER_NOT_FOUND


# --- payments ------------------------------------------------------------------------------


def test_approved_payment_authorizes_and_pays_the_order(world: World, merchant: UUID) -> None:
    order = order_of(world, merchant, "250.00", "EUR")
    payment = pay(world, merchant, order)
    assert (payment.status, payment.failure_reason, payment.amount) == (
        PaymentStatus.AUTHORIZED,
        None,
        Money.of("250", "EUR"),
    )
    assert payment.amount_refunded == Money.zero(payment.amount.currency)
    assert payment.card_last4 == "4242"
    details = world.app.get_order(merchant, order)
    assert details.order.status is OrderStatus.PAID
    assert [p.id for p in details.payments] == [payment.id]


@pytest.mark.parametrize(
    ("card", "reason"), [(DECLINES, "card_declined"), (NO_FUNDS, "insufficient_funds")]
)
def test_declined_payment_is_recorded_and_fails_the_order(
    world: World, merchant: UUID, card: str, reason: str
) -> None:
    order = order_of(world, merchant)
    payment = pay(world, merchant, order, card)
    assert (payment.status, payment.failure_reason) == (PaymentStatus.FAILED, reason)
    assert world.app.get_order(merchant, order).order.status is OrderStatus.FAILED
    assert world.app.get_payment(merchant, payment.id).payment == payment


def test_failed_order_may_be_paid_again_but_a_paid_one_never(world: World, merchant: UUID) -> None:
    order = order_of(world, merchant)
    pay(world, merchant, order, DECLINES)
    pay(world, merchant, order, DECLINES)
    pay(world, merchant, order)
    with pytest.raises(OrderAlreadyPaid) as caught:
        pay(world, merchant, order)
    assert caught.value.code is ErrorCode.ORDER_ALREADY_PAID
    payments = world.app.get_order(merchant, order).payments
    assert [p.status for p in payments] == [
        PaymentStatus.AUTHORIZED,
        PaymentStatus.FAILED,
        PaymentStatus.FAILED,
    ]


def test_invalid_card_records_nothing(world: World, merchant: UUID) -> None:
    order = order_of(world, merchant)
    with pytest.raises(InvalidCard):
        world.app.pay_order(PayOrder(merchant, order, "4242", "12/30", "123"))
    with pytest.raises(InvalidCard):
        world.app.pay_order(PayOrder(merchant, order, APPROVES, "09/26", "123"))
    assert world.app.get_order(merchant, order).payments == ()
    assert events_of(world, merchant) == []


def test_card_expiring_this_month_is_accepted(world: World, merchant: UUID) -> None:
    order = order_of(world, merchant)
    payment = world.app.pay_order(
        PayOrder(merchant, order, APPROVES, f"{NOW.month:02d}/{NOW.year % 100}", "123")
    )
    assert payment.status is PaymentStatus.AUTHORIZED


def test_payment_keeps_last4_and_fingerprint_never_the_number(world: World, merchant: UUID) -> None:
    payment = pay(world, merchant, order_of(world, merchant), "5555-4444-3333-1111")
    assert payment.card_last4 == "1111"
    from paygate_core.cards import card_fingerprint

    assert payment.card_fingerprint == card_fingerprint("5555444433331111", CARD_KEY)
    stored = repr(world.store.tables)
    assert "5555444433331111" not in stored
    assert "'123'" not in stored


def test_capture_moves_authorized_to_captured_once(
    world: World, merchant: UUID, payment: Payment
) -> None:
    captured = world.app.capture_payment(merchant, payment.id)
    assert captured.status is PaymentStatus.CAPTURED
    with pytest.raises(PaymentStateConflict) as caught:
        world.app.capture_payment(merchant, payment.id)
    assert caught.value.code is ErrorCode.PAYMENT_STATE_CONFLICT


def test_failed_payment_cannot_be_captured(world: World, merchant: UUID) -> None:
    failed = pay(world, merchant, order_of(world, merchant), DECLINES)
    with pytest.raises(PaymentStateConflict):
        world.app.capture_payment(merchant, failed.id)


def test_another_merchants_payment_is_not_found(
    world: World, merchant: UUID, payment: Payment
) -> None:
    other = world.merchant().merchant.id
    for call in (
        lambda: world.app.get_payment(other, payment.id),
        lambda: world.app.capture_payment(other, payment.id),
        lambda: world.app.capture_payment(merchant, "nope"),
        lambda: world.app.refund_payment(RefundPayment(other, payment.id)),
    ):
        with pytest.raises(PaymentNotFound):
            call()


def test_payments_list_filters_by_status_and_order(world: World, merchant: UUID) -> None:
    first, second = order_of(world, merchant), order_of(world, merchant)
    declined = pay(world, merchant, first, DECLINES)
    approved = pay(world, merchant, first)
    other = pay(world, merchant, second)
    page = world.app.list_payments(merchant, PageRequest(), status="authorized")
    assert [p.id for p in page.items] == [other.id, approved.id]
    page = world.app.list_payments(merchant, PageRequest(), order_id=str(first))
    assert [p.id for p in page.items] == [approved.id, declined.id]
    with pytest.raises(ValidationFailed):
        world.app.list_payments(merchant, PageRequest(), order_id="nope")


# --- refunds -------------------------------------------------------------------------------


def refund(world: World, merchant: UUID, payment: Payment, amount: object = None) -> object:
    return world.app.refund_payment(RefundPayment(merchant, str(payment.id), amount))


def test_refund_without_amount_refunds_the_whole_balance(
    world: World, merchant: UUID, payment: Payment
) -> None:
    outcome = world.app.refund_payment(RefundPayment(merchant, payment.id))
    assert outcome.refund.amount == payment.amount
    assert outcome.refund.reason is None
    assert outcome.payment.status is PaymentStatus.REFUNDED
    assert outcome.payment.amount_refunded == payment.amount


def test_partial_refunds_add_up_and_the_last_cent_ends_the_payment(
    world: World, merchant: UUID, payment: Payment
) -> None:
    world.app.capture_payment(merchant, payment.id)
    first = world.app.refund_payment(RefundPayment(merchant, payment.id, "40.00", "damaged"))
    assert (first.payment.status, first.payment.amount_refunded.format()) == (
        PaymentStatus.CAPTURED,
        "40.00",
    )
    assert first.refund.reason == "damaged"
    second = world.app.refund_payment(RefundPayment(merchant, payment.id, Decimal("59.99")))
    assert second.payment.status is PaymentStatus.CAPTURED
    last = world.app.refund_payment(RefundPayment(merchant, payment.id, "0.01"))
    assert (last.payment.status, last.payment.amount_refunded.format()) == (
        PaymentStatus.REFUNDED,
        "100.00",
    )
    details = world.app.get_payment(merchant, payment.id)
    assert [r.amount.format() for r in details.refunds] == ["0.01", "59.99", "40.00"]
    assert world.app.get_order(merchant, payment.order_id).order.status is OrderStatus.PAID


@pytest.mark.parametrize("amount", ["100.01", "0", "0.00", "-1", "10.001", "1e1", "NaN"])
def test_refund_amount_out_of_bounds_is_1013(
    world: World, merchant: UUID, payment: Payment, amount: str
) -> None:
    with pytest.raises(InvalidRefundAmount) as caught:
        refund(world, merchant, payment, amount)
    assert caught.value.code is ErrorCode.INVALID_REFUND_AMOUNT
    assert "amount" in caught.value.fields
    assert world.app.get_payment(merchant, payment.id).refunds == ()


def test_refund_above_the_remaining_balance_is_1013(
    world: World, merchant: UUID, payment: Payment
) -> None:
    refund(world, merchant, payment, "60.00")
    with pytest.raises(InvalidRefundAmount):
        refund(world, merchant, payment, "40.01")
    refund(world, merchant, payment, "40.00")


@pytest.mark.parametrize("amount", [True, 1.5, [1]])
def test_refund_amount_of_the_wrong_type_is_1004(
    world: World, merchant: UUID, payment: Payment, amount: object
) -> None:
    with pytest.raises(ValidationFailed):
        refund(world, merchant, payment, amount)


@pytest.mark.parametrize("amount", [None, "1.00", "1000.00", "-5"])
def test_failed_payment_cannot_be_refunded_whatever_the_amount(
    world: World, merchant: UUID, amount: object
) -> None:
    failed = pay(world, merchant, order_of(world, merchant), DECLINES)
    with pytest.raises(PaymentStateConflict) as caught:
        refund(world, merchant, failed, amount)
    assert caught.value.code is ErrorCode.PAYMENT_STATE_CONFLICT


def test_refunded_payment_cannot_be_refunded_or_captured_again(
    world: World, merchant: UUID, payment: Payment
) -> None:
    refund(world, merchant, payment)
    with pytest.raises(PaymentStateConflict):
        refund(world, merchant, payment)
    with pytest.raises(PaymentStateConflict):
        world.app.capture_payment(merchant, payment.id)


def test_refund_reason_without_nul_characters(
    world: World, merchant: UUID, payment: Payment
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        world.app.refund_payment(RefundPayment(merchant, payment.id, None, "oops\x00"))
    assert caught.value.fields == {"reason": "must not contain NUL characters"}


def test_refund_reason_is_at_most_255_characters(
    world: World, merchant: UUID, payment: Payment
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        world.app.refund_payment(
            RefundPayment(merchant, payment.id, None, "x" * (MAX_REASON_LENGTH + 1))
        )
    assert set(caught.value.fields) == {"reason"}
    outcome = world.app.refund_payment(
        RefundPayment(merchant, payment.id, None, "x" * MAX_REASON_LENGTH)
    )
    assert outcome.refund.reason == "x" * MAX_REASON_LENGTH


def test_refunds_are_found_and_listed_by_their_merchant_only(
    world: World, merchant: UUID, payment: Payment
) -> None:
    done = world.app.refund_payment(RefundPayment(merchant, payment.id, "1.00")).refund
    other = world.merchant().merchant.id
    assert world.app.get_refund(merchant, done.id) == done
    for who, ident in ((other, done.id), (merchant, "nope"), (merchant, UUID(int=5))):
        with pytest.raises(RefundNotFound) as caught:
            world.app.get_refund(who, ident)
        assert caught.value.code is ErrorCode.REFUND_NOT_FOUND
    assert [
        r.id for r in world.app.list_refunds(merchant, PageRequest(), payment_id=payment.id).items
    ] == [done.id]
    assert world.app.list_refunds(other, PageRequest()).items == ()


def test_jpy_refunds_have_no_minor_units(world: World, merchant: UUID) -> None:
    payment = pay(world, merchant, order_of(world, merchant, 1000, "JPY"))
    with pytest.raises(InvalidRefundAmount):
        refund(world, merchant, payment, "0.5")
    outcome = world.app.refund_payment(RefundPayment(merchant, payment.id, 999))
    assert outcome.payment.amount_refunded.format() == "999"


# --- events ----------------------------------------------------------------------------------


def test_every_change_queues_one_event_with_the_snapshot_of_that_moment(
    world: World, merchant: UUID
) -> None:
    declined = pay(world, merchant, order := order_of(world, merchant), DECLINES)
    approved = pay(world, merchant, order)
    world.app.capture_payment(merchant, approved.id)
    world.app.refund_payment(RefundPayment(merchant, approved.id, "30.00"))
    world.app.refund_payment(RefundPayment(merchant, approved.id))
    assert events_of(world, merchant) == [
        (EventType.PAYMENT_FAILED, PaymentStatus.FAILED, "0.00"),
        (EventType.PAYMENT_AUTHORIZED, PaymentStatus.AUTHORIZED, "0.00"),
        (EventType.PAYMENT_CAPTURED, PaymentStatus.CAPTURED, "0.00"),
        (EventType.PAYMENT_REFUNDED, PaymentStatus.CAPTURED, "30.00"),
        (EventType.PAYMENT_REFUNDED, PaymentStatus.REFUNDED, "100.00"),
    ]
    listed = collect_pages(lambda p: world.app.list_webhook_events(merchant, p), 50)
    assert listed[-1].event.payment_id == declined.id
    assert listed[-1].event.failure_reason == "card_declined"
    refund_event = listed[0].event
    assert refund_event.refund is not None
    assert refund_event.refund.amount.format() == "70.00"
    assert refund_event.payload()["refund"] == {
        "refund_id": str(refund_event.refund.refund_id),
        "amount": "70.00",
    }
    assert all(e.delivery_status is DeliveryStatus.PENDING for e in listed)


def test_events_of_a_merchant_without_webhook_url_are_skipped(world: World) -> None:
    merchant = world.merchant(webhook_url=None).merchant.id
    pay(world, merchant, order_of(world, merchant))
    [event] = collect_pages(lambda p: world.app.list_webhook_events(merchant, p), 5)
    assert event.delivery_status is DeliveryStatus.SKIPPED


def test_rejected_requests_queue_no_event(world: World, merchant: UUID, payment: Payment) -> None:
    before = events_of(world, merchant)
    world.app.capture_payment(merchant, payment.id)
    refused: list[Callable[[], object]] = [
        lambda: pay(world, merchant, payment.order_id),
        lambda: refund(world, merchant, payment, "500.00"),
        lambda: world.app.capture_payment(merchant, payment.id),
    ]
    for call in refused:
        with pytest.raises((OrderAlreadyPaid, InvalidRefundAmount, PaymentStateConflict)):
            call()
    assert len(events_of(world, merchant)) == len(before) + 1  # the one good capture
