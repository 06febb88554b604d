"""Who is looking at a page, and whether a form submission is genuine.

- ``current_session``: the live session named by the ``paygate_session`` cookie, resolved
  once per request (cached in the scope) on a worker thread: resuming may write
  (``last_seen_at``, or removing a dead session), and those writes must not run inside a
  group-commit batch of the event loop.
- ``merchant_pages`` / ``admin_pages``: guards for a controller of pages. No session: the
  browser is sent to ``/dashboard/login`` (``LoginRequired``); the other role: a 403 page
  (``WrongRole``).
- ``csrf_protected``: the router-wide guard refusing any ``POST`` without a valid CSRF
  token (``CsrfRefused``, a 403 page; nothing has run yet, so nothing changed). A route
  marked ``opt={"csrf": "form"}`` (the forms shown before there is a session) checks the
  token against the ``paygate_form`` cookie, every other one against the session.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Guard

from paygate_core.accounts import Role
from paygate_core.use_cases.web_sessions import SignedIn
from paygate_http.services import run_in_thread
from paygate_http.web import csrf
from paygate_http.web.cookies import FORM_COOKIE, SESSION_COOKIE
from paygate_http.web.state import dashboard_of

__all__ = [
    "CSRF_FIELD",
    "FORM_CSRF",
    "CsrfRefused",
    "LoginRequired",
    "WrongRole",
    "admin_pages",
    "cached_session",
    "csrf_protected",
    "current_session",
    "forget_session",
    "merchant_pages",
    "signed_in",
]

Connection = ASGIConnection[Any, Any, Any, Any]
CSRF_FIELD = "csrf_token"
FORM_CSRF = {"csrf": "form"}
"""``opt`` of a route whose form is shown before a session exists."""

_SESSION_KEY = "paygate.dashboard.session"
_NONE = object()


class LoginRequired(Exception):
    """No live session: answered with a redirect to the login page."""


class WrongRole(Exception):
    """A signed-in user of the other role: answered with the 403 page."""

    def __init__(self, signed: SignedIn) -> None:
        super().__init__("This page is not for your role")
        self.signed = signed


class CsrfRefused(Exception):
    """A state-changing request without a valid CSRF token: the 403 page."""


async def current_session(connection: Connection) -> SignedIn | None:
    state = connection.scope.setdefault("state", {})
    cached = state.get(_SESSION_KEY, _NONE)
    if cached is _NONE:
        session_id = connection.cookies.get(SESSION_COOKIE)
        cached = None
        if session_id:
            cached = await run_in_thread(dashboard_of(connection).sessions.resume, session_id)
        state[_SESSION_KEY] = cached
    return cached if isinstance(cached, SignedIn) else None


def cached_session(connection: Connection) -> SignedIn | None:
    """The session this request already resolved, if any (for error pages: no new read)."""
    cached = connection.scope.get("state", {}).get(_SESSION_KEY)
    return cached if isinstance(cached, SignedIn) else None


def forget_session(connection: Connection) -> None:
    """The session ended during this request (log out): later lookups see none."""
    connection.scope.setdefault("state", {})[_SESSION_KEY] = None


async def signed_in(connection: Connection) -> SignedIn:
    signed = await current_session(connection)
    if signed is None:
        raise LoginRequired
    return signed


def _pages_for(role: Role) -> Guard:
    async def guard(connection: Connection, _: BaseRouteHandler) -> None:
        signed = await signed_in(connection)
        if signed.role is not role or (role is Role.MERCHANT and signed.merchant is None):
            raise WrongRole(signed)

    guard.__name__ = f"{role.value}_pages"
    return guard


merchant_pages = _pages_for(Role.MERCHANT)
admin_pages = _pages_for(Role.ADMIN)


async def csrf_protected(connection: Connection, handler: BaseRouteHandler) -> None:
    if connection.scope.get("method") != "POST":
        return
    if not isinstance(connection, Request):
        raise CsrfRefused
    form = await connection.form()
    token = form.get(CSRF_FIELD)
    key = dashboard_of(connection).csrf_key
    if handler.opt.get("csrf") == "form":
        secret = connection.cookies.get(FORM_COOKIE)
        if not secret or not csrf.verify(key, csrf.FORM, secret, token):
            raise CsrfRefused
        return
    signed = await signed_in(connection)
    if not csrf.verify(key, csrf.SESSION, signed.session_id, token):
        raise CsrfRefused
