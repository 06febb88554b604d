"""``docs/errors.md``, generated from the ``ErrorCode`` catalogue and the HTTP status map.

    python -m paygate_http.error_docs > docs/errors.md

A test compares the committed file with ``render_error_docs()``, so the page cannot drift
from the code.
"""

from __future__ import annotations

from paygate_core.errors import ErrorCode
from paygate_http.errors import STATUS_BY_CODE, STATUS_OVERRIDES
from paygate_http.json_body import MAX_DEPTH

__all__ = ["render_error_docs"]

_MEANING: dict[ErrorCode, str] = {
    ErrorCode.LOGIN_FAILED: "Wrong email or password, or the user is deleted (one answer for "
                            "all: emails cannot be probed)",
    ErrorCode.NOT_AUTHENTICATED: "Credentials missing, malformed, expired, revoked, or of a "
                                 "deleted user (access token, refresh token, API key)",
    ErrorCode.FORBIDDEN: "Authenticated, but the role or credential may not do this (merchant "
                         "on an admin route, admin on a merchant route, API key on credential "
                         "management)",
    ErrorCode.VALIDATION_FAILED: "Validation failed; `meta.fields` maps each bad field to a "
                                 "reason. A body that cannot be read as JSON is answered 400, "
                                 "`meta.fields.body` saying why: not UTF-8, not JSON (with "
                                 "the parser's reason, line and column), a duplicate key, "
                                 f"nested more than {MAX_DEPTH} levels deep",
    ErrorCode.EMAIL_ALREADY_REGISTERED: "Email already registered (compared case-insensitively)",
    ErrorCode.RATE_LIMITED: "Too many requests; the `Retry-After` header gives the seconds to "
                            "wait",
    ErrorCode.IDEMPOTENCY_CONFLICT: "`Idempotency-Key` reused with a different request (422), "
                                    "or its first request is still in flight (409)",
    ErrorCode.ORDER_NOT_FOUND: "Order not found (also when it belongs to another merchant)",
    ErrorCode.ORDER_ALREADY_PAID: "Order already paid",
    ErrorCode.INVALID_CARD: "Invalid card details (number, expiry, expired card, CVV)",
    ErrorCode.PAYMENT_NOT_FOUND: "Payment not found (also when it belongs to another merchant)",
    ErrorCode.PAYMENT_STATE_CONFLICT: "Payment cannot be refunded or captured in its current "
                                      "status",
    ErrorCode.INVALID_REFUND_AMOUNT: "Refund amount not positive, too precise, or above the "
                                     "refundable balance",
    ErrorCode.INVALID_AMOUNT: "Invalid amount or currency (not positive, too many decimals, too "
                              "large, exponent notation, NaN/Infinity, unsupported currency)",
    ErrorCode.PROCESSOR_UNAVAILABLE: "Payment processor unavailable; nothing was charged",
    ErrorCode.USER_NOT_FOUND: "User not found (admin user management; also a malformed id)",
    ErrorCode.USER_STATE_CONFLICT: "User state conflict (an admin deleting themself, deleting a "
                                   "deleted user, restoring an active one)",
    ErrorCode.WEBHOOK_EVENT_NOT_FOUND: "Webhook event not found",
    ErrorCode.MERCHANT_NOT_FOUND: "Merchant not found",
    ErrorCode.INVALID_STATS_QUERY: "Invalid statistics query (malformed `merchant_id`, bad "
                                   "date range)",
    ErrorCode.REFUND_NOT_FOUND: "Refund not found (also when it belongs to another merchant)",
    ErrorCode.INTERNAL_ERROR: "Internal error; the response names a request id, the log has "
                              "the details",
    ErrorCode.NO_SUCH_ROUTE: "No such route",
    ErrorCode.METHOD_NOT_ALLOWED: "Method not allowed on this route (the `Allow` header lists "
                                  "the accepted ones)",
    ErrorCode.BODY_TOO_LARGE: "Request body larger than 64 KiB",
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: "A request body on a JSON route not sent as JSON: "
                                      "`Content-Type` missing, not `application/json` or "
                                      "`application/*+json`, a charset other than UTF-8, or a "
                                      "`Content-Encoding`. Nothing is changed and an "
                                      "`Idempotency-Key` is not used; the `Accept` header "
                                      "names what to send. An empty body needs no type",
    ErrorCode.SERVICE_UNAVAILABLE: "The database cannot be reached or cannot write (connection "
                                   "lost, disk full); `Retry-After` is set. A retry with the "
                                   "same `Idempotency-Key` is safe: the key is not left claimed",
    ErrorCode.REQUEST_TIMEOUT: "The request (headers and body) was not received in full within "
                               "`PAYGATE_REQUEST_READ_TIMEOUT` seconds (default 10) of its "
                               "first byte; the connection is closed (`Connection: close`). "
                               "Not in the contract's table: the server's own answer to a "
                               "stalled client (ADR 0015)",
}

_HEADER = """\
# Error codes

<!-- Generated by `python -m paygate_http.error_docs > docs/errors.md`; do not edit. -->

Every error answer has this shape (HTTP 4xx/5xx, never 200):

```json
{"success": false,
 "exception": {"code": 1004, "message": "Validation failed",
               "description": "amount: must be greater than 0",
               "meta": {"fields": {"amount": "must be greater than 0"}}}}
```

`message` is the code's fixed text below; `description` says what went wrong in this case;
`meta` is `{"fields": {...}}` for 1004 and `null` for every other code.

| code | HTTP | message | meaning |
|---|---|---|---|
"""


def _statuses(code: ErrorCode) -> str:
    """The code's status, then any other status some of its errors are answered with."""
    others = [status for kind, status in STATUS_OVERRIDES.items() if kind.code is code]
    return " / ".join(str(s) for s in [STATUS_BY_CODE[code], *others])


def render_error_docs() -> str:
    rows = [f"| {int(code)} | {_statuses(code)} | {code.message} | {_MEANING[code]} |"
            for code in ErrorCode]
    return _HEADER + "\n".join(rows) + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(render_error_docs(), end="")
