"""``/dashboard/``, ``login``, ``register`` and ``logout``: starting and ending sessions.

Log in checks the password with the same answers as ``auth/token/`` (one message for any
bad login) under the same per-IP rate limit, sharing its budget; create account runs the
same merchant registration as ``auth/register/`` under that route's limit. Both forms carry
a CSRF token signed with the ``paygate_form`` cookie (``csrf.py``); success starts a session
and redirects (303) to the role's Overview.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post

from paygate_core.errors import EmailAlreadyRegistered, LoginFailed, ValidationFailed
from paygate_core.use_cases.auth import Login, RegisterMerchant
from paygate_core.use_cases.web_sessions import SignedIn
from paygate_http.pipeline.auth import ip_rate_limited
from paygate_http.services import run_in_thread, run_write, services_of
from paygate_http.web import csrf
from paygate_http.web.access import FORM_CSRF, current_session, forget_session, signed_in
from paygate_http.web.cookies import (
    FORM_COOKIE,
    cleared_session_cookie,
    form_cookie,
    new_form_secret,
    session_cookie,
)
from paygate_http.web.forms import FormState, read_form
from paygate_http.web.pages import LOGIN_PATH, home_of, redirect, render
from paygate_http.web.state import dashboard_of

__all__ = ["SessionPages"]

AnyRequest = Request[Any, Any, Any]
_REGISTER_FIELDS = ("email", "name", "password", "webhook_url")


def _form_page(
    request: AnyRequest, template: str, title: str, state: FormState, status_code: int = 200
) -> Response[Any]:
    """A log-in or create-account form with its CSRF token, bound to the ``paygate_form``
    cookie (set here when the browser has none yet)."""
    secret = request.cookies.get(FORM_COOKIE)
    cookies = []
    if not secret:
        secret = new_form_secret()
        cookies.append(form_cookie(secret, services_of(request).settings))
    token = csrf.token(dashboard_of(request).csrf_key, csrf.FORM, secret)
    return render(
        request,
        template,
        title=title,
        status_code=status_code,
        cookies=cookies,
        form=state,
        form_csrf=token,
    )


def _signed_in_response(request: AnyRequest, signed: SignedIn) -> Response[Any]:
    dashboard = dashboard_of(request)
    max_age = int(dashboard.sessions.limits.absolute.total_seconds())
    cookie = session_cookie(signed.session_id, max_age, services_of(request).settings)
    return redirect(home_of(signed), cookies=[cookie])


class SessionPages(Controller):
    path = "/"
    include_in_schema = False

    @get("/", name="dashboard-home")
    async def home(self, request: AnyRequest) -> Response[Any]:
        """The role's Overview, or the login page without a session."""
        return redirect(home_of(await signed_in(request)))

    @get("/login", name="dashboard-login")
    async def login_page(self, request: AnyRequest) -> Response[Any]:
        signed = await current_session(request)
        if signed is not None:
            return redirect(home_of(signed))
        return _form_page(request, "login.html.j2", "Log in", FormState())

    @post("/login", opt=FORM_CSRF, guards=[ip_rate_limited("token")], status_code=303)
    async def login(self, request: AnyRequest) -> Response[Any]:
        values, kept = await read_form(request, "email", "password", secret=("password",))
        sessions = dashboard_of(request).sessions
        try:
            signed = await run_in_thread(
                sessions.sign_in, Login(email=values["email"], password=values["password"])
            )
        except (LoginFailed, ValidationFailed) as exc:
            # One message for every bad login, at the top of the form (as auth/token/).
            return _form_page(request, "login.html.j2", "Log in", FormState.refused(kept, exc), 401)
        return _signed_in_response(request, signed)

    @get("/register", name="dashboard-register")
    async def register_page(self, request: AnyRequest) -> Response[Any]:
        signed = await current_session(request)
        if signed is not None:
            return redirect(home_of(signed))
        return _form_page(request, "register.html.j2", "Create account", FormState())

    @post("/register", opt=FORM_CSRF, guards=[ip_rate_limited("register")], status_code=303)
    async def register(self, request: AnyRequest) -> Response[Any]:
        values, kept = await read_form(request, *_REGISTER_FIELDS, secret=("password",))
        services = services_of(request)
        command = RegisterMerchant(
            email=values["email"],
            name=values["name"],
            password=values["password"],
            webhook_url=values["webhook_url"] or None,
        )
        try:
            registration = await run_write(request, services.paygate.register_merchant, command)
        except ValidationFailed as exc:
            return _form_page(
                request, "register.html.j2", "Create account", FormState.refused(kept, exc), 422
            )
        except EmailAlreadyRegistered as exc:
            return _form_page(
                request,
                "register.html.j2",
                "Create account",
                FormState(kept, {"email": exc.description}),
                409,
            )
        signed = await run_in_thread(
            dashboard_of(request).sessions.start, registration.user, registration.merchant
        )
        return _signed_in_response(request, signed)

    @post("/logout", status_code=303)
    async def logout(self, request: AnyRequest) -> Response[Any]:
        """Ends the session (the CSRF guard has checked it exists and the token matches)."""
        signed = await signed_in(request)
        await run_in_thread(dashboard_of(request).sessions.end, signed.session_id)
        forget_session(request)
        return redirect(LOGIN_PATH, cookies=[cleared_session_cookie(services_of(request).settings)])
