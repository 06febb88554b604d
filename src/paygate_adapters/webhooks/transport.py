"""An httpx transport whose every new connection goes through the SSRF guard.

httpx (via httpcore) opens connections through a *network backend* given the URL's host
name. ``GuardedBackend`` sits there: it resolves the name once, checks every address
(``ssrf.resolve_destination``) and connects to a checked address itself, so nothing
resolves the name a second time between the check and the connect (no DNS-rebinding
window). TLS still uses the URL's host name for SNI and certificate checks, and pooled
connections stay keyed by host name, so a kept-alive connection was checked when it opened.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterable

import httpcore
import httpx

from paygate_adapters.webhooks.ssrf import Resolver, resolve_destination, system_resolver

__all__ = ["GuardedBackend", "GuardedTransport"]

SocketOption = (tuple[int, int, int] | tuple[int, int, bytes | bytearray]
                | tuple[int, int, None, int])


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Connects only to addresses the SSRF guard has checked, trying each in DNS order."""

    def __init__(self, *, allow_private: bool, resolver: Resolver = system_resolver) -> None:
        self._allow_private = allow_private
        self._resolver = resolver
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        # getaddrinfo blocks: run it off the event loop. Raises BlockedDestination, which
        # httpcore and httpx let through unchanged.
        addresses = await asyncio.to_thread(
            resolve_destination, host, port, allow_private=self._allow_private,
            resolver=self._resolver,
        )
        failure: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    str(address), port, timeout=timeout, local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc  # e.g. ::1 refused while 127.0.0.1 listens: try the next one
        assert failure is not None  # resolve_destination never returns an empty tuple
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("webhooks are never sent over unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """``httpx.AsyncHTTPTransport`` (its request mapping and exception translation) over a
    connection pool that connects through ``GuardedBackend``. HTTP/1.1 only, no proxy."""

    def __init__(self, *, allow_private: bool, ssl_context: ssl.SSLContext,
                 limits: httpx.Limits, resolver: Resolver = system_resolver) -> None:
        super().__init__(verify=ssl_context, limits=limits, trust_env=False, retries=0)
        # httpx has no public hook for the network backend, so swap the pool it built for
        # one using ours. Fail closed if a future httpx stores its pool differently.
        if not isinstance(getattr(self, "_pool", None), httpcore.AsyncConnectionPool):
            raise RuntimeError("unsupported httpx version: cannot install the SSRF guard")
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=False,
            retries=0,
            network_backend=GuardedBackend(allow_private=allow_private, resolver=resolver),
        )
