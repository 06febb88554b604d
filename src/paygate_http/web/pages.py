"""Rendering a page: the template, the navigation of the signed-in role, the CSRF token of
its forms and the headers every dashboard answer carries."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from litestar import Request
from litestar.datastructures import Cookie
from litestar.response import Redirect, Template

from paygate_core.accounts import Role
from paygate_core.use_cases.web_sessions import SignedIn
from paygate_http.web import csrf
from paygate_http.web.headers import PAGE_HEADERS
from paygate_http.web.state import dashboard_of

__all__ = [
    "ADMIN_NAV",
    "DASHBOARD_PATH",
    "LOGIN_PATH",
    "LOGOUT_PATH",
    "MERCHANT_NAV",
    "NavLink",
    "home_of",
    "redirect",
    "render",
]

DASHBOARD_PATH = "/dashboard"
LOGIN_PATH = f"{DASHBOARD_PATH}/login"
LOGOUT_PATH = f"{DASHBOARD_PATH}/logout"


class NavLink(NamedTuple):
    name: str  # the link's accessible name and its page's main heading
    href: str


MERCHANT_NAV: Sequence[NavLink] = (
    NavLink("Overview", f"{DASHBOARD_PATH}/merchant"),
    NavLink("Orders", f"{DASHBOARD_PATH}/merchant/orders"),
    NavLink("Payments", f"{DASHBOARD_PATH}/merchant/payments"),
    NavLink("Webhooks", f"{DASHBOARD_PATH}/merchant/webhooks"),
    NavLink("Settings", f"{DASHBOARD_PATH}/merchant/settings"),
)
ADMIN_NAV: Sequence[NavLink] = (
    NavLink("Overview", f"{DASHBOARD_PATH}/admin"),
    NavLink("Merchants", f"{DASHBOARD_PATH}/admin/merchants"),
    NavLink("Users", f"{DASHBOARD_PATH}/admin/users"),
)


def home_of(signed: SignedIn) -> str:
    """The role's Overview."""
    return (ADMIN_NAV if signed.role is Role.ADMIN else MERCHANT_NAV)[0].href


def render(
    request: Request[Any, Any, Any],
    template: str,
    *,
    title: str,
    signed: SignedIn | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
    cookies: Sequence[Cookie] = (),
    **context: Any,
) -> Template:
    """``template`` with the layout's context: ``title`` (the main heading, and the nav
    link marked current when it names one), ``signed`` (nav and ``Log out`` when set),
    ``csrf`` (the token for the session's forms)."""
    nav: Sequence[NavLink] = ()
    token = ""
    if signed is not None:
        nav = ADMIN_NAV if signed.role is Role.ADMIN else MERCHANT_NAV
        token = csrf.token(dashboard_of(request).csrf_key, csrf.SESSION, signed.session_id)
    return Template(
        template_name=template,
        status_code=status_code,
        cookies=list(cookies),
        headers={**PAGE_HEADERS, **(headers or {})},
        context={
            "title": title,
            "signed": signed,
            "nav": nav,
            "csrf": token,
            "logout_path": LOGOUT_PATH,
            **context,
        },
    )


def redirect(path: str, *, cookies: Sequence[Cookie] = ()) -> Redirect:
    """303 See Other (after a POST the browser follows with GET)."""
    return Redirect(path=path, status_code=303, headers=dict(PAGE_HEADERS), cookies=list(cookies))
