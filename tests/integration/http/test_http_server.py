"""``paygate serve`` and ``paygate worker`` as real processes, spoken to over TCP."""

from __future__ import annotations

import json
import os
import queue
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from http_harness import PASSWORD, SECRET

pytestmark = pytest.mark.slow
PAYGATE = str(Path(sys.executable).with_name("paygate"))
BASE = "/paygate/api/v1"


class Server:
    """A ``paygate`` process; its stderr (JSON log lines) is collected as it runs."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [PAYGATE, *args],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.log: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        self.url = ""

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.put(line)

    def wait_for_log(self, message: str, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.process.poll() is not None:
                    break
                continue
            self.log.append(line)
            if line.startswith("{") and json.loads(line).get("message") == message:
                entry: dict[str, Any] = json.loads(line)
                return entry
        raise AssertionError(f"no {message!r} log line; log so far: {''.join(self.log)[-3000:]}")

    def start_serving(self) -> str:
        self.url = self.wait_for_log("listening")["url"]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/ready", timeout=1).status_code == 200:
                    return self.url
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError("the server never became ready")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=30)
        finally:
            if self.process.poll() is None:
                self.process.kill()


@pytest.fixture
def server_env(sqlite_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYGATE_")}
    env.update(
        PAYGATE_DATABASE_URL=sqlite_url,
        PAYGATE_SECRET_KEY=SECRET,
        PAYGATE_BCRYPT_ROUNDS="4",
        PAYGATE_COOKIE_SECURE="false",
        PAYGATE_LOG_LEVEL="INFO",
    )
    return env


@pytest.fixture
def start(server_env: dict[str, str]) -> Iterator[Any]:
    servers: list[Server] = []

    def run(*args: str, **env: str) -> Server:
        server = Server(list(args), {**server_env, **env})
        servers.append(server)
        return server

    yield run
    for server in servers:
        server.stop()


def test_serve_walks_register_login_refresh_logout_over_http(start: Any) -> None:
    server = start("serve", "--port", "0")
    url = server.start_serving()

    with httpx.Client(base_url=url + BASE) as client:
        registered = client.post(
            "/auth/register/",
            json={"email": "smoke@shop.example", "name": "Smoke", "password": PASSWORD},
        )
        login = client.post(
            "/auth/token/", json={"email": "smoke@shop.example", "password": PASSWORD}
        )
        access = login.json()["data"]["access"]
        refreshed = client.post("/auth/refresh/")
        old_refresh = client.cookies["refresh_token"]
        logout = client.post("/auth/logout/", headers={"Authorization": f"Bearer {access}"})
        after_logout = client.get("/merchants/me/", headers={"Authorization": f"Bearer {access}"})
        reuse = client.post("/auth/refresh/", json={"refresh": old_refresh})

    assert registered.status_code == 201
    assert login.status_code == 200
    assert refreshed.status_code == 200
    assert set(refreshed.json()["data"]) == {"access"}
    assert logout.status_code == 200
    assert "Max-Age=0" in logout.headers["set-cookie"]
    assert after_logout.status_code == 401
    assert reuse.status_code == 401
    assert server.stop() == 0


def test_serve_creates_the_bootstrap_admin(start: Any) -> None:
    server = start(
        "serve",
        "--port",
        "0",
        "--no-dispatcher",
        PAYGATE_BOOTSTRAP_ADMIN_EMAIL="boot@paygate.example",
        PAYGATE_BOOTSTRAP_ADMIN_NAME="Boot",
        PAYGATE_BOOTSTRAP_ADMIN_PASSWORD=PASSWORD,
    )
    url = server.start_serving()

    login = httpx.post(
        f"{url}{BASE}/auth/token/", json={"email": "boot@paygate.example", "password": PASSWORD}
    )

    assert login.status_code == 200
    assert login.json()["data"]["role"] == "admin"


def test_workers_share_the_port_without_a_keep_alive_stall(start: Any) -> None:
    """TCP_NODELAY on every connection: no ~40 ms Nagle/delayed-ACK stall per response."""
    server = start("serve", "--port", "0", "--workers", "2")
    url = server.start_serving()

    with httpx.Client(base_url=url) as client:
        client.get("/health")
        timings = []
        for _ in range(40):
            started = time.perf_counter()
            assert client.get("/health").status_code == 200
            timings.append((time.perf_counter() - started) * 1000)
        workers = {httpx.get(f"{url}/health").headers["x-request-id"] for _ in range(4)}

    assert statistics.median(timings) < 20, timings
    assert len(workers) == 4
    assert server.stop() == 0
    log = "".join(server.log) + "".join(iter(lambda: _drain(server), ""))
    assert log.count("Application shutdown complete") == 2


def _drain(server: Server) -> str:
    try:
        return server.lines.get(timeout=0.5)
    except queue.Empty:
        return ""


@pytest.mark.redis
def test_the_auth_rate_limit_holds_across_two_multi_worker_servers(
    start: Any, redis_url: str, redis_prefix: str
) -> None:
    shared = {
        "PAYGATE_REDIS_URL": redis_url,
        "PAYGATE_REDIS_PREFIX": redis_prefix,
        "PAYGATE_AUTH_RATE_LIMIT": "5/minute",
    }
    first = start("serve", "--port", "0", "--workers", "2", "--no-dispatcher", **shared)
    second = start("serve", "--port", "0", "--workers", "2", "--no-dispatcher", **shared)
    urls = [first.start_serving(), second.start_serving()]
    login = {"email": "nobody@shop.example", "password": PASSWORD}

    statuses = []
    for attempt in range(7):
        # A new connection each time, so both workers of each server take turns.
        response = httpx.post(f"{urls[attempt % 2]}{BASE}/auth/token/", json=login)
        statuses.append(response.status_code)

    assert statuses == [401] * 5 + [429, 429]
    _forget_keys(redis_url, redis_prefix)


def _forget_keys(redis_url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(f"{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


def test_worker_runs_the_dispatcher_until_sigterm(start: Any) -> None:
    worker = start("worker")
    worker.wait_for_log("webhook dispatcher started")

    assert worker.stop() == 0
