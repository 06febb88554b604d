"""The contract of the ``StatsReader`` port: the exact figures of one known data set."""

from __future__ import annotations

from decimal import Decimal

from paygate_core.accounts import Merchant, Role
from paygate_core.money import CURRENCIES, Money
from paygate_core.payments import Payment, PaymentStatus
from paygate_core.stats import CurrencyVolume, GlobalStats, PaymentStats, StatsPeriod
from paygate_core.testing._builders import Builder, at
from paygate_core.testing._identity import assert_identical
from paygate_core.testing.contract._base import (
    STRANGER,
    Factory,
    reading,
    write,
)


def _volume(code: str, paid: str, refunded: str) -> CurrencyVolume:
    return CurrencyVolume(CURRENCIES[code], Decimal(paid), Decimal(refunded))


class StatsReaderContract:
    """One known mix of merchants, currencies, statuses and dates, with its exact figures."""

    PERIOD = StatsPeriod(at(days=10), at(days=20))

    def _seed(self, factory: Factory) -> tuple[Merchant, Merchant, Merchant]:
        b = Builder()
        u1, u2, u3 = b.user(), b.user(), b.user(deleted_at=at(1))
        m1, m2, m3 = b.merchant(u1), b.merchant(u2, webhook_url=None), b.merchant(u3)
        admin, ex_admin = b.user(role=Role.ADMIN), b.user(role=Role.ADMIN, deleted_at=at(2))
        rows: list[object] = [u1, u2, u3, admin, ex_admin, m1, m2, m3]

        def sale(
            merchant: Merchant, amount: str, code: str, day: int, *statuses: PaymentStatus
        ) -> list[Payment]:
            order = b.order(merchant, Money.of(amount, code), created_at=at(days=day))
            rows.append(order)
            payments = [b.payment(order, status=s) for s in statuses]
            rows.extend(payments)
            return payments

        [p1] = sale(m1, "100.00", "USD", 5, PaymentStatus.CAPTURED)  # before the period
        sale(m1, "50.25", "USD", 11, PaymentStatus.FAILED, PaymentStatus.AUTHORIZED)
        [p3] = sale(m1, "1500", "JPY", 15, PaymentStatus.REFUNDED)
        [p4] = sale(m1, "12.345", "KWD", 19, PaymentStatus.CAPTURED)
        sale(m1, "10.00", "CHF", 18, PaymentStatus.FAILED)  # no volume: failed only
        sale(m1, "20.00", "EUR", 20, PaymentStatus.AUTHORIZED)  # `to` is exclusive
        sale(m2, "7.00", "USD", 12, PaymentStatus.AUTHORIZED)
        rows += [
            b.refund(p1, Money.of("30.00", "USD"), created_at=at(days=12)),  # in the period
            b.refund(p3, Money.of("1500", "JPY"), created_at=at(days=16)),
            b.refund(p4, Money.of("0.005", "KWD"), created_at=at(days=19, seconds=86399)),
        ]
        write(factory, *rows)
        return m1, m2, m3

    def test_merchant_stats_all_time(self, uow_factory: Factory) -> None:
        m1, m2, m3 = self._seed(uow_factory)
        with reading(uow_factory) as uow:
            assert_identical(
                uow.stats.merchant_stats(m1.id, StatsPeriod()),
                PaymentStats(
                    total_orders=6,
                    successful_payments=5,
                    successful_refunds=3,
                    canceled_payments=2,
                    total_payments=7,
                    volume=(
                        _volume("EUR", "20.00", "0.00"),
                        _volume("JPY", "1500", "1500"),
                        _volume("KWD", "12.345", "0.005"),
                        _volume("USD", "150.25", "30.00"),
                    ),
                ),
            )
            assert_identical(
                uow.stats.merchant_stats(m2.id, StatsPeriod()),
                PaymentStats(1, 1, 0, 0, 1, (_volume("USD", "7.00", "0.00"),)),
            )
            assert_identical(
                uow.stats.merchant_stats(m3.id, StatsPeriod()), PaymentStats(0, 0, 0, 0, 0, ())
            )

    def test_merchant_stats_in_a_period(self, uow_factory: Factory) -> None:
        m1, _, _ = self._seed(uow_factory)
        with reading(uow_factory) as uow:
            assert_identical(
                uow.stats.merchant_stats(m1.id, self.PERIOD),
                PaymentStats(
                    total_orders=4,
                    successful_payments=3,
                    successful_refunds=3,
                    canceled_payments=2,
                    total_payments=5,
                    volume=(
                        _volume("JPY", "1500", "1500"),
                        _volume("KWD", "12.345", "0.005"),
                        _volume("USD", "50.25", "30.00"),
                    ),
                ),
            )
            assert_identical(
                uow.stats.merchant_stats(m1.id, StatsPeriod(start=at(days=20))),
                PaymentStats(1, 1, 0, 0, 1, (_volume("EUR", "20.00", "0.00"),)),
            )
            assert_identical(
                uow.stats.merchant_stats(m1.id, StatsPeriod(end=at(days=5))),
                PaymentStats(0, 0, 0, 0, 0, ()),
            )

    def test_global_stats_count_active_accounts_and_all_payments(
        self, uow_factory: Factory
    ) -> None:
        self._seed(uow_factory)
        with reading(uow_factory) as uow:
            assert_identical(
                uow.stats.global_stats(StatsPeriod()),
                GlobalStats(
                    total_merchants=2,
                    total_admins=1,
                    payments=PaymentStats(
                        total_orders=7,
                        successful_payments=6,
                        successful_refunds=3,
                        canceled_payments=2,
                        total_payments=8,
                        volume=(
                            _volume("EUR", "20.00", "0.00"),
                            _volume("JPY", "1500", "1500"),
                            _volume("KWD", "12.345", "0.005"),
                            _volume("USD", "157.25", "30.00"),
                        ),
                    ),
                ),
            )
            assert_identical(
                uow.stats.global_stats(self.PERIOD),
                GlobalStats(
                    total_merchants=2,
                    total_admins=1,
                    payments=PaymentStats(
                        total_orders=5,
                        successful_payments=4,
                        successful_refunds=3,
                        canceled_payments=2,
                        total_payments=6,
                        volume=(
                            _volume("JPY", "1500", "1500"),
                            _volume("KWD", "12.345", "0.005"),
                            _volume("USD", "57.25", "30.00"),
                        ),
                    ),
                ),
            )

    def test_stats_of_an_empty_store_are_zero(self, uow_factory: Factory) -> None:
        with reading(uow_factory) as uow:
            assert_identical(
                uow.stats.global_stats(StatsPeriod()),
                GlobalStats(0, 0, PaymentStats(0, 0, 0, 0, 0, ())),
            )
            assert_identical(
                uow.stats.merchant_stats(STRANGER, StatsPeriod()), PaymentStats(0, 0, 0, 0, 0, ())
            )
