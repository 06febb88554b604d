"""``Idempotency-Key`` on ``POST orders/``, ``payments/`` and ``refunds/`` (ADR 0005).

A route middleware, so it sees the exact bytes the route answers, whatever produced them
(handler, body parser or error translator)::

    @post("/", middleware=[IdempotencyMiddleware], ...)

Without the header the request passes straight through. With it:

1. Authenticate (the guards reuse the cached principal; 401, 403 and 429 are raised as usual
   and never stored), check the key (1 to 255 printable ASCII characters, else 422 1004) and
   read the body (at most 64 KiB, else 413 9003).
2. Fingerprint the request: HMAC-SHA256, under a key derived from the server key, of the
   method, the path without its trailing slash and the canonical JSON body (keys sorted, no
   whitespace, numbers exactly as written), so a re-serialised retry still matches. The card
   enters only as its keyed card fingerprint and expiry; the CVV takes no part, so nothing
   stored lets anyone holding the database guess either. A body that is not JSON is keyed
   as raw bytes.
3. ``IdempotencyStore.claim`` in its own committed unit of work, scoped to the merchant:
   - this request now owns the key: run the route and buffer its answer. The route hands
     ``answer_for(request, render)`` to its use case, which stores the rendered answer in
     the same transaction as the order, payment or refund it makes (``paygate_core.
     idempotency``): no crash can leave that change behind an unfinished key. Any other
     answer is stored here (2xx and 4xx other than 401/429) or the key released (5xx, 401,
     429, a crash, a client gone), *before* the answer goes out, so a client that retries
     the moment it hears back gets the replay, never a 409. A release the database cannot
     take (503 9005) is retried in the background and before the key's next claim
     (``_PendingReleases``): the key is not left claimed;
   - the key holds another fingerprint: 422 1007;
   - the key's first request is unfinished: 409 1007 (after ``LEASE`` without an answer its
     owner is presumed dead and the next request takes the key over);
   - the key holds a finished answer: replay its status and body with
     ``Idempotent-Replayed: true``; nothing else happens.
4. Records are kept ``RETENTION`` (24 h); at most every ``PURGE_INTERVAL`` seconds a request
   starts a background thread that deletes older ones.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import re
import threading
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any, TypeVar, cast
from uuid import UUID

import attrs
from anyio import CancelScope
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

from paygate_core.cards import card_fingerprint
from paygate_core.errors import (
    IdempotencyKeyReused,
    IdempotencyRequestInFlight,
    PaygateError,
    StorageUnavailable,
    ValidationFailed,
)
from paygate_core.gateway import Paygate
from paygate_core.idempotency import IdempotentAnswer
from paygate_core.money import NumberLiteral
from paygate_core.ports import IdempotencyRecord
from paygate_http.pipeline.auth import authenticate
from paygate_http.pipeline.errors import BodyTooLarge
from paygate_http.pipeline.request_bodies import MAX_BODY_BYTES, decode_json_object, require_json
from paygate_http.services import Services, services_of

__all__ = [
    "FINGERPRINT_PREFIX",
    "KEY_HEADER",
    "LEASE",
    "PURGE_INTERVAL",
    "REPLAYED_HEADER",
    "RETENTION",
    "FingerprintKeys",
    "IdempotencyMiddleware",
    "answer_for",
    "answer_to_send",
    "canonical_json",
    "check_key",
    "fingerprint_keys",
    "purge_expired",
    "request_fingerprint",
]

KEY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
RETENTION = timedelta(hours=24)
"""Records are kept at least this long, then purged."""
LEASE = timedelta(seconds=60)
"""An unfinished record older than this belongs to a dead request and is taken over."""
PURGE_INTERVAL = 300.0
"""Seconds between two purges of expired records in one process."""
FINGERPRINT_PREFIX = "hmac:"
"""Starts every stored fingerprint: tells a keyed digest from a plain one (migration 0005)."""

_KEY = re.compile(r"[\x20-\x7e]{1,255}")
_KEY_REASON = "must be 1 to 255 printable ASCII characters"
_CARD_SEPARATORS = str.maketrans("", "", " -")  # what ``parse_card`` strips from a number
_NOT_STORED = frozenset({401, 429})
_JANITOR_STATE_KEY = "paygate_idempotency_janitor"
_CLAIM_STATE_KEY = "paygate.idempotency.claim"
R = TypeVar("R")
_log = logging.getLogger("paygate.http.idempotency")


# --- the key and the fingerprint ---------------------------------------------------------


def check_key(raw_values: list[bytes]) -> str:
    """The one ``Idempotency-Key`` value, or 422 1004 naming the header (never echoing it)."""
    if len(raw_values) != 1:
        raise ValidationFailed(fields={KEY_HEADER: "must be sent once"})
    text = raw_values[0].decode("latin-1")
    if _KEY.fullmatch(text) is None:
        raise ValidationFailed(fields={KEY_HEADER: _KEY_REASON})
    return text


def canonical_json(value: object) -> str:
    """Keys sorted, no whitespace, numbers as written (``100.0`` and ``100.00`` differ)."""
    if isinstance(value, dict):
        members = (f"{json.dumps(str(k))}:{canonical_json(v)}" for k, v in sorted(value.items()))
        return "{" + ",".join(members) + "}"
    if isinstance(value, list):
        return "[" + ",".join(canonical_json(item) for item in value) + "]"
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, NumberLiteral):
        return value.text
    return json.dumps(value)


@attrs.frozen(repr=False)
class FingerprintKeys:
    """``request`` keys the fingerprint; ``card`` is the core's card-fingerprint key."""

    request: bytes
    card: bytes


def fingerprint_keys(services: Services) -> FingerprintKeys:
    return FingerprintKeys(request=services.fingerprint_key, card=services.paygate.card_key)


def request_fingerprint(method: str, path: str, body: bytes, keys: FingerprintKeys) -> str:
    """``hmac:`` and the hex HMAC-SHA256 under ``keys.request`` of method, path (trailing
    slash ignored) and the canonical body with its card details reduced (``_card_reduced``)."""
    try:
        content = (
            (
                b"json:"
                + canonical_json(_card_reduced(decode_json_object(body), keys.card)).encode("ascii")
            )
            if body
            else b"empty:"
        )
    except (PaygateError, RecursionError):
        content = b"raw:" + body
    # JSON-framed so no path can run into the body.
    head = canonical_json([method.upper(), path.rstrip("/") or "/"]).encode("ascii")
    return (
        FINGERPRINT_PREFIX
        + hmac.new(keys.request, head + b"\n" + content, hashlib.sha256).hexdigest()
    )


def _card_reduced(body: dict[str, object], card_key: bytes) -> dict[str, object]:
    """``body`` with the card number of its ``card_details`` replaced by the card's keyed
    fingerprint (the one its payment stores) and the CVV left out: a retry that differs only
    in the CVV is the same request."""
    card = body.get("card_details")
    if not isinstance(card, dict):
        return body
    reduced = {name: value for name, value in card.items() if name not in ("card_number", "cvv")}
    if "card_number" in card:
        number = card["card_number"]
        digits = number.translate(_CARD_SEPARATORS) if isinstance(number, str) else None
        if digits is not None and digits.isascii():
            reduced["card_fingerprint"] = card_fingerprint(digits, card_key)
        else:  # not a number the core accepts: still keyed, never kept as sent
            reduced["card_number_fingerprint"] = card_fingerprint(canonical_json(number), card_key)
    return {**body, "card_details": reduced}


# --- the store, one committed unit of work per call ------------------------------------------


def _claim(
    paygate: Paygate,
    merchant_id: UUID,
    key: str,
    fingerprint: str,
) -> IdempotencyRecord | None:
    _PENDING_RELEASES.release_first(paygate, merchant_id, key)
    with paygate.uow() as work:
        record = work.idempotency.claim(merchant_id, key, fingerprint, paygate.clock.now(), LEASE)
        work.commit()
    return record


def _complete(paygate: Paygate, merchant_id: UUID, key: str, status: int, body: bytes) -> None:
    with paygate.uow() as work:
        work.idempotency.complete(merchant_id, key, status, body, paygate.clock.now())
        work.commit()


def _release(paygate: Paygate, merchant_id: UUID, key: str) -> None:
    with paygate.uow() as work:
        work.idempotency.release(merchant_id, key)
        work.commit()


class _PendingReleases:
    """Keys whose release (or completion) failed because the database was unavailable: the
    request answered (503 9005, or its 4xx) but its key is still claimed. Each is released
    again from a background thread, with backoff, and before the key is next claimed in
    this process, so a retry with the same key runs once, or replays the answer if the
    write did commit (``release`` keeps finished answers), instead of meeting 409 1007.
    After ``LEASE`` the claim is taken over anyway: the key is forgotten here."""

    def __init__(self) -> None:
        self._keys: dict[tuple[UUID, str], tuple[Paygate, float]] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def add(self, paygate: Paygate, merchant_id: UUID, key: str) -> None:
        with self._lock:
            self._keys[(merchant_id, key)] = (paygate, time.monotonic())
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._retry, daemon=True, name="paygate-idempotency-release"
                )
                self._thread.start()

    def release_first(self, paygate: Paygate, merchant_id: UUID, key: str) -> None:
        """Release the key now if its release is pending (``StorageUnavailable`` if the
        database still cannot write: the claim that follows could not either)."""
        if not self._keys or (merchant_id, key) not in self._keys:
            return
        _release(paygate, merchant_id, key)
        with self._lock:
            self._keys.pop((merchant_id, key), None)

    def _retry(self) -> None:
        delay = 0.5
        while True:
            time.sleep(delay)
            with self._lock:
                pending = list(self._keys.items())
            if not pending:
                return
            for (merchant_id, key), (paygate, since) in pending:
                if time.monotonic() - since < LEASE.total_seconds():
                    try:
                        _release(paygate, merchant_id, key)
                    except StorageUnavailable:
                        continue
                    except Exception:
                        _log.exception("idempotency key could not be released")
                with self._lock:
                    if self._keys.get((merchant_id, key), (None, since))[1] == since:
                        del self._keys[(merchant_id, key)]
            delay = min(delay * 2, 5.0)


_PENDING_RELEASES = _PendingReleases()


def purge_expired(paygate: Paygate) -> int:
    """Delete the records older than ``RETENTION``; how many went."""
    with paygate.uow() as work:
        purged = work.idempotency.purge(paygate.clock.now() - RETENTION)
        work.commit()
    return purged


@attrs.define
class _Janitor:
    """Runs ``purge_expired`` in a background thread at most once per ``interval``."""

    interval: float = PURGE_INTERVAL
    last: float = -math.inf
    thread: threading.Thread | None = None
    _running: threading.Lock = attrs.field(factory=threading.Lock)

    def maybe_purge(self, paygate: Paygate) -> None:
        now = time.monotonic()
        if now - self.last < self.interval:
            return
        self.last = now
        self.thread = threading.Thread(
            target=self._purge, args=(paygate,), daemon=True, name="paygate-idempotency-purge"
        )
        self.thread.start()

    def _purge(self, paygate: Paygate) -> None:
        if not self._running.acquire(blocking=False):
            return
        try:
            purged = purge_expired(paygate)
            _log.info("idempotency records purged", extra={"fields": {"purged": purged}})
        except Exception:
            _log.exception("idempotency purge failed")
        finally:
            self._running.release()


# --- the middleware ------------------------------------------------------------------------


class _ClientGone(Exception):
    pass


@attrs.define
class _Claim:
    """A key this request owns: it must end completed or released."""

    services: Services
    merchant_id: UUID
    key: str
    rendered: tuple[int, bytes] | None = None
    """The answer the route's use case stored with its change (``answer_for``), if any."""

    def holds(self, status: int, body: bytes) -> bool:
        """Whether the record already holds this answer: the use case committed it (a
        rendered answer whose transaction failed never goes out: that request answers 5xx)."""
        return self.rendered is not None and self.rendered == (status, body)

    async def settle(self, status: int, body: bytes) -> None:
        """Store the answer, or release the key when the answer must not be stored."""
        if status >= 500 or status in _NOT_STORED:
            await self.release()
            return
        try:
            await self.services.offload_write(
                _complete, self.services.paygate, self.merchant_id, self.key, status, body
            )
        except StorageUnavailable:  # not kept: released once the database is back
            _PENDING_RELEASES.add(self.services.paygate, self.merchant_id, self.key)
        except Exception:
            # The work is done; the answer must still go out. The key stays unfinished
            # (409 1007) until LEASE runs out: ADR 0005 discusses this window.
            _log.exception(
                "idempotency record could not be completed",
                extra={"fields": {"merchant_id": str(self.merchant_id), "status": status}},
            )

    async def release(self) -> None:
        with CancelScope(shield=True):
            try:
                await self.services.offload_write(
                    _release, self.services.paygate, self.merchant_id, self.key
                )
            except StorageUnavailable:  # the answer still goes out; released later
                _PENDING_RELEASES.add(self.services.paygate, self.merchant_id, self.key)


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
        record = await services.offload_write(
            _claim, services.paygate, merchant.id, key, fingerprint
        )
        if record is not None:
            await _answer_from(record, fingerprint, send)
            return
        await self._run_owned(
            scope, _replaying(body, receive), send, _Claim(services, merchant.id, key)
        )
        _janitor(connection).maybe_purge(services.paygate)

    async def _run_owned(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        claim: _Claim,
    ) -> None:
        """Run the route as the key's owner; store or release before answering."""
        answer = _BufferedAnswer()
        scope.setdefault("state", {})[_CLAIM_STATE_KEY] = claim
        try:
            await self.app(scope, receive, answer.send)
        except BaseException:
            await claim.release()
            raise
        if not claim.holds(answer.status, answer.body):
            await claim.settle(answer.status, answer.body)
        await answer.forward(send)


def answer_for(
    connection: ASGIConnection[Any, Any, Any, Any], render: Callable[[R], tuple[int, bytes]]
) -> IdempotentAnswer[R] | None:
    """For a route's command: the key this request owns and how its use case renders the
    answer to store with its change; None without an owned key.

        order = await run_write(request, paygate.create_order, CreateOrder(
            ..., idempotency=answer_for(request, _created)))
        return presenters.answer(answer_to_send(request, _created, order))
    """
    claim = _claim_of(connection)
    if claim is None:
        return None

    def render_and_note(result: R) -> tuple[int, bytes]:
        claim.rendered = render(result)
        return claim.rendered

    return IdempotentAnswer(claim.key, render_and_note)


def answer_to_send(
    connection: ASGIConnection[Any, Any, Any, Any],
    render: Callable[[R], tuple[int, bytes]],
    result: R,
) -> tuple[int, bytes]:
    """The answer the use case stored with its change (``answer_for``), byte for byte, or
    ``render(result)`` when the request has no key."""
    claim = _claim_of(connection)
    if claim is not None and claim.rendered is not None:
        return claim.rendered
    return render(result)


def _claim_of(connection: ASGIConnection[Any, Any, Any, Any]) -> _Claim | None:
    claim = connection.scope.get("state", {}).get(_CLAIM_STATE_KEY)
    return claim if isinstance(claim, _Claim) else None


async def _answer_from(record: IdempotencyRecord, fingerprint: str, send: Send) -> None:
    if record.request_hash != fingerprint:
        raise IdempotencyKeyReused()
    if record.status_code is None or record.response_body is None:
        raise IdempotencyRequestInFlight()
    body = record.response_body
    await send(
        {
            "type": "http.response.start",
            "status": record.status_code,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode("ascii")),
                (REPLAYED_HEADER.lower().encode("ascii"), b"true"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})


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


def _janitor(connection: ASGIConnection[Any, Any, Any, Any]) -> _Janitor:
    """One janitor per application (the three routes share it)."""
    state = connection.app.state
    janitor = state.get(_JANITOR_STATE_KEY)
    if not isinstance(janitor, _Janitor):
        janitor = state[_JANITOR_STATE_KEY] = _Janitor()
    return janitor
