"""``merchants/stats/series/`` (merchant) and ``admin/stats/series/`` (admin): statistics over
time for charts, section 7 "Series over time".

Buckets are UTC hours or days; every bucket of the range is present (zero when empty), and
the buckets of a range add up exactly to ``merchants/stats/`` (or ``admin/stats/``) over the
range the answer states in ``from``/``to``. A ``from`` or ``to`` off a bucket boundary widens
the range outward to the boundaries around it, so every bucket is whole.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import msgspec
from litestar import Response, get
from msgspec import Meta, Struct

from paygate_core.errors import ErrorCode, InvalidStatsQuery
from paygate_core.gateway import Paygate
from paygate_core.stats import PaymentStats
from paygate_core.stats_series import MAX_BUCKETS, Series, SeriesQuery
from paygate_http.api import presenters
from paygate_http.api.controllers.base import ApiController
from paygate_http.api.dependencies import AnyRequest, PaygateDep, PrincipalDep
from paygate_http.api.params import ADMIN_MERCHANT_ID, FROM, TO, QueryRule
from paygate_http.api.payment_schemas import Count, VolumeData
from paygate_http.api.route_docs import BEARER, BEARER_OR_KEY, DENIED, route_errors
from paygate_http.api.schemas import Success, doc
from paygate_http.pipeline.auth import admin_only, merchant_only
from paygate_http.services import run_read

__all__ = [
    "AdminStatsSeriesController",
    "MerchantStatsSeriesController",
    "StatsSeriesBucket",
    "StatsSeriesData",
    "present_series",
]

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

BucketStart = Annotated[
    str,
    Meta(
        examples=["2026-11-01T00:00:00Z"],
        description="The bucket's first instant (UTC)",
        extra_json_schema=doc(format="date-time"),
    ),
]


class StatsSeriesBucket(Struct):
    """The activity created in ``[start, start + interval)``, counted as the totals are."""

    start: BucketStart
    orders: Count
    successful_payments: Count
    canceled_payments: Count
    successful_refunds: Count
    volume: list[VolumeData]


class StatsSeriesData(Struct):
    interval: Annotated[str, Meta(examples=["day"], extra_json_schema=doc(enum=["hour", "day"]))]
    from_: Annotated[
        str,
        Meta(
            examples=["2026-11-01T00:00:00Z"],
            description=("Start of the first bucket (inclusive), after widening"),
            extra_json_schema=doc(format="date-time"),
        ),
    ] = msgspec.field(name="from")
    to: Annotated[
        str,
        Meta(
            examples=["2026-11-03T00:00:00Z"],
            description=("End of the last bucket (exclusive), after widening"),
            extra_json_schema=doc(format="date-time"),
        ),
    ]
    buckets: list[StatsSeriesBucket]


if TYPE_CHECKING:
    SeriesResponse = Success[StatsSeriesData]
else:
    SeriesResponse = msgspec.defstruct(
        "StatsSeriesResponse",
        [
            ("success", Annotated[bool, Meta(examples=[True])], True),
            ("message", Annotated[str, Meta(examples=[_MESSAGE])]),
            ("data", StatsSeriesData),
        ],
        kw_only=True,
        module=__name__,
    )


def _instant(moment: datetime) -> str:
    """``2026-11-01T00:00:00Z``: bucket boundaries are whole hours."""
    return moment.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def _volumes(stats: PaymentStats) -> list[VolumeData]:
    """Per currency in code order, each amount in the currency's minor units."""
    return [
        VolumeData(
            currency=item.currency.code,
            paid_amount=f"{item.paid_amount.quantize(item.currency.quantum):f}",
            refunded_amount=f"{item.refunded_amount.quantize(item.currency.quantum):f}",
            net_amount=f"{item.net_amount.quantize(item.currency.quantum):f}",
        )
        for item in sorted(stats.volume, key=lambda v: v.currency.code)
    ]


def present_series(series: Series) -> StatsSeriesData:
    query = series.query
    return StatsSeriesData(
        interval=query.interval.value,
        from_=_instant(query.start),
        to=_instant(query.end),
        buckets=[
            StatsSeriesBucket(
                start=_instant(bucket.start),
                orders=bucket.stats.total_orders,
                successful_payments=bucket.stats.successful_payments,
                canceled_payments=bucket.stats.canceled_payments,
                successful_refunds=bucket.stats.successful_refunds,
                volume=_volumes(bucket.stats),
            )
            for bucket in series.buckets
        ],
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
    ) -> Response[SeriesResponse]:
        """Every UTC bucket of the range, zero when empty; the buckets add up exactly to
        ``merchants/stats/`` over the answer's ``from``/``to``. Ends off a bucket boundary
        widen the range outward; more than 1,000 buckets or ``from`` after ``to``: 422 1020.
        """
        query = _query(paygate, interval, start, end)
        series = await run_read(
            request, paygate.merchant_series, principal.require_merchant().id, query
        )
        return Response(presenters.success(_MESSAGE, present_series(series)))


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
    ) -> Response[SeriesResponse]:
        """As ``merchants/stats/series/``, adding up to ``admin/stats/`` over the same range.
        ``merchant_id``: that merchant's buckets (malformed 422 1020, unknown 404 1019)."""
        query = _query(paygate, interval, start, end)
        if ADMIN_MERCHANT_ID.check(merchant_id) is None:
            series = await run_read(request, paygate.global_series, query)
        else:
            report = await run_read(request, paygate.merchant_series_for_admin, merchant_id, query)
            series = report.series
        return Response(presenters.success(_MESSAGE, present_series(series)))
