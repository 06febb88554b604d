"""The admin's ``Merchants`` pages under ``/dashboard/admin/merchants``: every merchant with
its order and payment counts, newest first, paged by cursor and searchable by the start of
the email (``GET`` form, the same use case as ``admin/merchants/``); a merchant's page with
its statistics (the same use case as ``admin/stats/?merchant_id=``)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get
from litestar.params import FromPath

from paygate_core.errors import MerchantNotFound, ValidationFailed
from paygate_core.pagination import PageRequest
from paygate_http.services import run_read, services_of
from paygate_http.web.access import admin_pages, signed_in
from paygate_http.web.charts import overview_chart
from paygate_http.web.forms import FormState
from paygate_http.web.pages import DASHBOARD_PATH, render
from paygate_http.web.paging import page_links, query_text

__all__ = ["MERCHANTS_PATH", "AdminMerchants"]

AnyRequest = Request[Any, Any, Any]
MERCHANTS_PATH = f"{DASHBOARD_PATH}/admin/merchants"
MERCHANTS_PER_PAGE = 25


def _merchant_id(raw: str) -> UUID:
    """A malformed id names no merchant: the 404 page, like an unknown one."""
    try:
        return UUID(raw)
    except ValueError:
        raise MerchantNotFound("Merchant not found") from None


class AdminMerchants(Controller):
    path = "/admin/merchants"
    guards = [admin_pages]
    include_in_schema = False

    @get("/", name="dashboard-admin-merchants")
    async def merchants(self, request: AnyRequest) -> Response[Any]:
        signed = await signed_in(request)
        email = query_text(request, "email")
        cursor = query_text(request, "cursor")
        search = FormState({"email": email})
        paygate = services_of(request).paygate
        try:
            page = PageRequest.parse(MERCHANTS_PER_PAGE, cursor or None)
            merchants = await run_read(request, paygate.list_merchants, page, email=email or None)
        except ValidationFailed as exc:
            return render(
                request,
                "admin_merchants.html.j2",
                title="Merchants",
                signed=signed,
                search=FormState.refused(search.values, exc),
                merchants=None,
                links=None,
                status_code=422,
            )
        links = page_links(MERCHANTS_PATH, merchants, {"email": email}, first=bool(cursor))
        return render(
            request,
            "admin_merchants.html.j2",
            title="Merchants",
            signed=signed,
            search=search,
            merchants=merchants.items,
            links=links,
        )

    @get("/{merchant_id:str}", name="dashboard-admin-merchant")
    async def merchant(self, request: AnyRequest, merchant_id: FromPath[str]) -> Response[Any]:
        signed = await signed_in(request)
        paygate = services_of(request).paygate
        report = await run_read(
            request, paygate.merchant_stats_for_admin, _merchant_id(merchant_id)
        )
        series = await run_read(request, paygate.merchant_series, report.account.merchant.id)
        return render(
            request,
            "admin_merchant.html.j2",
            title=report.account.user.name,
            signed=signed,
            account=report.account,
            stats=report.stats,
            merchants_path=MERCHANTS_PATH,
            chart=overview_chart(series),
        )
