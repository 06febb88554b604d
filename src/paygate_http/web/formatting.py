"""How the pages write values: money exactly with its currency code, times in UTC with the
zone named, statuses as words with a colour class (colour is never the only signal)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType

from paygate_core.money import Currency, Money
from paygate_core.timestamps import as_utc

__all__ = ["FILTERS", "STATUS_COLOURS", "money", "percent", "status_class", "utc"]

STATUS_COLOURS: Mapping[str, str] = MappingProxyType(
    {
        "created": "amber",
        "pending": "amber",
        "paid": "green",
        "authorized": "green",
        "captured": "green",
        "delivered": "green",
        "refunded": "blue",
        "failed": "red",
        "skipped": "grey",
    }
)
"""Order, payment and webhook delivery statuses by colour (contract, "Statuses")."""


def money(value: Money | Decimal, currency: Currency | None = None) -> str:
    """``100.00 INR``, ``1,500 JPY``: the core's exact amount in its minor units, grouped by
    thousands. ``value`` is a ``Money``, or an amount with its ``currency``."""
    if isinstance(value, Decimal):
        if currency is None:
            raise TypeError("an amount needs its currency")
        sign = "-" if value < 0 else ""
        amount = Money(abs(value).quantize(currency.quantum), currency)
    else:
        sign, amount = "", value
    whole, _, fraction = amount.format().partition(".")
    grouped = f"{int(whole):,}" + (f".{fraction}" if fraction else "")
    return f"{sign}{grouped} {amount.currency.code}"


def utc(moment: datetime) -> str:
    """``2026-10-06 10:30:05 UTC``."""
    return as_utc(moment).strftime("%Y-%m-%d %H:%M:%S UTC")


def percent(ratio: float) -> str:
    """A success rate (a ratio of counts, not money) as ``80.0%``."""
    return f"{ratio * 100:.1f}%"


def status_class(status: object) -> str:
    """The tag's colour class for a status (its text is written beside it)."""
    return f"tag tag-{STATUS_COLOURS.get(str(status), 'grey')}"


FILTERS = MappingProxyType(
    {
        "money": money,
        "utc": utc,
        "percent": percent,
        "status_class": status_class,
    }
)
