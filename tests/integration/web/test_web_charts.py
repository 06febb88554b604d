"""The Overview chart (web/charts.py and _series_chart.html.j2): well-formed SVG without inline
style or script, bars in proportion to the series, and a data table with the same figures."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from paygate_core.money import CURRENCIES
from paygate_core.stats import CurrencyVolume, PaymentStats
from paygate_core.stats_series import Interval, Series, SeriesBucket, SeriesQuery, zero_filled
from paygate_http.web import dashboard_templates
from paygate_http.web.charts import MAX_VOLUME_CHARTS, overview_chart
from paygate_http.web.formatting import money

DAY0 = datetime(2026, 11, 1, tzinfo=UTC)
SVG = "{http://www.w3.org/2000/svg}"
PLOT_HEIGHT = Decimal(136)  # the bars' area: the tallest bar is exactly this high


def _series(days: int, active: dict[int, PaymentStats]) -> Series:
    query = SeriesQuery(Interval.DAY, DAY0, DAY0 + timedelta(days=days))
    return zero_filled(
        query, [SeriesBucket(DAY0 + timedelta(days=n), stats) for n, stats in active.items()]
    )


def _stats(ok: int, failed: int, refunds: int = 0, **paid: str) -> PaymentStats:
    volume = tuple(
        CurrencyVolume(
            CURRENCIES[code], Decimal(amount), Decimal(0).quantize(CURRENCIES[code].quantum)
        )
        for code, amount in sorted(paid.items())
    )
    return PaymentStats(ok + failed, ok, refunds, failed, ok + failed, volume)


def _parsed(svg: str) -> ET.Element:
    root = ET.fromstring(str(svg).replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1))
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None
    assert desc is not None
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    return root


def _heights(root: ET.Element, css: str) -> list[Decimal]:
    return [
        Decimal(rect.get("height", ""))
        for rect in root.iter(f"{SVG}rect")
        if css in (rect.get("class") or "").split()
    ]


def _rendered(series: Series) -> str:
    engine = dashboard_templates().instance
    assert engine is not None
    environment = engine.engine
    template = environment.get_template("_series_chart.html.j2")
    return str(template.render(chart=overview_chart(series)))


def _table_rows(html: str) -> list[list[str]]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        re.findall(r"<t[hd][^>]*>([^<]*)</t[hd]>", row)
        for row in body.split("</tr>")
        if "<t" in row
    ]


def test_zero_data_draws_an_empty_frame_and_a_table_of_zeros() -> None:
    chart = overview_chart(_series(30, {}))
    assert chart.empty
    assert chart.heading == "Last 30 days"
    root = _parsed(chart.payments_svg)
    assert len(list(root.iter(f"{SVG}g"))) == 30
    assert set(_heights(root, "chart-bar-ok")) == {Decimal(0)}
    assert chart.volume_charts == ()
    html = _rendered(_series(30, {}))
    assert "No payments in these days." in html
    rows = _table_rows(html)
    assert len(rows) == 30
    assert rows[0] == ["2026-11-01", "0", "0", "0"]
    assert rows[-1][0] == "2026-11-30"


def test_one_day_is_one_full_height_bar() -> None:
    series = _series(1, {0: _stats(3, 1, 1, USD="12.50")})
    chart = overview_chart(series)
    assert chart.heading == "Last day"
    root = _parsed(chart.payments_svg)
    [ok], [failed] = _heights(root, "chart-bar-ok"), _heights(root, "chart-bar-failed")
    assert ok + failed == PLOT_HEIGHT
    assert ok == PLOT_HEIGHT * 3 / 4
    [volume] = chart.volume_charts
    assert _heights(_parsed(volume.svg), "chart-bar-volume") == [PLOT_HEIGHT]
    assert _table_rows(_rendered(series)) == [["2026-11-01", "3", "1", "1", "12.50 USD"]]


def test_no_inline_style_or_script_and_text_is_escaped() -> None:
    html = _rendered(_series(30, {4: _stats(2, 0, JPY="1500")}))
    assert "style=" not in html
    assert "<script" not in html.lower()
    assert "<title" in html
    assert "<desc" in html


def test_volume_charts_per_currency_only_for_the_most_active() -> None:
    active = {n: _stats(1, 0, USD="1.00", EUR="2.00", JPY="3", INR="4.00") for n in range(3)}
    active[3] = _stats(1, 0, INR="4.00", EUR="2.00", USD="1.00")
    active[4] = _stats(1, 0, INR="4.00")
    chart = overview_chart(_series(30, active))
    assert [v.currency for v in chart.volume_charts] == ["INR", "EUR", "USD"]
    assert len(chart.volume_charts) == MAX_VOLUME_CHARTS
    assert chart.currencies == ("EUR", "INR", "JPY", "USD")  # the table has every one


_DAY_STATS = st.builds(
    lambda ok, failed, refunds, usd, jpy: _stats(
        ok,
        failed,
        refunds,
        **({"USD": f"{usd}.{usd % 100:02d}"} if usd else {}),
        **({"JPY": str(jpy)} if jpy else {}),
    ),
    st.integers(0, 500),
    st.integers(0, 50),
    st.integers(0, 5),
    st.integers(0, 10**9),
    st.integers(0, 10**12),
)


@given(st.dictionaries(st.integers(0, 29), _DAY_STATS, max_size=30))
def test_figures_match_the_series(active: dict[int, PaymentStats]) -> None:
    series = _series(30, active)
    chart = overview_chart(series)
    usd, jpy = CURRENCIES["USD"], CURRENCIES["JPY"]
    for bucket, day in zip(series.buckets, chart.days, strict=True):
        assert (day.successful, day.failed, day.refunds) == (
            bucket.stats.successful_payments,
            bucket.stats.canceled_payments,
            bucket.stats.successful_refunds,
        )
        paid = {v.currency.code: v.paid_amount for v in bucket.stats.volume}
        expected = [
            money(paid.get(c.code, Decimal(0)), c) for c in (jpy, usd) if c.code in chart.currencies
        ]
        assert list(day.paid) == expected
    root = _parsed(chart.payments_svg)
    totals = [
        s + f
        for s, f in zip(
            _heights(root, "chart-bar-ok"), _heights(root, "chart-bar-failed"), strict=True
        )
    ]
    counts = [d.successful + d.failed for d in chart.days]
    if max(counts) == 0:
        assert set(totals) == {Decimal(0)}
    else:
        for height, count in zip(totals, counts, strict=True):
            assert abs(height - PLOT_HEIGHT * count / max(counts)) <= Decimal("0.01")
    desc = root.find(f"{SVG}desc")
    assert desc is not None
    assert desc.text is not None
    total_ok = series.total.successful_payments
    assert f"{total_ok:,} successful" in desc.text
    for volume in chart.volume_charts:
        currency = CURRENCIES[volume.currency]
        in_all = next(v.paid_amount for v in series.total.volume if v.currency == currency)
        text = _parsed(volume.svg).find(f"{SVG}desc")
        assert text is not None
        assert f"{money(in_all, currency)} in all" in (text.text or "")
