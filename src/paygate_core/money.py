"""Money: an exact ``Decimal`` amount in a currency with ISO 4217 minor units.

Parsing follows the contract: JSON numbers (ints or ``Decimal``) and plain decimal strings
are accepted; floats, booleans, NaN, Infinity and exponent notation are not, so no binary
rounding ever reaches an amount.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from types import MappingProxyType

import attrs

from paygate_core.errors import InvalidAmount, ValidationFailed

__all__ = [
    "CURRENCIES",
    "DEFAULT_CURRENCY",
    "MAX_MAJOR_UNITS",
    "Currency",
    "Money",
    "NumberLiteral",
    "currency_of",
    "parse_amount",
]

MAX_MAJOR_UNITS = Decimal("99999999.99")
_PLAIN_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")


@attrs.frozen
class NumberLiteral:
    """A number written in a form money never takes: exponent notation (``1e2``) or a
    constant (``NaN``, ``Infinity``), kept as its text. An amount given as one is refused
    with ``InvalidAmount``; as a string field it is refused for not being a string."""

    text: str


@attrs.frozen
class Currency:
    """An ISO 4217 currency and how many decimal digits its minor unit has."""

    code: str
    minor_units: int

    @property
    def quantum(self) -> Decimal:
        """The smallest amount, e.g. ``Decimal("0.01")`` (``Decimal("1")`` for JPY)."""
        return Decimal(1).scaleb(-self.minor_units)

    @property
    def max_amount(self) -> Decimal:
        """The largest order amount: 99,999,999.99 major units cut to the minor units."""
        return MAX_MAJOR_UNITS.quantize(self.quantum, rounding="ROUND_DOWN")

    def __str__(self) -> str:
        return self.code


CURRENCIES: Mapping[str, Currency] = MappingProxyType(
    {
        code: Currency(code, units)
        for code, units in (
            ("INR", 2),
            ("USD", 2),
            ("EUR", 2),
            ("GBP", 2),
            ("JPY", 0),
            ("AUD", 2),
            ("CAD", 2),
            ("SGD", 2),
            ("AED", 2),
            ("CHF", 2),
            ("NZD", 2),
            ("HKD", 2),
            ("SEK", 2),
            ("NOK", 2),
            ("DKK", 2),
            ("KRW", 0),
            ("BHD", 3),
            ("KWD", 3),
        )
    }
)
DEFAULT_CURRENCY = CURRENCIES["INR"]


def currency_of(raw: object, *, field: str = "currency") -> Currency:
    """The supported currency named by ``raw`` (case-insensitive), or ``InvalidAmount``."""
    if not isinstance(raw, str):
        raise ValidationFailed(fields={field: "must be a string"})
    currency = CURRENCIES.get(raw.strip().upper())
    if currency is None:
        raise InvalidAmount(fields={field: "unsupported currency"})
    return currency


@attrs.frozen(order=False)
class Money:
    """A non-negative exact amount in one currency; arithmetic never mixes currencies."""

    amount: Decimal = attrs.field()
    currency: Currency

    @amount.validator
    def _check_amount(self, _: attrs.Attribute[Decimal], value: Decimal) -> None:
        if not isinstance(value, Decimal) or not value.is_finite():
            raise TypeError("Money amount must be a finite Decimal")
        if value < 0:
            raise ValueError("Money amount cannot be negative")
        if _decimals(value) > self.currency.minor_units:
            raise ValueError(f"{self.currency.code} allows {self.currency.minor_units} decimals")

    @classmethod
    def zero(cls, currency: Currency) -> Money:
        return cls(Decimal(0).quantize(currency.quantum), currency)

    @classmethod
    def of(cls, amount: str | int | Decimal, currency: Currency | str) -> Money:
        """A convenience constructor for code and tests: ``Money.of("10.50", "USD")``."""
        cur = currency if isinstance(currency, Currency) else currency_of(currency)
        return cls(Decimal(amount).quantize(cur.quantum), cur)

    def format(self) -> str:
        """The amount with exactly the currency's minor-unit digits: ``"100.00"``, JPY ``"100"``."""
        return f"{self.amount.quantize(self.currency.quantum):f}"

    def is_zero(self) -> bool:
        return self.amount == 0

    def _same_currency(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError("Money only combines with Money")
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount >= other.amount

    def __str__(self) -> str:
        return f"{self.format()} {self.currency.code}"


def _decimals(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _written_decimals(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def parse_amount(raw: object, currency: Currency, *, field: str = "amount") -> Money:
    """Parse a positive amount from a JSON value under the contract's rules.

    Wrong JSON types (bool, float, null, list, object) raise ``ValidationFailed`` (1004);
    anything numeric-looking that breaks a money rule raises ``InvalidAmount`` (1014).
    """
    value = _to_decimal(raw, field)
    if value <= 0:
        raise InvalidAmount(fields={field: "must be greater than 0"})
    # Decimals as written: "100.00" in JPY claims a precision the currency does not have,
    # which is more often a units mistake by the client than a harmless zero.
    if _written_decimals(value) > currency.minor_units:
        raise InvalidAmount(
            fields={
                field: f"must have at most {currency.minor_units} decimal places for "
                f"{currency.code}"
            }
        )
    if value > currency.max_amount:
        raise InvalidAmount(fields={field: f"must be at most {currency.max_amount}"})
    return Money(value.quantize(currency.quantum), currency)


def _to_decimal(raw: object, field: str) -> Decimal:
    # bool is an int subclass: refuse it before the int branch.
    if isinstance(raw, bool) or raw is None or isinstance(raw, float | list | dict):
        raise ValidationFailed(fields={field: "must be a decimal number or string"})
    if isinstance(raw, int):
        return Decimal(raw)
    if isinstance(raw, NumberLiteral):
        raise InvalidAmount(fields={field: "must be a plain decimal number"})
    if isinstance(raw, Decimal):
        # Exponent literals arrive as ``NumberLiteral``, so a Decimal here came from plain
        # digits or from Python code.
        if not raw.is_finite():
            raise InvalidAmount(fields={field: "must be a plain decimal number"})
        return raw
    if isinstance(raw, str):
        if _PLAIN_DECIMAL.fullmatch(raw) is None:
            raise InvalidAmount(fields={field: "must be a plain decimal number"})
        try:
            return Decimal(raw)
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
            raise InvalidAmount(fields={field: "must be a plain decimal number"}) from None
    raise ValidationFailed(fields={field: "must be a decimal number or string"})
