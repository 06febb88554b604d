"""The headers of every dashboard answer (contract, "Common rules")."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from litestar.datastructures import ResponseHeader

__all__ = ["CONTENT_SECURITY_POLICY", "PAGE_HEADERS", "STATIC_HEADERS", "page_header_list"]

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
"""Same origin only: no inline script or style, no ``eval``, no framing; forms post only
back to Paygate. ``data:`` images are the SVG icons a stylesheet may embed."""

_SECURITY: Mapping[str, str] = MappingProxyType(
    {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
        "Referrer-Policy": "same-origin",
        "X-Content-Type-Options": "nosniff",
    }
)

PAGE_HEADERS: Mapping[str, str] = MappingProxyType({**_SECURITY, "Cache-Control": "no-store"})
"""Pages and redirects: they may show account data or carry a CSRF token, never cached."""

STATIC_HEADERS: Mapping[str, str] = _SECURITY
"""The stylesheet and scripts: public, cacheable (``Cache-Control`` of the static router)."""


def page_header_list() -> list[ResponseHeader]:
    return [ResponseHeader(name=name, value=value) for name, value in PAGE_HEADERS.items()]
