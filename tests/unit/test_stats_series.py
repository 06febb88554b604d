"""``SeriesQuery``: UTC-aligned ranges widened outward by less than one bucket at each end,
defaults that end with the current bucket, the 1,000-bucket limit; zero-filling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paygate_core.errors import InvalidStatsQuery
from paygate_core.stats import PaymentStats
from paygate_core.stats_series import (
    EMPTY_STATS,
    MAX_BUCKETS,
    Interval,
    SeriesBucket,
    SeriesQuery,
    zero_filled,
)

NOW = datetime(2026, 11, 5, 13, 45, 10, 123456, tzinfo=UTC)
_INSTANTS = st.datetimes(
    min_value=datetime(2020, 1, 1),
    max_value=datetime(2030, 1, 1),
    timezones=st.sampled_from(
        [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))]
    ),
)


@given(st.sampled_from(list(Interval)), _INSTANTS, st.integers(0, 900 * 3600))
def test_ends_widen_outward_by_less_than_a_bucket(
    interval: Interval, start: datetime, seconds: int
) -> None:
    end = start + timedelta(seconds=seconds) * (24 if interval is Interval.DAY else 1)
    query = SeriesQuery.parse(interval.value, start.isoformat(), end.isoformat(), now=NOW)
    assert query.start.tzinfo is UTC
    assert interval.floor(query.start) == query.start
    assert interval.floor(query.end) == query.end
    if start == end:
        assert query.start == query.end
        return
    assert query.start <= start < query.start + interval.step
    assert query.end - interval.step < end <= query.end
    starts = list(query.starts())
    assert len(starts) == (query.end - query.start) // interval.step <= MAX_BUCKETS
    assert all(b - a == interval.step for a, b in pairwise(starts))


def test_defaults_end_with_the_current_bucket() -> None:
    day = SeriesQuery.parse(now=NOW)
    assert (day.interval, day.start, day.end) == (
        Interval.DAY,
        datetime(2026, 10, 7, tzinfo=UTC),
        datetime(2026, 11, 6, tzinfo=UTC),
    )
    hour = SeriesQuery.last(Interval.HOUR, NOW)
    assert (hour.start, hour.end) == (
        datetime(2026, 11, 3, 14, tzinfo=UTC),
        datetime(2026, 11, 5, 14, tzinfo=UTC),
    )
    assert len(list(hour.starts())) == 48


@pytest.mark.parametrize(
    ("interval", "start", "end", "field"),
    [
        ("week", None, None, "interval"),
        (None, "2026-11-02", "2026-11-01", "from"),
        (None, "2026-11-07", None, "from"),  # after the default end
        ("hour", "2026-01-01", "2026-02-12", "from"),  # 1,008 hours
        (None, "nonsense", None, "from"),
        (None, None, "0001-01-02", "from"),  # default start before year 1
        ("hour", "9999-12-31T22:00:00Z", "9999-12-31T23:30:00Z", "to"),
    ],
)
def test_bad_queries_name_their_parameter(
    interval: str | None, start: str | None, end: str | None, field: str
) -> None:
    with pytest.raises(InvalidStatsQuery) as raised:
        SeriesQuery.parse(interval, start, end, now=NOW)
    assert set(raised.value.fields) == {field}


def test_a_thousand_buckets_is_the_most() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    query = SeriesQuery.checked(Interval.HOUR, start, start + timedelta(hours=MAX_BUCKETS))
    assert len(list(query.starts())) == MAX_BUCKETS


def test_zero_filling_keeps_the_active_buckets_and_refuses_strays() -> None:
    query = SeriesQuery(
        Interval.DAY, datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 4, tzinfo=UTC)
    )
    busy = SeriesBucket(datetime(2026, 11, 2, tzinfo=UTC), PaymentStats(1, 0, 0, 0, 0, ()))
    series = zero_filled(query, [busy])
    assert [b.stats.total_orders for b in series.buckets] == [0, 1, 0]
    assert series.total.total_orders == 1
    with pytest.raises(ValueError, match="outside"):
        zero_filled(query, [SeriesBucket(datetime(2026, 11, 4, tzinfo=UTC), EMPTY_STATS)])
    with pytest.raises(ValueError, match="boundaries"):
        SeriesQuery(Interval.DAY, datetime(2026, 11, 1, 1, tzinfo=UTC), query.end)
