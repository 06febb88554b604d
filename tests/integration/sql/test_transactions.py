"""A use case whose transaction does not commit leaves nothing behind: no row, no outbox
event, no statistics; and the order or payment it locked is usable again at once."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest
from sqlalchemy import Engine

from paygate_adapters.sql import SqlUnitOfWork
from paygate_core import (
    CreateOrder,
    Paygate,
    PayOrder,
    RefundPayment,
    RegisterMerchant,
    SimulatedProcessor,
    UUID4Ids,
)
from paygate_core.orders import OrderStatus
from paygate_core.pagination import PageRequest
from paygate_core.payments import Payment, PaymentStatus
from paygate_core.stats import StatsPeriod
from paygate_core.testing import FixedClock, PlainPasswordHasher, UnsignedTokenService

NOW = datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)


class DatabaseWentAway(Exception):
    """What a commit raises when the connection dies under it."""


class CommitFails(SqlUnitOfWork):
    """A real unit of work whose commit never happens: everything was written (statistics
    deltas too), then the connection is lost."""

    def commit(self) -> None:
        self.stats.global_stats(StatsPeriod())  # writes the pending statistics deltas
        raise DatabaseWentAway


def _gateway(engine: Engine, *, commits: bool) -> Paygate:
    def uow(*, read_only: bool = False) -> SqlUnitOfWork:
        kind = SqlUnitOfWork if commits or read_only else CommitFails
        return kind(engine, read_only=read_only)

    clock = FixedClock(NOW)
    return Paygate(
        uow=uow,
        clock=clock,
        ids=UUID4Ids(),
        processor=SimulatedProcessor(),
        hasher=PlainPasswordHasher(),
        tokens=UnsignedTokenService(clock),
        card_key=b"test-card-key",
    )


@pytest.fixture
def working(engine: Engine) -> Paygate:
    return _gateway(engine, commits=True)


@pytest.fixture
def failing(engine: Engine) -> Paygate:
    return _gateway(engine, commits=False)


def _pay(gateway: Paygate, merchant_id: UUID, order_id: UUID) -> Payment:
    return gateway.pay_order(
        PayOrder(
            merchant_id=merchant_id,
            order_id=order_id,
            card_number="4242424242424242",
            expiry="12/30",
            cvv="123",
        )
    )


def test_a_payment_that_does_not_commit_leaves_no_payment_event_or_statistics(
    working: Paygate, failing: Paygate
) -> None:
    merchant = working.register_merchant(
        RegisterMerchant(
            email="shop@example.com",
            name="Shop",
            password="correct horse",
            webhook_url="https://shop.example/hooks",
        )
    ).merchant
    order = working.create_order(CreateOrder(merchant_id=merchant.id, amount="50.00"))

    with pytest.raises(DatabaseWentAway):
        _pay(failing, merchant.id, order.id)

    details = working.get_order(merchant.id, order.id)
    assert details.order.status is OrderStatus.CREATED
    assert details.payments == ()
    assert working.list_webhook_events(merchant.id, PageRequest()).items == ()
    stats = working.merchant_stats(merchant.id)
    assert (stats.total_orders, stats.total_payments, stats.volume) == (1, 0, ())
    # The order lock went with the transaction: paying again works at once.
    _pay(working, merchant.id, order.id)
    assert working.get_order(merchant.id, order.id).order.status is OrderStatus.PAID


def test_a_refund_that_does_not_commit_leaves_the_payment_as_it_was(
    working: Paygate, failing: Paygate
) -> None:
    merchant = working.register_merchant(
        RegisterMerchant(email="shop@example.com", name="Shop", password="correct horse")
    ).merchant
    order = working.create_order(CreateOrder(merchant_id=merchant.id, amount="50.00"))
    payment = _pay(working, merchant.id, order.id)

    with pytest.raises(DatabaseWentAway):
        failing.refund_payment(RefundPayment(merchant_id=merchant.id, payment_id=payment.id))

    details = working.get_payment(merchant.id, payment.id)
    assert details.payment.status is PaymentStatus.AUTHORIZED
    assert details.payment.amount_refunded.is_zero()
    assert details.refunds == ()
    events = working.list_webhook_events(merchant.id, PageRequest()).items
    assert [e.event.type.value for e in events] == ["payment.authorized"]
    assert working.merchant_stats(merchant.id).successful_refunds == 0
