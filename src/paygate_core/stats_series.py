"""Statistics over time: the series query (interval and UTC-aligned range), its buckets, and
the zero-filling that makes every bucket of the range present.

A bucket counts by the same definitions as the totals (``paygate_core.stats``), so the
buckets of a range add up exactly to the totals over that range. A range whose ends are not
on bucket boundaries is widened outward to the boundaries around it (``from`` down, ``to``
up): every bucket is whole, and the answer states the range it covers.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Final

import attrs

from paygate_core.errors import InvalidStatsQuery
from paygate_core.money import Currency
from paygate_core.stats import CurrencyVolume, PaymentStats, StatsPeriod
from paygate_core.timestamps import as_utc

__all__ = [
    "EMPTY_STATS",
    "MAX_BUCKETS",
    "Interval",
    "Series",
    "SeriesBucket",
    "SeriesQuery",
    "add_stats",
    "zero_filled",
]

MAX_BUCKETS: Final = 1000
"""The most buckets one series may hold."""

EMPTY_STATS: Final = PaymentStats(0, 0, 0, 0, 0, ())


class Interval(enum.Enum):
    """A bucket's length; buckets start on UTC hour or day boundaries."""

    HOUR = "hour"
    DAY = "day"

    @property
    def step(self) -> timedelta:
        return timedelta(hours=1) if self is Interval.HOUR else timedelta(days=1)

    @property
    def default_buckets(self) -> int:
        """How many buckets a range without ``from`` holds: 48 hours or 30 days."""
        return 48 if self is Interval.HOUR else 30

    def floor(self, moment: datetime) -> datetime:
        """The start of the bucket holding ``moment``."""
        start = as_utc(moment).replace(minute=0, second=0, microsecond=0)
        return start if self is Interval.HOUR else start.replace(hour=0)

    def ceil(self, moment: datetime) -> datetime:
        """The first bucket boundary at or after ``moment`` (``OverflowError`` past 9999)."""
        floor = self.floor(moment)
        return floor if floor == as_utc(moment) else floor + self.step

    @classmethod
    def parse(cls, raw: object) -> Interval:
        if raw is None or raw == "":
            return cls.DAY
        try:
            return cls(raw)
        except ValueError:
            raise InvalidStatsQuery(fields={"interval": "must be one of: hour, day"}) from None


@attrs.frozen
class SeriesQuery:
    """Buckets of ``interval`` from ``start`` (inclusive) to ``end`` (exclusive), both on
    bucket boundaries, at most ``MAX_BUCKETS`` of them."""

    interval: Interval
    start: datetime
    end: datetime

    def __attrs_post_init__(self) -> None:
        if (
            self.interval.floor(self.start) != self.start
            or self.interval.floor(self.end) != self.end
        ):
            raise ValueError("a series range starts and ends on bucket boundaries")
        if self.start > self.end:
            raise ValueError("a series range does not end before it starts")

    @classmethod
    def parse(
        cls, interval: object = None, start: object = None, end: object = None, *, now: datetime
    ) -> SeriesQuery:
        """The query of the API's ``interval``, ``from`` and ``to`` (ISO date or datetime,
        as the totals take them). Without ``to``: the end of the bucket holding ``now``;
        without ``from``: 30 days (``day``) or 48 hours (``hour``) before ``to``. Ends off
        a boundary are widened outward. ``InvalidStatsQuery`` (1020) for a malformed value,
        ``from`` after ``to``, or more than ``MAX_BUCKETS`` buckets."""
        kind = Interval.parse(interval)
        given = StatsPeriod.parse(start, end)  # formats, and from <= to when both are given
        last = _bound(
            "to",
            lambda: kind.ceil(given.end) if given.end is not None else kind.floor(now) + kind.step,
        )
        first = _bound(
            "from",
            lambda: (
                kind.floor(given.start)
                if given.start is not None
                else last - kind.step * kind.default_buckets
            ),
        )
        if given.start is not None and given.start > last:
            raise InvalidStatsQuery(fields={"from": "must not be after 'to'"})
        if given.start is not None and given.start == given.end:
            last = first  # an empty range holds no bucket
        return cls.checked(kind, first, last)

    @classmethod
    def last(cls, interval: Interval, now: datetime) -> SeriesQuery:
        """The default range: the last 30 days or 48 hours, to the end of the current one."""
        return cls.parse(interval.value, now=now)

    @classmethod
    def checked(cls, interval: Interval, start: datetime, end: datetime) -> SeriesQuery:
        """The query, or ``InvalidStatsQuery`` when it holds more than ``MAX_BUCKETS``."""
        count = (end - start) // interval.step
        if count > MAX_BUCKETS:
            raise InvalidStatsQuery(
                fields={
                    "from": f"the range holds {count:,} {interval.value} buckets, "
                    f"at most {MAX_BUCKETS:,} are allowed"
                }
            )
        return cls(interval, start, end)

    @property
    def period(self) -> StatsPeriod:
        """The same range as a totals filter: the buckets add up to its totals."""
        return StatsPeriod(self.start, self.end)

    def starts(self) -> Iterator[datetime]:
        """Every bucket's start, in order."""
        moment = self.start
        while moment < self.end:
            yield moment
            moment += self.interval.step


def _bound(field: str, compute: Callable[[], datetime]) -> datetime:
    """A range end, or 1020 naming ``field`` when its bucket boundary is past year 9999 or
    before year 1."""
    try:
        return compute()
    except OverflowError:
        raise InvalidStatsQuery(fields={field: "is outside the supported range"}) from None


@attrs.frozen
class SeriesBucket:
    """The figures of the activity created in ``[start, start + interval)``."""

    start: datetime
    stats: PaymentStats


@attrs.frozen
class Series:
    """Every bucket of ``query``'s range, in order, zero when empty."""

    query: SeriesQuery
    buckets: tuple[SeriesBucket, ...]

    @property
    def total(self) -> PaymentStats:
        """The buckets added up: the totals over ``query.period``."""
        return add_stats(bucket.stats for bucket in self.buckets)


def zero_filled(query: SeriesQuery, active: Iterable[SeriesBucket]) -> Series:
    """The series of ``query`` from the buckets with activity (any order; buckets outside
    the range are a storage adapter's mistake and refused)."""
    found = {bucket.start: bucket.stats for bucket in active}
    buckets = tuple(SeriesBucket(start, found.pop(start, EMPTY_STATS)) for start in query.starts())
    if found:
        raise ValueError(f"buckets outside the series range: {sorted(found)}")
    return Series(query, buckets)


def add_stats(parts: Iterable[PaymentStats]) -> PaymentStats:
    """The sum of figures (volumes per currency, in currency code order)."""
    orders = successful = refunds = canceled = payments = 0
    paid: dict[Currency, Decimal] = {}
    refunded: dict[Currency, Decimal] = {}
    for part in parts:
        orders += part.total_orders
        successful += part.successful_payments
        refunds += part.successful_refunds
        canceled += part.canceled_payments
        payments += part.total_payments
        for item in part.volume:
            paid[item.currency] = paid.get(item.currency, Decimal(0)) + item.paid_amount
            refunded[item.currency] = refunded.get(item.currency, Decimal(0)) + item.refunded_amount
    volume = tuple(
        CurrencyVolume(currency, paid[currency], refunded[currency])
        for currency in sorted(paid, key=lambda c: c.code)
    )
    return PaymentStats(orders, successful, refunds, canceled, payments, volume)
