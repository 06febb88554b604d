"""The Overview's chart of a series (ADR 0016): SVG drawn on the server, no script, no chart
library, and no inline style (colours come from classes in ``dashboard.css``), so it shows
under the pages' strict Content-Security-Policy and without JavaScript.

Two kinds of bars per day: payments (successful, with failed stacked on top) and paid volume.
Amounts of different currencies are never added up or drawn on one scale: each currency with
paid volume gets its own small chart, for the ``MAX_VOLUME_CHARTS`` most active ones (days
with paid volume, then code); the data table under the charts holds every figure of every
currency, so nothing is only in the picture. Bar heights of money are computed in
``Decimal``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from html import escape
from typing import Final

import attrs
from markupsafe import Markup

from paygate_core.money import Currency
from paygate_core.stats import CurrencyVolume
from paygate_core.stats_series import Series
from paygate_http.web.formatting import money

__all__ = ["MAX_VOLUME_CHARTS", "ChartDay", "OverviewChart", "VolumeChart", "overview_chart"]

MAX_VOLUME_CHARTS: Final = 3

_WIDTH, _HEIGHT = Decimal(600), Decimal(180)
_TOP, _BOTTOM, _SIDE = Decimal(22), Decimal(22), Decimal(4)
_PLOT = _HEIGHT - _TOP - _BOTTOM
_BAR_SHARE = Decimal("0.7")
_CENT = Decimal("0.01")


@attrs.frozen
class ChartDay:
    """One row of the data table: a UTC day's figures, amounts written out exactly."""

    label: str
    successful: int
    failed: int
    refunds: int
    paid: tuple[str, ...]
    """Paid volume per currency of ``OverviewChart.currencies``, e.g. ``1,500 JPY``."""


@attrs.frozen
class VolumeChart:
    currency: str
    svg: Markup


@attrs.frozen
class OverviewChart:
    """What the chart partial renders: the SVGs and the table that says the same."""

    heading: str
    first: str
    last: str
    days: tuple[ChartDay, ...]
    currencies: tuple[str, ...]
    payments_svg: Markup
    volume_charts: tuple[VolumeChart, ...]

    @property
    def empty(self) -> bool:
        return not any(day.successful or day.failed or day.refunds for day in self.days)


def overview_chart(series: Series, *, key: str = "overview") -> OverviewChart:
    """The chart of a day series; ``key`` keeps the SVGs' element ids unique on a page."""
    starts = [bucket.start for bucket in series.buckets]
    labels = [_day(start) for start in starts]
    currencies = _currencies(series)
    paid = {
        currency.code: [_paid(bucket.stats.volume, currency) for bucket in series.buckets]
        for currency in currencies
    }
    days = tuple(
        ChartDay(
            label=labels[i],
            successful=bucket.stats.successful_payments,
            failed=bucket.stats.canceled_payments,
            refunds=bucket.stats.successful_refunds,
            paid=tuple(money(paid[c.code][i], c) for c in currencies),
        )
        for i, bucket in enumerate(series.buckets)
    )
    first = labels[0] if labels else _day(series.query.start)
    last = labels[-1] if labels else first
    charted = sorted(currencies, key=lambda c: (-sum(1 for v in paid[c.code] if v), c.code))
    return OverviewChart(
        heading=f"Last {len(days)} days" if len(days) != 1 else "Last day",
        first=first,
        last=last,
        days=days,
        currencies=tuple(c.code for c in currencies),
        payments_svg=_payments_svg(f"{key}-payments", days),
        volume_charts=tuple(
            VolumeChart(c.code, _volume_svg(f"{key}-volume-{c.code}", labels, paid[c.code], c))
            for c in charted[:MAX_VOLUME_CHARTS]
            if any(paid[c.code])
        ),
    )


def _day(start: datetime) -> str:
    return start.strftime("%Y-%m-%d")


def _currencies(series: Series) -> list[Currency]:
    found = {
        item.currency.code: item.currency
        for bucket in series.buckets
        for item in bucket.stats.volume
    }
    return [found[code] for code in sorted(found)]


def _paid(volume: Sequence[CurrencyVolume], currency: Currency) -> Decimal:
    for item in volume:
        if item.currency == currency:
            return item.paid_amount
    return Decimal(0).quantize(currency.quantum)


# --- drawing ---------------------------------------------------------------------------------


def _payments_svg(ident: str, days: Sequence[ChartDay]) -> Markup:
    top = max((day.successful + day.failed for day in days), default=0)
    total_ok = sum(day.successful for day in days)
    total_failed = sum(day.failed for day in days)
    title = "Payments per day"
    labels = [day.label for day in days]
    desc = (
        f"Successful payments per UTC day, with failed payments stacked on top, "
        f"{_span(labels)}: {total_ok:,} successful and {total_failed:,} failed in all; "
        f"the busiest day had {top:,}."
    )
    bars: list[str] = []
    for index, day in enumerate(days):
        x, width = _slot(index, len(days))
        ok = _height(Decimal(day.successful), Decimal(top))
        failed = _height(Decimal(day.failed), Decimal(top))
        bars.append(
            f'<g class="chart-day"><title>{escape(day.label)}: {day.successful:,} successful, '
            f"{day.failed:,} failed</title>"
            + _rect("chart-bar chart-bar-ok", x, _TOP + _PLOT - ok, width, ok)
            + _rect("chart-bar chart-bar-failed", x, _TOP + _PLOT - ok - failed, width, failed)
            + "</g>"
        )
    return _svg(ident, title, desc, top_label=f"{top:,} payments", labels=labels, bars=bars)


def _volume_svg(
    ident: str, labels: Sequence[str], amounts: Sequence[Decimal], currency: Currency
) -> Markup:
    top = max(amounts, default=Decimal(0))
    title = f"Paid volume per day, {currency.code}"
    desc = (
        f"Amounts of successful payments in {currency.code} per UTC day, "
        f"{_span(labels)}: {money(sum(amounts, Decimal(0)), currency)} in all; "
        f"the largest day {money(top, currency)}."
    )
    bars = []
    for index, (label, amount) in enumerate(zip(labels, amounts, strict=True)):
        x, width = _slot(index, len(labels))
        height = _height(amount, top)
        bars.append(
            f'<g class="chart-day"><title>{escape(label)}: '
            f"{escape(money(amount, currency))}</title>"
            + _rect("chart-bar chart-bar-volume", x, _TOP + _PLOT - height, width, height)
            + "</g>"
        )
    return _svg(ident, title, desc, top_label=money(top, currency), labels=labels, bars=bars)


def _svg(
    ident: str, title: str, desc: str, *, top_label: str, labels: Sequence[str], bars: Sequence[str]
) -> Markup:
    """The frame every chart shares: title and description (its accessible name and
    description), the top value's line and label, the bars, the baseline and the first and
    last day under it."""
    base = _TOP + _PLOT
    first, last = (labels[0], labels[-1]) if labels else ("", "")
    parts = [
        f'<svg class="chart" viewBox="0 0 {_WIDTH} {_HEIGHT}" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" focusable="false">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(desc)}</desc>',
        f'<line class="chart-grid" x1="0" y1="{_TOP}" x2="{_WIDTH}" y2="{_TOP}"/>',
        f'<text class="chart-label" x="{_SIDE}" y="{_TOP - 6}">{escape(top_label)}</text>',
        *bars,
        f'<line class="chart-axis" x1="0" y1="{base}" x2="{_WIDTH}" y2="{base}"/>',
        f'<text class="chart-label" x="{_SIDE}" y="{_HEIGHT - 6}">{escape(first)}</text>',
        f'<text class="chart-label chart-label-end" x="{_WIDTH - _SIDE}" '
        f'y="{_HEIGHT - 6}">{escape(last)}</text>',
        "</svg>",
    ]
    return Markup("".join(parts))  # noqa: S704 - every text in it is escaped above


def _span(labels: Sequence[str]) -> str:
    if not labels:
        return "no days"
    if len(labels) == 1:
        return f"on {labels[0]}"
    return f"{labels[0]} to {labels[-1]}"


def _slot(index: int, count: int) -> tuple[Decimal, Decimal]:
    """The x and width of bar ``index`` of ``count`` across the plot."""
    slot = (_WIDTH - 2 * _SIDE) / count
    width = (slot * _BAR_SHARE).quantize(_CENT, ROUND_HALF_EVEN)
    x = (_SIDE + slot * index + (slot - width) / 2).quantize(_CENT, ROUND_HALF_EVEN)
    return x, width


def _height(value: Decimal, top: Decimal) -> Decimal:
    if top <= 0 or value <= 0:
        return Decimal(0)
    return (value * _PLOT / top).quantize(_CENT, ROUND_HALF_EVEN)


def _rect(css: str, x: Decimal, y: Decimal, width: Decimal, height: Decimal) -> str:
    return (
        f'<rect class="{css}" x="{x}" y="{y.quantize(_CENT)}" width="{width}" height="{height}"/>'
    )
