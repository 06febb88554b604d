"""``merchants/stats/`` (merchant) and ``admin/stats/`` (admin): statistics, section 7.

Figures come from the database (``StatsReader``); ``from``/``to`` filter orders, payments
and refunds by creation time (``from`` inclusive, ``to`` exclusive, ISO date or datetime).
"""

from __future__ import annotations

from typing import Annotated

from litestar import Response, get

from paygate_core.errors import ErrorCode
from paygate_core.stats import StatsPeriod
from paygate_http.api import payment_presenters as present
from paygate_http.api import presenters
from paygate_http.api.controllers.base import ApiController
from paygate_http.api.dependencies import AnyRequest, PaygateDep, PrincipalDep
from paygate_http.api.params import ADMIN_MERCHANT_ID, FROM, TO
from paygate_http.api.responses import (
    AdminMerchantStatsResponse,
    GlobalStatsResponse,
    MerchantStatsResponse,
)
from paygate_http.api.route_docs import BEARER, BEARER_OR_KEY, DENIED, route_errors
from paygate_http.pipeline.auth import admin_only, merchant_only
from paygate_http.services import run_read

__all__ = ["AdminStatsController", "MerchantStatsController"]

_MESSAGE = "Statistics retrieved successfully"
From = Annotated[
    str | None,
    FROM.parameter(
        "Inclusive lower bound: RFC 3339 date (midnight UTC) or date-time", "2026-10-01"
    ),
]
To = Annotated[
    str | None,
    TO.parameter(
        "Exclusive upper bound: RFC 3339 date (midnight UTC) or date-time; not before from",
        "2026-11-01",
    ),
]
MerchantIdFilter = Annotated[
    str | None,
    ADMIN_MERCHANT_ID.parameter("One merchant's statistics; without it, the global figures"),
]
_BAD_RANGE = ("from", "must not be after 'to'")


def _period(start: str | None, end: str | None) -> StatsPeriod:
    return StatsPeriod.parse(FROM.check(start), TO.check(end))


class MerchantStatsController(ApiController):
    path = "/merchants/stats"
    tags = ["Statistics"]
    before_request = staticmethod(merchant_only)
    security = BEARER_OR_KEY

    @get(
        "/",
        operation_id="getMerchantStats",
        summary="The merchant's statistics",
        responses=route_errors(ErrorCode.INVALID_STATS_QUERY, *DENIED, invalid=_BAD_RANGE),
    )
    async def merchant_stats(
        self,
        request: AnyRequest,
        paygate: PaygateDep,
        principal: PrincipalDep,
        start: From = None,
        end: To = None,
    ) -> Response[MerchantStatsResponse]:
        """Amounts per currency as decimal strings; ``success_rate`` a number in [0, 1]."""
        period = _period(start, end)
        stats = await run_read(
            request, paygate.merchant_stats, principal.require_merchant().id, period
        )
        return Response(presenters.success(_MESSAGE, present.merchant_stats(stats)))


class AdminStatsController(ApiController):
    path = "/admin/stats"
    tags = ["Statistics", "Admin"]
    before_request = staticmethod(admin_only)
    security = BEARER

    @get(
        "/",
        operation_id="getAdminStats",
        summary="Global statistics, or one merchant's with ?merchant_id=",
        responses=route_errors(
            ErrorCode.INVALID_STATS_QUERY, ErrorCode.MERCHANT_NOT_FOUND, *DENIED, invalid=_BAD_RANGE
        ),
    )
    async def admin_stats(
        self,
        request: AnyRequest,
        paygate: PaygateDep,
        merchant_id: MerchantIdFilter = None,
        start: From = None,
        end: To = None,
    ) -> Response[GlobalStatsResponse | AdminMerchantStatsResponse]:
        """With ``merchant_id``: that merchant's figures plus ``merchant_id``, ``email`` and
        ``name`` (malformed id 422 1020, unknown 404 1019). Without: every merchant's
        figures with ``total_merchants`` and ``total_admins`` (users not deleted, now)."""
        period = _period(start, end)
        if ADMIN_MERCHANT_ID.check(merchant_id) is None:
            figures = await run_read(request, paygate.global_stats, period)
            return Response(presenters.success(_MESSAGE, present.global_stats(figures)))
        report = await run_read(request, paygate.merchant_stats_for_admin, merchant_id, period)
        return Response(presenters.success(_MESSAGE, present.admin_merchant_stats(report)))
