"""The webhook HTTP client (aiohttp behind the SSRF guard) against a raw TCP server answering
canned bytes: connections are kept alive while the server keeps them, an answer cut at its
first KiB closes its connection, no proxy is taken from the environment, and a broken answer
is a failed attempt with a useful error."""

from __future__ import annotations

import asyncio
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path

import pytest
from webhook_harness import World

from paygate_adapters.webhooks.sender import DeliveryResult, WebhookSender
from paygate_core.events import Delivery


class CannedServer:
    """Accepts connections on 127.0.0.1 and answers each request with the next of
    ``answers`` (the last one repeats); closes a connection after an answer when
    ``close_after`` is set. Counts the connections it accepted."""

    def __init__(
        self,
        answers: Sequence[bytes],
        *,
        close_after: bool = False,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.answers = list(answers)
        self.close_after = close_after
        self.tls = tls
        self.connections = 0
        self.requests: list[bytes] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return self.url_for("http", "localhost")

    def url_for(self, scheme: str, host: str) -> str:
        return f"{scheme}://{host}:{self._listener.getsockname()[1]}/hook"

    def close(self) -> None:
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        if self.tls is not None:
            try:
                conn = self.tls.wrap_socket(conn, server_side=True)
            except OSError:  # the client refused the certificate
                conn.close()
                return
        with conn:
            buffer = b""
            while True:
                while b"\r\n\r\n" not in buffer:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buffer += data
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                length = int(
                    next(
                        line.split(b":")[1]
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length")
                    )
                )
                while len(buffer) < length:
                    buffer += conn.recv(65536)
                self.requests.append(head + b"\r\n\r\n" + buffer[:length])
                buffer = buffer[length:]
                answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
                try:
                    conn.sendall(answer)
                except OSError:  # the client stopped reading a long answer and closed
                    return
                if self.close_after:
                    return


@pytest.fixture
def serve() -> Iterator[list[CannedServer]]:
    servers: list[CannedServer] = []
    yield servers
    for server in servers:
        server.close()


def ok(body: bytes = b"ok", *extra: bytes) -> bytes:
    return b"\r\n".join(
        [b"HTTP/1.1 200 OK", b"Content-Length: " + str(len(body)).encode(), *extra, b"", body]
    )


def deliveries(world: World, url: str, count: int) -> list[Delivery]:
    merchant = world.merchant(url)
    for _ in range(count):
        world.pay(merchant)
    with world.store.unit_of_work() as work:
        claimed = list(work.outbox.claim_due(world.clock.now(), count, timedelta(minutes=1)))
        work.commit()
    return claimed


def send_all(claimed: list[Delivery]) -> list[DeliveryResult]:
    """Send one after the other over one sender (so connections can be reused)."""

    async def run() -> list[DeliveryResult]:
        async with WebhookSender(timeout=2.0, allow_private=True) as sender:
            return [await sender.send(delivery, 0) for delivery in claimed]

    return asyncio.run(run())


def test_one_connection_carries_every_attempt_to_an_origin(
    world: World, serve: list[CannedServer]
) -> None:
    server = CannedServer([ok()])
    serve.append(server)

    results = send_all(deliveries(world, server.url, 5))

    assert [r.http_status for r in results] == [200] * 5
    assert [r.response_body for r in results] == ["ok"] * 5
    assert server.connections == 1
    head = server.requests[0].split(b"\r\n\r\n")[0].decode().split("\r\n")
    assert head[0] == "POST /hook HTTP/1.1"
    assert f"Host: localhost:{server.url.split(':')[2].split('/')[0]}" in head


@pytest.mark.parametrize(
    ("answer", "close_after"),
    [
        (ok(b"ok", b"Connection: close"), False),  # the server says it closes
        (ok(), True),  # the server closes without saying so: seen before the next attempt
        (b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", False),  # HTTP/1.0: not kept
    ],
)
def test_a_connection_the_server_ends_is_not_reused(
    world: World, serve: list[CannedServer], answer: bytes, close_after: bool
) -> None:
    server = CannedServer([answer], close_after=close_after)
    serve.append(server)
    claimed = deliveries(world, server.url, 3)

    async def run() -> list[DeliveryResult]:
        async with WebhookSender(timeout=2.0, allow_private=True) as sender:
            results = []
            for delivery in claimed:
                results.append(await sender.send(delivery, 0))
                await asyncio.sleep(0.05)  # the server's close reaches the client
            return results

    results = asyncio.run(run())

    assert [r.http_status for r in results] == [200] * 3
    assert server.connections == 3


def test_a_chunked_answer_is_decoded_and_its_connection_kept(
    world: World, serve: list[CannedServer]
) -> None:
    chunked = (
        b"HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n"
    )
    server = CannedServer([chunked])
    serve.append(server)

    results = send_all(deliveries(world, server.url, 2))

    assert [(r.http_status, r.response_body, r.error) for r in results] == [
        (202, "hello world", None)
    ] * 2
    assert server.connections == 1


LONG = 4 * 1024 * 1024
"""An answer longer than the client buffers: it stops reading at the first KiB."""


@pytest.mark.parametrize(
    ("answer", "close_after"),
    [
        (ok(b"x" * LONG), False),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            + f"{LONG:x}".encode()
            + b"\r\n"
            + b"x" * LONG
            + b"\r\n0\r\n\r\n",
            False,
        ),
        (b"HTTP/1.1 200 OK\r\n\r\n" + b"x" * LONG, True),  # ends with the connection
    ],
)
def test_only_the_first_kib_of_a_long_answer_is_kept(
    world: World, serve: list[CannedServer], answer: bytes, close_after: bool
) -> None:
    server = CannedServer([answer], close_after=close_after)
    serve.append(server)

    results = send_all(deliveries(world, server.url, 2))

    assert [(r.http_status, r.response_body) for r in results] == [(200, "x" * 1024)] * 2
    assert server.connections == 2  # the rest of the answer was never read: not reused


def test_a_long_answer_already_received_in_full_keeps_its_connection(
    world: World, serve: list[CannedServer]
) -> None:
    server = CannedServer([ok(b"y" * 5000)])
    serve.append(server)

    results = send_all(deliveries(world, server.url, 3))

    assert [(r.http_status, r.response_body) for r in results] == [(200, "y" * 1024)] * 3
    assert server.connections == 1


def test_an_interim_answer_is_skipped(world: World, serve: list[CannedServer]) -> None:
    server = CannedServer([b"HTTP/1.1 100 Continue\r\n\r\n" + ok(b"done")])
    serve.append(server)

    [result] = send_all(deliveries(world, server.url, 1))

    assert (result.http_status, result.response_body, result.error) == (200, "done", None)


@pytest.mark.parametrize(
    "answer",
    [
        b"garbage\r\n\r\n",
        b"HTTP/1.1 2000 OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",  # then the server closes
    ],
)
def test_a_broken_answer_is_a_failed_attempt(
    world: World, serve: list[CannedServer], answer: bytes
) -> None:
    server = CannedServer([answer], close_after=True)
    serve.append(server)

    [result] = send_all(deliveries(world, server.url, 1))

    assert not result.ok
    assert result.http_status is None
    assert result.error is not None
    assert result.error.startswith("RemoteProtocolError")


def test_credentials_in_the_url_are_sent_as_basic_auth(
    world: World, serve: list[CannedServer]
) -> None:
    server = CannedServer([ok()])
    serve.append(server)
    url = server.url.replace("http://", "http://shop:p%40ss@")

    [result] = send_all(deliveries(world, url, 1))

    assert result.ok
    assert b"Authorization: Basic c2hvcDpwQHNz" in server.requests[0]  # shop:p@ss


def test_no_proxy_is_taken_from_the_environment(
    world: World, serve: list[CannedServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = CannedServer([ok()])
    serve.append(server)
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # nothing listens: a proxy would fail
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)

    [result] = send_all(deliveries(world, server.url, 1))

    assert (result.http_status, result.error) == (200, None)
    assert server.connections == 1


def test_the_contract_headers_are_sent_with_the_exact_body(
    world: World, serve: list[CannedServer]
) -> None:
    server = CannedServer([ok()])
    serve.append(server)

    [result] = send_all(deliveries(world, server.url, 1))

    assert result.ok
    head, _, body = server.requests[0].partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")[1:]
    headers = {
        name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)
    }
    assert headers["content-type"] == "application/json"
    assert headers["accept-encoding"] == "identity"
    assert headers["x-paygate-event"] == "payment.authorized"
    assert headers["x-paygate-signature"].startswith("t=0,v1=")
    assert int(headers["content-length"]) == len(body)
    assert body.startswith(b'{"')


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate (and its key) for ``hooks.shop.example`` only."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=hooks.shop.example",
            "-addext",
            "subjectAltName=DNS:hooks.shop.example",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.mark.parametrize(
    ("host", "delivered"), [("hooks.shop.example", True), ("other.shop.example", False)]
)
def test_tls_goes_to_the_checked_address_and_verifies_the_url_host_name(
    world: World,
    serve: list[CannedServer],
    certificate: tuple[Path, Path],
    host: str,
    delivered: bool,
) -> None:
    cert, key = certificate
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    server = CannedServer([ok()], tls=tls)
    serve.append(server)
    looked_up: list[str] = []

    def dns(name: str, port: int) -> Sequence[str]:  # only the guard knows these names
        looked_up.append(name)
        return ["127.0.0.1"]

    claimed = deliveries(world, server.url_for("https", host), 1)

    async def run() -> DeliveryResult:
        trust = ssl.create_default_context(cafile=str(cert))
        async with WebhookSender(
            timeout=2.0, allow_private=True, ssl_context=trust, resolver=dns
        ) as sender:
            return await sender.send(claimed[0], 0)

    result = asyncio.run(run())

    assert looked_up == [host]
    if delivered:
        assert (result.http_status, result.error) == (200, None)
        assert len(server.requests) == 1
    else:  # the certificate names another host: refused before anything is sent
        assert result.error is not None
        assert result.error.startswith("ConnectError")
        assert "certificate" in result.error.lower()
        assert server.requests == []
