"""Card details: validation, last4 and fingerprint, in a value that never shows its secrets.

The full number and the CVV live only in a ``CardDetails`` for the duration of a payment
call. Its ``repr``/``str`` show the last four digits only and it refuses to be pickled, so
it cannot leak into logs, tracebacks, caches or task queues by accident.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import date
from typing import NoReturn

import attrs

from paygate_core.errors import InvalidCard, ValidationFailed

__all__ = ["CardDetails", "card_fingerprint", "parse_card"]

_EXPIRY = re.compile(r"(?P<month>[0-9]{2})/(?P<year>[0-9]{2}|[0-9]{4})")
_CVV = re.compile(r"[0-9]{3,4}")
_SEPARATORS = str.maketrans("", "", " -")


@attrs.frozen(repr=False)
class CardDetails:
    """A validated card. ``number`` is digits only; never store or log it."""

    number: str
    expiry_month: int
    expiry_year: int
    cvv: str

    @property
    def last4(self) -> str:
        return self.number[-4:]

    def __repr__(self) -> str:
        expiry = f"{self.expiry_month:02d}/{self.expiry_year}"
        return f"CardDetails(last4={self.last4!r}, expiry={expiry})"

    __str__ = __repr__

    def __reduce_ex__(self, protocol: object) -> NoReturn:
        raise TypeError("CardDetails cannot be pickled: it holds the card number and CVV")

    def __getstate__(self) -> NoReturn:
        raise TypeError("CardDetails cannot be pickled: it holds the card number and CVV")

    def fingerprint(self, key: bytes) -> str:
        return card_fingerprint(self.number, key)


def card_fingerprint(number: str, key: bytes) -> str:
    """HMAC-SHA256 of the digits under a server-side key, as 64 hex characters."""
    return hmac.new(key, number.encode("ascii"), hashlib.sha256).hexdigest()


def parse_card(number: object, expiry: object, cvv: object, *, today: date) -> CardDetails:
    """Validate raw card fields; every problem is reported at once, naming fields only.

    Raises ``ValidationFailed`` (1004) when a field has the wrong JSON type and
    ``InvalidCard`` (1010) when a value is malformed or the card has expired.
    """
    wrong_type = {
        name: "must be a string"
        for name, value in (("card_number", number), ("expiry", expiry), ("cvv", cvv))
        if not isinstance(value, str)
    }
    if wrong_type:
        raise ValidationFailed(fields={f"card_details.{k}": v for k, v in wrong_type.items()})
    assert isinstance(number, str)
    assert isinstance(expiry, str)
    assert isinstance(cvv, str)
    problems: dict[str, str] = {}
    digits = number.translate(_SEPARATORS)
    if not (digits.isascii() and digits.isdigit() and 12 <= len(digits) <= 19):
        problems["card_details.card_number"] = "must be 12 to 19 digits"
    month_year = _parse_expiry(expiry, today, problems)
    if _CVV.fullmatch(cvv) is None:
        problems["card_details.cvv"] = "must be 3 or 4 digits"
    if problems or month_year is None:
        _raise_invalid(problems)
    month, year = month_year
    return CardDetails(number=digits, expiry_month=month, expiry_year=year, cvv=cvv)


def _parse_expiry(expiry: str, today: date, problems: dict[str, str]) -> tuple[int, int] | None:
    match = _EXPIRY.fullmatch(expiry.strip())
    if match is None or not 1 <= int(match["month"]) <= 12:
        problems["card_details.expiry"] = "must be MM/YY or MM/YYYY"
        return None
    month = int(match["month"])
    year = int(match["year"])
    if len(match["year"]) == 2:
        year += 2000
    # Valid through the month's last day, i.e. while that month has not ended yet. Compared
    # as (year, month) so a year such as "0000", which ``date`` cannot hold, is just expired.
    if (year, month) < (today.year, today.month):
        problems["card_details.expiry"] = "card has expired"
        return None
    return month, year


def _raise_invalid(problems: dict[str, str]) -> NoReturn:
    raise InvalidCard(fields=problems)
