"""SQLite that cannot write (the server process may not grow any file: the kernel's
``RLIMIT_FSIZE``, set on the running ``paygate serve`` with ``prlimit``; SQLite meets the
same failed ``write()`` as on a full disk): 503 9005 with ``Retry-After``, nothing half
written, the keyed request's key not left claimed, ``/ready`` 503 while writes fail and
200 once they work again."""

from __future__ import annotations

import resource
import sqlite3
from pathlib import Path

import httpx
import pytest
from faults_harness import API, ServeProcess, register_merchant, wait_for_status

pytestmark = [pytest.mark.slow]


def _rows(path: Path, table: str) -> int:
    with sqlite3.connect(path) as connection:
        return int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_sqlite_that_cannot_write_answers_503_9005_and_ready_tells_until_it_can(
    tmp_path: Path,
) -> None:
    path = tmp_path / "paygate.db"
    url = f"sqlite:///{path}"
    api_key = register_merchant(url)
    server = ServeProcess(url, "--no-dispatcher")
    headers = {"X-API-Key": api_key}
    try:
        with httpx.Client(base_url=server.url(), timeout=10, trust_env=False) as client:
            assert wait_for_status(client, "/ready", 200, 15)
            assert (
                client.post(f"{API}/orders/", json={"amount": "1.00"}, headers=headers).status_code
                == 201
            )
            orders = _rows(path, "orders")

            # The soft limit only: lowering the hard one could not be undone without
            # CAP_SYS_RESOURCE.
            hard = resource.prlimit(server.pid, resource.RLIMIT_FSIZE)[1]
            resource.prlimit(server.pid, resource.RLIMIT_FSIZE, (1, hard))
            try:
                keyed = {**headers, "Idempotency-Key": "disk-full-1"}
                for sent in (headers, keyed):
                    response = client.post(f"{API}/orders/", json={"amount": "2.00"}, headers=sent)
                    assert response.status_code == 503, response.text
                    assert response.json()["exception"]["code"] == 9005
                    assert int(response.headers["Retry-After"]) >= 1
                assert client.get("/ready").status_code == 503
                assert client.get("/health").status_code == 200
                assert _rows(path, "orders") == orders  # nothing half written
            finally:
                resource.prlimit(server.pid, resource.RLIMIT_FSIZE, (hard, hard))

            assert wait_for_status(client, "/ready", 200, 10)
            retried = client.post(f"{API}/orders/", json={"amount": "2.00"}, headers=keyed)
            assert retried.status_code == 201, retried.text  # ran once: not 409 1007
            again = client.post(f"{API}/orders/", json={"amount": "2.00"}, headers=keyed)
            assert again.headers.get("Idempotent-Replayed") == "true"
            assert again.json() == retried.json()
            assert _rows(path, "orders") == orders + 1
        assert server.process.poll() is None
    finally:
        server.stop()
    errors = [
        line
        for line in server.output().splitlines()
        if '"request failed"' in line or '"unexpected error"' in line
    ]
    assert errors == []
