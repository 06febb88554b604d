"""Two ``paygate worker`` processes on one PostgreSQL database share the queue without
overlap: ``FOR UPDATE SKIP LOCKED`` claims give each event to exactly one of them."""

from __future__ import annotations

import pytest
from workers_harness import Processes, Receiver, open_shop, paygate_env, times_received

from paygate_core.events import DeliveryStatus

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

EVENTS = 200


def test_two_workers_deliver_every_event_exactly_once(
    postgres_url: str, receiver: Receiver, processes: Processes
) -> None:
    receiver.delay = 0.05  # the backlog outlasts one claim of 32
    shop = open_shop(postgres_url, receiver.url)
    try:
        workers = [processes.start("worker", env=paygate_env(postgres_url)) for _ in range(2)]
        for worker in workers:
            worker.wait_for_log("webhook dispatcher started")
        shop.pay(EVENTS // 2)  # committed one by one while both workers poll
        trickled = {str(e.id) for e in shop.wait_until_all_delivered(EVENTS // 2, timeout=10)}
        for worker in workers:  # idle: no attempt in flight to outlive its timeout
            worker.pause()
        shop.pay(EVENTS // 2)  # a backlog both claim from at the same moment
        for worker in workers:
            worker.resume()
        events = shop.wait_until_all_delivered(EVENTS, timeout=15)
    finally:
        shop.close()
    assert [worker.stop() for worker in workers] == [0, 0]  # graceful: nothing in flight
    receipts = receiver.snapshot()

    assert len(events) == EVENTS
    assert {(e.delivery_status, e.attempts) for e in events} == {(DeliveryStatus.DELIVERED, 1)}
    assert len(receipts) == EVENTS
    assert set(times_received(receipts).values()) == {1}
    assert {r.attempt for r in receipts} == {1}
    assert {r.event_id for r in receipts} == {str(e.id) for e in events}
    # Both took part, in the trickle and in the backlog, and their shares do not overlap.
    first, second = (set(worker.delivered_event_ids()) for worker in workers)
    backlog = {str(e.id) for e in events} - trickled
    for share in (first, second):
        assert share & trickled
        assert share & backlog
    assert not first & second
    assert first | second == {str(e.id) for e in events}
