"""The core's live event tail over the in-memory feed: events committed in any order within
the settle window are each returned once, ``Last-Event-ID`` replays what came after it,
and an unknown or foreign id starts from now."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paygate_core.errors import RateLimited
from paygate_core.events import EventType, PaymentEvent
from paygate_core.money import Money
from paygate_core.payments import PaymentStatus
from paygate_core.testing import FixedClock, InMemoryStore
from paygate_core.testing.memory import InMemoryEventFeed
from paygate_core.use_cases.live_events import (
    StreamLimitReached,
    StreamSlots,
    open_tail,
)

START = datetime(2026, 10, 6, 10, 0, tzinfo=UTC)
SHOP, OTHER = uuid.uuid4(), uuid.uuid4()


def commit(store: InMemoryStore, merchant_id: uuid.UUID, stamped: datetime) -> uuid.UUID:
    """An event stamped at ``stamped``, committed now."""
    amount = Money.of("10.00", "INR")
    event = PaymentEvent(
        id=uuid.uuid4(),
        type=EventType.PAYMENT_AUTHORIZED,
        merchant_id=merchant_id,
        payment_id=uuid.uuid4(),
        order_id=uuid.uuid4(),
        amount=amount,
        status=PaymentStatus.AUTHORIZED,
        amount_refunded=Money.of("0", "INR"),
        failure_reason=None,
        refund=None,
        payment_created_at=stamped,
        occurred_at=stamped,
    )
    with store.unit_of_work() as unit:
        unit.outbox.add(event, deliver=False, now=stamped)
        unit.commit()
    return event.id


@given(lags=st.lists(st.integers(min_value=0, max_value=4_900), min_size=1, max_size=30))
def test_events_committing_out_of_stamp_order_within_the_window_come_once(lags: list[int]) -> None:
    store = InMemoryStore()
    clock = FixedClock(START)
    tail = open_tail(InMemoryEventFeed(store), store.unit_of_work, clock, SHOP)
    sent: list[uuid.UUID] = []
    committed: list[uuid.UUID] = []
    for step, lag in enumerate(lags):  # each commits ``lag`` ms after it was stamped
        now = START + timedelta(seconds=step * 0.2 + 5)
        committed.append(commit(store, SHOP, now - timedelta(milliseconds=lag)))
        commit(store, OTHER, now)
        sent += [event.id for event in tail.read()]
    assert sorted(sent) == sorted(committed)
    assert len(sent) == len(set(sent))


def test_last_event_id_replays_the_events_after_it_and_then_goes_on() -> None:
    store = InMemoryStore()
    clock = FixedClock(START)
    ids = [commit(store, SHOP, START + timedelta(seconds=n)) for n in range(4)]
    tail = open_tail(InMemoryEventFeed(store), store.unit_of_work, clock, SHOP, str(ids[1]))
    assert [e.id for e in tail.read()] == ids[2:]
    later = commit(store, SHOP, START + timedelta(seconds=9))
    assert [e.id for e in tail.read()] == [later]
    assert tail.read() == []


@pytest.mark.parametrize("last_event_id", [None, "", "junk", str(uuid.uuid4()), "foreign"])
def test_no_known_last_event_id_starts_from_now(last_event_id: str | None) -> None:
    store = InMemoryStore()
    clock = FixedClock(START + timedelta(seconds=10))
    for n in range(3):
        commit(store, SHOP, START + timedelta(seconds=8 + n))
    foreign = commit(store, OTHER, START)
    header = str(foreign) if last_event_id == "foreign" else last_event_id
    tail = open_tail(InMemoryEventFeed(store), store.unit_of_work, clock, SHOP, header)
    assert tail.read() == []
    fresh = commit(store, SHOP, START + timedelta(seconds=11))
    assert [e.id for e in tail.read()] == [fresh]


def test_a_merchant_has_at_most_five_slots_and_gets_them_back() -> None:
    slots = StreamSlots()
    for _ in range(5):
        slots.take(SHOP)
    slots.take(OTHER)
    with pytest.raises(StreamLimitReached) as refused:
        slots.take(SHOP)
    assert isinstance(refused.value, RateLimited)
    assert refused.value.retry_after > 0
    slots.give_back(SHOP)
    slots.take(SHOP)
