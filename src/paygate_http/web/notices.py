"""One-time notices after post/redirect/get: "Order created", and the new API key or
webhook signing secret, shown once.

A form's POST changes state, then redirects; the page it redirects to must still say what
happened. The POST sets the ``paygate_notice`` cookie to ``<kind>.<issued>.<mac>``: a kind
from ``NOTICES`` (never a secret, never text a client chose), when it was issued, and an
HMAC binding both to the session (the CSRF key, domain-separated). The next page of that
session showing it within ``NOTICE_LIFETIME`` clears the cookie; a reload shows nothing.
A notice that reveals a secret makes the page read the secret from the merchant's account
at that moment: the secret itself never travels in a cookie.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import attrs
from litestar import Request
from litestar.datastructures import Cookie

from paygate_core.use_cases.web_sessions import SignedIn
from paygate_http.services import services_of
from paygate_http.web import csrf
from paygate_http.web.cookies import DASHBOARD_COOKIE_PATH
from paygate_http.web.state import dashboard_of

__all__ = [
    "NOTICES",
    "NOTICE_COOKIE",
    "NOTICE_LIFETIME",
    "Notice",
    "cleared_notice",
    "notice_cookie",
    "read_notice",
]

NOTICE_COOKIE = "paygate_notice"
NOTICE_LIFETIME = 120
"""Seconds a notice waits for its page (a redirect is followed at once)."""
_KIND = "notice"


@attrs.frozen
class Notice:
    kind: str
    message: str
    reveals: str | None = None
    """``"api_key"`` or ``"webhook_secret"``: the page shows that secret, this once."""


NOTICES: Mapping[str, Notice] = MappingProxyType(
    {
        notice.kind: notice
        for notice in (
            Notice("order-created", "Order created"),
            Notice("payment-captured", "Payment captured"),
            Notice("payment-refunded", "Refund issued"),
            Notice("webhook-url-saved", "Webhook URL saved"),
            Notice("webhook-url-cleared", "Webhook URL cleared: events are no longer delivered"),
            Notice(
                "webhook-secret-rotated",
                "Signing secret rotated. Copy it now: it is shown only this once",
                reveals="webhook_secret",
            ),
            Notice("event-resent", "Event queued for delivery again"),
            Notice("name-saved", "Name saved"),
            Notice(
                "api-key-rotated",
                "API key rotated: the old key no longer works. Copy the new one now: it is "
                "shown only this once",
                reveals="api_key",
            ),
        )
    }
)


def _mac(request: Request[Any, Any, Any], signed: SignedIn, kind: str, issued: int) -> str:
    message = f"{signed.session_id}|{kind}|{issued}"
    return csrf.token(dashboard_of(request).csrf_key, _KIND, message)


def _cookie(request: Request[Any, Any, Any], value: str, max_age: int) -> Cookie:
    return Cookie(
        key=NOTICE_COOKIE,
        value=value,
        max_age=max_age,
        path=DASHBOARD_COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=services_of(request).settings.cookie_secure,
        expires=0 if max_age == 0 else None,
    )


def notice_cookie(request: Request[Any, Any, Any], signed: SignedIn, kind: str) -> Cookie:
    """The cookie a POST sets before redirecting, for the next page to say ``kind``."""
    if kind not in NOTICES:
        raise ValueError(f"unknown notice {kind!r}")
    issued = int(time.time())
    value = f"{kind}.{issued}.{_mac(request, signed, kind, issued)}"
    return _cookie(request, value, NOTICE_LIFETIME)


def cleared_notice(request: Request[Any, Any, Any]) -> Cookie:
    return _cookie(request, "", 0)


def read_notice(request: Request[Any, Any, Any], signed: SignedIn) -> Notice | None:
    """The notice waiting for this session, if genuine and fresh."""
    raw = request.cookies.get(NOTICE_COOKIE)
    if not raw:
        return None
    kind, _, rest = raw.partition(".")
    issued_text, _, mac = rest.partition(".")
    notice = NOTICES.get(kind)
    if notice is None or not issued_text.isdigit():
        return None
    issued = int(issued_text)
    if not 0 <= time.time() - issued <= NOTICE_LIFETIME:
        return None
    expected = _mac(request, signed, kind, issued)
    return notice if mac and hmac.compare_digest(expected, mac) else None
