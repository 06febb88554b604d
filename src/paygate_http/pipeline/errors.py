"""The one translator from errors to the contract's error envelope.

Every error answer is ``{"success": false, "exception": {code, message, description, meta}}``
with ``meta = {"fields": {...}}`` for code 1004 and ``null`` otherwise. The HTTP status comes
from ``STATUS_BY_CODE`` (one entry per ``ErrorCode``), except for the few error classes in
``STATUS_OVERRIDES`` whose code the contract answers with two statuses.

Litestar's own exceptions (no route, wrong method, body too large, parameter errors) are
first turned into ``PaygateError``s of this module, so they go through the same translator.
Anything else is a 500 with code 9000: logged with the request id, nothing leaked.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    MethodNotAllowedException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.types import ExceptionHandlersMap

from paygate_core.errors import (
    ErrorCode,
    Forbidden,
    IdempotencyRequestInFlight,
    NotAuthenticated,
    PaygateError,
    RateLimited,
    StorageUnavailable,
    ValidationFailed,
)
from paygate_http.api.schemas import ErrorDetail, ErrorEnvelope, ErrorMeta
from paygate_http.pipeline.observability import request_id_of

__all__ = [
    "CLIENT_GONE",
    "EXCEPTION_HANDLERS",
    "READ_TIMED_OUT",
    "STATUS_BY_CODE",
    "STATUS_OVERRIDES",
    "BodyTooLarge",
    "InternalError",
    "MalformedRequest",
    "MethodNotAllowed",
    "NoSuchRoute",
    "RequestTimeout",
    "UnsupportedMediaType",
    "as_paygate_error",
    "error_envelope",
    "error_headers",
    "error_response",
    "status_for",
]

_log = logging.getLogger("paygate.http.errors")

CLIENT_GONE = "client disconnected prematurely"
"""The detail of the exception Litestar's ``Request.body`` and ``request_bodies.read_body``
raise when the connection ends before the body is complete (the client left, or its request
ran out of time, ``read_deadline``): logged as one line, its answer goes nowhere."""
READ_TIMED_OUT = "paygate.read_timed_out"
"""Set in ``scope["state"]`` by ``read_deadline`` when it answered 408 for the request: the
app's own answer (which goes nowhere) is then 408 too, for the access log."""

STATUS_BY_CODE: Mapping[ErrorCode, int] = MappingProxyType(
    {
        ErrorCode.LOGIN_FAILED: 401,
        ErrorCode.NOT_AUTHENTICATED: 401,
        ErrorCode.FORBIDDEN: 403,
        ErrorCode.VALIDATION_FAILED: 422,
        ErrorCode.EMAIL_ALREADY_REGISTERED: 409,
        ErrorCode.RATE_LIMITED: 429,
        ErrorCode.IDEMPOTENCY_CONFLICT: 422,
        ErrorCode.ORDER_NOT_FOUND: 404,
        ErrorCode.ORDER_ALREADY_PAID: 409,
        ErrorCode.INVALID_CARD: 422,
        ErrorCode.PAYMENT_NOT_FOUND: 404,
        ErrorCode.PAYMENT_STATE_CONFLICT: 409,
        ErrorCode.INVALID_REFUND_AMOUNT: 422,
        ErrorCode.INVALID_AMOUNT: 422,
        ErrorCode.PROCESSOR_UNAVAILABLE: 503,
        ErrorCode.USER_NOT_FOUND: 404,
        ErrorCode.USER_STATE_CONFLICT: 409,
        ErrorCode.WEBHOOK_EVENT_NOT_FOUND: 404,
        ErrorCode.MERCHANT_NOT_FOUND: 404,
        ErrorCode.INVALID_STATS_QUERY: 422,
        ErrorCode.REFUND_NOT_FOUND: 404,
        ErrorCode.INTERNAL_ERROR: 500,
        ErrorCode.NO_SUCH_ROUTE: 404,
        ErrorCode.METHOD_NOT_ALLOWED: 405,
        ErrorCode.BODY_TOO_LARGE: 413,
        ErrorCode.UNSUPPORTED_MEDIA_TYPE: 415,
        ErrorCode.SERVICE_UNAVAILABLE: 503,
        ErrorCode.REQUEST_TIMEOUT: 408,
    }
)


class MalformedRequest(ValidationFailed):
    """The request itself is unreadable (e.g. the body is not JSON): 400 with code 1004."""


class NoSuchRoute(PaygateError):
    code = ErrorCode.NO_SUCH_ROUTE


class MethodNotAllowed(PaygateError):
    code = ErrorCode.METHOD_NOT_ALLOWED


class BodyTooLarge(PaygateError):
    code = ErrorCode.BODY_TOO_LARGE


class UnsupportedMediaType(PaygateError):
    """A body on a JSON route that is not sent as JSON (``request_bodies.require_json``)."""

    code = ErrorCode.UNSUPPORTED_MEDIA_TYPE


class RequestTimeout(PaygateError):
    """The client did not send its whole request in time (``read_deadline``)."""

    code = ErrorCode.REQUEST_TIMEOUT


class InternalError(PaygateError):
    code = ErrorCode.INTERNAL_ERROR


# Codes the contract answers with a second status, by error class (checked in this order).
STATUS_OVERRIDES: Mapping[type[PaygateError], int] = MappingProxyType(
    {
        IdempotencyRequestInFlight: 409,
        MalformedRequest: 400,
    }
)


def status_for(error: PaygateError) -> int:
    for kind, status in STATUS_OVERRIDES.items():
        if isinstance(error, kind):
            return status
    return STATUS_BY_CODE[error.code]


def error_envelope(error: PaygateError) -> ErrorEnvelope:
    meta = None
    if error.code is ErrorCode.VALIDATION_FAILED:
        meta = ErrorMeta(fields=dict(error.fields))
    return ErrorEnvelope(
        exception=ErrorDetail(
            code=int(error.code),
            message=error.message,
            description=error.description,
            meta=meta,
        )
    )


def error_response(
    error: PaygateError,
    headers: Mapping[str, str] | None = None,
) -> Response[ErrorEnvelope]:
    return Response(
        error_envelope(error),
        status_code=status_for(error),
        headers={**(headers or {}), **error_headers(error)},
    )


def error_headers(error: PaygateError) -> dict[str, str]:
    """The headers an error answer carries besides its body's."""
    if isinstance(error, RateLimited | StorageUnavailable):
        return {"Retry-After": str(error.retry_after)}
    if isinstance(error, NotAuthenticated):
        return {"WWW-Authenticate": 'Bearer realm="paygate"'}
    if isinstance(error, UnsupportedMediaType):  # RFC 9110 12.5.1: what a retry should send
        return {"Accept": "application/json"}
    if isinstance(error, RequestTimeout):
        return {"Connection": "close"}
    return {}


def as_paygate_error(exc: Exception, request_id: str) -> PaygateError:
    """What any exception is answered as, logged as the exception handlers log it: its own
    code for a ``PaygateError``, else 500 9000 quoting the request id."""
    if isinstance(exc, StorageUnavailable):  # the database's condition, not a bug: one line
        cause = exc.__cause__
        _log.warning(
            "database unavailable",
            extra={
                "fields": {
                    "request_id": request_id,
                    "code": int(exc.code),
                    "error": str(cause).partition("\n")[0] if cause else exc.description,
                }
            },
        )
        return exc
    if isinstance(exc, PaygateError):
        if status_for(exc) >= 500:
            _log.error(
                "request failed",
                exc_info=exc,
                extra={"fields": {"request_id": request_id, "code": int(exc.code)}},
            )
        return exc
    _log.error(
        "unexpected error",
        exc_info=exc,
        extra={"fields": {"request_id": request_id, "error_type": type(exc).__name__}},
    )
    return InternalError(f"An unexpected error occurred; quote request id {request_id}")


def _from_http_exception(exc: HTTPException) -> PaygateError:
    """Litestar's exceptions as the contract's errors."""
    if isinstance(exc, NotFoundException):
        return NoSuchRoute("No route matches this path")
    if isinstance(exc, MethodNotAllowedException):
        return MethodNotAllowed("This route does not accept this method")
    if isinstance(exc, RequestEntityTooLarge):
        return BodyTooLarge("The request body exceeds 64 KiB")
    if isinstance(exc, NotAuthorizedException):
        return NotAuthenticated()
    if isinstance(exc, PermissionDeniedException):
        return Forbidden()
    if isinstance(exc, ValidationException):
        return ValidationFailed(fields=_litestar_fields(exc.extra))
    if exc.status_code < 500:
        return MalformedRequest(fields={"request": "could not be read"})
    return InternalError()


def _litestar_fields(extra: Any) -> dict[str, str]:
    fields: dict[str, str] = {}
    if isinstance(extra, list):
        for item in extra:
            if isinstance(item, dict) and item.get("key"):
                fields[str(item["key"])] = str(item.get("message", "is invalid"))[:200]
    return fields or {"request": "is invalid"}


def _handle_paygate_error(
    request: Request[Any, Any, Any],
    exc: PaygateError,
) -> Response[ErrorEnvelope]:
    return error_response(as_paygate_error(exc, request_id_of(request.scope)))


def _handle_http_exception(
    request: Request[Any, Any, Any],
    exc: HTTPException,
) -> Response[ErrorEnvelope]:
    headers = {"Allow": exc.headers["allow"]} if exc.headers and "allow" in exc.headers else None
    error = _from_http_exception(exc)
    if exc.detail == CLIENT_GONE:  # no answer can reach it: one line, no traceback
        if request.scope.get("state", {}).get(READ_TIMED_OUT):
            error = RequestTimeout("The request was not received in full in time")
        _log.info(
            "client gone before its request was read",
            extra={"fields": {"request_id": request_id_of(request.scope), "code": int(error.code)}},
        )
    elif status_for(error) >= 500:
        _log.error(
            "request failed",
            exc_info=exc,
            extra={"fields": {"request_id": request_id_of(request.scope), "code": int(error.code)}},
        )
    return error_response(error, headers)


def _handle_unexpected(
    request: Request[Any, Any, Any],
    exc: Exception,
) -> Response[ErrorEnvelope]:
    return error_response(as_paygate_error(exc, request_id_of(request.scope)))


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    PaygateError: _handle_paygate_error,
    HTTPException: _handle_http_exception,
    Exception: _handle_unexpected,
}
