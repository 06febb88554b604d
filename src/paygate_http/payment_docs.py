"""OpenAPI pieces shared by the payment controllers: security, error responses per route,
the ``Idempotency-Key`` request header and the ``Idempotent-Replayed`` response header.

``route_errors`` is ``errors.error_responses`` plus the answers the contract gives two
statuses (1004 is also 400 for an unreadable request, which replaces the 400 schema Litestar
documents by itself; 1007 is also 409 while the first request is in flight) and 413 for
bodies over 64 KiB, so every status a route can answer is documented with the error
envelope (the schemathesis test checks it).
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar.datastructures import ResponseHeader
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import HeaderParameter

from paygate_core.errors import ErrorCode
from paygate_http.errors import STATUS_BY_CODE
from paygate_http.idempotency import KEY_HEADER, REPLAYED_HEADER
from paygate_http.schemas import ErrorEnvelope

__all__ = [
    "BEARER",
    "BEARER_OR_KEY",
    "DENIED",
    "REPLAYED_HEADERS",
    "IdempotencyKey",
    "route_errors",
]

BEARER_OR_KEY: list[dict[str, list[str]]] = [{"BearerAuth": []}, {"ApiKeyAuth": []}]
BEARER: list[dict[str, list[str]]] = [{"BearerAuth": []}]
DENIED = (ErrorCode.NOT_AUTHENTICATED, ErrorCode.FORBIDDEN, ErrorCode.RATE_LIMITED)

IdempotencyKey = Annotated[str | None, HeaderParameter(
    name=KEY_HEADER, required=False,
    description="1 to 255 printable ASCII characters, unique per merchant and request. A "
                "repeat with the same body within 24 hours returns the first answer "
                f"(header `{REPLAYED_HEADER}: true`) and does nothing else; another body "
                "is 422 1007; a repeat while the first is running is 409 1007.",
    examples=[Example(value="order-inv-42-attempt-1")])]

REPLAYED_HEADERS = [ResponseHeader(
    name=REPLAYED_HEADER, documentation_only=True,
    description="`true` when this is the stored answer to an earlier request with the same "
                "Idempotency-Key")]

# (status, code, summary) entries beyond STATUS_BY_CODE's one status per code.
_UNREADABLE = (400, ErrorCode.VALIDATION_FAILED, "The request could not be read (e.g. the "
                                                 "body is not JSON)")
_BODY_ERRORS: tuple[tuple[int, ErrorCode, str], ...] = (
    (413, ErrorCode.BODY_TOO_LARGE, "Request body too large"),
)
_IDEMPOTENCY_ERRORS: tuple[tuple[int, ErrorCode, str], ...] = (
    (422, ErrorCode.IDEMPOTENCY_CONFLICT, "Idempotency-Key reused with a different request"),
    (409, ErrorCode.IDEMPOTENCY_CONFLICT, "The first request with this Idempotency-Key is "
                                          "still in flight"),
    (422, ErrorCode.VALIDATION_FAILED, "Malformed Idempotency-Key"),
)


def route_errors(*codes: ErrorCode, body: bool = False, idempotent: bool = False,
               ) -> dict[int, ResponseSpec]:
    """Error responses for these codes, grouped by status, with one example per entry."""
    entries = [_UNREADABLE, *((STATUS_BY_CODE[code], code, code.message) for code in codes)]
    if body:
        entries += _BODY_ERRORS
    if idempotent:
        entries += _IDEMPOTENCY_ERRORS
    by_status: dict[int, list[tuple[ErrorCode, str]]] = {}
    for status, code, summary in entries:
        members = by_status.setdefault(status, [])
        if (code, summary) not in members:
            members.append((code, summary))
    return {
        status: ResponseSpec(
            data_container=ErrorEnvelope, generate_examples=False,
            description="; ".join(f"{int(code)} {summary}" for code, summary in members),
            examples=[Example(summary=f"{int(code)} {summary}", value=_example(code, summary))
                      for code, summary in members],
        )
        for status, members in sorted(by_status.items())
    }


def _example(code: ErrorCode, summary: str) -> dict[str, Any]:
    meta = None
    description = summary
    if code is ErrorCode.VALIDATION_FAILED:
        meta = {"fields": {"amount": "is required"}}
        description = "amount: is required"
    return {"success": False, "exception": {"code": int(code), "message": code.message,
                                            "description": description, "meta": meta}}
