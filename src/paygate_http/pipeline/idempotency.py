"""``Idempotency-Key`` on ``POST orders/``, ``payments/`` and ``refunds/`` (ADR 0005).

A route middleware, so it sees the exact bytes the route answers, whatever produced them
(handler, body parser or error translator)::

    @post("/", middleware=[IdempotencyMiddleware], ...)

Without the header the request passes straight through. With it:

1. Authenticate (the guards reuse the cached principal; 401, 403 and 429 are raised as usual
   and never stored), check the key (1 to 255 printable ASCII characters, else 422 1004) and
   read the body (at most 64 KiB, else 413 9003).
2. Fingerprint the request (``request_fingerprint``) and claim the key for it, scoped to
   the merchant (``Paygate.claim_idempotency_key``, after any release of that key still
   pending in ``idempotency_releases``). The core decides what the claim means:
   - owned: run the route as the key's owner (``idempotent_answers.OwnedKey``) and buffer
     its answer, which is stored or the key released *before* it goes out, so a client
     that retries the moment it hears back gets the replay, never a 409;
   - key reused with another request: 422 1007;
   - the key's first request is in progress: 409 1007;
   - replay: send the stored status and body with ``Idempotent-Replayed: true``; nothing
     else happens.
3. A request the route ran may start the purge of expired records (``idempotency_janitor``).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any, cast
from uuid import UUID

from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.types import (
    ASGIApp,
    HTTPRequestEvent,
    HTTPScope,
    Message,
    Receive,
    ReceiveMessage,
    Scope,
    Send,
)

from paygate_core.errors import (
    IdempotencyKeyReused,
    IdempotencyRequestInFlight,
    ValidationFailed,
)
from paygate_core.gateway import Paygate
from paygate_core.idempotency import ClaimDecision, ClaimOutcome
from paygate_http.pipeline.auth import authenticate
from paygate_http.pipeline.errors import BodyTooLarge
from paygate_http.pipeline.idempotency_janitor import janitor_of
from paygate_http.pipeline.idempotency_releases import PENDING_RELEASES
from paygate_http.pipeline.idempotent_answers import OwnedKey
from paygate_http.pipeline.request_bodies import MAX_BODY_BYTES, require_json
from paygate_http.pipeline.request_fingerprint import fingerprint_keys, request_fingerprint
from paygate_http.services import services_of

__all__ = ["KEY_HEADER", "REPLAYED_HEADER", "IdempotencyMiddleware", "check_key"]

KEY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"

_KEY = re.compile(r"[\x20-\x7e]{1,255}")
_KEY_REASON = "must be 1 to 255 printable ASCII characters"


def check_key(raw_values: list[bytes]) -> str:
    """The one ``Idempotency-Key`` value, or 422 1004 naming the header (never echoing it)."""
    if len(raw_values) != 1:
        raise ValidationFailed(fields={KEY_HEADER: "must be sent once"})
    text = raw_values[0].decode("latin-1")
    if _KEY.fullmatch(text) is None:
        raise ValidationFailed(fields={KEY_HEADER: _KEY_REASON})
    return text


class _ClientGone(Exception):
    pass


class IdempotencyMiddleware:
    """Route middleware implementing the module docstring."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw_keys = [
            value for name, value in scope.get("headers", ()) if name.lower() == b"idempotency-key"
        ]
        if scope["type"] != ScopeType.HTTP or not raw_keys:
            await self.app(scope, receive, send)
            return
        connection: ASGIConnection[Any, Any, Any, Any] = ASGIConnection(scope, receive, send)
        merchant = (await authenticate(connection)).require_merchant()
        key = check_key(raw_keys)
        try:
            body = await _read_body(scope, receive)
        except _ClientGone:
            return
        if body:  # a body not sent as JSON is 415 9004 before the key is claimed
            require_json(scope["headers"])
        services = services_of(connection)
        fingerprint = request_fingerprint(
            scope["method"], scope["path"], body, fingerprint_keys(services)
        )
        decision = await services.offload_write(
            _claim, services.paygate, merchant.id, key, fingerprint
        )
        if decision.outcome is not ClaimOutcome.OWNED:
            await _answer_from(decision, send)
            return
        await self._run_owned(
            scope, _replaying(body, receive), send, OwnedKey(services, merchant.id, key)
        )
        janitor_of(connection).maybe_purge(services.paygate)

    async def _run_owned(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        owned: OwnedKey,
    ) -> None:
        """Run the route as the key's owner; store or release before answering."""
        answer = _BufferedAnswer()
        owned.attach_to(scope)
        try:
            await self.app(scope, receive, answer.send)
        except BaseException:
            await owned.release()
            raise
        if not owned.holds(answer.status, answer.body):
            await owned.settle(answer.status, answer.body)
        await answer.forward(send)


def _claim(paygate: Paygate, merchant_id: UUID, key: str, fingerprint: str) -> ClaimDecision:
    PENDING_RELEASES.release_first(paygate, merchant_id, key)
    return paygate.claim_idempotency_key(merchant_id, key, fingerprint)


async def _answer_from(decision: ClaimDecision, send: Send) -> None:
    """The answer to a request that does not own its key: 422, 409 or the replay."""
    if decision.outcome is ClaimOutcome.KEY_REUSED:
        raise IdempotencyKeyReused()
    stored = decision.answer
    if decision.outcome is not ClaimOutcome.REPLAY or stored is None:
        raise IdempotencyRequestInFlight()
    await send(
        {
            "type": "http.response.start",
            "status": stored.code,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(stored.body)).encode("ascii")),
                (REPLAYED_HEADER.lower().encode("ascii"), b"true"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": stored.body, "more_body": False})


async def _read_body(scope: HTTPScope, receive: Receive) -> bytes:
    """The whole request body, refusing more than ``MAX_BODY_BYTES`` (413 9003)."""
    for name, value in scope.get("headers", ()):
        if name.lower() == b"content-length" and value.isdigit() and int(value) > MAX_BODY_BYTES:
            raise BodyTooLarge("The request body exceeds 64 KiB")
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _ClientGone
        chunk = cast("HTTPRequestEvent", message)["body"]
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise BodyTooLarge("The request body exceeds 64 KiB")
        chunks.append(chunk)
        if not cast("HTTPRequestEvent", message).get("more_body", False):
            return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the buffered body over once, then defers to the client."""
    delivered = False

    async def replay() -> ReceiveMessage:
        nonlocal delivered
        if delivered:
            return await receive()
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


class _BufferedAnswer:
    """Collects the route's answer so it can be stored before it is sent."""

    def __init__(self) -> None:
        self.status = 500
        self._messages: list[Message] = []
        self._chunks: list[bytes] = []

    @property
    def body(self) -> bytes:
        return b"".join(self._chunks)

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
        elif message["type"] == "http.response.body":
            self._chunks.append(message.get("body", b""))
        self._messages.append(message)

    async def forward(self, send: Callable[[Message], Awaitable[None]]) -> None:
        for message in self._messages:
            await send(message)
