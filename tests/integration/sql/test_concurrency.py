"""Real threads racing on one database: the locks of ADR 0003 keep money and deliveries right.

Every test runs on SQLite (one writer at a time via ``BEGIN IMMEDIATE``) and PostgreSQL
(row locks with ``FOR UPDATE``, ``SKIP LOCKED`` for the outbox).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TypeVar
from uuid import UUID

import pytest

from paygate_adapters.sql import SqlUnitOfWorkFactory
from paygate_core import (
    CreateOrder,
    DeliveryStatus,
    Paygate,
    PayOrder,
    RefundPayment,
    RegisterMerchant,
    SimulatedProcessor,
    UUID4Ids,
)
from paygate_core.errors import (
    EmailAlreadyRegistered,
    InvalidRefundAmount,
    OrderAlreadyPaid,
    PaymentStateConflict,
)
from paygate_core.pagination import PageRequest
from paygate_core.payments import Payment, PaymentStatus
from paygate_core.testing import FixedClock, PlainPasswordHasher, UnsignedTokenService
from paygate_core.testing.contract import Builder, at, seed_merchant, write

T = TypeVar("T")
CARD = "4242424242424242"
NOW = datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)


def race(count: int, action: Callable[[int], T]) -> list[T | Exception]:
    """Run ``action(i)`` for ``i`` in ``range(count)`` on as many threads, released at once."""
    start = threading.Barrier(count)

    def run(index: int) -> T | Exception:
        start.wait()
        try:
            return action(index)
        except Exception as exc:  # the outcome is what the test inspects
            return exc

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def outcome(result: object) -> str:
    return type(result).__name__


@pytest.fixture
def gateway(uow_factory: SqlUnitOfWorkFactory) -> Paygate:
    clock = FixedClock(NOW)
    return Paygate(
        uow=uow_factory,
        clock=clock,
        ids=UUID4Ids(),
        processor=SimulatedProcessor(seed=1),
        hasher=PlainPasswordHasher(),
        tokens=UnsignedTokenService(clock),
        card_key=b"test-card-key",
    )


def _merchant(gateway: Paygate, email: str = "shop@example.com") -> UUID:
    registration = gateway.register_merchant(
        RegisterMerchant(
            email=email,
            name="Shop",
            password="correct horse",
            webhook_url="https://shop.example/hooks",
        )
    )
    return registration.merchant.id


def _pay(gateway: Paygate, merchant_id: UUID, order_id: UUID) -> Payment:
    return gateway.pay_order(
        PayOrder(
            merchant_id=merchant_id, order_id=order_id, card_number=CARD, expiry="12/30", cvv="123"
        )
    )


def test_twenty_concurrent_payments_on_one_order_charge_it_exactly_once(gateway: Paygate) -> None:
    merchant_id = _merchant(gateway)
    order = gateway.create_order(CreateOrder(merchant_id=merchant_id, amount="50.00"))

    results = race(20, lambda _: _pay(gateway, merchant_id, order.id))

    assert Counter(map(outcome, results)) == {"Payment": 1, "OrderAlreadyPaid": 19}
    assert all(isinstance(r, Payment | OrderAlreadyPaid) for r in results)
    details = gateway.get_order(merchant_id, order.id)
    assert details.order.status.value == "paid"
    assert [p.status for p in details.payments] == [PaymentStatus.AUTHORIZED]
    events = gateway.list_webhook_events(merchant_id, PageRequest(limit=100))
    assert [e.event.type.value for e in events.items] == ["payment.authorized"]
    stats = gateway.merchant_stats(merchant_id)
    assert (stats.total_payments, stats.successful_payments) == (1, 1)


def test_ten_concurrent_refunds_never_refund_more_than_the_payment(gateway: Paygate) -> None:
    merchant_id = _merchant(gateway)
    order = gateway.create_order(CreateOrder(merchant_id=merchant_id, amount="50.00"))
    payment = _pay(gateway, merchant_id, order.id)

    results = race(
        10,
        lambda _: gateway.refund_payment(
            RefundPayment(merchant_id=merchant_id, payment_id=payment.id, amount="10.00")
        ),
    )

    refused = [r for r in results if isinstance(r, Exception)]
    assert len(refused) == 5
    assert all(isinstance(r, InvalidRefundAmount | PaymentStateConflict) for r in refused)
    details = gateway.get_payment(merchant_id, payment.id)
    assert details.payment.amount_refunded.amount == Decimal("50.00")
    assert details.payment.status is PaymentStatus.REFUNDED
    assert [r.amount.amount for r in details.refunds] == [Decimal("10.00")] * 5
    stats = gateway.merchant_stats(merchant_id)
    assert stats.successful_refunds == 5
    assert stats.volume[0].refunded_amount == Decimal("50.00")


def test_concurrent_registrations_with_one_email_create_one_user(gateway: Paygate) -> None:
    results = race(
        8, lambda i: _merchant(gateway, "Same@Example.com" if i % 2 else "same@example.com")
    )

    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(isinstance(r, EmailAlreadyRegistered) for r in results if isinstance(r, Exception))


def test_concurrent_workers_never_claim_one_event_twice(uow_factory: SqlUnitOfWorkFactory) -> None:
    b = Builder()
    _, merchant = seed_merchant(uow_factory, b)
    order = b.order(merchant)
    payment = b.payment(order)
    write(uow_factory, order, payment)
    events = [b.event(payment) for _ in range(30)]
    with uow_factory() as uow:
        for i, event in enumerate(events):
            uow.outbox.add(event, deliver=True, now=at(i))
        uow.commit()

    def worker(_: int) -> list[UUID]:
        claimed: list[UUID] = []
        while True:
            with uow_factory() as uow:
                batch = uow.outbox.claim_due(at(3600), 3, timedelta(hours=1))
                uow.commit()
            if not batch:
                return claimed
            claimed.extend(d.webhook.id for d in batch)

    results = race(5, worker)

    assert not [r for r in results if isinstance(r, Exception)]
    claimed = [event_id for batch in results if isinstance(batch, list) for event_id in batch]
    assert sorted(claimed) == sorted(e.id for e in events)  # each exactly once
    with uow_factory(read_only=True) as uow:
        stored = [uow.outbox.get(e.id, merchant.id) for e in events]
    assert {(s.delivery_status, s.attempts) for s in stored if s} == {(DeliveryStatus.PENDING, 1)}


def test_concurrent_first_requests_with_one_idempotency_key_have_one_owner(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    _, merchant = seed_merchant(uow_factory, Builder())

    def claim(_: int) -> object:
        with uow_factory() as uow:
            found = uow.idempotency.claim(merchant.id, "key", "hash", at(0), timedelta(minutes=10))
            uow.commit()
        return found

    results = race(10, claim)

    assert sum(r is None for r in results) == 1
    assert all(r is None or getattr(r, "key", None) == "key" for r in results)
