"""``merchants/stats/series/`` (merchant) and ``admin/stats/series/`` (admin): statistics over
time for charts, section 7 "Series over time".

Buckets are UTC hours or days; every bucket of the range is present (zero when empty), and
the buckets of a range add up exactly to ``merchants/stats/`` (or ``admin/stats/``) over the
range the answer states in ``from``/``to``. A ``from`` or ``to`` off a bucket boundary widens
the range outward to the boundaries around it, so every bucket is whole.
"""

from __future__ import annotations

from typing import Annotated

from litestar import Response, get

from paygate_core.errors import ErrorCode, InvalidStatsQuery
from paygate_core.gateway import Paygate
from paygate_core.stats_series import MAX_BUCKETS, SeriesQuery
from paygate_http.api import payment_presenters as present
from paygate_http.api import presenters
from paygate_http.api.controllers.base import ApiController
from paygate_http.api.dependencies import AnyRequest, PaygateDep, PrincipalDep
from paygate_http.api.params import ADMIN_MERCHANT_ID, FROM, TO, QueryRule
from paygate_http.api.responses import StatsSeriesResponse
from paygate_http.api.route_docs import BEARER, BEARER_OR_KEY, DENIED, route_errors
from paygate_http.pipeline.auth import admin_only, merchant_only
from paygate_http.services import run_read

__all__ = ["AdminStatsSeriesController", "MerchantStatsSeriesController"]

_MESSAGE = "Statistics retrieved successfully"
_RANGE = (
    "The range is widened outward to bucket boundaries (from down, to up) and stated in "
    "the answer's from/to; at most 1,000 buckets."
)

INTERVAL = QueryRule(
    "interval",
    {"enum": ["hour", "day"], "default": "day"},
    "must be one of: hour, day",
    ("^hour$", "^day$"),
    InvalidStatsQuery,
)
IntervalParam = Annotated[
    str | None, INTERVAL.parameter("Bucket length: hour or day (UTC-aligned; default day)", "day")
]
From = Annotated[
    str | None,
    FROM.parameter(
        "Inclusive lower bound: RFC 3339 date (midnight UTC) or date-time; default 30 days "
        f"(day) or 48 hours (hour) before to. {_RANGE}",
        "2026-11-01",
    ),
]
To = Annotated[
    str | None,
    TO.parameter(
        "Exclusive upper bound: RFC 3339 date (midnight UTC) or date-time, not before from; "
        f"default the end of the current bucket. {_RANGE}",
        "2026-11-03",
    ),
]
MerchantIdFilter = Annotated[
    str | None, ADMIN_MERCHANT_ID.parameter("One merchant's series; without it, every merchant's")
]
_ERROR_EXAMPLE = (
    "from",
    f"the range holds 1,464 hour buckets, at most {MAX_BUCKETS:,} are allowed",
)


def _query(
    paygate: Paygate,
    interval: str | None,
    start: str | None,
    end: str | None,
) -> SeriesQuery:
    return paygate.series_query(INTERVAL.check(interval), FROM.check(start), TO.check(end))


class MerchantStatsSeriesController(ApiController):
    path = "/merchants/stats/series"
    tags = ["Statistics"]
    before_request = staticmethod(merchant_only)
    security = BEARER_OR_KEY

    @get(
        "/",
        operation_id="getMerchantStatsSeries",
        summary="The merchant's statistics per hour or day",
        responses=route_errors(ErrorCode.INVALID_STATS_QUERY, *DENIED, invalid=_ERROR_EXAMPLE),
    )
    async def merchant_series(
        self,
        *,
        request: AnyRequest,
        paygate: PaygateDep,
        principal: PrincipalDep,
        interval: IntervalParam = None,
        start: From = None,
        end: To = None,
    ) -> Response[StatsSeriesResponse]:
        """Every UTC bucket of the range, zero when empty; the buckets add up exactly to
        ``merchants/stats/`` over the answer's ``from``/``to``. Ends off a bucket boundary
        widen the range outward; more than 1,000 buckets or ``from`` after ``to``: 422 1020.
        """
        query = _query(paygate, interval, start, end)
        series = await run_read(
            request, paygate.merchant_series, principal.require_merchant().id, query
        )
        return Response(presenters.success(_MESSAGE, present.stats_series(series)))


class AdminStatsSeriesController(ApiController):
    path = "/admin/stats/series"
    tags = ["Statistics", "Admin"]
    before_request = staticmethod(admin_only)
    security = BEARER

    @get(
        "/",
        operation_id="getAdminStatsSeries",
        summary="Every merchant's statistics per hour or day, or one's with ?merchant_id=",
        responses=route_errors(
            ErrorCode.INVALID_STATS_QUERY,
            ErrorCode.MERCHANT_NOT_FOUND,
            *DENIED,
            invalid=_ERROR_EXAMPLE,
        ),
    )
    async def admin_series(
        self,
        *,
        request: AnyRequest,
        paygate: PaygateDep,
        merchant_id: MerchantIdFilter = None,
        interval: IntervalParam = None,
        start: From = None,
        end: To = None,
    ) -> Response[StatsSeriesResponse]:
        """As ``merchants/stats/series/``, adding up to ``admin/stats/`` over the same range.
        ``merchant_id``: that merchant's buckets (malformed 422 1020, unknown 404 1019)."""
        query = _query(paygate, interval, start, end)
        if ADMIN_MERCHANT_ID.check(merchant_id) is None:
            series = await run_read(request, paygate.global_series, query)
        else:
            report = await run_read(request, paygate.merchant_series_for_admin, merchant_id, query)
            series = report.series
        return Response(presenters.success(_MESSAGE, present.stats_series(series)))
