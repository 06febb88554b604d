"""The SSRF guard: which addresses a webhook may connect to, decided when delivering.

A merchant controls its webhook URL and the DNS of its host name, so a name that resolved
to a public address when the URL was saved may resolve to ``127.0.0.1`` or the cloud
metadata service (``169.254.169.254``) now. The guard therefore resolves the host at
delivery time, refuses the destination when *any* address it resolves to is blocked
(``paygate_core.network.is_blocked_address``), and hands back the checked addresses: the
transport connects to one of those and never resolves the name again (DNS-rebinding safe).
A transport that connects to an IP-literal host without resolving it checks that host with
``check_literal_host`` first.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache

from paygate_core.network import IPAddress, is_blocked_address, normalise_host, parse_ip

__all__ = [
    "BLOCKED_DESTINATION",
    "BlockedDestination",
    "Resolver",
    "UnresolvableHost",
    "check_addresses",
    "check_literal_host",
    "resolve_destination",
    "system_resolver",
]

BLOCKED_DESTINATION = "blocked destination"
"""The error text logged for an attempt the guard refused (the contract's wording)."""

Resolver = Callable[[str, int], Sequence[str]]
"""``(host, port) -> addresses as text``; the system resolver unless a test passes a fake."""


class BlockedDestination(Exception):
    """The destination resolves to a loopback, private, link-local, multicast or reserved
    address (or to nothing usable); it must not be contacted."""

    def __init__(self, host: str) -> None:
        super().__init__(f"{BLOCKED_DESTINATION}: {host}")
        self.host = host


class UnresolvableHost(Exception):
    """DNS gave no answer for the host (a delivery failure worth retrying later)."""


def system_resolver(host: str, port: int) -> Sequence[str]:
    """Every address ``getaddrinfo`` gives for ``host`` (IPv4 and IPv6), in its order."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnresolvableHost(f"could not resolve host {host!r}") from exc
    return [str(info[4][0]) for info in infos]


def check_addresses(
    host: str,
    addresses: Iterable[str],
    *,
    allow_private: bool,
) -> tuple[IPAddress, ...]:
    """The addresses, deduplicated in order, when every one may be contacted.

    Raises ``BlockedDestination`` when any is blocked (unless ``allow_private``), when one
    is not an IP address at all, or when there are none: the guard fails closed.
    """
    checked: list[IPAddress] = []
    for text in addresses:
        address = parse_ip(text)
        if address is None or (not allow_private and is_blocked_address(address)):
            raise BlockedDestination(host)
        if address not in checked:
            checked.append(address)
    if not checked:
        raise BlockedDestination(host)
    return tuple(checked)


def resolve_destination(
    host: str, port: int, *, allow_private: bool = False, resolver: Resolver = system_resolver
) -> tuple[IPAddress, ...]:
    """Resolve ``host`` now and return the addresses to connect to, all of them checked.

    The host is read as a resolver reads it (``normalise_host``: ``127。0。0。1`` and its
    full-width spellings are ``127.0.0.1``); a literal IP address is checked as is, without
    asking DNS. Raises ``BlockedDestination`` or ``UnresolvableHost``; blocking (it may wait for
    DNS), so async callers run it in a thread.
    """
    name = normalise_host(host)
    literal = parse_ip(name)
    addresses = [str(literal)] if literal is not None else resolver(name, port)
    return check_addresses(host, addresses, allow_private=allow_private)


@lru_cache(maxsize=1024)  # per delivery, and a merchant keeps its URL
def check_literal_host(host: str, *, allow_private: bool) -> None:
    """Check ``host`` when it is, or looks like, an IP literal: a transport connects to such
    a host without asking a resolver. aiohttp takes a host for a literal when it contains a
    ":" or only digits and dots; so does this check, and one it cannot read as an address
    (``1.2.3.4.5``) is blocked. Names are left to the resolver (``resolve_destination``)."""
    if parse_ip(host) is None and ":" not in host and not host.replace(".", "").isdigit():
        return
    check_addresses(host, [host], allow_private=allow_private)
