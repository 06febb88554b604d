"""Order and payment state machines: random transition sequences against the transition tables.

Every legal move lands in the table's target state; every illegal one raises the error with
the contract's code and leaves the aggregate untouched.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paygate_core.errors import (
    ErrorCode,
    InvalidRefundAmount,
    OrderAlreadyPaid,
    PaygateError,
    PaymentStateConflict,
)
from paygate_core.money import Money
from paygate_core.orders import ORDER_TRANSITIONS, OrderStatus
from paygate_core.payments import PAYMENT_TRANSITIONS, REFUNDABLE, Payment, PaymentStatus
from paygate_core.testing._builders import Builder
from paygate_core.testing.strategies import RefundAction, RefundKind

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_order_transition_table_is_the_contracts() -> None:
    assert dict(ORDER_TRANSITIONS) == {
        OrderStatus.CREATED: {OrderStatus.PAID, OrderStatus.FAILED},
        OrderStatus.FAILED: {OrderStatus.PAID, OrderStatus.FAILED},
        OrderStatus.PAID: set(),
    }


def test_payment_transition_table_is_the_contracts() -> None:
    assert dict(PAYMENT_TRANSITIONS) == {
        PaymentStatus.PENDING: {PaymentStatus.AUTHORIZED, PaymentStatus.FAILED},
        PaymentStatus.AUTHORIZED: {PaymentStatus.CAPTURED, PaymentStatus.REFUNDED},
        PaymentStatus.CAPTURED: {PaymentStatus.REFUNDED},
        PaymentStatus.REFUNDED: set(),
        PaymentStatus.FAILED: set(),
    }


@given(attempts=st.lists(st.booleans(), max_size=10))
def test_order_moves_by_the_table_and_a_paid_order_refuses_payment(
    attempts: list[bool],
) -> None:
    order = Builder().order(Builder().new_id(), created_at=T0)
    for step, approved in enumerate(attempts, start=1):
        now = T0 + timedelta(seconds=step)
        target = OrderStatus.PAID if approved else OrderStatus.FAILED
        before = copy.deepcopy(order)
        if target in ORDER_TRANSITIONS[order.status]:
            order.ensure_payable()
            order.record_payment(approved=approved, now=now)
            assert (order.status, order.updated_at) == (target, now)
        else:
            for move in (
                order.ensure_payable,
                lambda a=approved, n=now: order.record_payment(approved=a, now=n),
            ):
                with pytest.raises(OrderAlreadyPaid) as caught:
                    move()
                assert caught.value.code is ErrorCode.ORDER_ALREADY_PAID
            assert order == before
    assert (order.status is OrderStatus.PAID) == any(attempts)


PAYMENT_MOVES = st.sampled_from(["authorize", "fail", "capture", "refund_part", "refund_rest"])


@given(start=st.sampled_from(PaymentStatus), moves=st.lists(PAYMENT_MOVES, max_size=12))
def test_payment_moves_by_the_table_and_illegal_moves_are_1012(
    start: PaymentStatus, moves: list[str]
) -> None:
    b = Builder()
    order = b.order(b.new_id(), Money.of("10.00", "USD"), created_at=T0)
    payment = b.payment(order, status=start)
    for step, move in enumerate(moves, start=1):
        now = T0 + timedelta(seconds=step)
        before = copy.deepcopy(payment)
        target = _target(move, payment.status, payment.refundable_balance)
        legal = (
            payment.status in REFUNDABLE
            if move.startswith("refund")
            else target in PAYMENT_TRANSITIONS[payment.status]
        )
        if legal:
            _apply(move, payment, now)
            assert payment.status is target
            assert payment.updated_at == now
        else:
            with pytest.raises(PaymentStateConflict) as caught:
                _apply(move, payment, now)
            assert caught.value.code is ErrorCode.PAYMENT_STATE_CONFLICT
            assert payment == before
        assert payment.amount_refunded <= payment.amount
        assert (payment.status is PaymentStatus.REFUNDED) == (
            payment.amount_refunded == payment.amount
        )


def _target(move: str, status: PaymentStatus, balance: Money) -> PaymentStatus:
    if move == "authorize":
        return PaymentStatus.AUTHORIZED
    if move == "fail":
        return PaymentStatus.FAILED
    if move == "capture":
        return PaymentStatus.CAPTURED
    if move == "refund_rest" or balance.amount == balance.currency.quantum:
        return PaymentStatus.REFUNDED
    return status


def _apply(move: str, payment: Payment, now: datetime) -> None:
    if move == "authorize":
        payment.authorize(now)
    elif move == "fail":
        payment.fail("card_declined", now)
    elif move == "capture":
        payment.capture(now)
    else:
        quantum = Money(payment.amount.currency.quantum, payment.amount.currency)
        amount = payment.refundable_balance if move == "refund_rest" else quantum
        if payment.status not in REFUNDABLE:
            amount = quantum  # the status check comes first, whatever the amount
        payment.apply_refund(amount, now)


def test_failed_payment_keeps_its_reason() -> None:
    b = Builder()
    payment = b.payment(b.order(b.new_id()), status=PaymentStatus.PENDING)
    payment.fail("insufficient_funds", T0)
    assert (payment.status, payment.failure_reason) == (PaymentStatus.FAILED, "insufficient_funds")


def _refusal(payment: Payment, amount: Money) -> type[PaygateError] | None:
    """The error a refund of ``amount`` must raise, by the rules (not by the code)."""
    if payment.status not in REFUNDABLE:
        return PaymentStateConflict
    if amount.is_zero() or amount > payment.refundable_balance:
        return InvalidRefundAmount
    return None


@given(
    kinds=st.lists(
        st.builds(RefundAction, st.sampled_from(RefundKind), st.integers(1, 99)), max_size=8
    ),
    captured=st.booleans(),
)
def test_refunds_never_exceed_the_amount_and_refunding_everything_ends_it(
    kinds: list[RefundAction], captured: bool
) -> None:
    b = Builder()
    payment = b.payment(
        b.order(b.new_id(), Money.of("99.99", "EUR")),
        status=PaymentStatus.CAPTURED if captured else PaymentStatus.AUTHORIZED,
    )
    for step, action in enumerate(kinds, start=1):
        now = T0 + timedelta(seconds=step)
        before = copy.deepcopy(payment)
        amount = action.amount_for(payment.refundable_balance) or payment.refundable_balance
        refused = _refusal(before, amount)
        if refused is not None:
            with pytest.raises(refused):
                payment.apply_refund(amount, now)
            assert payment == before
            continue
        payment.apply_refund(amount, now)
        assert action.kind is not RefundKind.TOO_MUCH
        assert payment.amount_refunded == before.amount_refunded + amount
        expected_status = (
            PaymentStatus.REFUNDED if payment.refundable_balance.is_zero() else before.status
        )
        assert payment.status is expected_status
    assert payment.amount_refunded <= payment.amount
