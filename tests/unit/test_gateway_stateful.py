"""The Paygate facade under random sequences of orders, payments, captures and refunds.

A model tracks what the contract says must have happened; after every step the facade's
answers must match it: refunds never exceed the payment, a paid order has exactly one
successful payment, every state change queued exactly one event of the right type with the
payment's snapshot, and the statistics add up.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import TypeVar
from uuid import UUID

import attrs
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from paygate_core import Money, PayOrder, RefundPayment
from paygate_core.errors import (
    InvalidRefundAmount,
    OrderAlreadyPaid,
    OrderNotFound,
    PaygateError,
    PaymentNotFound,
    PaymentStateConflict,
)
from paygate_core.events import DeliveryStatus, EventType, RefundSnapshot
from paygate_core.money import Currency
from paygate_core.orders import OrderStatus
from paygate_core.pagination import Keyed, Page, PageRequest
from paygate_core.payments import REFUNDABLE, SUCCESSFUL, Payment, PaymentStatus
from paygate_core.stats import CurrencyVolume, PaymentStats
from paygate_core.testing import strategies as pst
from paygate_core.testing.contract import collect_pages

from .conftest import TODAY, build_world

OUTCOMES = st.sampled_from(list(pst.CardOutcome))
K = TypeVar("K", bound=Keyed)
T = TypeVar("T")


@attrs.define
class ModelOrder:
    merchant_id: UUID
    amount: Money
    status: OrderStatus = OrderStatus.CREATED


@attrs.define
class ModelPayment:
    order_id: UUID
    merchant_id: UUID
    amount: Money
    status: PaymentStatus
    refunded: Money
    refunds: list[Money] = attrs.Factory(list)


@attrs.frozen
class ExpectedEvent:
    type: EventType
    payment_id: UUID
    status: PaymentStatus
    amount_refunded: Money
    refund: RefundSnapshot | None
    occurred_at: datetime


class PaygateMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.world = build_world(success_rate=0.5, seed=11)
        self.app = self.world.app
        hooked = self.world.merchant(webhook_url="https://shop.example/hooks")
        silent = self.world.merchant(webhook_url=None)
        self.hooked = {hooked.merchant.id: True, silent.merchant.id: False}
        self.merchants = list(self.hooked)
        self.orders: dict[UUID, ModelOrder] = {}
        self.payments: dict[UUID, ModelPayment] = {}
        self.events: dict[UUID, list[ExpectedEvent]] = {m: [] for m in self.merchants}

    # --- helpers ---

    def _expect_event(
        self, type_: EventType, payment_id: UUID, refund: RefundSnapshot | None = None
    ) -> None:
        model = self.payments[payment_id]
        self.events[model.merchant_id].append(
            ExpectedEvent(
                type_, payment_id, model.status, model.refunded, refund, self.world.clock.now()
            )
        )

    def _record_payment(self, order_id: UUID, payment: Payment) -> None:
        order = self.orders[order_id]
        approved = payment.status is PaymentStatus.AUTHORIZED
        assert payment.status in {PaymentStatus.AUTHORIZED, PaymentStatus.FAILED}
        assert payment.amount == order.amount
        order.status = OrderStatus.PAID if approved else OrderStatus.FAILED
        self.payments[payment.id] = ModelPayment(
            order_id,
            order.merchant_id,
            order.amount,
            payment.status,
            Money.zero(order.amount.currency),
        )
        self._expect_event(
            EventType.PAYMENT_AUTHORIZED if approved else EventType.PAYMENT_FAILED, payment.id
        )

    def _pick(self, data: st.DataObject, ids: list[UUID], preferred: list[UUID]) -> UUID:
        """Mostly one of the ``preferred`` ids (where the action can succeed), else any."""
        choices = st.sampled_from(sorted(ids))
        if preferred:
            choices = st.sampled_from(sorted(preferred)) | choices
        return data.draw(choices)

    # --- rules ---

    @initialize(data=st.data())
    def a_paid_order_each(self, data: st.DataObject) -> None:
        for merchant_id in self.merchants:
            self.create_order(data, merchant_id)
        for order_id in list(self.orders):
            self.pay(data, pst.CardOutcome.APPROVED, order_id)

    @rule(data=st.data())
    def create_order(self, data: st.DataObject, merchant_id: UUID | None = None) -> None:
        merchant_id = merchant_id or data.draw(st.sampled_from(self.merchants))
        cmd = data.draw(pst.create_order_commands(merchant_id))
        order = self.app.create_order(cmd)
        assert order.status is OrderStatus.CREATED
        assert order.amount.currency.code == str(cmd.currency).upper()
        assert order.amount.amount == Decimal(str(cmd.amount))
        self.orders[order.id] = ModelOrder(merchant_id, order.amount)

    @precondition(lambda self: self.orders)
    @rule(data=st.data(), outcome=OUTCOMES)
    def pay(
        self, data: st.DataObject, outcome: pst.CardOutcome, order_id: UUID | None = None
    ) -> None:
        order_id = order_id or self._pick(
            data,
            list(self.orders),
            [i for i, o in self.orders.items() if o.status is not OrderStatus.PAID],
        )
        model = self.orders[order_id]
        card = data.draw(pst.card_inputs(TODAY, outcome=outcome))
        cmd = PayOrder(model.merchant_id, str(order_id), card.number, card.expiry, card.cvv)
        try:
            payment = self.app.pay_order(cmd)
        except OrderAlreadyPaid:
            assert model.status is OrderStatus.PAID
            return
        assert model.status is not OrderStatus.PAID, "a paid order took a second payment"
        assert payment.card_last4 == card.digits[-4:]
        expected = {
            pst.CardOutcome.APPROVED: (PaymentStatus.AUTHORIZED, None),
            pst.CardOutcome.DECLINED: (PaymentStatus.FAILED, "card_declined"),
            pst.CardOutcome.NO_FUNDS: (PaymentStatus.FAILED, "insufficient_funds"),
        }
        if outcome in expected:
            assert (payment.status, payment.failure_reason) == expected[outcome]
        self._record_payment(order_id, payment)

    @precondition(lambda self: self.orders)
    @rule(data=st.data(), tries=st.integers(2, 4))
    def pay_concurrently(self, data: st.DataObject, tries: int) -> None:
        """Retries racing on one order: exactly one may succeed, the rest get 1009."""
        order_id = data.draw(st.sampled_from(sorted(self.orders)))
        model = self.orders[order_id]
        cmd = PayOrder(model.merchant_id, order_id, "4242 4242 4242 4242", "12/99", "123")
        with ThreadPoolExecutor(tries) as pool:
            outcomes = list(
                pool.map(lambda _: _attempt(lambda: self.app.pay_order(cmd)), range(tries))
            )
        paid = [o for o in outcomes if isinstance(o, Payment)]
        refused = [o for o in outcomes if isinstance(o, OrderAlreadyPaid)]
        assert len(paid) + len(refused) == tries, outcomes
        assert len(paid) == (0 if model.status is OrderStatus.PAID else 1)
        for payment in paid:
            self._record_payment(order_id, payment)

    @precondition(lambda self: self.payments)
    @rule(data=st.data())
    def capture(self, data: st.DataObject) -> None:
        payment_id = self._pick(
            data,
            list(self.payments),
            [i for i, p in self.payments.items() if p.status is PaymentStatus.AUTHORIZED],
        )
        model = self.payments[payment_id]
        try:
            payment = self.app.capture_payment(model.merchant_id, payment_id)
        except PaymentStateConflict:
            assert model.status is not PaymentStatus.AUTHORIZED
            return
        assert model.status is PaymentStatus.AUTHORIZED
        assert payment.status is PaymentStatus.CAPTURED
        model.status = PaymentStatus.CAPTURED
        self._expect_event(EventType.PAYMENT_CAPTURED, payment_id)

    @precondition(lambda self: self.payments)
    @rule(
        data=st.data(),
        action=st.builds(pst.RefundAction, st.sampled_from(pst.RefundKind), st.integers(1, 99)),
        tries=st.sampled_from([1, 1, 2, 3]),
        as_text=st.booleans(),
    )
    def refund(
        self, data: st.DataObject, action: pst.RefundAction, tries: int, as_text: bool
    ) -> None:
        """One refund, or the same one retried concurrently: the total stays in bounds."""
        payment_id = self._pick(
            data,
            list(self.payments),
            [i for i, p in self.payments.items() if p.status in REFUNDABLE],
        )
        model = self.payments[payment_id]
        amount = action.amount_for(model.amount - model.refunded)
        raw = None if amount is None else (amount.format() if as_text else amount.amount)
        cmd = RefundPayment(model.merchant_id, str(payment_id), raw, "customer request")
        with ThreadPoolExecutor(tries) as pool:
            outcomes = list(
                pool.map(lambda _: _attempt(lambda: self.app.refund_payment(cmd)), range(tries))
            )
        expected = self._refund_outcomes(model, amount, tries)
        assert Counter(_kind(o) for o in outcomes) == Counter(expected)
        # Ids are drawn under the payment's lock, so they give the order of the commits.
        done = sorted(
            (o for o in outcomes if not isinstance(o, PaygateError)), key=lambda o: o.refund.id
        )
        for outcome in done:
            self._apply_refund(payment_id, outcome.refund.id, outcome.refund.amount)

    def _refund_outcomes(self, model: ModelPayment, amount: Money | None, tries: int) -> list[str]:
        """What ``tries`` identical refund requests must yield, applied one after another."""
        status, balance = model.status, model.amount - model.refunded
        results = []
        for _ in range(tries):
            wanted = balance if amount is None else amount
            if status not in REFUNDABLE:
                results.append("PaymentStateConflict")
            elif wanted > balance:
                results.append("InvalidRefundAmount")
            else:
                results.append("refund")
                balance = balance - wanted
                if balance.is_zero():
                    status = PaymentStatus.REFUNDED
        return results

    def _apply_refund(self, payment_id: UUID, refund_id: UUID, amount: Money) -> None:
        model = self.payments[payment_id]
        model.refunded = model.refunded + amount
        model.refunds.append(amount)
        if model.refunded == model.amount:
            model.status = PaymentStatus.REFUNDED
        self._expect_event(
            EventType.PAYMENT_REFUNDED, payment_id, RefundSnapshot(refund_id, amount)
        )

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def other_merchants_see_nothing(self, data: st.DataObject) -> None:
        order_id = data.draw(st.sampled_from(sorted(self.orders)))
        model = self.orders[order_id]
        stranger = next(m for m in self.merchants if m != model.merchant_id)
        for call, error in (
            (lambda: self.app.get_order(stranger, order_id), OrderNotFound),
            (
                lambda: self.app.pay_order(
                    PayOrder(stranger, order_id, "4242424242424242", "12/99", "123")
                ),
                OrderNotFound,
            ),
        ):
            assert isinstance(_attempt(call), error)
        for payment_id in [p for p, m in self.payments.items() if m.order_id == order_id]:
            assert isinstance(
                _attempt(partial(self.app.capture_payment, stranger, payment_id)), PaymentNotFound
            )
            assert isinstance(
                _attempt(partial(self.app.refund_payment, RefundPayment(stranger, payment_id))),
                PaymentNotFound,
            )

    @rule(
        step=st.sampled_from(
            [timedelta(microseconds=1), timedelta(seconds=1), timedelta(minutes=5)]
        )
    )
    def time_passes(self, step: timedelta) -> None:
        self.world.clock.advance(step)

    # --- invariants ---

    @invariant()
    def orders_and_payments_match_the_model(self) -> None:
        for merchant_id in self.merchants:
            orders = _everything(self.app.list_orders, merchant_id)
            payments = _everything(self.app.list_payments, merchant_id)
            refunds = _everything(self.app.list_refunds, merchant_id)
            assert {o.id: o.status for o in orders} == {
                i: o.status for i, o in self.orders.items() if o.merchant_id == merchant_id
            }
            assert {p.id: (p.status, p.amount_refunded) for p in payments} == {
                i: (p.status, p.refunded)
                for i, p in self.payments.items()
                if p.merchant_id == merchant_id
            }
            for order in orders:
                successful = [
                    p for p in payments if p.order_id == order.id and p.status in SUCCESSFUL
                ]
                assert len(successful) == (1 if order.status is OrderStatus.PAID else 0)
            for payment in payments:
                mine = [r.amount for r in refunds if r.payment_id == payment.id]
                assert sum((r.amount for r in mine), Decimal(0)) == (payment.amount_refunded.amount)
                assert payment.amount_refunded <= payment.amount

    @invariant()
    def every_change_queued_exactly_one_event_with_its_snapshot(self) -> None:
        for merchant_id, expected in self.events.items():
            listed = _everything(self.app.list_webhook_events, merchant_id)
            assert len(listed) == len(expected)
            delivery = (
                DeliveryStatus.PENDING if self.hooked[merchant_id] else (DeliveryStatus.SKIPPED)
            )
            for record, want in zip(reversed(listed), expected, strict=True):
                event = record.event
                model = self.payments[want.payment_id]
                assert (
                    event.type,
                    event.payment_id,
                    event.status,
                    event.amount_refunded,
                    event.refund,
                    event.occurred_at,
                ) == attrs.astuple(want, recurse=False)
                assert (event.order_id, event.merchant_id, event.amount) == (
                    model.order_id,
                    merchant_id,
                    model.amount,
                )
                assert record.delivery_status is delivery

    @invariant()
    def statistics_agree_with_the_model(self) -> None:
        for merchant_id in self.merchants:
            assert self.app.merchant_stats(merchant_id) == self._stats(merchant_id)
        total = self.app.global_stats()
        assert (total.total_merchants, total.total_admins) == (2, 0)
        assert total.payments == self._stats(None)

    def _stats(self, merchant_id: UUID | None) -> PaymentStats:
        def mine(m: UUID) -> bool:
            return merchant_id is None or m == merchant_id

        payments = [p for p in self.payments.values() if mine(p.merchant_id)]
        paid: dict[str, Decimal] = {}
        refunded: dict[str, Decimal] = {}
        for p in payments:
            code = p.amount.currency.code
            if p.status in SUCCESSFUL:
                paid[code] = paid.get(code, Decimal(0)) + p.amount.amount
            for r in p.refunds:
                refunded[code] = refunded.get(code, Decimal(0)) + r.amount
        volume = tuple(
            CurrencyVolume(
                *_quantized(code, paid.get(code, Decimal(0)), refunded.get(code, Decimal(0)))
            )
            for code in sorted(set(paid) | set(refunded))
        )
        successful = sum(p.status in SUCCESSFUL for p in payments)
        failed = sum(p.status is PaymentStatus.FAILED for p in payments)
        orders = sum(mine(o.merchant_id) for o in self.orders.values())
        refunds = sum(len(p.refunds) for p in payments)
        return PaymentStats(orders, successful, refunds, failed, len(payments), volume)


def _quantized(
    code: str,
    paid: Decimal,
    refunded: Decimal,
) -> tuple[Currency, Decimal, Decimal]:
    money = Money.of(paid, code)
    return money.currency, money.amount, Money.of(refunded, code).amount


def _everything(fetch: Callable[[UUID, PageRequest], Page[K]], merchant_id: UUID) -> list[K]:
    return collect_pages(partial(fetch, merchant_id), 100)


def _attempt(call: Callable[[], T]) -> T | PaygateError:
    """The call's result, or the domain error it raised."""
    try:
        return call()
    except PaygateError as exc:
        return exc


def _kind(outcome: object) -> str:
    if isinstance(outcome, PaymentStateConflict | InvalidRefundAmount):
        return type(outcome).__name__
    assert not isinstance(outcome, PaygateError), outcome
    return "refund"


TestPaygateKeepsItsInvariants = PaygateMachine.TestCase
TestPaygateKeepsItsInvariants.settings = settings(stateful_step_count=25)
