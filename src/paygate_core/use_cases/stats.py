"""Merchant and admin statistics (computed by the StatsReader where the data lives)."""

from __future__ import annotations

from uuid import UUID

import attrs

from paygate_core.accounts import MerchantAccount
from paygate_core.errors import InvalidStatsQuery
from paygate_core.ports import UnitOfWorkFactory
from paygate_core.stats import GlobalStats, PaymentStats, StatsPeriod
from paygate_core.use_cases._parsing import parse_uuid
from paygate_core.use_cases.accounts import load_merchant_account

__all__ = ["MerchantStatsReport", "global_stats", "merchant_stats", "merchant_stats_for_admin"]


@attrs.frozen
class MerchantStatsReport:
    account: MerchantAccount
    stats: PaymentStats


def merchant_stats(
    merchant_id: UUID,
    period: StatsPeriod,
    *,
    uow: UnitOfWorkFactory,
) -> PaymentStats:
    with uow(read_only=True) as work:
        return work.stats.merchant_stats(merchant_id, period)


def merchant_stats_for_admin(
    merchant_id: object, period: StatsPeriod, *, uow: UnitOfWorkFactory
) -> MerchantStatsReport:
    ident = parse_uuid(merchant_id, "merchant_id", InvalidStatsQuery)
    with uow(read_only=True) as work:
        account = load_merchant_account(work, ident)
        stats = work.stats.merchant_stats(ident, period)
    return MerchantStatsReport(account, stats)


def global_stats(period: StatsPeriod, *, uow: UnitOfWorkFactory) -> GlobalStats:
    with uow(read_only=True) as work:
        return work.stats.global_stats(period)
