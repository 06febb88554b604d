"""Structured logs and request ids.

Every log line is one JSON object on stderr: ``ts``, ``level``, ``logger``, ``message``,
plus the whitelisted ``fields`` a call passes with ``extra={"fields": {...}}``. Requests are
logged once each by ``AccessLog`` (method, path, query when there is one, status,
duration_ms, request_id, client). Headers, bodies, tokens and passwords are never logged:
nothing here ever receives them. A card number in the path or query is masked
(``mask_digits``).
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
from typing import TYPE_CHECKING, Any, TextIO, cast
from urllib.parse import unquote, unquote_plus

import msgspec
from litestar.enums import ScopeType

if TYPE_CHECKING:
    from litestar.types import ASGIApp, HTTPResponseStartEvent, Message, Receive, Scope, Send

__all__ = [
    "MASK",
    "AccessLines",
    "AccessLog",
    "JsonFormatter",
    "RequestLog",
    "configure_logging",
    "mask_digits",
    "request_id_of",
]

REQUEST_ID_HEADER = "x-request-id"
_REQUEST_ID_NAME = REQUEST_ID_HEADER.encode()
_STATE_KEY = "paygate.request_id"
_UUID4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))  # the version nibble, the variant bits
_UUID4_SET = (0x4000 << 64) | (0x8000 << 48)  # version 4, variant RFC 9562
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_RECORD_KEY = "paygate.request_log"
_UNROUTED_KEY = "paygate.request_log.unrouted"
_CARD_LIKE = re.compile(r"(?:\d[ -]?){12,}\d")  # 13+ digits, card-style spaces/dashes too
MASK = "[masked]"
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
    """One HTTP exchange's record: its request id, status and start time."""

    __slots__ = ("_lines", "_started", "path", "request_id", "scope", "status")

    def __init__(self, scope: Scope, lines: AccessLines) -> None:
        lines.started()
        self._lines = lines
        self.scope = scope
        self.request_id = _incoming_request_id(scope)
        state = scope.setdefault("state", {})
        state[_STATE_KEY] = self.request_id
        state[_RECORD_KEY] = self
        self.path = _logged_path(scope)
        self.status = 500
        self._started = time.perf_counter()

    def finish(self) -> None:
        client = self.scope.get("client")
        fields: dict[str, Any] = {
            "method": self.scope.get("method"),
            "path": self.path,
            "status": self.status,
            "duration_ms": round((time.perf_counter() - self._started) * 1000, 3),
            "request_id": self.request_id,
            "client": client[0] if client else None,
        }
        query = self.scope.get("query_string")
        if query:
            fields["query"] = mask_digits(unquote_plus(query.decode("latin-1")))
        self._lines.finished(fields)


class AccessLog:
    """The access log and ``X-Request-ID`` of one app, on Litestar's two hooks into every
    request:

    - ``middleware`` (app-level): a matched route's record starts before the route's hooks
      and handler, so errors they log quote the request id, and it ends when the route's
      answer is out (or the route fails);
    - ``before_send`` (the app's ``before_send`` hook, which wraps ``send`` for every
      request): sets the status and appends the ``X-Request-ID`` header. Requests no route
      takes (404 9001, 405 9002, CORS preflights) never reach a route's middleware: their
      record starts with the answer and ends with its last body message.
    """

    def __init__(self) -> None:
        self._lines = AccessLines()

    def middleware(self, app: ASGIApp) -> ASGIApp:
        lines = self._lines

        async def logged(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != ScopeType.HTTP:
                await app(scope, receive, send)
                return
            record = RequestLog(scope, lines)
            try:
                await app(scope, receive, send)
            finally:
                record.finish()

        return logged

    async def before_send(self, message: Message, scope: Scope) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            start = cast("HTTPResponseStartEvent", message)
            record = scope["state"].get(_RECORD_KEY)
            if record is None:  # no route took it: the record lives as long as the answer
                record = scope["state"][_UNROUTED_KEY] = RequestLog(scope, self._lines)
            record.status = start["status"]
            start["headers"] = [
                *start.get("headers", ()),
                (_REQUEST_ID_NAME, record.request_id.encode()),
            ]
        elif kind == "http.response.body" and not message.get("more_body", False):
            unrouted = scope["state"].pop(_UNROUTED_KEY, None)
            if unrouted is not None:
                unrouted.finish()


def mask_digits(text: str) -> str:
    """``text`` with every run of 13 or more digits (a card number's length, 13 to 19, or
    longer), single spaces or dashes between them included (``4111 1111 1111 1111``),
    replaced by ``[masked]``; shorter runs (ids, amounts, limits) stay."""
    return _CARD_LIKE.sub(MASK, text)


def _logged_path(scope: Scope) -> str:
    """The path as the client sent it, trailing slash included (routing rewrites
    ``scope["path"]`` before a route's middleware runs), percent-decoded, digits masked."""
    raw: bytes | None = scope.get("raw_path")
    if raw:
        path = raw.partition(b"?")[0].decode("latin-1")
        if "%" in path:
            path = unquote(path)
    else:
        path = scope.get("path", "")
    return mask_digits(path)


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
