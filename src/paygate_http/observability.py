"""Structured logs and request ids.

Every log line is one JSON object on stderr: ``ts``, ``level``, ``logger``, ``message``,
plus the whitelisted ``fields`` a call passes with ``extra={"fields": {...}}``. Requests are
logged once each by ``RequestLog`` (method, path without the query string, status,
duration_ms, request_id, client). Headers, bodies, tokens, passwords and card data are never
logged: nothing here ever receives them.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import sys
import threading
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO

import msgspec

if TYPE_CHECKING:
    from litestar.types import Message, Scope, Send

__all__ = ["AccessLines", "JsonFormatter", "RequestLog", "configure_logging", "request_id_of"]

REQUEST_ID_HEADER = "x-request-id"
_REQUEST_ID_NAME = REQUEST_ID_HEADER.encode()
_STATE_KEY = "paygate.request_id"
_UUID4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))  # the version nibble, the variant bits
_UUID4_SET = (0x4000 << 64) | (0x8000 << 48)  # version 4, variant RFC 9562
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_access_log = logging.getLogger("paygate.http.access")


class JsonFormatter(logging.Formatter):
    """One JSON object per line; exceptions as a ``traceback`` string field. Values JSON
    cannot hold are written as their ``str()``."""

    _encoder = msgspec.json.Encoder(enc_hook=str)

    def __init__(self) -> None:
        super().__init__()
        # (second, its text), replaced as one value: records are formatted on any thread.
        self._second: tuple[int, str] = (-1, "")

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": self._timestamp(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update({k: v for k, v in fields.items() if k not in line})
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        return self._encoder.encode(line).decode()

    def _timestamp(self, created: float) -> str:
        """ISO 8601 UTC with milliseconds; the date and time part is reused within a second
        (the access log writes one line per request)."""
        second = int(created)
        cached, text = self._second
        if cached != second:
            text = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
            self._second = (second, text)
        return f"{text}.{int((created - second) * 1000):03d}Z"


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time (test runners swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass


def configure_logging(level: str, *, root: bool = False) -> None:
    """JSON lines to stderr for the ``paygate`` loggers (and every logger with ``root``).

    Idempotent: a second call replaces the handler instead of adding one.
    """
    target = logging.getLogger() if root else logging.getLogger("paygate")
    for handler in list(target.handlers):
        if isinstance(handler, _StderrHandler):
            target.removeHandler(handler)
    handler = _StderrHandler()
    handler.setFormatter(JsonFormatter())
    target.addHandler(handler)
    target.setLevel(level)
    if root:
        paygate = logging.getLogger("paygate")
        for old in list(paygate.handlers):
            if isinstance(old, _StderrHandler):
                paygate.removeHandler(old)
        paygate.setLevel(level)
        paygate.propagate = True
        logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
        _lean_records()
    else:
        target.propagate = False


def _lean_records() -> None:
    """The process is ours (``root``) and its lines never show the caller, thread or
    process: stop collecting them for every record (the logging HOWTO's "Optimization")."""
    logging._srcfile = None  # documented there
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False


def request_id_of(scope: Scope) -> str:
    state: dict[str, Any] = scope.get("state") or {}
    value = state.get(_STATE_KEY)
    return value if isinstance(value, str) else "-"


def _incoming_request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == _REQUEST_ID_NAME:
            text = value.decode("latin-1")
            if _SAFE_REQUEST_ID.fullmatch(text):
                return text
    # A version 4 UUID from ``random`` rather than ``os.urandom``: a request id needs to be
    # unique, not secret, and the urandom system call cost the event loop a GIL hand-off.
    # The version and variant bits are set by hand: a ``uuid.UUID`` only to read its hex
    # cost more than the bits.
    return f"{random.getrandbits(128) & _UUID4_CLEAR | _UUID4_SET:032x}"


class RequestLog:
    """Wraps one HTTP exchange: assigns the request id, echoes it, logs the outcome."""

    def __init__(self, scope: Scope, lines: AccessLines) -> None:
        lines.started()
        self._lines = lines
        self.scope = scope
        self.request_id = _incoming_request_id(scope)
        scope.setdefault("state", {})[_STATE_KEY] = self.request_id
        self.path = scope.get("path")  # before routing strips a trailing slash
        self.status = 500
        self._started = time.perf_counter()

    def wrap_send(self, send: Send) -> Send:
        header = (_REQUEST_ID_NAME, self.request_id.encode())

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        return sending

    def finish(self) -> None:
        client = self.scope.get("client")
        self._lines.finished({
            "method": self.scope.get("method"),
            "path": self.path,
            "status": self.status,
            "duration_ms": round((time.perf_counter() - self._started) * 1000, 3),
            "request_id": self.request_id,
            "client": client[0] if client else None,
        })


class AccessLines:
    """One app's access log. The lines of requests that finish while others still run are
    logged together once the event loop's current turn is done: the logging code then runs
    back to back, warm in the CPU caches, instead of once between every two requests' work
    (24 us a request less under load). The last request in flight logs at once, so a lone
    request's line is out before its exchange ends."""

    def __init__(self) -> None:
        # A lock, because tests and embedders may drive one app from several threads'
        # event loops at once; it is never contended in a server.
        self._lock = threading.Lock()
        self._in_flight = 0
        self._pending: list[dict[str, Any]] = []

    def started(self) -> None:
        with self._lock:
            self._in_flight += 1

    def finished(self, fields: dict[str, Any]) -> None:
        with self._lock:
            self._in_flight -= 1
            self._pending.append(fields)
            last, first = self._in_flight <= 0, len(self._pending) == 1
        if last:
            self.flush()
        elif first:
            try:
                asyncio.get_running_loop().call_soon(self.flush)
            except RuntimeError:  # no loop: nothing to wait for
                self.flush()

    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, []
        for fields in pending:
            _access_log.info("request", extra={"fields": fields})


