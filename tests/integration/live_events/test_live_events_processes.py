"""``events/stream/`` across real processes: two ``paygate serve`` on one database (SQLite
file and PostgreSQL), a payment made through one, the stream served by the other.

Each stream is read by a thread of the test (``SseReader``), which records every message
with its arrival time; every wait has a deadline.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import queue
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import attrs
import httpx
import pytest

from cli_process import PaygateProcess, deadline_loop

SECRET = "live-events-secret-key-0123456789-abcdefgh"
PASSWORD = "s3cret-pass"
ADMIN_EMAIL = "root@paygate.example"
API = "/paygate/api/v1"
CARD = {"card_number": "4242 4242 4242 4242", "expiry": "12/30", "cvv": "123"}


# --- reading a stream ------------------------------------------------------------------------


@attrs.frozen
class Message:
    id: str | None
    event: str | None
    data: str | None
    comment: str | None
    at: float


class SseReader:
    """GET ``url`` as a stream on a thread; its messages arrive in ``messages``. Plain
    ``http.client``, so that ``close`` can shut the socket down under the reading thread
    (closing a socket another thread reads from does not wake it on Linux)."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.messages: queue.Queue[Message] = queue.Queue()
        self.received: list[Message] = []
        self.status: int | None = None
        self.headers: dict[str, str] = {}
        self.body = b""
        self.ended = threading.Event()
        self.opened = threading.Event()
        parts = urlsplit(url)
        self._connection = http.client.HTTPConnection(parts.netloc, timeout=60)
        self._thread = threading.Thread(target=self._read, args=(parts.path, headers), daemon=True)
        self._thread.start()
        assert self.opened.wait(10), "the stream did not answer"

    def _read(self, path: str, headers: dict[str, str]) -> None:
        try:
            self._connection.request("GET", path, headers=headers)
            response = self._connection.getresponse()
            self.headers = {k.lower(): v for k, v in response.getheaders()}
            if response.status != 200:
                self.body = response.read()
            self.status = response.status
            self.opened.set()
            if response.status == 200:
                self._parse(response)
        except (OSError, http.client.HTTPException):
            pass
        finally:
            self.opened.set()
            self.ended.set()

    def _parse(self, response: http.client.HTTPResponse) -> None:
        fields: dict[str, str] = {}
        while raw := response.readline():
            line = raw.decode("utf-8").rstrip("\r\n")
            if line:
                name, _, value = line.partition(":")
                fields[name or "comment"] = value.removeprefix(" ")
                continue
            message = Message(
                fields.get("id"),
                fields.get("event"),
                fields.get("data"),
                fields.get("comment"),
                time.monotonic(),
            )
            self.received.append(message)
            self.messages.put(message)
            fields = {}

    def next_event(self, timeout: float) -> Message:
        """The next message that is an event (comments are skipped)."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = self.messages.get(timeout=left)
            except queue.Empty:
                break
            if message.id is not None:
                return message
        raise AssertionError(f"no event within {timeout} s")

    def events(self) -> list[Message]:
        return [m for m in self.received if m.id is not None]

    def close(self) -> None:
        """Hang up: the socket is shut down under the reading thread."""
        sock = self._connection.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self._thread.join(5)
        self._connection.close()


# --- the servers -----------------------------------------------------------------------------


def _postgres_database() -> Iterator[str]:
    """A fresh database on the test server (the root conftest's settings), for one module."""
    import psycopg

    host = os.environ.get("PAYGATE_TEST_PG_HOST", "127.0.0.1")
    port = int(os.environ.get("PAYGATE_TEST_PG_PORT", "5432"))
    user = os.environ.get("PAYGATE_TEST_PG_USER", "postgres")
    admin_db = os.environ.get("PAYGATE_TEST_PG_DB", "test")
    name = f"paygate_live_{uuid.uuid4().hex[:12]}"

    def admin(sql: str) -> None:
        with psycopg.connect(
            host=host, port=port, user=user, dbname=admin_db, autocommit=True
        ) as connection:
            connection.execute(sql)

    admin(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://{user}@{host}:{port}/{name}"
    finally:
        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('live')}/paygate.db"
    else:
        request.getfixturevalue("postgres_server")  # skips (or fails under CI) without it
        yield from _postgres_database()


def _environment(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYGATE_")}
    env.update(
        PAYGATE_DATABASE_URL=database_url,
        PAYGATE_SECRET_KEY=SECRET,
        PAYGATE_BCRYPT_ROUNDS="4",
        PAYGATE_AUTH_RATE_LIMIT="0",
        PAYGATE_API_RATE_LIMIT="0",
        PAYGATE_BOOTSTRAP_ADMIN_EMAIL=ADMIN_EMAIL,
        PAYGATE_BOOTSTRAP_ADMIN_NAME="Root",
        PAYGATE_BOOTSTRAP_ADMIN_PASSWORD=PASSWORD,
    )
    return env


def _serve(database_url: str) -> tuple[PaygateProcess, str]:
    process = PaygateProcess(
        ["serve", "--port", "0", "--no-dispatcher"], _environment(database_url)
    )
    return process, process.serving_url()


@attrs.frozen
class Servers:
    writer: str  # the process payments are made through
    streamer: str  # the process that serves the streams
    database_url: str


@pytest.fixture(scope="module")
def servers(database_url: str) -> Iterator[Servers]:
    writer, writer_url = _serve(database_url)  # migrates the database first
    streamer, streamer_url = _serve(database_url)
    try:
        yield Servers(writer_url, streamer_url, database_url)
    finally:
        streamer.stop(timeout=10)
        writer.stop(timeout=10)


# --- the API ---------------------------------------------------------------------------------


@attrs.frozen
class Merchant:
    api_key: str
    access: str
    user_id: str


def _call(
    base: str,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    json_body: Any = None,
) -> httpx.Response:
    return httpx.request(
        method, f"{base}{API}/{path}", headers=headers, json=json_body, timeout=10, trust_env=False
    )


def register(base: str) -> Merchant:
    email = f"shop-{uuid.uuid4().hex[:10]}@example.com"
    response = _call(
        base,
        "POST",
        "auth/register/",
        json_body={"email": email, "name": "Shop", "password": PASSWORD},
    )
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    return Merchant(api_key=data["api_key"], access=data["access"], user_id=data["user_id"])


def pay(base: str, api_key: str, amount: str = "100.00") -> dict[str, Any]:
    key = {"X-API-Key": api_key}
    order = _call(
        base, "POST", "orders/", headers=key, json_body={"amount": amount, "currency": "INR"}
    )
    assert order.status_code == 201, order.text
    payment = _call(
        base,
        "POST",
        "payments/",
        headers=key,
        json_body={"order_id": order.json()["data"]["order_id"], "card_details": CARD},
    )
    assert payment.status_code == 201, payment.text
    data: dict[str, Any] = payment.json()["data"]
    return data


def stream(base: str, headers: dict[str, str]) -> SseReader:
    return SseReader(f"{base}{API}/events/stream/", headers)


def admin_token(base: str) -> str:
    response = _call(
        base, "POST", "auth/token/", json_body={"email": ADMIN_EMAIL, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["data"]["access"])


# --- the tests -------------------------------------------------------------------------------


def test_a_payment_committed_by_one_process_reaches_a_stream_of_another_within_a_second(
    servers: Servers,
) -> None:
    shop, other = register(servers.writer), register(servers.writer)
    mine = stream(servers.streamer, {"X-API-Key": shop.api_key})
    theirs = stream(servers.streamer, {"Authorization": f"Bearer {other.access}"})
    try:
        assert mine.status == 200
        assert mine.headers["content-type"].startswith("text/event-stream")
        time.sleep(0.3)  # both streams are listening
        paid_at = time.monotonic()
        payment = pay(servers.writer, shop.api_key)
        committed = time.monotonic()
        message = mine.next_event(timeout=3)
        assert message.at - committed < 1.0, f"{message.at - paid_at:.2f} s after the request"
        body = json.loads(message.data or "")
        assert message.event == body["event"] == "payment.authorized"
        assert message.id == body["event_id"]
        assert body["payment_id"] == payment["payment_id"]
        assert (body["amount"], body["currency"], body["status"]) == ("100.00", "INR", "authorized")
        assert message.data == json.dumps(body, separators=(",", ":")), "one compact line"
        time.sleep(0.5)
        assert theirs.events() == [], "another merchant's events never appear"
    finally:
        mine.close()
        theirs.close()


def test_reconnecting_with_last_event_id_replays_what_came_after_it(servers: Servers) -> None:
    shop = register(servers.writer)
    first = stream(servers.streamer, {"X-API-Key": shop.api_key})
    time.sleep(0.3)
    pay(servers.writer, shop.api_key, "1.00")
    seen = first.next_event(timeout=3)
    first.close()
    missed = [pay(servers.writer, shop.api_key, f"{n}.00")["payment_id"] for n in (2, 3)]
    again = stream(servers.streamer, {"X-API-Key": shop.api_key, "Last-Event-ID": str(seen.id)})
    try:
        replayed = [
            json.loads(again.next_event(timeout=3).data or "")["payment_id"] for _ in missed
        ]
        assert replayed == missed
        live = pay(servers.writer, shop.api_key, "4.00")
        assert (
            json.loads(again.next_event(timeout=3).data or "")["payment_id"] == live["payment_id"]
        )
    finally:
        again.close()


@pytest.mark.parametrize("last_event_id", ["unknown", "foreign", "malformed"])
def test_an_unknown_or_foreign_last_event_id_starts_from_now(
    servers: Servers, last_event_id: str
) -> None:
    shop, other = register(servers.writer), register(servers.writer)
    pay(servers.writer, shop.api_key)
    watcher = stream(servers.streamer, {"X-API-Key": other.api_key})
    time.sleep(0.3)
    pay(servers.writer, other.api_key)
    foreign = watcher.next_event(timeout=3).id
    watcher.close()
    header = {"unknown": str(uuid.uuid4()), "foreign": str(foreign), "malformed": "not-an-id"}[
        last_event_id
    ]
    reader = stream(servers.streamer, {"X-API-Key": shop.api_key, "Last-Event-ID": header})
    try:
        time.sleep(0.6)
        assert reader.events() == [], "nothing from before the stream opened"
        live = pay(servers.writer, shop.api_key)
        assert (
            json.loads(reader.next_event(timeout=3).data or "")["payment_id"] == live["payment_id"]
        )
    finally:
        reader.close()


def test_a_sixth_open_stream_is_refused_429_1006(servers: Servers) -> None:
    shop = register(servers.writer)
    readers = [stream(servers.streamer, {"X-API-Key": shop.api_key}) for _ in range(5)]
    try:
        assert [r.status for r in readers] == [200] * 5
        sixth = stream(servers.streamer, {"X-API-Key": shop.api_key})
        assert sixth.status == 429
        assert int(sixth.headers["retry-after"]) > 0
        error = json.loads(sixth.body)["exception"]
        assert error["code"] == 1006
        readers.pop().close()
        for _ in deadline_loop(3):  # the slot comes back once the server sees it closed
            again = stream(servers.streamer, {"X-API-Key": shop.api_key})
            if again.status == 200:
                readers.append(again)
                break
        else:
            raise AssertionError("the closed stream's slot never came back")
    finally:
        for reader in readers:
            reader.close()


def test_a_stream_ends_when_its_api_key_is_rotated(servers: Servers) -> None:
    shop = register(servers.writer)
    reader = stream(servers.streamer, {"X-API-Key": shop.api_key})
    try:
        rotated = _call(
            servers.writer,
            "POST",
            "merchants/me/api-key/",
            headers={"Authorization": f"Bearer {shop.access}"},
        )
        assert rotated.status_code == 200, rotated.text
        assert reader.ended.wait(4), "the stream outlived its API key"
    finally:
        reader.close()


def test_a_stream_ends_when_its_user_is_deleted(servers: Servers) -> None:
    shop = register(servers.writer)
    reader = stream(servers.streamer, {"Authorization": f"Bearer {shop.access}"})
    try:
        deleted = _call(
            servers.writer,
            "DELETE",
            f"admin/users/{shop.user_id}/",
            headers={"Authorization": f"Bearer {admin_token(servers.writer)}"},
        )
        assert deleted.status_code == 200, deleted.text
        assert reader.ended.wait(4), "the stream outlived its user"
    finally:
        reader.close()


def test_an_open_stream_does_not_delay_shutdown(servers: Servers) -> None:
    process, url = _serve(servers.database_url)
    try:
        shop = register(url)
        reader = stream(url, {"X-API-Key": shop.api_key})
        assert reader.status == 200
        started = time.monotonic()
        assert process.stop(timeout=20) == 0
        assert time.monotonic() - started < 5, "shutdown waited for the open stream"
        assert reader.ended.wait(2)
        reader.close()
    finally:
        process.stop(timeout=5)
