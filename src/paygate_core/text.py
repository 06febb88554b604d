"""Rules every stored free-text field follows, whatever the storage behind the ports."""

from __future__ import annotations

from paygate_core.errors import ValidationFailed

__all__ = ["check_storable"]


def check_storable(text: str, field: str) -> str:
    """``text`` unchanged, or ``ValidationFailed`` when it holds a NUL character.

    JSON can carry ``\\u0000`` but PostgreSQL text columns cannot store it: refusing it here
    turns what would be a storage error (a 500) into a 1004 naming the field.
    """
    if "\x00" in text:
        raise ValidationFailed(fields={field: "must not contain NUL characters"})
    return text
