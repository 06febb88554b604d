"""Query parameters: each one's OpenAPI schema and its check, from one definition.

A ``QueryRule`` documents a parameter (type, format, pattern, enum, bounds) and refuses, with
the route's error (422 1004, or 1020 for statistics), any value its schema does not admit,
so the document and the server agree on every query string::

    limit: Limit = None                       # in the handler's signature
    page_request(limit, cursor)               # in its body: checked, then the core's PageRequest

Values that are well formed but name nothing the server issued (a cursor it never wrote) are
refused by the core, which knows what it issued.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Annotated, Any

import attrs
from litestar.openapi.spec import Example
from litestar.params import ParameterKwarg, QueryParameter

from paygate_core.errors import InvalidStatsQuery, PaygateError, ValidationFailed
from paygate_core.pagination import DEFAULT_LIMIT, MAX_LIMIT, PageRequest

__all__ = [
    "ADMIN_MERCHANT_ID",
    "CURSOR",
    "EVENT_ID",
    "FROM",
    "INCLUDE_DELETED",
    "LIMIT",
    "ORDER_ID",
    "PAYMENT_ID",
    "ROLE",
    "TO",
    "UUID_PATTERN",
    "Cursor",
    "Flag",
    "Limit",
    "QueryRule",
    "choice_rule",
    "page_request",
    "parse_flag",
    "path_id",
]

UUID_PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
_YEAR = "(000[2-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])"
"""Years 2 to 9998: an instant in year 1 or 9999 may not exist once shifted to UTC."""
_DATE = f"^{_YEAR}-[0-9]{{2}}-[0-9]{{2}}$"
_DATE_TIME = (
    f"^{_YEAR}-[0-9]{{2}}-[0-9]{{2}}[Tt][0-9]{{2}}:[0-9]{{2}}:[0-9]{{2}}"
    r"(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$"
)


@attrs.frozen
class QueryRule:
    """One query parameter: its name, its JSON Schema and the reason a bad value gets."""

    name: str
    schema: dict[str, Any]
    reason: str
    patterns: tuple[str, ...]
    """The value must match one of these (the schema says the same, more readably)."""
    error: type[PaygateError] = ValidationFailed

    def parameter(self, description: str, *examples: object) -> ParameterKwarg:
        """The Litestar parameter documenting this rule (the handler receives the raw text)."""
        extra = {"one_of": None, "type": "string", **self.schema}
        return QueryParameter(
            name=self.name,
            description=description,
            required=False,
            examples=[Example(value=value) for value in examples] or None,
            schema_extra=extra,
        )

    def check(self, raw: str | None) -> str | None:
        """``raw`` unchanged (None when absent), or the rule's error naming the parameter."""
        if raw is None:
            return None
        if not any(re.fullmatch(pattern, raw) for pattern in self._compiled):
            raise self.error(fields={self.name: self.reason})
        return raw

    @property
    def _compiled(self) -> tuple[re.Pattern[str], ...]:
        return _compile(self.patterns)


@functools.cache
def _compile(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(pattern) for pattern in patterns)


def _uuid_rule(name: str, error: type[PaygateError] = ValidationFailed) -> QueryRule:
    return QueryRule(
        name, {"format": "uuid", "pattern": UUID_PATTERN}, "must be a UUID", (UUID_PATTERN,), error
    )


def _any_case(value: str) -> str:
    """A pattern matching ``value`` in any letter case (JSON Schema patterns have no flags)."""
    return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else re.escape(c) for c in value)


def choice_rule(name: str, choices: Iterable[str]) -> QueryRule:
    """One of ``choices``, in any letter case (``status=PAID`` is ``paid``)."""
    values = list(choices)
    pattern = f"^({'|'.join(_any_case(value) for value in values)})$"
    return QueryRule(
        name,
        {"pattern": pattern, "examples": values},
        f"must be one of: {', '.join(values)}",
        (pattern,),
    )


def _instant_rule(name: str) -> QueryRule:
    return QueryRule(
        name,
        {
            "type": None,
            "any_of": [
                {"type": "string", "format": "date", "pattern": f"^{_YEAR}-"},
                {"type": "string", "format": "date-time", "pattern": f"^{_YEAR}-"},
            ],
        },
        "must be an ISO date or datetime",
        (_DATE, _DATE_TIME),
        InvalidStatsQuery,
    )


LIMIT = QueryRule(
    "limit",
    {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
    f"must be an integer from 1 to {MAX_LIMIT}",
    ("^[0-9]{1,9}$",),
)
CURSOR = QueryRule(
    "cursor",
    {"pattern": "^[A-Za-z0-9_-]*$", "maxLength": 512},
    "is not a valid cursor",
    ("^[A-Za-z0-9_-]{0,512}$",),
)
INCLUDE_DELETED = QueryRule(
    "include_deleted",
    {"pattern": f"^({_any_case('true')}|{_any_case('false')}|1|0)$", "default": "false"},
    "must be true or false",
    (f"^({_any_case('true')}|{_any_case('false')}|1|0)$",),
)
ROLE = choice_rule("role", ["admin", "merchant"])
ORDER_ID = _uuid_rule("order_id")
PAYMENT_ID = _uuid_rule("payment_id")
EVENT_ID = _uuid_rule("event_id")
ADMIN_MERCHANT_ID = _uuid_rule("merchant_id", InvalidStatsQuery)
FROM = _instant_rule("from")
TO = _instant_rule("to")

Limit = Annotated[
    str | None,
    LIMIT.parameter(f"Page size, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT})", DEFAULT_LIMIT),
]
Cursor = Annotated[
    str | None,
    CURSOR.parameter(
        "The next_cursor of the previous page (empty or absent: the first page); a cursor the "
        "server did not issue is 422 1004"
    ),
]
Flag = Annotated[
    str | None,
    INCLUDE_DELETED.parameter("true or false in any case, or 1 or 0 (default false)", "true"),
]


def path_id(description: str) -> ParameterKwarg:
    """A path id, documented as a UUID; a malformed one names nothing (404, like unknown)."""
    return ParameterKwarg(
        description=description, schema_extra={"format": "uuid", "pattern": UUID_PATTERN}
    )


def page_request(limit: str | None, cursor: str | None) -> PageRequest:
    return PageRequest.parse(limit=LIMIT.check(limit), cursor=CURSOR.check(cursor))


def parse_flag(raw: str | None, rule: QueryRule = INCLUDE_DELETED) -> bool:
    value = rule.check(raw)
    return value is not None and value.lower() in {"true", "1"}
