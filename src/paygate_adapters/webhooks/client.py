"""The webhook HTTP client: an aiohttp session whose every connection passes the SSRF guard.

aiohttp does the HTTP (framing, keep-alive, ``1xx`` answers, Basic auth from the URL's
credentials) for about 0.1 ms of CPU per POST. What a webhook needs on top of it:

- **The guard on every new connection.** The connector's resolver is ``GuardedResolver``:
  it resolves the host once (``ssrf.resolve_destination``, in a thread), checks every
  address and hands back only checked ones, as IP addresses the connector connects to
  without a second lookup (no DNS-rebinding window); TLS still verifies the URL's host name
  (SNI and certificate). aiohttp connects to an IP-literal host without asking its resolver,
  so ``WebhookClient.post`` checks such a host itself first (``ssrf.check_literal_host``).
  The DNS cache is off: a host is resolved and checked whenever a connection is opened.
- **No redirects, no proxies, no cookies.** ``allow_redirects=False``; ``trust_env=False``
  (no ``HTTP(S)_PROXY`` or ``.netrc``); a dummy cookie jar.
- **Connections kept per host** for ``KEEPALIVE_EXPIRY`` seconds, below the usual 5 s of
  servers. aiohttp reuses a connection only when its answer was read to its end and the
  server keeps it (HTTP/1.1, no ``Connection: close``); an answer cut at ``keep`` bytes
  closes its connection.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from functools import lru_cache

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from paygate_adapters.webhooks.ssrf import (
    Resolver,
    check_literal_host,
    resolve_destination,
    system_resolver,
)

__all__ = [
    "KEEPALIVE_EXPIRY",
    "GuardedResolver",
    "InvalidWebhookUrl",
    "WebhookClient",
    "webhook_url",
]

KEEPALIVE_EXPIRY = 4.0
"""Seconds an idle connection is kept (servers commonly close theirs after 5 s)."""


class InvalidWebhookUrl(ValueError):
    """Not an absolute http/https URL with a host and a valid port."""


@lru_cache(maxsize=1024)
def webhook_url(raw: str) -> URL:
    """The parsed webhook URL (cached: merchants keep their URL); ``InvalidWebhookUrl`` if
    it cannot be delivered to."""
    try:
        url = URL(raw)
        port = url.port
    except (ValueError, TypeError) as exc:
        raise InvalidWebhookUrl(raw) from exc
    if (
        url.scheme not in {"http", "https"}
        or not url.raw_host
        or port is None
        or not 0 < port < 65536
    ):
        raise InvalidWebhookUrl(raw)
    return url


class GuardedResolver(AbstractResolver):
    """Resolves a host with ``resolver`` and returns its addresses only when every one may
    be contacted; raises ``BlockedDestination`` or ``UnresolvableHost`` otherwise."""

    def __init__(self, *, allow_private: bool, resolver: Resolver = system_resolver) -> None:
        self._allow_private = allow_private
        self._resolver = resolver

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        # getaddrinfo blocks: off the loop. Every address is checked, whatever ``family``.
        addresses = await asyncio.to_thread(
            resolve_destination,
            host,
            port,
            allow_private=self._allow_private,
            resolver=self._resolver,
        )
        return [
            ResolveResult(
                hostname=host,
                host=str(address),
                port=port,
                family=socket.AF_INET6 if address.version == 6 else socket.AF_INET,
                proto=socket.IPPROTO_TCP,
                flags=socket.AI_NUMERICHOST | socket.AI_NUMERICSERV,
            )
            for address in addresses
        ]

    async def close(self) -> None:
        """Nothing to release: lookups run in the loop's default executor."""


class WebhookClient:
    """POSTs over kept-alive, guarded connections on one event loop; ``aclose`` at the end.

    The aiohttp session is opened by the first ``post``, inside the running loop.
    """

    def __init__(
        self,
        *,
        allow_private: bool,
        ssl_context: ssl.SSLContext,
        timeout: float,
        resolver: Resolver = system_resolver,
        max_connections_per_host: int = 100,
    ) -> None:
        self._allow_private = allow_private
        self._ssl_context = ssl_context
        self._timeout = timeout
        self._resolver = resolver
        self._per_host = max_connections_per_host
        self._session: aiohttp.ClientSession | None = None

    async def post(
        self, url: URL, headers: dict[str, str], body: bytes, keep: int
    ) -> tuple[int, bytes]:
        """POST ``body`` to ``url``; the status and the first ``keep`` bytes of the answer's
        body. Raises the guard's errors, ``aiohttp.ClientError`` or ``TimeoutError``."""
        check_literal_host(url.raw_host or "", allow_private=self._allow_private)
        async with self._open().post(
            url, data=body, headers=headers, allow_redirects=False
        ) as response:
            return response.status, await _first_bytes(response.content, keep)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(
                resolver=GuardedResolver(
                    allow_private=self._allow_private, resolver=self._resolver
                ),
                use_dns_cache=False,
                ssl=self._ssl_context,
                limit=0,
                limit_per_host=self._per_host,
                keepalive_timeout=KEEPALIVE_EXPIRY,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                trust_env=False,
                cookie_jar=aiohttp.DummyCookieJar(),
                timeout=aiohttp.ClientTimeout(total=self._timeout),
            )
        return self._session


async def _first_bytes(stream: aiohttp.StreamReader, keep: int) -> bytes:
    """Up to ``keep`` bytes of the body: until it ends or that many are in."""
    body = bytearray()
    while len(body) < keep:
        chunk = await stream.read(keep - len(body))
        if not chunk:
            break
        body += chunk
    return bytes(body)
