"""Errors of the dashboard pages as pages, never as the API's JSON envelope.

No session: a redirect to the login page (and the dead cookie cleared). The other role, or
a form without a valid CSRF token: a 403 page. Any other error: a page with the status,
message and description the API would answer with (``paygate_http.pipeline.errors``), logged as
the API logs it; rate limits and an unavailable database keep their ``Retry-After``.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.types import ExceptionHandlersMap

from paygate_core.errors import PaygateError
from paygate_http.pipeline.errors import as_paygate_error, error_headers, status_for
from paygate_http.pipeline.observability import request_id_of
from paygate_http.services import services_of
from paygate_http.web.access import (
    CsrfRefused,
    LoginRequired,
    WrongRole,
    cached_session,
)
from paygate_http.web.cookies import SESSION_COOKIE, cleared_session_cookie
from paygate_http.web.pages import LOGIN_PATH, redirect, render

__all__ = ["PAGE_EXCEPTION_HANDLERS"]

AnyRequest = Request[Any, Any, Any]

_FORBIDDEN = "Forbidden"
_NOT_FOR_ROLE = "This page is not for your role"
_CSRF = (
    "The form could not be verified: it has expired or did not come from this site. "
    "Reload the page and try again"
)


def _login_required(request: AnyRequest, _: LoginRequired) -> Response[Any]:
    cookies = []
    if request.cookies.get(SESSION_COOKIE):
        cookies.append(cleared_session_cookie(services_of(request).settings))
    return redirect(LOGIN_PATH, cookies=cookies)


def _error_page(
    request: AnyRequest,
    status: int,
    heading: str,
    description: str,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    return render(
        request,
        "error.html.j2",
        title=heading,
        description=description,
        status_code=status,
        signed=cached_session(request),
        headers=headers,
    )


def _wrong_role(request: AnyRequest, _: WrongRole) -> Response[Any]:
    return _error_page(request, 403, _FORBIDDEN, _NOT_FOR_ROLE)


def _csrf_refused(request: AnyRequest, _: CsrfRefused) -> Response[Any]:
    return _error_page(request, 403, _FORBIDDEN, _CSRF)


def _paygate_error(request: AnyRequest, exc: Exception) -> Response[Any]:
    error = as_paygate_error(exc, request_id_of(request.scope))
    headers = {k: v for k, v in error_headers(error).items() if k == "Retry-After"}
    return _error_page(request, status_for(error), error.message, error.description, headers)


def _http_exception(request: AnyRequest, exc: HTTPException) -> Response[Any]:
    if exc.status_code == 404:
        return _error_page(request, 404, "Page not found", "There is no page at this address")
    if exc.status_code < 500:
        headers = (
            {"Allow": exc.headers["allow"]} if exc.headers and "allow" in exc.headers else None
        )
        return _error_page(
            request,
            exc.status_code,
            "Request refused",
            "This page cannot answer that request",
            headers,
        )
    return _paygate_error(request, exc)


PAGE_EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    LoginRequired: _login_required,
    WrongRole: _wrong_role,
    CsrfRefused: _csrf_refused,
    PaygateError: _paygate_error,
    HTTPException: _http_exception,
    Exception: _paygate_error,
}
