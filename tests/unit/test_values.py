"""Small value rules: pagination cursors, statistics periods, timestamps and event payloads."""

from __future__ import annotations

import base64
import contextlib
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paygate_core.errors import ErrorCode, InvalidStatsQuery, ValidationFailed
from paygate_core.events import EventType, PaymentEvent
from paygate_core.money import Money
from paygate_core.pagination import MAX_LIMIT, Cursor, PageRequest
from paygate_core.payments import PaymentStatus
from paygate_core.stats import PaymentStats, StatsPeriod
from paygate_core.testing import strategies as pst
from paygate_core.testing._builders import Builder
from paygate_core.timestamps import format_timestamp, parse_instant


@given(moment=pst.utc_datetimes(), ident=st.uuids())
def test_cursor_round_trips(moment: datetime, ident: object) -> None:
    cursor = Cursor(moment, ident)  # type: ignore[arg-type]
    assert Cursor.decode(cursor.encode()) == cursor


@given(
    token=st.text(max_size=80)
    | st.binary(max_size=60).map(lambda b: base64.urlsafe_b64encode(b).decode())
)
def test_any_garbage_cursor_is_a_validation_error(token: str) -> None:
    # Either it happens to decode, or it is refused as a 1004: never any other error.
    with contextlib.suppress(ValidationFailed):
        Cursor.decode(token)


def test_cursor_with_an_unrepresentable_instant_is_a_validation_error() -> None:
    token = base64.urlsafe_b64encode(
        b"0001-01-01T00:00:00+01:00|00000000-0000-4000-8000-000000000001"
    ).decode()
    with pytest.raises(ValidationFailed):
        Cursor.decode(token)


@pytest.mark.parametrize(("limit", "expected"), [(None, 20), ("", 20), ("1", 1), (100, 100)])
def test_page_limit_defaults_to_20_and_allows_1_to_100(limit: object, expected: int) -> None:
    assert PageRequest.parse(limit).limit == expected


@pytest.mark.parametrize("limit", ["0", "101", "-1", "ten", "1.5", True])
def test_page_limit_outside_1_to_100_is_1004(limit: object) -> None:
    with pytest.raises(ValidationFailed) as caught:
        PageRequest.parse(limit)
    assert "limit" in caught.value.fields
    assert MAX_LIMIT == 100


def test_period_takes_dates_as_midnight_utc_and_datetimes_as_given() -> None:
    period = StatsPeriod.parse("2026-10-01", "2026-10-06T12:00:00+02:00")
    assert period.start == datetime(2026, 10, 1, tzinfo=UTC)
    assert period.end == datetime(2026, 10, 6, 10, tzinfo=UTC)
    assert period.contains(datetime(2026, 10, 1, tzinfo=UTC))
    assert not period.contains(datetime(2026, 10, 6, 10, tzinfo=UTC))


def test_period_from_after_to_is_1020() -> None:
    with pytest.raises(InvalidStatsQuery) as caught:
        StatsPeriod.parse("2026-10-06", "2026-10-01")
    assert caught.value.code is ErrorCode.INVALID_STATS_QUERY


@pytest.mark.parametrize("raw", ["yesterday", "2026-13-01", "0001-01-01T00:00:00+01:00"])
def test_unreadable_period_bound_is_1020(raw: str) -> None:
    with pytest.raises(InvalidStatsQuery):
        StatsPeriod.parse(raw)


def test_period_normalises_datetimes_to_utc() -> None:
    naive = datetime(2026, 1, 1, 12)
    paris = datetime(2026, 1, 1, 12, tzinfo=timezone(timedelta(hours=1)))
    period = StatsPeriod.parse(paris, naive)
    assert period.start == datetime(2026, 1, 1, 11, tzinfo=UTC)
    assert period.end == datetime(2026, 1, 1, 12, tzinfo=UTC)
    assert period.end is not None
    assert period.end.utcoffset() == timedelta(0)


@given(moment=pst.utc_datetimes())
def test_timestamps_are_rfc3339_utc_with_microseconds(moment: datetime) -> None:
    text = format_timestamp(moment)
    assert text.endswith("Z")
    assert len(text) == len("2026-10-06T10:30:00.123456Z")
    assert parse_instant(text) == moment


def test_success_rate_is_successful_over_total() -> None:
    assert PaymentStats(0, 0, 0, 0, 0, ()).success_rate == 0.0
    assert PaymentStats(5, 4, 0, 1, 5, ()).success_rate == 0.8
    assert PaymentStats(3, 1, 0, 2, 3, ()).success_rate == 0.3333


def test_event_payload_is_the_contract_body_and_rebuilds_the_event() -> None:
    b = Builder()
    payment = b.payment(
        b.order(b.new_id(), Money.of("100.00", "INR")), status=PaymentStatus.CAPTURED
    )
    payment.apply_refund(Money.of("40.00", "INR"), payment.created_at + timedelta(seconds=1))
    refund = b.refund(payment, Money.of("40.00", "INR"))
    event = b.event(payment, refund=refund)
    body = event.payload()
    assert body == {
        "event_id": str(event.id),
        "event": "payment.refunded",
        "payment_id": str(payment.id),
        "order_id": str(payment.order_id),
        "amount": "100.00",
        "currency": "INR",
        "status": "captured",
        "amount_refunded": "40.00",
        "failure_reason": None,
        "refund": {"refund_id": str(refund.id), "amount": "40.00"},
        "created_at": format_timestamp(payment.created_at),
        "occurred_at": format_timestamp(payment.updated_at),
    }
    assert PaymentEvent.from_payload(payment.merchant_id, body) == event
    assert event.type is EventType.PAYMENT_REFUNDED
