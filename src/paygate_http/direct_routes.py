"""Direct routes: the JSON write routes served without Litestar's per-request machinery when
the request is the plain case (ADR 0009).

``POST orders/``, ``payments/`` and ``refunds/`` are the hot paths of a gateway. Through
Litestar each paid about 100 us of routing, hooks, dependency injection, signature models,
DTO extraction and response objects on top of its own work. ``PaygateApp`` offers every
request to ``DirectRoutes.serve`` first. A request it takes is served with the very
functions the Litestar handler calls, in the same order, so the answer is the same bytes:

1. ``authenticate_scope`` and ``require_merchant`` (401, 403, 429 as ever);
2. ``decode_json_object`` on the body (400/422 1004), an empty body being ``{}``;
3. the route's ``JsonWrite`` (its command, use case and renderer);
4. any error as the exception handlers answer it (``errors.as_paygate_error``).

It takes only requests that need nothing else: the exact path (with or without its trailing
slash), no query string, ``Content-Type: application/json``, a ``Content-Length`` within the
64 KiB limit, and no ``Idempotency-Key``, ``Origin`` (CORS) or ``Transfer-Encoding``
header. Anything else is declined before any work and goes through Litestar. So does a
body that turns out longer than announced: it is handed on unread
(``tests/integration/api/test_api_direct_routes.py`` compares both ways, byte for byte).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar.serialization import encode_json
from litestar.types import (
    HTTPRequestEvent,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    HTTPScope,
    Receive,
    ReceiveMessage,
    Send,
)

from paygate_http.auth import authenticate_scope
from paygate_http.errors import as_paygate_error, error_envelope, error_headers, status_for
from paygate_http.json_body import MAX_BODY_BYTES, decode_json_object
from paygate_http.json_writes import JsonWrite
from paygate_http.observability import request_id_of
from paygate_http.runtime import Runtime

__all__ = ["DirectRoutes"]

_JSON = b"application/json"
_DECLINING_HEADERS = frozenset({b"idempotency-key", b"origin", b"transfer-encoding"})


class DirectRoutes:
    """The routes ``serve`` may take: path (as given, trailing slash optional) to route."""

    def __init__(self, runtime: Runtime, routes: Mapping[str, JsonWrite[Any, Any]]) -> None:
        self._runtime = runtime
        self._routes: dict[str, JsonWrite[Any, Any]] = {}
        for path, route in routes.items():
            self._routes[path.rstrip("/")] = self._routes[path.rstrip("/") + "/"] = route
        self.served = 0
        """Requests answered here (the rest went through Litestar)."""

    async def serve(self, scope: HTTPScope, receive: Receive, send: Send) -> Receive | None:
        """Answer the request and return None, or decline it: then the returned ``receive``
        gives whatever body was read, and the request goes on through Litestar."""
        route = self._routes.get(scope["path"]) if scope["method"] == "POST" else None
        if route is None or scope["query_string"] or not _plain(scope):
            return receive
        body, complete = await _read_body(receive)
        if not complete:
            return _replaying(body, receive)
        self.served += 1
        try:
            principal = await authenticate_scope(scope, self._runtime)
            merchant = principal.require_merchant()
            result = await route.run(self._runtime, merchant.id,
                                     decode_json_object(body) if body else {}, None)
            status, payload = route.render(result)
            headers: dict[str, str] = {}
        except Exception as exc:  # answered like the app's exception handlers answer it
            error = as_paygate_error(exc, request_id_of(scope))
            status, payload = status_for(error), encode_json(error_envelope(error))
            headers = error_headers(error)
        await _answer(send, status, payload, headers)
        return None


def _plain(scope: HTTPScope) -> bool:
    """JSON with a length the body limit allows, and none of the declining headers."""
    json = length = False
    for name, value in scope["headers"]:
        if name == b"content-type":
            json = value == _JSON
        elif name == b"content-length":
            length = value.isdigit() and int(value) <= MAX_BODY_BYTES
        elif name in _DECLINING_HEADERS:
            return False
    return json and length


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    """The body, and whether it is whole and within the limit (else stop reading)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"", False  # the client left: Litestar's way of noticing applies
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return b"".join(chunks), False
        if not message.get("more_body", False):
            return b"".join(chunks), True


def _replaying(body: bytes, receive: Receive) -> Receive:
    """``receive`` with what was already read put back in front."""
    pending: list[HTTPRequestEvent] = [
        {"type": "http.request", "body": body, "more_body": True}]

    async def replay() -> ReceiveMessage:
        return pending.pop() if pending else await receive()

    return replay


async def _answer(send: Send, status: int, payload: bytes, headers: Mapping[str, str]) -> None:
    # The headers a Litestar Response sends: its own (lowercased) first, then these two.
    raw = [(name.lower().encode("latin-1"), value.encode("latin-1"))
           for name, value in headers.items()]
    raw += [(b"content-type", _JSON), (b"content-length", str(len(payload)).encode())]
    start: HTTPResponseStartEvent = {"type": "http.response.start", "status": status,
                                     "headers": raw}
    await send(start)
    end: HTTPResponseBodyEvent = {"type": "http.response.body", "body": payload,
                                  "more_body": False}
    await send(end)
