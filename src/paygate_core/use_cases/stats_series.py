"""Statistics over time for charts: a merchant's, one merchant's for an admin, and the whole
platform's, in UTC buckets with every bucket of the range present."""

from __future__ import annotations

from uuid import UUID

import attrs

from paygate_core.accounts import MerchantAccount
from paygate_core.errors import InvalidStatsQuery
from paygate_core.ports import UnitOfWorkFactory
from paygate_core.stats_series import Series, SeriesQuery, zero_filled
from paygate_core.use_cases._parsing import parse_uuid
from paygate_core.use_cases.accounts import load_merchant_account

__all__ = ["MerchantSeriesReport", "global_series", "merchant_series", "merchant_series_for_admin"]


@attrs.frozen
class MerchantSeriesReport:
    account: MerchantAccount
    series: Series


def merchant_series(
    merchant_id: UUID,
    query: SeriesQuery,
    *,
    uow: UnitOfWorkFactory,
) -> Series:
    with uow(read_only=True) as work:
        active = work.stats.merchant_series(merchant_id, query)
    return zero_filled(query, active)


def merchant_series_for_admin(
    merchant_id: object, query: SeriesQuery, *, uow: UnitOfWorkFactory
) -> MerchantSeriesReport:
    """Malformed ``merchant_id``: 422 1020; no such merchant: 404 1019."""
    ident = parse_uuid(merchant_id, "merchant_id", InvalidStatsQuery)
    with uow(read_only=True) as work:
        account = load_merchant_account(work, ident)
        active = work.stats.merchant_series(ident, query)
    return MerchantSeriesReport(account, zero_filled(query, active))


def global_series(query: SeriesQuery, *, uow: UnitOfWorkFactory) -> Series:
    with uow(read_only=True) as work:
        active = work.stats.global_series(query)
    return zero_filled(query, active)
