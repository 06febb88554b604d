"""PostgreSQL going away and coming back, under load, with ``paygate serve`` running: the
failures are 503 9005 with ``Retry-After``, never 500; every 201 is in the database; a keyed
retry runs once or replays; ``/ready`` tells the outage; service resumes without a restart.
And a server started before its database: up, 503 until the database appears, then serving.
"""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from faults_harness import (
    API,
    Load,
    PrivatePostgres,
    ServeProcess,
    free_port,
    order_ids_in,
    poll_ready,
    register_merchant,
    wait_for_status,
)

pytestmark = [pytest.mark.slow]


@pytest.mark.postgres
def test_a_postgres_outage_answers_503_9005_loses_no_201_and_recovers_by_itself(
    private_postgres: PrivatePostgres,
) -> None:
    pg = private_postgres
    pg.start()
    api_key = register_merchant(pg.url)
    server = ServeProcess(pg.url)
    try:
        url = server.url()
        with httpx.Client(base_url=url, timeout=10, trust_env=False) as client:
            assert wait_for_status(client, "/ready", 200, 15)
        readiness: list[tuple[float, int]] = []
        polling = threading.Event()
        poller = threading.Thread(target=poll_ready, args=(url, polling, readiness))
        load = Load(url, api_key)
        poller.start()
        load.start()
        time.sleep(2.0)
        down_at = time.monotonic()
        pg.stop("immediate")
        time.sleep(3.0)
        pg.start()
        up_at = time.monotonic()
        time.sleep(4.0)
        answers = load.stop()
        polling.set()
        poller.join(15)

        assert server.process.poll() is None, "the server must survive the outage"
        statuses = {a.status for a in answers}
        assert 500 not in statuses, server.output()[-3000:]
        assert statuses <= {201, 503}, statuses
        unavailable = [a for a in answers if a.status == 503]
        assert unavailable, "the outage was not seen by any client"
        assert all(a.code == 9005 and a.retry_after for a in unavailable)
        created = [a for a in answers if a.status == 201]
        assert any(a.at > up_at for a in created), "service did not resume"
        stored = order_ids_in(pg.url)
        assert all(a.order_id in stored for a in created)
        keyed = [a for a in created if a.keyed]
        assert keyed
        assert len({a.order_id for a in keyed}) == len(keyed)  # no key ran twice
        during = [status for at, status in readiness if down_at + 0.5 < at < up_at]
        assert 503 in during
        assert readiness[-1][1] == 200
        assert "Traceback" not in "".join(
            line
            for line in server.output().splitlines(keepends=True)
            if '"request failed"' in line or '"unexpected error"' in line
        )
    finally:
        server.stop()


def test_serve_started_without_its_database_stays_up_and_answers_503() -> None:
    closed = free_port()
    server = ServeProcess(f"postgresql+psycopg://postgres@127.0.0.1:{closed}/paygate")
    try:
        url = server.url()
        with httpx.Client(base_url=url, timeout=10, trust_env=False) as client:
            assert client.get("/health").status_code == 200
            assert client.get("/ready").status_code == 503
            response = client.post(
                f"{API}/orders/", json={"amount": "10.00"}, headers={"X-API-Key": "pk_whatever"}
            )
            assert response.status_code == 503
            assert response.json()["exception"]["code"] == 9005
            assert response.headers["Retry-After"]
        time.sleep(2.0)  # 0.5 s, then 1 s: at least three tries by now
        assert server.process.poll() is None
    finally:
        server.stop()
    retries = [e for e in server.logs() if e.get("message") == "database unavailable; retrying"]
    assert len(retries) >= 3
    assert [e["retry_in"] for e in retries[:3]] == [0.5, 1.0, 2.0]
    assert "Traceback" not in server.output()


@pytest.mark.postgres
def test_serve_started_before_its_database_serves_once_the_database_appears(
    private_postgres: PrivatePostgres,
) -> None:
    pg = private_postgres
    server = ServeProcess(pg.url)
    try:
        url = server.url()
        with httpx.Client(base_url=url, timeout=10, trust_env=False) as client:
            assert client.get("/ready").status_code == 503
            pg.start()
            assert wait_for_status(client, "/ready", 200, 20), server.output()[-3000:]
            api_key = register_merchant(pg.url)
            response = client.post(
                f"{API}/orders/", json={"amount": "10.00"}, headers={"X-API-Key": api_key}
            )
            assert response.status_code == 201, response.text
        assert server.process.poll() is None
    finally:
        server.stop()
    assert "Traceback" not in server.output()
