"""One webhook delivery attempt over HTTP: body, headers, signature, outcome.

``WebhookSender`` wraps one ``client.WebhookClient`` (aiohttp; connections kept alive per
host, redirects not followed, no proxies, every new connection through the SSRF guard).
``send`` never raises: whatever happens becomes a ``DeliveryResult`` for the attempt log,
its error text named after the phase that failed (``ConnectError``, ``RemoteProtocolError``,
``NetworkError``).
"""

from __future__ import annotations

import json
import logging
import ssl
import time
from types import TracebackType
from typing import Self

import aiohttp
import attrs

from paygate_adapters.webhooks.client import InvalidWebhookUrl, WebhookClient, webhook_url
from paygate_adapters.webhooks.ssrf import (
    BLOCKED_DESTINATION,
    BlockedDestination,
    Resolver,
    UnresolvableHost,
    system_resolver,
)
from paygate_core.events import Delivery, PaymentEvent
from paygate_core.signatures import sign_payload

__all__ = [
    "DEFAULT_TIMEOUT",
    "MAX_RESPONSE_BODY",
    "DeliveryResult",
    "WebhookSender",
    "delivery_headers",
    "encode_body",
]

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 5.0
MAX_RESPONSE_BODY = 1024
"""Bytes of the merchant's answer kept in the attempt log (the contract's first 1 KiB)."""
_MAX_ERROR_LENGTH = 300
USER_AGENT = "Paygate-Webhooks/1"


@attrs.frozen
class DeliveryResult:
    """What one attempt got: a status and the start of the answer, or an error."""

    http_status: int | None
    response_body: str | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        """Delivered: the contract counts any 2xx answer within the timeout."""
        return self.http_status is not None and 200 <= self.http_status < 300


def encode_body(event: PaymentEvent) -> bytes:
    """The exact bytes sent and signed: the event's payload as compact JSON."""
    return json.dumps(event.payload(), separators=(",", ":")).encode("utf-8")


def delivery_headers(delivery: Delivery, body: bytes, timestamp: int) -> dict[str, str]:
    """The contract's headers for this attempt, signed at ``timestamp`` (Unix seconds)."""
    event = delivery.webhook.event
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        # Only the first KiB of the answer is read: ask for it uncompressed.
        "Accept-Encoding": "identity",
        "X-Paygate-Event": event.type.value,
        "X-Paygate-Event-Id": str(event.id),
        "X-Paygate-Delivery-Attempt": str(delivery.attempt),
        "X-Paygate-Signature": sign_payload(delivery.secret, body, timestamp),
    }


class WebhookSender:
    """Sends attempts concurrently on one event loop; use as ``async with``."""

    def __init__(
        self,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        allow_private: bool = False,
        max_connections: int = 100,
        ssl_context: ssl.SSLContext | None = None,
        resolver: Resolver = system_resolver,
    ) -> None:
        self.timeout = timeout
        # One connection per attempt in flight: the dispatcher's concurrency bounds the
        # connections; this bounds those to one host.
        self._client = WebhookClient(
            allow_private=allow_private,
            resolver=resolver,
            timeout=timeout,
            max_connections_per_host=max_connections,
            ssl_context=ssl_context or ssl.create_default_context(),
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._client.aclose()

    async def send(self, delivery: Delivery, timestamp: int) -> DeliveryResult:
        """POST the event to ``delivery.url``, all within ``timeout`` seconds (DNS included)."""
        started = time.monotonic()
        status: int | None = None
        answer: str | None = None
        error: str | None = None
        try:
            # Bounded by the client's total timeout: DNS, connect, send and read.
            status, answer = await self._post(delivery, timestamp)
            if not 200 <= status < 300:
                error = f"unexpected HTTP status {status}"
        except Exception as exc:  # every failure is an attempt outcome
            status, answer = None, None
            error = self._describe(exc, delivery)
        duration_ms = round((time.monotonic() - started) * 1000)
        return DeliveryResult(status, answer, error, duration_ms)

    async def _post(self, delivery: Delivery, timestamp: int) -> tuple[int, str]:
        url = webhook_url(delivery.url)  # InvalidWebhookUrl before anything is resolved
        body = encode_body(delivery.webhook.event)
        status, answer = await self._client.post(
            url, delivery_headers(delivery, body, timestamp), body, MAX_RESPONSE_BODY
        )
        return status, answer.decode("utf-8", "replace")

    def _describe(self, exc: Exception, delivery: Delivery) -> str:
        """The attempt log's error text: short, useful to the merchant, no secrets."""
        if isinstance(exc, BlockedDestination):
            return BLOCKED_DESTINATION
        if isinstance(exc, TimeoutError):  # aiohttp's timeouts are TimeoutErrors too
            return f"timed out after {self.timeout:g} s"
        if isinstance(exc, UnresolvableHost):
            return str(exc)
        if isinstance(exc, InvalidWebhookUrl | aiohttp.InvalidURL):
            return "invalid webhook URL"
        phase = _phase(exc)
        if phase is not None:
            return f"{phase}: {_detail(exc)}"[:_MAX_ERROR_LENGTH]
        logger.exception(
            "unexpected webhook delivery error",
            extra={"event_id": str(delivery.webhook.id), "attempt": delivery.attempt},
        )
        return "internal delivery error"


def _phase(exc: Exception) -> str | None:
    """Which part of the exchange ``exc`` broke, for the error text; None if unexpected."""
    if isinstance(exc, aiohttp.ClientConnectorError):  # TCP or TLS, to every checked address
        return "ConnectError"
    if isinstance(
        exc,
        aiohttp.ServerDisconnectedError | aiohttp.ClientResponseError | aiohttp.ClientPayloadError,
    ):  # closed early, malformed head or body
        return "RemoteProtocolError"
    if isinstance(exc, aiohttp.ClientError | OSError):  # reset or broken mid-exchange
        return "NetworkError"
    return None


def _detail(exc: Exception) -> str:
    """The error's text on one line; a parse error's without aiohttp's caret line."""
    text = exc.message if isinstance(exc, aiohttp.ClientResponseError) else str(exc)
    lines = (line.strip() for line in text.splitlines())
    return " ".join(line for line in lines if line.strip("^")) or type(exc).__name__
