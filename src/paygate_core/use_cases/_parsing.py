"""Small parsers shared by the use cases for raw identifiers and filters."""

from __future__ import annotations

import enum
from typing import TypeVar
from uuid import UUID

from paygate_core.errors import PaygateError, ValidationFailed

E = TypeVar("E", bound=enum.StrEnum)


def parse_uuid(raw: object, field: str, error: type[PaygateError] = ValidationFailed) -> UUID:
    if isinstance(raw, UUID):
        return raw
    if isinstance(raw, str):
        try:
            return UUID(raw)
        except ValueError:
            pass
    raise error(fields={field: "must be a UUID"})


def parse_optional_uuid(raw: object, field: str) -> UUID | None:
    return None if raw is None or raw == "" else parse_uuid(raw, field)


def parse_choice(raw: object, choices: type[E], field: str) -> E | None:
    if raw is None or raw == "":
        return None
    try:
        return choices(str(raw).lower())
    except ValueError:
        allowed = ", ".join(member.value for member in choices)
        raise ValidationFailed(fields={field: f"must be one of: {allowed}"}) from None
