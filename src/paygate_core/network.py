"""Where a merchant-given URL may point: host names as a resolver reads them, the addresses a
webhook may never reach (the SSRF rule), and the one check of a webhook or return URL."""

from __future__ import annotations

import ipaddress
import re
import socket
import unicodedata
from urllib.parse import urlsplit

__all__ = [
    "MAX_URL_LENGTH",
    "is_blocked_address",
    "is_host",
    "normalise_host",
    "parse_ip",
    "url_problem",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


# The label separators of IDNA (UTS #46): resolvers read each of them as ".".
_IDNA_DOTS = str.maketrans(dict.fromkeys("\u3002\uff0e\uff61", "."))


def normalise_host(host: str) -> str:
    """``host`` as a resolver reads it: NFKC (full-width digits and letters become ASCII),
    every IDNA dot a ".", and a name with other Unicode in its IDNA (punycode) form when it
    has one. ``http://127。0。0。1/`` reaches ``127.0.0.1``. ASCII hosts stay as they are."""
    text = unicodedata.normalize("NFKC", host).translate(_IDNA_DOTS)
    if text.isascii():
        return text
    try:
        return text.encode("idna").decode("ascii")
    except UnicodeError:  # no IDNA form: no resolver can look it up either
        return text


_LABEL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


def is_host(host: str) -> bool:
    """True when ``host`` (as ``urlsplit`` gives it) can name a machine: a literal IP
    address, or a name whose labels, read as a resolver reads them (``normalise_host``),
    are letters, digits and inner hyphens. ``shop.example*`` names nothing."""
    if parse_ip(host) is not None:
        return True
    name = normalise_host(host).removesuffix(".")
    return bool(name) and all(_LABEL.fullmatch(label) for label in name.split("."))


def parse_ip(host: str) -> IPAddress | None:
    """The address if ``host`` is a literal IPv4/IPv6 address (brackets allowed), else None.

    The host is read as a resolver reads it first (``normalise_host``), a final "." (the
    root of a fully qualified name) ignored. Also the legacy IPv4
    forms resolvers still accept (``2130706433``, ``0x7f000001``, ``127.1``), which would
    otherwise slip past a check for dotted quads.
    """
    text = normalise_host(host).strip("[]").removesuffix(".")
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


MAX_URL_LENGTH = 2048


def url_problem(url: str, *, https_only: bool, allow_private: bool) -> str | None:
    """Why ``url`` is no absolute URL a merchant may give (webhooks, checkout returns), or
    None: at most ``MAX_URL_LENGTH`` characters, http(s) (``https`` alone when
    ``https_only``), a host that names a machine, nothing blank or unprintable, and no
    literal private, loopback or reserved address unless ``allow_private``."""
    if len(url) > MAX_URL_LENGTH:
        return f"must be at most {MAX_URL_LENGTH} characters"
    schemes = {"https"} if https_only else {"http", "https"}
    expected = "an absolute https URL" if https_only else "an absolute http or https URL"
    try:
        parts = urlsplit(url)
        host = parts.hostname
        _ = parts.port
    except ValueError:
        return f"must be {expected}"
    if (
        parts.scheme not in schemes
        or not host
        or not is_host(host)
        or any(c.isspace() or not c.isprintable() for c in url)
    ):
        return f"must be {expected}"
    address = parse_ip(host)
    if address is not None and not allow_private and is_blocked_address(address):
        return "must not point to a private, loopback or reserved address"
    return None
