"""A ``paygate worker`` killed mid-batch loses no webhook: the next worker delivers them all.

The dead worker's claims are hidden for their lease (here 2 s timeout + 1 s margin, through
``PAYGATE_WEBHOOK_LEASE_MARGIN``), then claimed again: delivery is at least once.
"""

from __future__ import annotations

import signal

import pytest
from workers_harness import Processes, Receiver, open_shop, paygate_env, times_received

from paygate_core.events import DeliveryStatus

pytestmark = pytest.mark.slow

EVENTS = 200
KILL_AT = 40
"""The worker is killed when the receiver holds its 40th request, so it is mid-batch."""


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url


def test_every_event_of_a_worker_killed_mid_batch_is_delivered_by_the_next_worker(
    database_url: str, receiver: Receiver, processes: Processes
) -> None:
    receiver.delay = 0.05  # slow enough that the worker always has attempts in flight
    shop = open_shop(database_url, receiver.url)
    try:
        shop.pay(EVENTS)
        env = paygate_env(database_url, PAYGATE_WEBHOOK_LEASE_MARGIN="1")
        first = processes.start("worker", env=env)
        receiver.on_request(KILL_AT, first.kill)  # SIGKILL before answering that request
        receiver.wait_for(KILL_AT, timeout=15)
        assert first.process.wait(10) == -signal.SIGKILL

        orphaned = {
            str(e.id)
            for e in shop.events()
            if e.delivery_status is DeliveryStatus.PENDING and e.attempts == 1
        }
        assert orphaned  # claimed by the dead worker, outcome never recorded

        processes.start("worker", env=env)
        events = shop.wait_until_all_delivered(EVENTS, timeout=15)
        sent = shop.sent_attempt_numbers()
    finally:
        shop.close()
    receipts = receiver.snapshot()

    assert len(events) == EVENTS
    assert {e.delivery_status for e in events} == {DeliveryStatus.DELIVERED}
    received = times_received(receipts)
    assert {str(e.id) for e in events} == set(received)  # every event at least once
    # The attempt the database logged as delivered is one the receiver really got.
    assert set(sent.items()) <= {(r.event_id, r.attempt) for r in receipts}
    # Only deliveries the dead worker left in doubt were made again, as attempt 2.
    assert {event_id for event_id, times in received.items() if times > 1} <= orphaned
    attempts = {str(e.id): e.attempts for e in events}
    assert {attempts[event_id] for event_id in orphaned} == {2}
    assert {n for event_id, n in attempts.items() if event_id not in orphaned} == {1}


def test_a_lease_margin_that_is_not_a_positive_number_stops_the_worker_with_status_2(
    sqlite_url: str, processes: Processes
) -> None:
    worker = processes.start(
        "worker", env=paygate_env(sqlite_url, PAYGATE_WEBHOOK_LEASE_MARGIN="0")
    )

    assert worker.stop_when_done(timeout=15) == 2
    assert "PAYGATE_WEBHOOK_LEASE_MARGIN" in worker.output()
