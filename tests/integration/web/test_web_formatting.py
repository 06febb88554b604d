"""How the pages write values: money exact with its code, times in UTC, statuses by word
and colour."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from paygate_core.money import CURRENCIES, Money
from paygate_http.web.formatting import money, status_class, utc


@pytest.mark.parametrize(
    ("amount", "code", "shown"),
    [
        ("100", "INR", "100.00 INR"),
        ("1500", "JPY", "1,500 JPY"),
        ("1234567.891", "BHD", "1,234,567.891 BHD"),
        ("0", "USD", "0.00 USD"),
    ],
)
def test_money_is_exact_with_its_currency_code(amount: str, code: str, shown: str) -> None:
    currency = CURRENCIES[code]
    assert money(Decimal(amount), currency) == shown
    assert money(Money.of(amount, code)) == shown


def test_times_are_written_in_utc_with_the_zone_named() -> None:
    moment = datetime(2026, 10, 6, 16, 0, 5, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    assert utc(moment) == "2026-10-06 10:30:05 UTC"


@pytest.mark.parametrize(
    ("status", "colour"),
    [
        ("created", "amber"),
        ("pending", "amber"),
        ("paid", "green"),
        ("authorized", "green"),
        ("captured", "green"),
        ("refunded", "blue"),
        ("failed", "red"),
    ],
)
def test_statuses_have_the_contracts_colours(status: str, colour: str) -> None:
    assert status_class(status) == f"tag tag-{colour}"
