"""Statistics definitions: the figures, the period filter and the success rate."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import attrs

from paygate_core.errors import InvalidStatsQuery
from paygate_core.money import Currency
from paygate_core.timestamps import as_utc, parse_instant

__all__ = ["CurrencyVolume", "GlobalStats", "PaymentStats", "StatsPeriod"]


@attrs.frozen
class StatsPeriod:
    """Creation-time filter: ``start`` inclusive, ``end`` exclusive, either open."""

    start: datetime | None = None
    end: datetime | None = None

    @classmethod
    def parse(cls, start: object = None, end: object = None) -> StatsPeriod:
        period = cls(_instant(start, "from"), _instant(end, "to"))
        if period.start and period.end and period.start > period.end:
            raise InvalidStatsQuery(fields={"from": "must not be after 'to'"})
        return period

    def contains(self, moment: datetime) -> bool:
        return (self.start is None or moment >= self.start) and (
            self.end is None or moment < self.end
        )


def _instant(raw: object, field: str) -> datetime | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, datetime):
        return as_utc(raw)
    try:
        return parse_instant(str(raw))
    except (ValueError, OverflowError):  # OverflowError: e.g. year 1 shifted to UTC
        raise InvalidStatsQuery(fields={field: "must be an ISO date or datetime"}) from None


@attrs.frozen
class CurrencyVolume:
    """Per-currency money: successful payments' amounts and refunds' amounts."""

    currency: Currency
    paid_amount: Decimal
    refunded_amount: Decimal

    @property
    def net_amount(self) -> Decimal:
        return self.paid_amount - self.refunded_amount


@attrs.frozen
class PaymentStats:
    """``successful``: authorized, captured or refunded; ``canceled``: failed."""

    total_orders: int
    successful_payments: int
    successful_refunds: int
    canceled_payments: int
    total_payments: int
    volume: tuple[CurrencyVolume, ...]

    @property
    def success_rate(self) -> float:
        # A ratio of counts, not money: a float rounded for display is fine here.
        if self.total_payments == 0:
            return 0.0
        return round(self.successful_payments / self.total_payments, 4)


@attrs.frozen
class GlobalStats:
    total_merchants: int
    total_admins: int
    payments: PaymentStats
