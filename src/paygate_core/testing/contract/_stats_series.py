"""The contract of the ``StatsReader`` series methods: buckets aligned to UTC hours or days,
each holding exactly the totals of its own range, so a range's buckets add up to its
totals."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paygate_core.accounts import Merchant
from paygate_core.money import Money
from paygate_core.payments import REFUNDABLE, PaymentStatus
from paygate_core.stats import StatsPeriod
from paygate_core.stats_series import (
    EMPTY_STATS,
    Interval,
    SeriesBucket,
    SeriesQuery,
    zero_filled,
)
from paygate_core.testing._builders import T0, Builder
from paygate_core.testing._identity import assert_identical
from paygate_core.testing.contract._base import STRANGER, Factory, reading, write

DAY0 = Interval.DAY.floor(T0)
"""Midnight UTC before ``T0``: the start of the data sets' window."""
_WINDOW = timedelta(days=4)
_FRESH_IDS = itertools.count(1)  # each generated example writes merchants of its own
_AMOUNTS = {"USD": ("0.01", "19.99", "100.00"), "JPY": ("1", "1500"), "KWD": ("0.001", "12.345")}
_STATUSES = st.sampled_from(list(PaymentStatus))


def _moments() -> st.SearchStrategy[datetime]:
    """Instants in the window, often exactly on an hour or a day boundary (or next to it)."""
    micros = int(_WINDOW / timedelta(microseconds=1))
    hours = int(_WINDOW / timedelta(hours=1))
    near = st.tuples(st.integers(1, hours - 1), st.sampled_from((-1, 0, 1))).map(
        lambda pair: DAY0 + timedelta(hours=pair[0], microseconds=pair[1])
    )
    anywhere = st.integers(0, micros - 1).map(lambda us: DAY0 + timedelta(microseconds=us))
    return st.one_of(st.just(DAY0), near, anywhere)


_SALE = st.fixed_dictionaries(
    {
        "currency": st.sampled_from(sorted(_AMOUNTS)),
        "pick": st.integers(0, 1),
        "order_at": _moments(),
        "payments": st.lists(
            st.tuples(_STATUSES, _moments(), st.booleans(), _moments()), max_size=3
        ),
    }
)


@st.composite
def _queries(draw: st.DrawFn) -> SeriesQuery:
    """Aligned ranges around and inside the window, empty ones included."""
    interval = draw(st.sampled_from(list(Interval)))
    last = int(_WINDOW / interval.step) + 1
    first = draw(st.integers(-2, last))
    count = draw(st.integers(0, last + 2 - first))
    start = DAY0 + interval.step * first
    return SeriesQuery(interval, start, start + interval.step * count)


def _seed_sales(factory: Factory, sales: list[dict[str, object]]) -> Merchant:
    """A new merchant with these sales: orders, payments in any status, refunds of some."""
    b = Builder(first_id=next(_FRESH_IDS) * 1000)
    user = b.user()
    merchant = b.merchant(user)
    rows: list[object] = [user, merchant]
    for sale in sales:
        code = str(sale["currency"])
        choices = _AMOUNTS[code]
        amount = Money.of(choices[int(str(sale["pick"])) % len(choices)], code)
        order = b.order(merchant, amount, created_at=sale["order_at"])  # type: ignore[arg-type]
        rows.append(order)
        for status, paid_at, refund, refunded_at in sale["payments"]:  # type: ignore[attr-defined]
            payment = b.payment(order, status=status, created_at=paid_at)
            rows.append(payment)
            if refund and status in REFUNDABLE:
                rows.append(b.refund(payment, amount, created_at=refunded_at))
    write(factory, *rows)
    return merchant


class StatsSeriesContract:
    """``merchant_series``/``global_series``: active buckets only, each exactly the totals of
    its UTC hour or day, none outside the range."""

    @settings(
        max_examples=min(settings().max_examples, 25),
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(sales=st.lists(_SALE, max_size=6), query=_queries())
    def test_buckets_add_up_to_the_totals_of_the_range(
        self, uow_factory: Factory, sales: list[dict[str, object]], query: SeriesQuery
    ) -> None:
        merchant = _seed_sales(uow_factory, sales)
        with reading(uow_factory) as uow:
            mine = zero_filled(query, uow.stats.merchant_series(merchant.id, query))
            assert_identical(mine.total, uow.stats.merchant_stats(merchant.id, query.period))
            everyone = zero_filled(query, uow.stats.global_series(query))
            assert_identical(everyone.total, uow.stats.global_stats(query.period).payments)
            for bucket in mine.buckets:
                own = StatsPeriod(bucket.start, bucket.start + query.interval.step)
                assert_identical(bucket.stats, uow.stats.merchant_stats(merchant.id, own))

    def test_a_bucket_holds_its_own_hour_or_day(self, uow_factory: Factory) -> None:
        """Activity on either side of a boundary lands in the bucket holding its instant."""
        midnight = DAY0 + timedelta(days=1)
        merchant = _seed_sales(
            uow_factory,
            [
                {
                    "currency": "USD",
                    "pick": 1,
                    "order_at": midnight - timedelta(microseconds=1),
                    "payments": [
                        (
                            PaymentStatus.CAPTURED,
                            midnight,
                            True,
                            midnight + timedelta(hours=1, minutes=30),
                        )
                    ],
                },
                {
                    "currency": "JPY",
                    "pick": 1,
                    "order_at": midnight,
                    "payments": [
                        (PaymentStatus.FAILED, midnight + timedelta(minutes=59), False, midnight)
                    ],
                },
            ],
        )
        usd, jpy = Money.of("19.99", "USD"), Money.of("1500", "JPY")
        with reading(uow_factory) as uow:
            days = uow.stats.merchant_series(
                merchant.id, SeriesQuery(Interval.DAY, DAY0, DAY0 + timedelta(days=3))
            )
            hours = uow.stats.merchant_series(
                merchant.id,
                SeriesQuery(
                    Interval.HOUR, midnight - timedelta(hours=1), midnight + timedelta(hours=3)
                ),
            )
        assert [b.start for b in sorted(days, key=lambda b: b.start)] == [DAY0, midnight]
        assert [b.start for b in sorted(hours, key=lambda b: b.start)] == [
            midnight - timedelta(hours=1),
            midnight,
            midnight + timedelta(hours=1),
        ]
        by_start = {b.start: b.stats for b in days}
        first, second = by_start[DAY0], by_start[midnight]
        assert (first.total_orders, first.total_payments, first.volume) == (1, 0, ())
        assert (
            second.total_orders,
            second.total_payments,
            second.successful_payments,
            second.canceled_payments,
            second.successful_refunds,
        ) == (1, 2, 1, 1, 1)
        assert [(v.currency.code, v.paid_amount, v.refunded_amount) for v in second.volume] == [
            ("USD", usd.amount, usd.amount)
        ]
        assert jpy.currency.code not in {v.currency.code for v in second.volume}

    def test_nothing_outside_the_range_and_nothing_when_empty(self, uow_factory: Factory) -> None:
        merchant = _seed_sales(
            uow_factory,
            [
                {
                    "currency": "KWD",
                    "pick": 1,
                    "order_at": DAY0 + timedelta(hours=5),
                    "payments": [
                        (PaymentStatus.AUTHORIZED, DAY0 + timedelta(hours=5), False, DAY0)
                    ],
                },
            ],
        )
        before = SeriesQuery(Interval.HOUR, DAY0, DAY0 + timedelta(hours=5))
        after = SeriesQuery(Interval.HOUR, DAY0 + timedelta(hours=6), DAY0 + timedelta(days=1))
        empty = SeriesQuery(Interval.DAY, DAY0, DAY0)
        with reading(uow_factory) as uow:
            for query in (before, after, empty):
                assert list(uow.stats.merchant_series(merchant.id, query)) == []
            assert (
                list(
                    uow.stats.merchant_series(
                        STRANGER, SeriesQuery(Interval.DAY, DAY0, DAY0 + _WINDOW)
                    )
                )
                == []
            )
            [only] = uow.stats.merchant_series(
                merchant.id, SeriesQuery(Interval.HOUR, DAY0, DAY0 + timedelta(days=1))
            )
        assert only.start == DAY0 + timedelta(hours=5)
        assert (only.stats.total_orders, only.stats.successful_payments) == (1, 1)

    def test_zero_filled_series_has_every_bucket(self, uow_factory: Factory) -> None:
        merchant = _seed_sales(
            uow_factory,
            [
                {
                    "currency": "USD",
                    "pick": 2,
                    "order_at": DAY0 + timedelta(days=2, hours=3),
                    "payments": [],
                },
            ],
        )
        query = SeriesQuery(Interval.DAY, DAY0, DAY0 + _WINDOW)
        with reading(uow_factory) as uow:
            series = zero_filled(query, uow.stats.merchant_series(merchant.id, query))
        assert [b.start for b in series.buckets] == [DAY0 + timedelta(days=n) for n in range(4)]
        assert [b.stats.total_orders for b in series.buckets] == [0, 0, 1, 0]
        assert series.buckets[0] == SeriesBucket(DAY0, EMPTY_STATS)
