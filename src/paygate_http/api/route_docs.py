"""OpenAPI pieces every controller shares: security requirements, each route's error
responses, request bodies that may be left out, and the ``Idempotency-Key`` header of the
JSON write routes.

``route_errors`` documents every status a route can answer with the error envelope, one
example per code: the codes the route names, 400 1004 (an unreadable request), 503 9005
(the database cannot be reached; every route here uses it) and, for routes that read a
JSON body, 408, 413 and 415. The 1004 example names a field of that route::

    @post("/", responses=route_errors(ErrorCode.INVALID_AMOUNT, *DENIED, body=True,
                                      invalid=("amount", "is required")))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar.datastructures import ResponseHeader
from litestar.di import Provide
from litestar.enums import ParamType
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    Example,
    OpenAPIType,
    Operation,
    Parameter,
    RequestBody,
    Schema,
)

from paygate_core.errors import ErrorCode
from paygate_http.api.schemas import ErrorEnvelope
from paygate_http.pipeline.errors import STATUS_BY_CODE
from paygate_http.pipeline.idempotency import KEY_HEADER, REPLAYED_HEADER
from paygate_http.pipeline.request_bodies import JsonBody, JsonData

__all__ = [
    "BEARER",
    "BEARER_OR_KEY",
    "DENIED",
    "PUBLIC",
    "REPLAYED_HEADERS",
    "OptionalBody",
    "documented_write",
    "route_errors",
]

BEARER_OR_KEY: list[dict[str, list[str]]] = [{"BearerAuth": []}, {"ApiKeyAuth": []}]
BEARER: list[dict[str, list[str]]] = [{"BearerAuth": []}]
PUBLIC: list[dict[str, list[str]]] = []
DENIED = (ErrorCode.NOT_AUTHENTICATED, ErrorCode.FORBIDDEN, ErrorCode.RATE_LIMITED)

REPLAYED_HEADERS = [
    ResponseHeader(
        name=REPLAYED_HEADER,
        documentation_only=True,
        description="`true` when this is the stored answer to an earlier request with the same "
        "Idempotency-Key",
    )
]

# (status, code, summary) entries beyond STATUS_BY_CODE's one status per code.
_UNREADABLE = (
    400,
    ErrorCode.VALIDATION_FAILED,
    "The request could not be read (e.g. the body is not JSON)",
)
_STORAGE = (503, ErrorCode.SERVICE_UNAVAILABLE, ErrorCode.SERVICE_UNAVAILABLE.message)
_BODY_ERRORS: tuple[tuple[int, ErrorCode, str], ...] = (
    (408, ErrorCode.REQUEST_TIMEOUT, "The body did not arrive in time"),
    (413, ErrorCode.BODY_TOO_LARGE, "Request body larger than 64 KiB"),
    (415, ErrorCode.UNSUPPORTED_MEDIA_TYPE, "The body is not sent as application/json"),
)
_IDEMPOTENCY_ERRORS: tuple[tuple[int, ErrorCode, str], ...] = (
    (422, ErrorCode.IDEMPOTENCY_CONFLICT, "Idempotency-Key reused with a different request"),
    (
        409,
        ErrorCode.IDEMPOTENCY_CONFLICT,
        "The first request with this Idempotency-Key is still in flight",
    ),
    (422, ErrorCode.VALIDATION_FAILED, "Malformed Idempotency-Key"),
)


def route_errors(
    *codes: ErrorCode,
    body: bool = False,
    idempotent: bool = False,
    invalid: tuple[str, str] = ("request", "is invalid"),
) -> dict[int, ResponseSpec]:
    """Error responses for these codes, grouped by status, with one example per entry;
    ``invalid`` is the (field, reason) the 1004 example names."""
    entries = [
        _UNREADABLE,
        *((STATUS_BY_CODE[code], code, code.message) for code in codes),
        _STORAGE,
    ]
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
            data_container=ErrorEnvelope,
            generate_examples=False,
            description="; ".join(f"{int(code)} {summary}" for code, summary in members),
            examples=[
                Example(
                    summary=f"{int(code)} {summary}", value=_example(code, summary, status, invalid)
                )
                for code, summary in members
            ],
        )
        for status, members in sorted(by_status.items())
    }


def _example(
    code: ErrorCode,
    summary: str,
    status: int,
    invalid: tuple[str, str],
) -> dict[str, Any]:
    meta = None
    description = summary
    if code is ErrorCode.VALIDATION_FAILED:
        field, reason = ("body", "is not valid JSON") if status == 400 else invalid
        if summary.startswith("Malformed Idempotency-Key"):
            field, reason = KEY_HEADER, "must be 1 to 255 printable ASCII characters"
        meta = {"fields": {field: reason}}
        description = f"{field}: {reason}"
    return {
        "success": False,
        "exception": {
            "code": int(code),
            "message": code.message,
            "description": description,
            "meta": meta,
        },
    }


@dataclass
class OptionalBody(Operation):
    """An operation whose JSON body may be left out (``{}`` is assumed): PATCH with nothing
    to change, a refresh or logout that relies on the cookie."""

    def __post_init__(self) -> None:
        if isinstance(self.request_body, RequestBody):
            self.request_body.required = False


_KEY_PATTERN = r"^[!-~]([ -~]{0,253}[!-~])?$"


def documented_write(body: object, key_example: str) -> dict[str, Any]:
    """The route decorator's arguments that document a JSON write route whose handler takes
    only the request: its body (``body``, a Struct or a union of them: OpenAPI reads it from
    a route dependency's ``data`` parameter, a dependency nothing asks for, so never
    resolved) and its optional ``Idempotency-Key`` header, with an example for this route."""
    parameter = Parameter(
        name=KEY_HEADER,
        param_in=ParamType.HEADER,
        required=False,
        description="1 to 255 printable ASCII characters (no space at either end), unique "
        "per merchant and request. A repeat with the same body within 24 hours "
        f"returns the first answer (header `{REPLAYED_HEADER}: true`) and does "
        "nothing else; another body is 422 1007; a repeat while the first is "
        "running is 409 1007.",
        schema=Schema(
            type=OpenAPIType.STRING,
            min_length=1,
            max_length=255,
            pattern=_KEY_PATTERN,
            examples=[key_example],
        ),
        examples={"key": Example(value=key_example)},
    )

    @dataclass
    class KeyedWrite(Operation):
        def __post_init__(self) -> None:
            self.parameters = [*(self.parameters or []), parameter]

    return {
        "dto": JsonBody.__class_getitem__(body),
        "operation_class": KeyedWrite,
        "dependencies": {"documented_body": Provide(_documented_body, sync_to_thread=False)},
    }


def _documented_body(data: JsonData = None) -> None:
    """Never called (see ``documented_write``)."""
    del data
