"""A submitted form as the pages need it: its values (kept to show again, passwords never)
and the errors of a refused submission, by field, in the API's words."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
from litestar import Request

from paygate_core.errors import PaygateError

__all__ = ["FormState", "read_form"]


@attrs.frozen
class FormState:
    """``values`` to fill the fields with; ``errors`` by field name (``""``: the whole
    form, shown at its top)."""

    values: Mapping[str, str] = attrs.field(factory=dict)
    errors: Mapping[str, str] = attrs.field(factory=dict)

    @classmethod
    def refused(cls, values: Mapping[str, str], error: PaygateError) -> FormState:
        errors = dict(error.fields) if error.fields else {"": error.description}
        return cls(values, errors)


async def read_form(
    request: Request[Any, Any, Any], *fields: str, secret: tuple[str, ...] = ()
) -> tuple[dict[str, str], dict[str, str]]:
    """The named fields' text (absent: ``""``), and the same without the ``secret`` ones
    (to show again)."""
    form = await request.form()
    values = {}
    for name in fields:
        raw = form.get(name)
        values[name] = raw if isinstance(raw, str) else ""
    kept = {name: value for name, value in values.items() if name not in secret}
    return values, kept
