"""A lean HTTP/1.1 client for webhook POSTs: guarded connections, kept alive per origin.

Webhook delivery needs little of a general HTTP client: one POST of a small body, the
status and the first KiB of the answer, no redirects, no proxies, no cookies, no
compression. httpx spent 2-3 ms of CPU per POST on that (its connection pool scans every
connection on each request and each response), more than a payment costs the API; this
client spends well under a tenth of it, on asyncio streams.

Every new connection goes through the SSRF guard: the host is resolved once
(``ssrf.resolve_destination``, in a thread), every address is checked, and the client
connects to a checked address itself (an IP literal: asyncio resolves nothing again), so
there is no DNS-rebinding window. TLS still verifies the URL's host name (SNI and
certificate). Idle connections are kept per origin ``(scheme, host, port)`` for
``keepalive_expiry`` seconds, below the usual 5 s of servers, so a kept connection was
checked when it opened and is rarely closed by the server just as it is reused.

The answer is read as the contract wants it: the status line and headers, then the body
until it ends or its first ``MAX_RESPONSE_BODY`` bytes are in. A connection is reused only
when its answer was read to its end (``Content-Length`` or chunked framing, HTTP/1.1, no
``Connection: close``); otherwise it is closed.
"""

from __future__ import annotations

import asyncio
import base64
import ssl
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import unquote

import attrs
import httpx

from paygate_adapters.webhooks.ssrf import Resolver, resolve_destination, system_resolver

__all__ = ["KEEPALIVE_EXPIRY", "MAX_HEAD", "DeliveryError", "Target", "WebhookClient",
           "request_head", "target_of"]

KEEPALIVE_EXPIRY = 4.0
"""Seconds an idle connection is kept (servers commonly close theirs after 5 s)."""
MAX_HEAD = 64 * 1024
"""Longest status line and headers accepted, bytes."""

Origin = tuple[str, str, int]


class DeliveryError(Exception):
    """The exchange failed; ``kind`` names the phase as httpx would (``ConnectError``,
    ``ReadError``, ``WriteError``, ``RemoteProtocolError``)."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind


@attrs.frozen
class Target:
    """Where a webhook URL sends: origin, ``Host`` header, request target, credentials."""

    origin: Origin
    host_header: str
    path: str
    authorization: str | None


@lru_cache(maxsize=1024)
def target_of(raw: str) -> Target:
    """The parsed webhook URL (cached: merchants keep their URL); ``httpx.InvalidURL`` if it
    is not an absolute http/https URL with a host and a valid port."""
    url = httpx.URL(raw)
    if url.scheme not in {"http", "https"} or not url.host or not 0 < (url.port or 80) < 65536:
        raise httpx.InvalidURL("not a deliverable webhook URL")
    port = url.port or (443 if url.scheme == "https" else 80)
    authorization = None
    if url.userinfo:  # as httpx does: credentials in the URL become Basic auth
        pair = f"{unquote(url.username)}:{unquote(url.password or '')}".encode()
        authorization = "Basic " + base64.b64encode(pair).decode("ascii")
    host = url.raw_host.decode("ascii")
    return Target((url.scheme, host, port), url.netloc.decode("ascii"),
                  url.raw_path.decode("ascii"), authorization)


@attrs.define(eq=False)
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    idle_since: float = 0.0

    def usable(self, now: float) -> bool:
        return (not self.writer.is_closing() and not self.reader.at_eof()
                and now - self.idle_since < KEEPALIVE_EXPIRY)

    def close(self) -> None:
        self.writer.close()


class WebhookClient:
    """POSTs over kept-alive, guarded connections; one event loop; ``aclose`` at the end."""

    def __init__(self, *, allow_private: bool, ssl_context: ssl.SSLContext,
                 resolver: Resolver = system_resolver, max_idle_per_origin: int = 100,
                 ) -> None:
        self._allow_private = allow_private
        self._ssl_context = ssl_context
        self._resolver = resolver
        self._max_idle = max_idle_per_origin
        self._idle: dict[Origin, list[_Connection]] = {}

    async def post(self, target: Target, head: bytes, body: bytes,
                   keep: int) -> tuple[int, bytes]:
        """Send ``head`` (request line and headers) and ``body``; the status and the first
        ``keep`` bytes of the answer's body."""
        connection = self._take(target.origin)
        if connection is None:
            connection = await self._connect(target.origin)
        try:
            connection.writer.write(head + body)
            status, answer, reusable = await _read_response(connection.reader, keep)
        except BaseException:
            connection.close()  # an error, a timeout or a cancellation mid-exchange
            raise
        if reusable:
            self._put(target.origin, connection)
        else:
            connection.close()
        return status, answer

    async def aclose(self) -> None:
        idle, self._idle = self._idle, {}
        for connections in idle.values():
            for connection in connections:
                connection.close()

    def _take(self, origin: Origin) -> _Connection | None:
        idle = self._idle.get(origin)
        now = asyncio.get_running_loop().time()
        while idle:
            connection = idle.pop()  # the most recently used: least likely to be closed
            if connection.usable(now):
                return connection
            connection.close()
        return None

    def _put(self, origin: Origin, connection: _Connection) -> None:
        idle = self._idle.setdefault(origin, [])
        if len(idle) >= self._max_idle:
            connection.close()
            return
        connection.idle_since = asyncio.get_running_loop().time()
        idle.append(connection)

    async def _connect(self, origin: Origin) -> _Connection:
        scheme, host, port = origin
        # getaddrinfo blocks: off the loop. Raises BlockedDestination or UnresolvableHost.
        addresses = await asyncio.to_thread(
            resolve_destination, host, port, allow_private=self._allow_private,
            resolver=self._resolver)
        tls = self._ssl_context if scheme == "https" else None
        failure: OSError | None = None
        for address in addresses:  # DNS order; e.g. ::1 refused while 127.0.0.1 listens
            try:
                reader, writer = await asyncio.open_connection(
                    str(address), port, ssl=tls, server_hostname=host if tls else None,
                    limit=MAX_HEAD)
            except OSError as exc:  # ssl.SSLError included
                failure = exc
                continue
            return _Connection(reader, writer)
        assert failure is not None  # resolve_destination never returns an empty tuple
        raise DeliveryError("ConnectError", str(failure) or type(failure).__name__) \
            from failure


async def _read_response(reader: asyncio.StreamReader, keep: int,
                         ) -> tuple[int, bytes, bool]:
    """Status, the first ``keep`` bytes of the body, and whether the connection may be
    reused (the body was read to its end and the server keeps the connection)."""
    try:
        version, status, headers = await _read_head(reader)
        while 100 <= status < 200 and status != 101:  # interim answers (100, 103)
            version, status, headers = await _read_head(reader)
        return await _read_body(reader, keep, version, status, headers)
    except asyncio.IncompleteReadError as exc:
        raise DeliveryError("RemoteProtocolError",
                            "server disconnected without a complete response") from exc
    except asyncio.LimitOverrunError as exc:
        raise DeliveryError("RemoteProtocolError", "response head too long") from exc
    except (ValueError, IndexError) as exc:
        raise DeliveryError("RemoteProtocolError", "malformed response") from exc
    except OSError as exc:
        raise DeliveryError("ReadError", str(exc) or type(exc).__name__) from exc


async def _read_head(reader: asyncio.StreamReader,
                     ) -> tuple[bytes, int, dict[bytes, list[bytes]]]:
    lines = (await reader.readuntil(b"\r\n\r\n")).split(b"\r\n")
    version, code, *_ = lines[0].split(b" ", 2)
    if version not in (b"HTTP/1.1", b"HTTP/1.0") or len(code) != 3 or not code.isdigit():
        raise ValueError("not an HTTP/1.x status line")
    headers: dict[bytes, list[bytes]] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, colon, value = line.partition(b":")
        if not colon or not name or name != name.strip():
            raise ValueError("malformed header line")
        headers.setdefault(name.lower(), []).append(value.strip())
    return version, int(code), headers


async def _read_body(reader: asyncio.StreamReader, keep: int, version: bytes, status: int,
                     headers: dict[bytes, list[bytes]]) -> tuple[int, bytes, bool]:
    tokens = {token.strip().lower() for value in headers.get(b"connection", ())
              for token in value.split(b",")}
    persistent = version == b"HTTP/1.1" and b"close" not in tokens
    if status in (204, 304) or status < 200:
        return status, b"", persistent and status != 101
    encodings = headers.get(b"transfer-encoding")
    lengths = headers.get(b"content-length")
    if encodings is not None:
        chunked = encodings[-1].split(b",")[-1].strip().lower() == b"chunked"
        if not chunked:  # delimited by the end of the connection
            return status, await _read_to_eof(reader, keep), False
        body, complete = await _read_chunked(reader, keep)
        return status, body, persistent and complete and lengths is None
    if lengths is not None:
        if len(set(lengths)) != 1 or not lengths[0].isdigit():
            raise ValueError("invalid Content-Length")
        length = int(lengths[0])
        body = await reader.readexactly(min(length, keep))
        return status, body, persistent and length <= keep
    return status, await _read_to_eof(reader, keep), False


async def _read_to_eof(reader: asyncio.StreamReader, keep: int) -> bytes:
    body = bytearray()
    while len(body) < keep:
        chunk = await reader.read(keep - len(body))
        if not chunk:
            break
        body += chunk
    return bytes(body)


async def _read_chunked(reader: asyncio.StreamReader, keep: int) -> tuple[bytes, bool]:
    """Up to ``keep`` bytes of a chunked body, and whether it was read to its end."""
    body = bytearray()
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0].strip(), 16)
        if size == 0:
            await _skip_trailers(reader)
            return bytes(body), True
        wanted = keep - len(body)
        if size > wanted:  # the answer goes on past what is kept: stop reading here
            body += await reader.readexactly(wanted)
            return bytes(body), False
        body += await reader.readexactly(size)
        if await reader.readexactly(2) != b"\r\n":
            raise ValueError("malformed chunk")


async def _skip_trailers(reader: asyncio.StreamReader) -> None:
    while await reader.readuntil(b"\r\n") != b"\r\n":
        pass


def request_head(target: Target, headers: Iterable[tuple[str, str]], length: int) -> bytes:
    """The request line and headers of a POST of ``length`` bytes to ``target``."""
    lines = [f"POST {target.path} HTTP/1.1", f"Host: {target.host_header}",
             f"Content-Length: {length}"]
    if target.authorization is not None:
        lines.append(f"Authorization: {target.authorization}")
    lines += [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
