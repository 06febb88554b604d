"""Query parameters shared by list routes: documented as strings, validated here or by the
core, so a bad value is a 422 1004 with ``meta.fields`` like any other validation error."""

from __future__ import annotations

from typing import Annotated

from litestar.openapi.spec import Example
from litestar.params import Parameter

from paygate_core.errors import ValidationFailed
from paygate_core.pagination import PageRequest

__all__ = ["Cursor", "Flag", "Limit", "page_request", "parse_flag"]

Limit = Annotated[str | None, Parameter(
    description="Page size, 1 to 100 (default 20)", examples=[Example(value="20")],
    required=False)]
Cursor = Annotated[str | None, Parameter(
    description="The next_cursor of the previous page", required=False)]
Flag = Annotated[str | None, Parameter(
    description="true or false (default false)", examples=[Example(value="true")],
    required=False)]

_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no", ""}


def page_request(limit: str | None, cursor: str | None) -> PageRequest:
    return PageRequest.parse(limit=limit, cursor=cursor)


def parse_flag(raw: str | None, field: str) -> bool:
    if raw is None:
        return False
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValidationFailed(fields={field: "must be true or false"})
