"""The merchant's pages under ``/dashboard/merchant``: ``Overview`` (figures, volume per
currency, the 30-day chart, ``Recent payments``). Further pages (Orders, Payments, Webhooks,
Settings) are controllers of their own beside this one, with the same guard."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get

from paygate_core.pagination import PageRequest
from paygate_http.services import run_read, services_of
from paygate_http.web.access import merchant_pages, signed_in
from paygate_http.web.charts import overview_chart
from paygate_http.web.pages import render

__all__ = ["RECENT_PAYMENTS", "MerchantOverview"]

AnyRequest = Request[Any, Any, Any]
RECENT_PAYMENTS = 10


class MerchantOverview(Controller):
    path = "/merchant"
    guards = [merchant_pages]
    include_in_schema = False

    @get("/", name="dashboard-merchant-overview")
    async def overview(self, request: AnyRequest) -> Response[Any]:
        signed = await signed_in(request)
        merchant = signed.merchant
        assert merchant is not None  # the guard lets merchants with a merchant row in
        paygate = services_of(request).paygate
        stats = await run_read(request, paygate.merchant_stats, merchant.id)
        recent = await run_read(
            request, paygate.list_payments, merchant.id, PageRequest(limit=RECENT_PAYMENTS)
        )
        series = await run_read(request, paygate.merchant_series, merchant.id)
        return render(
            request,
            "merchant_overview.html.j2",
            title="Overview",
            signed=signed,
            stats=stats,
            payments=recent.items,
            chart=overview_chart(series),
        )
