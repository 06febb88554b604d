"""The dashboard's session and form cookies (the notice cookie is ``notices``'s, the
hosted checkout's ``checkout_pages``'s).

- ``paygate_session``: the session id; ``HttpOnly``, ``SameSite=Strict``, ``Secure`` unless
  ``PAYGATE_COOKIE_SECURE`` is off (the default in development), ``Path=/dashboard``, lasting
  as long as a session may (12 h); the server decides whether it is still alive.
- ``paygate_form``: a random value that signs the CSRF token of the forms shown before any
  session exists (log in, create account): see ``csrf.py``.

Litestar writes the attribute as ``SameSite=strict``: attribute values are
case-insensitive (RFC 6265bis 5.6.7).
"""

from __future__ import annotations

import secrets

from litestar.datastructures import Cookie

from paygate_http.settings import Settings

__all__ = [
    "DASHBOARD_COOKIE_PATH",
    "FORM_COOKIE",
    "SESSION_COOKIE",
    "cleared_session_cookie",
    "form_cookie",
    "new_form_secret",
    "session_cookie",
]

SESSION_COOKIE = "paygate_session"
FORM_COOKIE = "paygate_form"
DASHBOARD_COOKIE_PATH = "/dashboard"
_FORM_LIFETIME = 12 * 3600


def _cookie(name: str, value: str, max_age: int, settings: Settings) -> Cookie:
    return Cookie(
        key=name,
        value=value,
        max_age=max_age,
        path=DASHBOARD_COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=settings.cookie_secure,
        expires=0 if max_age == 0 else None,
    )


def session_cookie(session_id: str, max_age: int, settings: Settings) -> Cookie:
    return _cookie(SESSION_COOKIE, session_id, max_age, settings)


def cleared_session_cookie(settings: Settings) -> Cookie:
    return _cookie(SESSION_COOKIE, "", 0, settings)


def new_form_secret() -> str:
    return secrets.token_urlsafe(32)


def form_cookie(secret: str, settings: Settings) -> Cookie:
    return _cookie(FORM_COOKIE, secret, _FORM_LIFETIME, settings)
