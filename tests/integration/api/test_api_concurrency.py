"""Races: one order, many payments; one payment, many refunds. On every backend, through the
app (TestClient, handlers in worker threads), and over real HTTP against ``paygate serve``."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from threading import Barrier
from typing import Any

import httpx
import pytest
from api_harness import BASE, GOOD_CARD, SECRET, Api, error_of

PAYERS = 20
REFUNDERS = 10


def _race(count: int, call: Callable[[], Any]) -> list[Any]:
    """``count`` calls released together from as many threads."""
    barrier = Barrier(count)

    def run(_: int) -> Any:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def _outcomes(responses: list[Any]) -> Counter[tuple[int, Any]]:
    return Counter(
        (r.status_code, r.json()["data"]["status"]) if r.status_code == 201 else error_of(r)
        for r in responses
    )


def test_concurrent_payments_on_one_order_authorize_exactly_one(backend_api: Api) -> None:
    shop = backend_api.merchant()
    order_id = backend_api.order(shop)["order_id"]
    responses = _race(PAYERS, lambda: backend_api.pay(shop, order_id))
    assert _outcomes(responses) == {(201, "authorized"): 1, (409, 1009): PAYERS - 1}
    order = backend_api.get(f"/orders/{order_id}/", shop.key).json()["data"]
    assert order["status"] == "paid"
    assert [p["status"] for p in order["payments"]] == ["authorized"]


def test_concurrent_refunds_never_exceed_the_payment(backend_api: Api) -> None:
    shop = backend_api.merchant()
    payment_id = backend_api.paid_order(shop, "100.00")["payment_id"]
    responses = _race(REFUNDERS, lambda: backend_api.refund(shop, payment_id, "30.00"))
    assert _outcomes(responses) == {(201, "processed"): 3, (422, 1013): REFUNDERS - 3}
    payment = backend_api.get(f"/payments/{payment_id}/", shop.key).json()["data"]
    assert payment["amount_refunded"] == "90.00"
    assert sum(Decimal(r["amount"]) for r in payment["refunds"]) == Decimal("90.00")


def test_concurrent_full_refunds_refund_once(backend_api: Api) -> None:
    shop = backend_api.merchant()
    payment_id = backend_api.paid_order(shop, "100.00")["payment_id"]
    responses = _race(REFUNDERS, lambda: backend_api.refund(shop, payment_id))
    assert _outcomes(responses) == {(201, "processed"): 1, (409, 1012): REFUNDERS - 1}


# --- over real HTTP, two server processes on one SQLite file -------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def _paygate_serve(database: Path, workers: int) -> Iterator[str]:
    port = _free_port()
    env = {
        **os.environ,
        "PAYGATE_DATABASE_URL": f"sqlite:///{database}",
        "PAYGATE_SECRET_KEY": SECRET,
        "PAYGATE_AUTH_RATE_LIMIT": "0",
        "PAYGATE_API_RATE_LIMIT": "0",
        "PAYGATE_LOG_LEVEL": "WARNING",
        "PAYGATE_BCRYPT_ROUNDS": "4",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "paygate_http.process.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--no-dispatcher",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("paygate serve did not start")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.slow
def test_concurrent_payments_over_http_on_two_workers(tmp_path: Path) -> None:
    with (
        _paygate_serve(tmp_path / "paygate.db", workers=2) as url,
        httpx.Client(base_url=url + BASE, timeout=30) as client,
    ):
        registered = client.post(
            "/auth/register/",
            json={"email": "race@shop.example", "name": "Race", "password": "s3cret-pass"},
        )
        assert registered.status_code == 201, registered.text
        headers = {"X-API-Key": registered.json()["data"]["api_key"]}
        order_id = client.post("/orders/", json={"amount": "10"}, headers=headers).json()["data"][
            "order_id"
        ]

        def pay() -> httpx.Response:
            with httpx.Client(base_url=url + BASE, timeout=30) as own:
                return own.post(
                    "/payments/",
                    headers=headers,
                    json={"order_id": order_id, "card_details": GOOD_CARD},
                )

        responses = _race(PAYERS, pay)
        assert _outcomes(responses) == {(201, "authorized"): 1, (409, 1009): PAYERS - 1}
        payment_id = next(r.json()["data"]["payment_id"] for r in responses if r.status_code == 201)

        def refund() -> httpx.Response:
            with httpx.Client(base_url=url + BASE, timeout=30) as own:
                return own.post(
                    "/refunds/", headers=headers, json={"payment_id": payment_id, "amount": "3.00"}
                )

        refunds = _race(REFUNDERS, refund)
        assert _outcomes(refunds) == {(201, "processed"): 3, (422, 1013): REFUNDERS - 3}
        payment = client.get(f"/payments/{payment_id}/", headers=headers).json()["data"]
        assert payment["amount_refunded"] == "9.00"
