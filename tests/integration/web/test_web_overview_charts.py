"""The 30-day chart on the merchant and admin Overviews: drawn from the series use case, on
every store, with its data table saying what the bars show."""

from __future__ import annotations

import re
from datetime import timedelta
from uuid import UUID

from web_harness import PASSWORD, Browser

from paygate_core.gateway import Paygate
from paygate_core.testing import FixedClock
from paygate_core.use_cases.auth import Login
from paygate_core.use_cases.payments import CreateOrder, PayOrder

GOOD, DECLINED = "4242424242424242", "4000000000000002"


def _sell(
    paygate: Paygate,
    merchant_id: UUID,
    amount: str,
    currency: str,
    card: str,
) -> None:
    order = paygate.create_order(
        CreateOrder(merchant_id=merchant_id, amount=amount, currency=currency)
    )
    paygate.pay_order(
        PayOrder(
            merchant_id=merchant_id,
            order_id=str(order.id),
            card_number=card,
            expiry="12/30",
            cvv="123",
        )
    )


def _row(page: str, day: str) -> list[str]:
    match = re.search(rf'<th scope="row">{day}</th>(.*?)</tr>', page, re.S)
    assert match is not None, f"no row for {day}"
    return re.findall(r"<td[^>]*>([^<]*)</td>", match.group(1))


def test_merchant_overview_charts_the_last_30_days(
    browser: Browser, paygate: Paygate, clock: FixedClock
) -> None:
    browser.register()
    merchant = paygate.login(Login(email="shop@example.com", password=PASSWORD)).merchant
    assert merchant is not None
    clock.set(clock.now() - timedelta(days=3))  # 2026-10-03
    _sell(paygate, merchant.id, "1500", "JPY", GOOD)
    _sell(paygate, merchant.id, "10.00", "USD", DECLINED)
    clock.set(clock.now() + timedelta(days=3))  # 2026-10-06, today
    _sell(paygate, merchant.id, "25.50", "USD", GOOD)
    page = browser.get("/dashboard/merchant").text
    assert '<h2 id="chart-heading">Last 30 days</h2>' in page
    assert "2026-09-07 to 2026-10-06" in page
    assert page.count('class="chart-day"') == 30 * 3  # payments, JPY and USD volume
    assert "Payments and paid volume per day</caption>" in page
    assert _row(page, "2026-10-03") == ["1", "1", "0", "1,500 JPY", "0.00 USD"]
    assert _row(page, "2026-10-06") == ["1", "0", "0", "0 JPY", "25.50 USD"]
    assert _row(page, "2026-10-05") == ["0", "0", "0", "0 JPY", "0.00 USD"]
    assert "2026-09-06" not in page


def test_admin_overview_charts_every_merchant(
    browser: Browser, paygate: Paygate, admin: str
) -> None:
    browser.register()
    merchant = paygate.login(Login(email="shop@example.com", password=PASSWORD)).merchant
    assert merchant is not None
    _sell(paygate, merchant.id, "100.00", "INR", GOOD)
    staff = browser
    staff.client.cookies.clear()
    staff.login(admin)
    page = staff.get("/dashboard/admin").text
    assert '<h2 id="chart-heading">Last 30 days</h2>' in page
    assert _row(page, "2026-10-06") == ["1", "0", "0", "100.00 INR"]
    assert "Paid volume per day, INR" in page


def test_an_empty_overview_still_has_its_chart(browser: Browser) -> None:
    browser.register()
    page = browser.get("/dashboard/merchant").text
    assert "No payments in these days." in page
    assert page.count('class="chart-day"') == 30
