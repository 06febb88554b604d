"""Column types that keep the domain's guarantees on every database.

Timestamps: always timezone-aware UTC in Python. PostgreSQL stores ``timestamptz``; SQLite
has no time zones, so UTC is stored naive (microseconds kept, text that sorts in time order)
and tagged UTC again when read.

Money: an exact integer count of the currency's minor units next to a ``CHAR(3)`` code
(ADR 0003); SQLAlchemy's ``Numeric`` would go through float on SQLite.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from paygate_core.money import Currency, Money, currency_of
from paygate_core.timestamps import as_utc

__all__ = ["UtcDateTime", "minor_to_decimal", "money_from_minor", "to_minor"]


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC ``datetime`` on PostgreSQL and SQLite alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        utc = as_utc(value)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return as_utc(value)

    # SQLite: the same text SQLAlchemy's DATETIME stores ("2026-11-28 19:30:00.123456"),
    # converted with ``isoformat``/``fromisoformat`` (C) rather than its format string and
    # regular expression: an API-key lookup reads nine timestamps per request.
    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)
        return _sqlite_text

    def result_processor(
        self,
        dialect: Dialect,
        coltype: object,
    ) -> Callable[[Any], Any] | None:
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)
        return _sqlite_datetime


def _sqlite_text(value: datetime | None) -> str | None:
    if value is None:
        return None
    return as_utc(value).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def _sqlite_datetime(value: str | None) -> datetime | None:
    if value is None:
        return None
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def to_minor(money: Money) -> int:
    """``Money.of("10.50", "USD")`` -> ``1050``; exact, the amount fits the minor units."""
    return int(money.amount.scaleb(money.currency.minor_units))


def minor_to_decimal(minor: int | Decimal, currency: Currency) -> Decimal:
    """``1050`` USD -> ``Decimal("10.50")``, with exactly the currency's digits."""
    return Decimal(int(minor)).scaleb(-currency.minor_units).quantize(currency.quantum)


def money_from_minor(minor: int | Decimal, code: str) -> Money:
    currency = currency_of(code)
    return Money(minor_to_decimal(minor, currency), currency)
