"""The contract of the ``RefundRepository`` port."""

from __future__ import annotations

from paygate_core.accounts import Merchant
from paygate_core.money import Money
from paygate_core.payments import Payment, PaymentStatus
from paygate_core.testing._builders import Builder, at
from paygate_core.testing._identity import assert_identical
from paygate_core.testing.contract._base import (
    STRANGER,
    Factory,
    assert_listed,
    newest_first,
    reading,
    seed_merchant,
    write,
)


class RefundRepositoryContract:
    def _paid(self, factory: Factory, b: Builder) -> tuple[Merchant, Payment]:
        _, merchant = seed_merchant(factory, b)
        order = b.order(merchant, Money.of("100.000", "BHD"))
        payment = b.payment(order, status=PaymentStatus.CAPTURED)
        write(factory, order, payment)
        return merchant, payment

    def test_refund_round_trips_every_field(self, uow_factory: Factory) -> None:
        b = Builder()
        merchant, payment = self._paid(uow_factory, b)
        quiet = b.refund(payment, Money.of("0.001", "BHD"), created_at=at(7))
        chatty = b.refund(
            payment,
            Money.of("99.999", "BHD"),
            reason="customer request «»",
            created_at=at(8, microseconds=5),
        )
        write(uow_factory, quiet, chatty)
        with reading(uow_factory) as uow:
            assert_identical(uow.refunds.get(quiet.id, merchant.id), quiet)
            assert_identical(uow.refunds.get(chatty.id, merchant.id), chatty)

    def test_another_merchants_refund_is_none(self, uow_factory: Factory) -> None:
        b = Builder()
        merchant, payment = self._paid(uow_factory, b)
        _, other = seed_merchant(uow_factory, b)
        refund = b.refund(payment, Money.of("1", "BHD"))
        write(uow_factory, refund)
        with reading(uow_factory) as uow:
            assert uow.refunds.get(refund.id, other.id) is None
            assert uow.refunds.get(STRANGER, merchant.id) is None

    def test_refunds_list_and_per_payment_newest_first(self, uow_factory: Factory) -> None:
        b = Builder()
        merchant, payment = self._paid(uow_factory, b)
        order = b.order(merchant, Money.of("100.000", "BHD"))
        second = b.payment(order)
        write(uow_factory, order, second)
        refunds = [b.refund(payment, Money.of("1", "BHD"), created_at=at(t)) for t in (3, 1, 2)]
        other = b.refund(second, Money.of("1", "BHD"), created_at=at(2))
        write(uow_factory, *refunds, other)
        with reading(uow_factory) as uow:
            assert_listed(lambda p: uow.refunds.list(merchant.id, p), [*refunds, other])
            assert_listed(
                lambda p: uow.refunds.list(merchant.id, p, payment_id=payment.id), refunds
            )
            assert_listed(lambda p: uow.refunds.list(STRANGER, p), [])
            assert_identical(list(uow.refunds.for_payment(payment.id)), newest_first(refunds))
            assert list(uow.refunds.for_payment(STRANGER)) == []
