"""A deadline for reading each request: a client that does not send its whole request (line,
headers and body) within ``PAYGATE_REQUEST_READ_TIMEOUT`` seconds is answered 408 9006 and
its connection closed, instead of holding the connection and a task for as long as it likes
(slow headers, a body that never completes). ADR 0015.

uvicorn has no such deadline: ``timeout_keep_alive`` closes a connection idle *between*
requests, and any byte received cancels it, so a request trickled a byte at a time is never
timed out; a new connection that sends nothing is never closed at all. The deadline lives in
the HTTP protocol (uvicorn's httptools protocol, which uvicorn picks by default), where the
bytes arrive, so it covers the headers, which an ASGI middleware never sees, and costs a
request nothing when the request arrives whole in one read (the usual case): a timer is set
only when a read ends with a request incomplete, and when a connection is made.

The clock starts when the connection is made or when a request's first byte arrives, and is
not restarted by later bytes. When it runs out:

- nothing of a request has arrived since the connection was made: the connection is closed
  (as ``timeout_keep_alive`` does between requests);
- the request is incomplete: the 408 envelope is written with ``Connection: close`` and the
  connection closed. If the app is already running (the headers are in, the body is not),
  it sees the client disconnect; ``errors`` logs one line and its access-log line says 408;
- the app answered before reading the whole body (e.g. 401): the connection is closed.

While the server itself has paused reading (flow control, pipelined requests) the client is
not late: the deadline is set again.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, ClassVar

import msgspec
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from paygate_http.pipeline.errors import READ_TIMED_OUT, RequestTimeout, error_envelope

__all__ = ["read_deadline_protocol", "timeout_answer"]

_log = logging.getLogger("paygate.server")


def read_deadline_protocol(timeout: float) -> type[asyncio.Protocol]:
    """uvicorn's ``http`` protocol class with a read deadline of ``timeout`` seconds."""
    return type(
        "ReadDeadlineProtocol",
        (_ReadDeadlineProtocol,),
        {"timeout": timeout, "body": timeout_answer(timeout)},
    )


def timeout_answer(timeout: float) -> bytes:
    """The 408 9006 envelope's bytes."""
    error = RequestTimeout(f"The request was not received in full within {timeout:g} seconds")
    return msgspec.json.encode(error_envelope(error))


class _ReadDeadlineProtocol(HttpToolsProtocol):
    """Set by ``read_deadline_protocol``: the deadline and the 408 envelope's bytes."""

    timeout: ClassVar[float]
    body: ClassVar[bytes]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._partial = False  # a request has begun and is not complete
        self._headers_done = False  # ... and its headers are in

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if not self._partial:
            if self._deadline is not None:
                self._disarm()
        elif self._deadline is None and not self.transport.is_closing():
            self._arm()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._partial = True
        self._headers_done = False

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self._headers_done = True

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._partial = False

    def handle_websocket_upgrade(self) -> None:
        self._disarm()  # the connection is another protocol's from here on
        super().handle_websocket_upgrade()

    def _arm(self) -> None:
        self._deadline = self.loop.call_later(self.timeout, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self.flow.read_paused:  # the server stopped reading, not the client
            self._arm()
            return
        if self._partial:
            self._answer_timeout()
        self.transport.close()

    def _answer_timeout(self) -> None:
        """Write the 408 unless the request's answer has begun; the app, if running, sees
        the client disconnect (and ``errors`` knows why, ``READ_TIMED_OUT``)."""
        cycle = self.cycle if self._headers_done else None
        if cycle is not None:
            if cycle.response_started:
                return
            cycle.scope.setdefault("state", {})[READ_TIMED_OUT] = True
            cycle.disconnected = True
            cycle.message_event.set()
        _log.info(
            "request read timed out",
            extra={
                "fields": {
                    "client": f"{self.client[0]}:{self.client[1]}" if self.client else None,
                    "headers_received": self._headers_done,
                }
            },
        )
        head = [STATUS_LINE[408]]
        head.extend(
            name + b": " + value + b"\r\n" for name, value in self.server_state.default_headers
        )
        head.append(
            b"content-type: application/json\r\ncontent-length: %d\r\n"
            b"connection: close\r\n\r\n" % len(self.body)
        )
        self.transport.write(b"".join(head) + self.body)
