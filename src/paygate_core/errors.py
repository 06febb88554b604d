"""Every error the domain raises, each carrying the public contract's error code.

The tree::

    PaygateError                      (base; code, message, description, fields)
    ├── ValidationFailed              1004  bad input; ``fields`` maps field -> reason
    ├── LoginFailed                   1001  wrong email/password or deleted user
    ├── NotAuthenticated              1002  missing/bad/expired/revoked credential
    ├── Forbidden                     1003  the role may not do this
    ├── EmailAlreadyRegistered        1005
    ├── RateLimited                   1006  carries ``retry_after`` seconds
    ├── IdempotencyKeyReused          1007  same key, different request
    ├── IdempotencyRequestInFlight    1007  same key, first request still running
    ├── NotFound
    │   ├── OrderNotFound             1008
    │   ├── PaymentNotFound           1011
    │   ├── UserNotFound              1016
    │   ├── WebhookEventNotFound      1018
    │   ├── MerchantNotFound          1019
    │   └── RefundNotFound            1021
    ├── OrderAlreadyPaid              1009
    ├── InvalidCard                   1010
    ├── PaymentStateConflict          1012  cannot refund/capture in this status
    ├── InvalidRefundAmount           1013
    ├── InvalidAmount                 1014  amount or currency
    ├── ProcessorUnavailable          1015
    ├── UserStateConflict             1017
    ├── InvalidStatsQuery             1020
    └── StorageUnavailable            9005  the database cannot be reached or cannot
                                            write; carries ``retry_after`` seconds

``ErrorCode`` is the one catalogue of codes: the HTTP layer maps each to its status and
the docs' error table is generated from it; the codes of the HTTP layer's own errors (9001
to 9004, 9006) are here too, so the catalogue is complete. Messages and descriptions are
safe to show a client: they name fields, never echo card numbers, passwords or tokens.

One style for every text: a message is a short sentence-case phrase without a final period
("Order not found"), a description a sentence-case sentence without one, and a field's
reason a lower-case predicate of the field ("amount: must be greater than 0").
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

__all__ = [
    "EmailAlreadyRegistered",
    "ErrorCode",
    "Forbidden",
    "IdempotencyKeyReused",
    "IdempotencyRequestInFlight",
    "InvalidAmount",
    "InvalidCard",
    "InvalidRefundAmount",
    "InvalidStatsQuery",
    "LoginFailed",
    "MerchantNotFound",
    "NotAuthenticated",
    "NotFound",
    "OrderAlreadyPaid",
    "OrderNotFound",
    "PaygateError",
    "PaymentNotFound",
    "PaymentStateConflict",
    "ProcessorUnavailable",
    "RateLimited",
    "RefundNotFound",
    "StorageUnavailable",
    "UserNotFound",
    "UserStateConflict",
    "ValidationFailed",
    "WebhookEventNotFound",
]


class ErrorCode(enum.IntEnum):
    """The contract's error codes (section 2) with their default client-safe message."""

    LOGIN_FAILED = 1001
    NOT_AUTHENTICATED = 1002
    FORBIDDEN = 1003
    VALIDATION_FAILED = 1004
    EMAIL_ALREADY_REGISTERED = 1005
    RATE_LIMITED = 1006
    IDEMPOTENCY_CONFLICT = 1007
    ORDER_NOT_FOUND = 1008
    ORDER_ALREADY_PAID = 1009
    INVALID_CARD = 1010
    PAYMENT_NOT_FOUND = 1011
    PAYMENT_STATE_CONFLICT = 1012
    INVALID_REFUND_AMOUNT = 1013
    INVALID_AMOUNT = 1014
    PROCESSOR_UNAVAILABLE = 1015
    USER_NOT_FOUND = 1016
    USER_STATE_CONFLICT = 1017
    WEBHOOK_EVENT_NOT_FOUND = 1018
    MERCHANT_NOT_FOUND = 1019
    INVALID_STATS_QUERY = 1020
    REFUND_NOT_FOUND = 1021
    INTERNAL_ERROR = 9000
    NO_SUCH_ROUTE = 9001
    METHOD_NOT_ALLOWED = 9002
    BODY_TOO_LARGE = 9003
    UNSUPPORTED_MEDIA_TYPE = 9004
    SERVICE_UNAVAILABLE = 9005
    REQUEST_TIMEOUT = 9006

    @property
    def message(self) -> str:
        return _MESSAGES[self]


_MESSAGES: Mapping[ErrorCode, str] = {
    ErrorCode.LOGIN_FAILED: "Invalid email or password",
    ErrorCode.NOT_AUTHENTICATED: "Authentication credentials were not provided or are invalid",
    ErrorCode.FORBIDDEN: "You do not have permission to perform this action",
    ErrorCode.VALIDATION_FAILED: "Validation failed",
    ErrorCode.EMAIL_ALREADY_REGISTERED: "Email already registered",
    ErrorCode.RATE_LIMITED: "Too many requests",
    ErrorCode.IDEMPOTENCY_CONFLICT: "Idempotency key conflict",
    ErrorCode.ORDER_NOT_FOUND: "Order not found",
    ErrorCode.ORDER_ALREADY_PAID: "Order already paid",
    ErrorCode.INVALID_CARD: "Invalid card details",
    ErrorCode.PAYMENT_NOT_FOUND: "Payment not found",
    ErrorCode.PAYMENT_STATE_CONFLICT: "Payment cannot be changed in its current status",
    ErrorCode.INVALID_REFUND_AMOUNT: "Invalid refund amount",
    ErrorCode.INVALID_AMOUNT: "Invalid amount or currency",
    ErrorCode.PROCESSOR_UNAVAILABLE: "Payment processor unavailable",
    ErrorCode.USER_NOT_FOUND: "User not found",
    ErrorCode.USER_STATE_CONFLICT: "User state conflict",
    ErrorCode.WEBHOOK_EVENT_NOT_FOUND: "Webhook event not found",
    ErrorCode.MERCHANT_NOT_FOUND: "Merchant not found",
    ErrorCode.INVALID_STATS_QUERY: "Invalid statistics query",
    ErrorCode.REFUND_NOT_FOUND: "Refund not found",
    ErrorCode.INTERNAL_ERROR: "Internal server error",
    ErrorCode.NO_SUCH_ROUTE: "Not found",
    ErrorCode.METHOD_NOT_ALLOWED: "Method not allowed",
    ErrorCode.BODY_TOO_LARGE: "Request body too large",
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: "Unsupported media type",
    ErrorCode.SERVICE_UNAVAILABLE: "Service unavailable",
    ErrorCode.REQUEST_TIMEOUT: "Request timeout",
}


class PaygateError(Exception):
    """Root of the domain's errors; ``code`` is the contract's error code."""

    code: ErrorCode = ErrorCode.INTERNAL_ERROR

    def __init__(
        self,
        description: str | None = None,
        *,
        fields: Mapping[str, str] | None = None,
        message: str | None = None,
    ) -> None:
        self.message = message or self.code.message
        self.fields = dict(fields) if fields else {}
        self.description = description or _describe(self.fields) or self.message
        super().__init__(self.description)


def _describe(fields: Mapping[str, str]) -> str:
    return "; ".join(f"{name}: {reason}" for name, reason in fields.items())


class ValidationFailed(PaygateError):
    """Input failed validation; ``fields`` names each bad field and why."""

    code = ErrorCode.VALIDATION_FAILED


class LoginFailed(PaygateError):
    """Wrong email or password, or a deleted user: one answer so emails can't be probed."""

    code = ErrorCode.LOGIN_FAILED


class NotAuthenticated(PaygateError):
    """A credential is missing, malformed, expired, revoked, or belongs to a deleted user."""

    code = ErrorCode.NOT_AUTHENTICATED


class Forbidden(PaygateError):
    """Authenticated, but this role (or credential kind) may not do this."""

    code = ErrorCode.FORBIDDEN


class EmailAlreadyRegistered(PaygateError):
    """The email is taken (compared case-insensitively)."""

    code = ErrorCode.EMAIL_ALREADY_REGISTERED


class RateLimited(PaygateError):
    """Too many requests; retry after ``retry_after`` seconds."""

    code = ErrorCode.RATE_LIMITED

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Rate limit exceeded; retry after {retry_after} seconds")
        self.retry_after = retry_after


class IdempotencyKeyReused(PaygateError):
    """The Idempotency-Key was already used with a different request."""

    code = ErrorCode.IDEMPOTENCY_CONFLICT

    def __init__(self) -> None:
        super().__init__("Idempotency-Key was already used with a different request")


class IdempotencyRequestInFlight(PaygateError):
    """The first request with this Idempotency-Key has not finished yet."""

    code = ErrorCode.IDEMPOTENCY_CONFLICT

    def __init__(self) -> None:
        super().__init__("A request with this Idempotency-Key is still being processed")


class NotFound(PaygateError):
    """Base of the not-found errors; also raised for other owners' objects."""


class OrderNotFound(NotFound):
    code = ErrorCode.ORDER_NOT_FOUND


class PaymentNotFound(NotFound):
    code = ErrorCode.PAYMENT_NOT_FOUND


class UserNotFound(NotFound):
    code = ErrorCode.USER_NOT_FOUND


class WebhookEventNotFound(NotFound):
    code = ErrorCode.WEBHOOK_EVENT_NOT_FOUND


class MerchantNotFound(NotFound):
    code = ErrorCode.MERCHANT_NOT_FOUND


class RefundNotFound(NotFound):
    code = ErrorCode.REFUND_NOT_FOUND


class OrderAlreadyPaid(PaygateError):
    """The order is paid and accepts no further payment."""

    code = ErrorCode.ORDER_ALREADY_PAID


class InvalidCard(PaygateError):
    """Card number, expiry or CVV is invalid, or the card has expired."""

    code = ErrorCode.INVALID_CARD


class PaymentStateConflict(PaygateError):
    """The payment cannot be refunded or captured in its current status."""

    code = ErrorCode.PAYMENT_STATE_CONFLICT


class InvalidRefundAmount(PaygateError):
    """Refund amount not positive, too precise, or above the refundable balance."""

    code = ErrorCode.INVALID_REFUND_AMOUNT


class InvalidAmount(PaygateError):
    """Amount not positive, too precise or too large for its currency, or unknown currency."""

    code = ErrorCode.INVALID_AMOUNT


class ProcessorUnavailable(PaygateError):
    """The payment processor could not be reached; nothing was charged or recorded."""

    code = ErrorCode.PROCESSOR_UNAVAILABLE


class UserStateConflict(PaygateError):
    """The user cannot make this change (e.g. an admin deleting themself)."""

    code = ErrorCode.USER_STATE_CONFLICT


class InvalidStatsQuery(PaygateError):
    """Malformed ``merchant_id`` or a bad date range."""

    code = ErrorCode.INVALID_STATS_QUERY


class StorageUnavailable(PaygateError):
    """The database cannot be reached or cannot write (connection lost, disk full). Nothing
    of the request was kept; a retry after ``retry_after`` seconds is safe."""

    code = ErrorCode.SERVICE_UNAVAILABLE

    def __init__(
        self, description: str = "The database is unavailable; retry shortly", retry_after: int = 1
    ) -> None:
        super().__init__(description)
        self.retry_after = retry_after
