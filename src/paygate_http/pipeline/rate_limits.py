"""Fixed-window rate limiting: per client IP on the public auth routes, per credential elsewhere.

A window starts with its first request and lasts the rate's period; the key's counter is
incremented atomically and the request is refused once the count passes the limit, with
``Retry-After`` = the seconds left in the window.

Two stores: ``MemoryRateLimitStore`` (one process) and ``RedisRateLimitStore``, whose INCR and
PEXPIRE run in one Lua script, so the limit holds across every worker process sharing the
Redis server. Litestar's own stores offer get/set only (a read-modify-write race between
processes), hence these. When Redis cannot be reached the request is let through and the
failure logged: the limiter must not take the payment API down with it.

The client IP is the socket peer. ``X-Forwarded-For`` is read only when the peer is a
configured trusted proxy, right to left, skipping further trusted proxies.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import attrs

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = [
    "IPNetwork",
    "MemoryRateLimitStore",
    "RateLimit",
    "RateLimitStore",
    "RedisRateLimitStore",
    "client_ip",
    "parse_rate",
]

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_log = logging.getLogger("paygate.http.ratelimit")
_PERIODS = {"second": 1, "minute": 60, "hour": 3600}
_RATE = re.compile(r"\s*(\d+)\s*/\s*(second|minute|hour)\s*", re.IGNORECASE)


@attrs.frozen
class RateLimit:
    """``requests`` per ``period`` seconds."""

    requests: int
    period: int

    def __str__(self) -> str:
        unit = {v: k for k, v in _PERIODS.items()}.get(self.period, f"{self.period}s")
        return f"{self.requests}/{unit}"


def parse_rate(raw: str) -> RateLimit | None:
    """``"5/minute"`` -> RateLimit(5, 60); ``"0"`` (or ``"0/minute"``) -> None (disabled)."""
    if raw.strip() == "0":
        return None
    match = _RATE.fullmatch(raw)
    if match is None:
        raise ValueError("must be N/second, N/minute or N/hour (0 disables)")
    count = int(match.group(1))
    return None if count == 0 else RateLimit(count, _PERIODS[match.group(2).lower()])


class RateLimitStore(Protocol):
    async def hit(self, key: str, rate: RateLimit) -> int | None:
        """Count one request; None when allowed, else the seconds until the window ends."""
        ...

    async def close(self) -> None: ...


class MemoryRateLimitStore:
    """Per-process windows; ``now`` (monotonic seconds) is injectable for tests."""

    def __init__(self, now: Callable[[], float] = time.monotonic) -> None:
        self._now = now
        self._windows: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()

    async def hit(self, key: str, rate: RateLimit) -> int | None:
        now = self._now()
        with self._lock:
            started, count = self._windows.get(key, (now, 0))
            if now - started >= rate.period:
                started, count = now, 0
            count += 1
            self._windows[key] = (started, count)
            if len(self._windows) > 100_000:
                self._forget_expired(now, rate.period)
        if count <= rate.requests:
            return None
        return max(1, math.ceil(started + rate.period - now))

    def _forget_expired(self, now: float, period: int) -> None:
        for key in [k for k, (start, _) in self._windows.items() if now - start >= period]:
            del self._windows[key]

    async def close(self) -> None:
        self._windows.clear()


# INCR the window's counter; the first hit (or a key that lost its TTL) sets the expiry.
_HIT_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if count == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
"""


class RedisRateLimitStore:
    """Windows shared by every process using the same Redis server and key prefix."""

    def __init__(self, url: str, *, prefix: str = "paygate:") -> None:
        from redis.asyncio import Redis

        self._redis: Redis = Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._prefix = prefix
        self._script: Any = self._redis.register_script(_HIT_SCRIPT)

    async def hit(self, key: str, rate: RateLimit) -> int | None:
        from redis.exceptions import RedisError

        try:
            count, ttl_ms = await self._script(
                keys=[f"{self._prefix}ratelimit:{key}"], args=[rate.period * 1000]
            )
        except (RedisError, OSError):
            _log.error(
                "rate limit store unavailable; request allowed",
                extra={"fields": {"key_kind": key.split(":", 1)[0]}},
            )
            return None
        if int(count) <= rate.requests:
            return None
        return max(1, math.ceil(int(ttl_ms) / 1000))

    async def close(self) -> None:
        await self._redis.aclose()


def client_ip(peer: str | None, forwarded_for: Sequence[str], trusted: Iterable[IPNetwork]) -> str:
    """The client address: the socket peer, unless that is a trusted proxy.

    Behind trusted proxies, ``X-Forwarded-For`` (every header line, comma-separated) is read
    from the right; the first address that is not a trusted proxy is the client. Entries
    that are not IP addresses end the walk: everything left of them is untrustworthy.
    """
    networks = tuple(trusted)
    if peer is None:
        return "unknown"
    if not networks or not _is_trusted(peer, networks):
        return peer
    hops = [hop.strip() for line in forwarded_for for hop in line.split(",") if hop.strip()]
    client = peer
    for hop in reversed(hops):
        address = _parse_ip(hop)
        if address is None:
            break
        client = str(address)
        if not _is_trusted(client, networks):
            break
    return client


def _parse_ip(raw: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(raw.strip("[]"))
    except ValueError:
        return None


def _is_trusted(address: str, networks: tuple[IPNetwork, ...]) -> bool:
    parsed = _parse_ip(address)
    if parsed is None:
        return False
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        parsed = parsed.ipv4_mapped
    return any(parsed in network for network in networks)
