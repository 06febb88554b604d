"""The admin's pages under ``/dashboard/admin``: ``Overview`` (the global figures, volume
per currency and the 30-day chart). Further pages (Merchants, Users) are controllers of
their own beside this one, with the same guard."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get

from paygate_http.services import run_read, services_of
from paygate_http.web.access import admin_pages, signed_in
from paygate_http.web.charts import overview_chart
from paygate_http.web.pages import render

__all__ = ["AdminOverview"]

AnyRequest = Request[Any, Any, Any]


class AdminOverview(Controller):
    path = "/admin"
    guards = [admin_pages]
    include_in_schema = False

    @get("/", name="dashboard-admin-overview")
    async def overview(self, request: AnyRequest) -> Response[Any]:
        signed = await signed_in(request)
        paygate = services_of(request).paygate
        figures = await run_read(request, paygate.global_stats)
        series = await run_read(request, paygate.global_series)
        return render(
            request,
            "admin_overview.html.j2",
            title="Overview",
            signed=signed,
            figures=figures,
            stats=figures.payments,
            chart=overview_chart(series),
        )
