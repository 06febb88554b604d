"""Rules every stored free-text field follows, whatever the storage behind the ports."""

from __future__ import annotations

from paygate_core.errors import ValidationFailed

__all__ = ["check_storable", "is_valid_unicode"]


def check_storable(text: str, field: str) -> str:
    """``text`` unchanged, or ``ValidationFailed`` when it holds a NUL character or a lone
    UTF-16 surrogate.

    JSON can carry ``\\u0000`` and ``\\ud800`` but no database (nor UTF-8) can store them:
    refusing them here turns what would be a storage error (a 500) into a 1004 naming the
    field.
    """
    if "\x00" in text:
        raise ValidationFailed(fields={field: "must not contain NUL characters"})
    if not is_valid_unicode(text):
        raise ValidationFailed(fields={field: "must be valid Unicode (no lone surrogates)"})
    return text


def is_valid_unicode(text: str) -> bool:
    """False for strings holding lone surrogates, which cannot be encoded as UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
