"""Which IP addresses a webhook may never reach (the SSRF rule), as a pure function."""

from __future__ import annotations

import ipaddress
import socket

__all__ = ["is_blocked_address", "parse_ip"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_ip(host: str) -> IPAddress | None:
    """The address if ``host`` is a literal IPv4/IPv6 address (brackets allowed), else None.

    Also the legacy IPv4 forms resolvers still accept (``2130706433``, ``0x7f000001``,
    ``127.1``), which would otherwise slip past a check for dotted quads.
    """
    text = host.strip("[]")
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        pass
    if text and all(c in _LEGACY_IPV4_CHARS for c in text.lower()):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(text))
        except OSError:
            return None
    return None


_LEGACY_IPV4_CHARS = frozenset("0123456789abcdefx.")


def is_blocked_address(address: IPAddress) -> bool:
    """Loopback, private, link-local (incl. cloud metadata), multicast, reserved, unspecified.

    IPv4-mapped and 6to4/NAT64-embedded IPv4 addresses are judged by the IPv4 they carry.
    """
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None:
            return is_blocked_address(embedded)
        if address in ipaddress.IPv6Network("64:ff9b::/96"):
            return is_blocked_address(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )
