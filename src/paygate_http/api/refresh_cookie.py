"""The refresh-token cookie, exactly as contract section 3 spells it.

Written by hand rather than with ``litestar.datastructures.Cookie`` so the attributes read
``SameSite=Strict`` (capitalised as in the contract) and the cleared cookie keeps every
attribute the browser needs to match it.
"""

from __future__ import annotations

from paygate_http.settings import Settings

__all__ = ["REFRESH_COOKIE", "REFRESH_COOKIE_PATH", "cleared_refresh_cookie", "refresh_cookie"]

REFRESH_COOKIE = "refresh_token"
REFRESH_COOKIE_PATH = "/paygate/api/v1/auth/"


def _attributes(settings: Settings, max_age: int) -> str:
    parts = [
        f"Max-Age={max_age}",
        f"Path={REFRESH_COOKIE_PATH}",
        "HttpOnly",
        f"SameSite={settings.cookie_samesite.value}",
    ]
    if max_age == 0:
        parts.insert(1, "Expires=Thu, 01 Jan 1970 00:00:00 GMT")
    if settings.cookie_secure:
        parts.append("Secure")
    return "; ".join(parts)


def refresh_cookie(token: str, settings: Settings) -> str:
    """The ``Set-Cookie`` value carrying a refresh token (a JWT: cookie-safe characters)."""
    return f"{REFRESH_COOKIE}={token}; {_attributes(settings, settings.refresh_token_ttl)}"


def cleared_refresh_cookie(settings: Settings) -> str:
    return f"{REFRESH_COOKIE}=; {_attributes(settings, 0)}"
