"""Group commit through the served app (SQLite): while a batch's COMMIT is in progress the
app goes on answering other requests; a batch whose COMMIT fails has every request answered
503 9005 with Retry-After and none of its work kept, the batches before and after it
unaffected."""

from __future__ import annotations

import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from api_harness import Api, error_of, running_api
from sqlalchemy import Engine, event

from paygate_adapters.sql import create_database_engine
from paygate_adapters.sql.writer_lock import writer_lock

BATCH = 8


class FailingCommits:
    """Makes the next COMMIT on the app's database fail as a broken disk does."""

    def __init__(self) -> None:
        self.armed = False

    def on_commit(self, _connection: Any) -> None:
        if self.armed:
            self.armed = False
            raise sqlite3.OperationalError("disk I/O error")


class HeldCommit:
    """Makes the next COMMIT on the app's database wait, as a slow disk sync does, until
    ``let_go`` (``HOLD_SECONDS`` at most)."""

    HOLD_SECONDS = 5.0

    def __init__(self) -> None:
        self.armed = False
        self.holding = threading.Event()
        self.returned = threading.Event()
        self._go = threading.Event()

    def let_go(self) -> None:
        self._go.set()

    def on_commit(self, _connection: Any) -> None:
        if self.armed:
            self.armed = False
            self.holding.set()
            self._go.wait(self.HOLD_SECONDS)
            self.returned.set()


def _engine_of(api: Api) -> Engine:
    engine: Engine = api.paygate.uow.engine  # type: ignore[attr-defined]
    return engine


def test_a_batch_whose_commit_fails_answers_each_request_503_and_keeps_nothing(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path}/paygate.db"
    failing = FailingCommits()
    with running_api("sqlite", database_url=url) as api:
        shop = api.merchant()
        engine = _engine_of(api)
        event.listen(engine, "commit", failing.on_commit)
        before = api.order(shop, "1.00")
        # Another process holds the writer lock while the batch gathers: the requests
        # queue into one batch, whose COMMIT then fails.
        other_process = create_database_engine(url)
        lock = writer_lock(other_process)
        assert lock.acquire()
        try:
            with ThreadPoolExecutor(BATCH) as pool:
                pending = [
                    pool.submit(api.post, "/orders/", {"amount": "2.00"}, shop.key)
                    for _ in range(BATCH)
                ]
                time.sleep(1.0)  # every request has reached the group commit's queue
                failing.armed = True
                lock.release()
                responses = [future.result() for future in pending]
        finally:
            other_process.dispose()
        after = api.order(shop, "3.00")
        listed = api.get("/orders/", shop.key, params={"limit": "100"}).json()["data"]
    assert [error_of(response) for response in responses] == [(503, 9005)] * BATCH
    assert all(response.headers["Retry-After"] == "1" for response in responses)
    ids = {order["order_id"] for order in listed["items"]}
    assert ids == {before["order_id"], after["order_id"]}


def test_requests_are_answered_while_a_batch_commits(tmp_path: Path) -> None:
    held = HeldCommit()
    with running_api("sqlite", database_url=f"sqlite:///{tmp_path}/paygate.db") as api:
        shop = api.merchant()
        event.listen(_engine_of(api), "commit", held.on_commit)
        held.armed = True
        with ThreadPoolExecutor(1) as pool:
            creating = pool.submit(api.post, "/orders/", {"amount": "2.00"}, shop.key)
            assert held.holding.wait(HeldCommit.HOLD_SECONDS)
            health = api.client.get("/health").status_code
            listed = api.get("/orders/", shop.key).json()["data"]["items"]
            answered_during_commit = not held.returned.is_set()
            created_before_commit = creating.done()
            held.let_go()
            created = creating.result()
    assert answered_during_commit
    assert (health, listed) == (200, [])  # the order is not there before its COMMIT
    assert not created_before_commit
    assert created.status_code == 201
