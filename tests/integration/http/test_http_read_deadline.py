"""A client has ``request_read_timeout`` seconds to send a whole request: over a real socket,
against uvicorn configured as ``paygate serve`` configures it (``server.uvicorn_config``),
slow headers and bodies that never complete are answered 408 9006 and disconnected, and
requests that do arrive in time are served as usual on the same connection."""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from http_harness import PASSWORD, SECRET

from cli_process import PaygateProcess
from paygate_core.testing import InMemoryStore, PlainPasswordHasher
from paygate_http import Settings, create_app
from paygate_http.process.server import bind_socket, uvicorn_config
from paygate_http.process.wiring import build_paygate
from paygate_http.settings import SettingsError

TIMEOUT = 0.5
BASE = "/paygate/api/v1"


class Records(logging.Handler):
    """The ``paygate`` log records of the server under test."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def messages(self, level: int = logging.DEBUG) -> list[str]:
        return [r.getMessage() for r in self.records if r.levelno >= level]


@pytest.fixture
def records() -> Iterator[Records]:
    handler = Records()
    yield handler
    logging.getLogger("paygate").removeHandler(handler)


@pytest.fixture
def address(records: Records) -> Iterator[tuple[str, int]]:
    """A server on an ephemeral port, in a thread, with in-memory adapters."""
    settings = Settings(
        secret_key=SECRET,
        bcrypt_rounds=4,
        auth_rate_limit=None,
        api_rate_limit=None,
        cookie_secure=False,
        request_read_timeout=TIMEOUT,
    )
    paygate = build_paygate(settings, InMemoryStore().unit_of_work, hasher=PlainPasswordHasher())
    app = create_app(settings, paygate=paygate)
    logging.getLogger("paygate").addHandler(records)
    sock = bind_socket("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn_config(app, settings.request_read_timeout))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started
    try:
        yield sock.getsockname()[:2]
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def connect(address: tuple[str, int]) -> socket.socket:
    client = socket.create_connection(address, timeout=5)
    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return client


def read_until_closed(client: socket.socket) -> tuple[bytes, float]:
    """Everything the server sends until it closes, and the seconds that took."""
    started = time.monotonic()
    chunks = []
    while chunk := client.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks), time.monotonic() - started


def read_response(client: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One response with a Content-Length body: status, headers, body."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = client.recv(65536)
        assert chunk, f"closed mid-response: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {
        name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)
    }
    while len(body) < int(headers["content-length"]):
        body += client.recv(65536)
    return int(status_line.split()[1]), headers, body


def login_request(
    body: bytes = b'{"email": "x@shop.example", "password": "wrong-password"}',
) -> tuple[bytes, bytes]:
    head = (
        f"POST {BASE}/auth/token/ HTTP/1.1\r\nHost: paygate\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("ascii"), body


def assert_408_then_closed(answer: bytes) -> None:
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 "), answer
    assert b"connection: close" in head.lower()
    envelope = json.loads(body)
    assert envelope["success"] is False
    assert envelope["exception"]["code"] == 9006
    assert envelope["exception"]["message"] == "Request timeout"


def test_a_body_that_never_completes_is_answered_408_and_disconnected(
    address: tuple[str, int], records: Records
) -> None:
    head, body = login_request()
    with connect(address) as client:
        client.sendall(head + body[:10])

        answer, waited = read_until_closed(client)

    assert_408_then_closed(answer)
    assert TIMEOUT * 0.8 <= waited < TIMEOUT + 2
    assert "request read timed out" in records.messages(logging.INFO)
    assert records.messages(logging.ERROR) == []  # the app saw a client gone, not a bug


def test_half_the_headers_are_answered_408_and_disconnected(address: tuple[str, int]) -> None:
    head, _ = login_request()
    with connect(address) as client:
        client.sendall(head[:40])

        answer, waited = read_until_closed(client)

    assert_408_then_closed(answer)
    assert waited < TIMEOUT + 2


def test_trickling_headers_does_not_extend_the_deadline(address: tuple[str, int]) -> None:
    head, _ = login_request()
    with connect(address) as client:
        started = time.monotonic()
        for byte in head[:-4]:  # one byte every 50 ms: never idle, never complete
            try:
                client.sendall(bytes([byte]))
            except OSError:
                break  # the server has closed the connection
            if time.monotonic() - started > TIMEOUT + 2:
                break
            time.sleep(0.05)

        answer, _ = read_until_closed(client)

    assert time.monotonic() - started < TIMEOUT + 2
    assert_408_then_closed(answer)


def test_a_connection_that_sends_nothing_is_closed_without_an_answer(
    address: tuple[str, int],
) -> None:
    with connect(address) as client:
        answer, waited = read_until_closed(client)

    assert answer == b""
    assert TIMEOUT * 0.8 <= waited < TIMEOUT + 2


def test_a_request_sent_in_pieces_within_the_deadline_is_served_and_the_connection_kept(
    address: tuple[str, int],
) -> None:
    head, body = login_request()
    with connect(address) as client:
        for _ in range(3):  # each request takes 0.6 x the deadline; three of them, more
            client.sendall(head[:30])
            time.sleep(TIMEOUT * 0.2)
            client.sendall(head[30:] + body[:5])
            time.sleep(TIMEOUT * 0.2)
            client.sendall(body[5:])
            time.sleep(TIMEOUT * 0.2)

            status, _, answer = read_response(client)

            assert (status, json.loads(answer)["exception"]["code"]) == (401, 1001)


def test_a_timed_out_keyed_write_leaves_its_idempotency_key_free(address: tuple[str, int]) -> None:
    url = f"http://{address[0]}:{address[1]}{BASE}"
    registered = httpx.post(
        f"{url}/auth/register/",
        json={"email": "slow@shop.example", "name": "Slow", "password": PASSWORD},
        trust_env=False,
    )
    api_key = registered.json()["data"]["api_key"]
    body = b'{"amount": "10.00"}'
    head = (
        f"POST {BASE}/orders/ HTTP/1.1\r\nHost: paygate\r\nX-API-Key: {api_key}\r\n"
        f"Idempotency-Key: slow-1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode("ascii")
    with connect(address) as client:
        client.sendall(head + body[:5])
        answer, _ = read_until_closed(client)
    assert_408_then_closed(answer)

    retried = httpx.post(
        f"{url}/orders/",
        content=body,
        trust_env=False,
        headers={
            "X-API-Key": api_key,
            "Idempotency-Key": "slow-1",
            "Content-Type": "application/json",
        },
    )

    assert retried.status_code == 201, retried.text
    orders = httpx.get(f"{url}/orders/", headers={"X-API-Key": api_key}, trust_env=False)
    assert len(orders.json()["data"]["items"]) == 1


def test_the_app_answers_408_too_for_the_access_log(
    address: tuple[str, int], records: Records
) -> None:
    head, body = login_request()
    with connect(address) as client:
        client.sendall(head + body[:10])
        read_until_closed(client)
    time.sleep(0.2)  # the app's side finishes after the connection is gone

    gone = [
        r for r in records.records if r.getMessage() == "client gone before its request was read"
    ]
    assert [_fields(r)["code"] for r in gone] == [9006]


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    fields: dict[str, Any] = getattr(record, "fields", {})
    return fields


@pytest.mark.slow
def test_paygate_serve_reads_its_deadline_from_the_environment(sqlite_url: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYGATE_")}
    env.update(
        PAYGATE_DATABASE_URL=sqlite_url,
        PAYGATE_SECRET_KEY=SECRET,
        PAYGATE_BCRYPT_ROUNDS="4",
        PAYGATE_LOG_LEVEL="INFO",
        PAYGATE_REQUEST_READ_TIMEOUT=str(TIMEOUT),
    )
    process = PaygateProcess(["serve", "--port", "0"], env)
    try:
        url = httpx.URL(process.serving_url())
        head, body = login_request()
        with connect((str(url.host), int(url.port or 80))) as client:
            client.sendall(head + body[:10])

            answer, waited = read_until_closed(client)

        assert_408_then_closed(answer)
        assert waited < TIMEOUT + 2
        assert process.wait_for_log("request read timed out")["headers_received"] is True
    finally:
        assert process.stop() == 0


def test_the_deadline_is_a_setting_of_positive_seconds() -> None:
    environment = {"PAYGATE_SECRET_KEY": SECRET}

    assert Settings.from_env(environment).request_read_timeout == 10.0
    assert (
        Settings.from_env(
            {**environment, "PAYGATE_REQUEST_READ_TIMEOUT": "2.5"},
        ).request_read_timeout
        == 2.5
    )
    for bad in ("0", "-1", "soon"):
        with pytest.raises(SettingsError, match="PAYGATE_REQUEST_READ_TIMEOUT"):
            Settings.from_env({**environment, "PAYGATE_REQUEST_READ_TIMEOUT": bad})
