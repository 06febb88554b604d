"""``merchants/stats/`` (merchant) and ``admin/stats/`` (admin): statistics, section 7.

Figures come from the database (``StatsReader``); ``from``/``to`` filter orders, payments
and refunds by creation time (``from`` inclusive, ``to`` exclusive, ISO date or datetime).
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get
from litestar.openapi.spec import Example
from litestar.params import QueryParameter

from paygate_core.errors import ErrorCode
from paygate_core.stats import StatsPeriod
from paygate_http import payment_presenters as present
from paygate_http import presenters
from paygate_http.auth import admin_only, merchant_only
from paygate_http.dependencies import AnyRequest, PaygateDep, PrincipalDep
from paygate_http.payment_docs import BEARER, BEARER_OR_KEY, DENIED, route_errors
from paygate_http.payment_schemas import (
    AdminMerchantStatsData,
    GlobalStatsData,
    MerchantStatsData,
)
from paygate_http.runtime import run_blocking
from paygate_http.schemas import Success

__all__ = ["AdminStatsController", "MerchantStatsController"]

_MESSAGE = "Statistics retrieved successfully"
From = Annotated[str | None, QueryParameter(
    name="from", required=False, examples=[Example(value="2026-10-01")],
    description="Inclusive lower bound: ISO date (midnight UTC) or datetime")]
To = Annotated[str | None, QueryParameter(
    name="to", required=False, examples=[Example(value="2026-11-01")],
    description="Exclusive upper bound: ISO date (midnight UTC) or datetime")]
MerchantIdFilter = Annotated[str | None, QueryParameter(
    name="merchant_id", required=False,
    description="One merchant's statistics (UUID); without it, the global figures")]


class MerchantStatsController(Controller):
    path = "/merchants/stats"
    tags = ["Statistics"]
    before_request = staticmethod(merchant_only)
    security = BEARER_OR_KEY

    @get("/", operation_id="getMerchantStats",
         summary="The merchant's statistics",
         responses=route_errors(ErrorCode.INVALID_STATS_QUERY, *DENIED))
    async def merchant_stats(self, request: AnyRequest, paygate: PaygateDep,
                             principal: PrincipalDep, start: From = None, end: To = None,
                             ) -> Response[Success[MerchantStatsData]]:
        """Amounts per currency as decimal strings; ``success_rate`` a number in [0, 1]."""
        period = StatsPeriod.parse(start, end)
        stats = await run_blocking(request, paygate.merchant_stats,
                                   principal.require_merchant().id, period)
        return Response(presenters.success(_MESSAGE, present.merchant_stats(stats)))


class AdminStatsController(Controller):
    path = "/admin/stats"
    tags = ["Statistics", "Admin"]
    before_request = staticmethod(admin_only)
    security = BEARER

    @get("/", operation_id="getAdminStats",
         summary="Global statistics, or one merchant's with ?merchant_id=",
         responses=route_errors(ErrorCode.INVALID_STATS_QUERY, ErrorCode.MERCHANT_NOT_FOUND,
                              *DENIED))
    async def admin_stats(self, request: AnyRequest, paygate: PaygateDep,
                          merchant_id: MerchantIdFilter = None, start: From = None,
                          end: To = None,
                          ) -> Response[Success[GlobalStatsData | AdminMerchantStatsData]]:
        """With ``merchant_id``: that merchant's figures plus ``merchant_id``, ``email`` and
        ``name`` (malformed id 422 1020, unknown 404 1019). Without: every merchant's
        figures with ``total_merchants`` and ``total_admins`` (users not deleted, now)."""
        period = StatsPeriod.parse(start, end)
        if merchant_id is None:
            figures = await run_blocking(request, paygate.global_stats, period)
            return Response(presenters.success(_MESSAGE, present.global_stats(figures)))
        report = await run_blocking(request, paygate.merchant_stats_for_admin, merchant_id,
                                    period)
        return Response(presenters.success(_MESSAGE, present.admin_merchant_stats(report)))
