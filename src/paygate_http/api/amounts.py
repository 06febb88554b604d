"""Amounts sent as JSON numbers are numbers: ``447.0`` is the number 447.

JSON (and JSON Schema, which the OpenAPI document uses) does not tell ``447.0`` from ``447``,
nor ``1.50`` from ``1.5``, and many encoders write floats with a trailing ``.0``. A decimal
string, on the other hand, is taken as written: ``"100.00"`` for JPY claims a precision the
currency does not have and stays refused by the core. So the trailing zeros of a JSON
number's fraction are dropped before the core counts its decimals.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

__all__ = ["number_value"]

_ONE = Decimal(1)


def number_value(raw: object) -> object:
    """``raw`` with the trailing fractional zeros of a JSON number (a finite ``Decimal``)
    dropped; any other value unchanged."""
    if not isinstance(raw, Decimal) or not raw.is_finite():
        return raw
    try:
        if raw == raw.to_integral_value():
            return raw.quantize(_ONE)
        return raw.normalize()
    except InvalidOperation:  # more digits than the context holds: far too large anyway
        return raw
