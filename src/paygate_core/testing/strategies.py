"""Hypothesis strategies for Paygate's domain values (needs the ``testing`` extra).

Valid values are built the way the contract defines them (minor units, card formats, expiry
through the end of the month) rather than filtered, so they stay fast to generate; invalid
ones are grouped by the error the contract promises for them::

    from paygate_core.testing import strategies as pst

    @given(pst.money())
    def test_money_round_trips_through_its_text(money): ...

    @given(pst.currencies().flatmap(pst.invalid_amounts))      # -> InvalidAmount (1014)
    @given(pst.wrong_type_amounts())                           # -> ValidationFailed (1004)
"""

from __future__ import annotations

import enum
import string
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

import attrs
from hypothesis import strategies as st

from paygate_core.money import CURRENCIES, Currency, Money
from paygate_core.orders import MAX_NOTES, MAX_RECEIPT_LENGTH, Order, OrderStatus
from paygate_core.simulator import ALWAYS_SUCCEEDS
from paygate_core.use_cases.payments import CreateOrder

__all__ = [
    "Action",
    "CaptureAction",
    "CardInput",
    "CardOutcome",
    "PayAction",
    "RefundAction",
    "RefundKind",
    "action_sequences",
    "actions",
    "amounts",
    "card_inputs",
    "card_numbers",
    "create_order_commands",
    "currencies",
    "cvvs",
    "expired_expiries",
    "expiries",
    "invalid_amounts",
    "invalid_card_numbers",
    "invalid_cvvs",
    "malformed_expiries",
    "money",
    "notes",
    "orders",
    "raw_amounts",
    "receipts",
    "storable_text",
    "unknown_currency_codes",
    "utc_datetimes",
    "wrong_type_amounts",
]

_UTC_START = datetime(2020, 1, 1, tzinfo=UTC)
_UTC_END = datetime(2040, 1, 1, tzinfo=UTC)


# --- currencies and amounts ----------------------------------------------------------------


def currencies(codes: Iterable[str] | None = None) -> st.SearchStrategy[Currency]:
    """A supported currency (all of them, or those named)."""
    chosen = [CURRENCIES[c] for c in codes] if codes is not None else list(CURRENCIES.values())
    return st.sampled_from(chosen)


def _minor_units(amount: Decimal, currency: Currency) -> int:
    return int(amount.scaleb(currency.minor_units))


def amounts(
    currency: Currency, *, min_value: Decimal | None = None, max_value: Decimal | None = None
) -> st.SearchStrategy[Decimal]:
    """A valid order amount for ``currency``, quantized to its minor units.

    Small amounts and the two bounds come up often; any amount up to the maximum can.
    """
    low = _minor_units(min_value, currency) if min_value is not None else 1
    high = _minor_units(max_value if max_value is not None else currency.max_amount, currency)
    if low > high:
        raise ValueError("min_value is above max_value")
    minor = st.one_of(
        st.integers(low, min(high, low + 10_000)),
        st.integers(low, high),
        st.sampled_from(sorted({low, high})),
    )
    return minor.map(lambda n: Decimal(n).scaleb(-currency.minor_units).quantize(currency.quantum))


def money(
    currency: Currency | None = None,
    *,
    min_value: Decimal | None = None,
    max_value: Decimal | None = None,
) -> st.SearchStrategy[Money]:
    """Valid ``Money``: in ``currency``, or in any supported currency."""
    if currency is None:
        return currencies().flatmap(lambda c: money(c, min_value=min_value, max_value=max_value))
    return amounts(currency, min_value=min_value, max_value=max_value).map(
        lambda amount: Money(amount, currency)
    )


def raw_amounts(currency: Currency) -> st.SearchStrategy[object]:
    """Valid raw JSON amounts for ``currency``: ints, ``Decimal``s and plain decimal strings.

    ``parse_amount`` accepts each and yields ``Decimal(str(raw))``: fewer decimals than the
    currency allows are fine ("10", "10.5", "10.50" in USD); decimals are counted as
    written, so trailing zeros beyond the minor units ("100.0" in JPY) are not.
    """

    def spellings(amount: Decimal) -> st.SearchStrategy[object]:
        options: list[object] = [
            amount,
            f"{amount:f}",
            f"{amount.normalize():f}",
            amount.normalize(),
        ]
        if amount == amount.to_integral_value():
            options.append(int(amount))
        return st.sampled_from(options)

    return amounts(currency).flatmap(spellings)


def wrong_type_amounts() -> st.SearchStrategy[object]:
    """JSON values of the wrong type for an amount (bool, float, null, list, object): 1004."""
    return st.one_of(
        st.booleans(),
        st.none(),
        st.floats(allow_nan=True, allow_infinity=True),
        st.lists(st.integers(1, 100), max_size=2),
        st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    )


def invalid_amounts(currency: Currency) -> st.SearchStrategy[object]:
    """Numeric-looking raw amounts that break a money rule for ``currency``: 1014.

    NaN and Infinity (strings and ``Decimal``), exponent notation, negative, zero, too many
    decimals, too large, and malformed decimal strings.
    """
    quantum = currency.quantum
    too_precise = amounts(currency, max_value=Decimal(1000)).map(lambda a: a + quantum / 10 * 3)
    too_large = st.integers(1, 10**30).map(lambda n: currency.max_amount + quantum * n)
    negative = amounts(currency).map(lambda a: -a)
    return st.one_of(
        st.sampled_from(
            [
                "NaN",
                "nan",
                "sNaN",
                "Infinity",
                "-Infinity",
                "inf",
                "-inf",
                Decimal("NaN"),
                Decimal("Infinity"),
                Decimal("-Infinity"),
            ]
        ),
        st.sampled_from(["1e3", "1E3", "1E+2", "2.5e-1", "0e0", "10E0"]),
        st.integers(1, 10**6).map(lambda n: f"{n}e2"),
        st.sampled_from([0, "0", "0.00", "-0", Decimal(0), Decimal("0.000"), "000"]),
        negative,
        negative.map(lambda a: f"{a:f}"),
        st.integers(-(10**9), -1),
        too_precise,
        too_precise.map(lambda a: f"{a:f}"),
        too_large,
        too_large.map(lambda a: f"{a:f}"),
        st.integers(10**8, 10**40),
        st.sampled_from(
            [
                "",
                " ",
                " 10",
                "10 ",
                "1.",
                ".5",
                "+5",
                "1,00",
                "1_000",
                "ten",
                "0x10",
                "1.2.3",
                "\u0661\u0662\u0663",
                "\uff11\uff12",
            ]
        ),
    )


def unknown_currency_codes() -> st.SearchStrategy[str]:
    """Strings that name no supported currency (in any case): 1014."""
    return st.text(string.ascii_letters + string.digits + " ", max_size=6).filter(
        lambda code: code.strip().upper() not in CURRENCIES
    )


# --- cards ----------------------------------------------------------------------------------


class CardOutcome(enum.Enum):
    """What the simulated processor does with a card."""

    APPROVED = "approved"  # 4242424242424242, always
    DECLINED = "card_declined"  # ends in 0002
    NO_FUNDS = "insufficient_funds"  # ends in 9995
    RANDOM = "random"  # any other number: approved with the success rate


@attrs.frozen
class CardInput:
    """Raw card fields as a client sends them."""

    number: str
    expiry: str
    cvv: str

    @property
    def digits(self) -> str:
        return self.number.replace(" ", "").replace("-", "")


def _with_separators(digits: str) -> st.SearchStrategy[str]:
    """The digits as typed: plain, in groups of four, or split anywhere by spaces/hyphens."""
    grouped = " ".join(digits[i : i + 4] for i in range(0, len(digits), 4))

    @st.composite
    def scattered(draw: st.DrawFn) -> str:
        out = []
        for digit in digits:
            out.append(digit)
            out.append(draw(st.sampled_from(["", "", "", " ", "-"])))
        return "".join(out)

    return st.one_of(
        st.just(digits), st.just(grouped), st.just(grouped.replace(" ", "-")), scattered()
    )


def card_numbers(
    *, outcome: CardOutcome | None = None, separators: bool = True
) -> st.SearchStrategy[str]:
    """Valid card numbers (12 to 19 digits, no Luhn check), optionally with separators.

    With ``outcome``, numbers the simulated processor treats that way.
    """
    if outcome is CardOutcome.APPROVED:
        digits: st.SearchStrategy[str] = st.just(ALWAYS_SUCCEEDS)
    elif outcome is CardOutcome.DECLINED:
        digits = st.text("0123456789", min_size=8, max_size=15).map(lambda d: d + "0002")
    elif outcome is CardOutcome.NO_FUNDS:
        digits = st.text("0123456789", min_size=8, max_size=15).map(lambda d: d + "9995")
    else:
        digits = st.text("0123456789", min_size=12, max_size=19)
        if outcome is CardOutcome.RANDOM:
            digits = digits.filter(
                lambda d: d != ALWAYS_SUCCEEDS and not d.endswith(("0002", "9995"))
            )
    return digits.flatmap(_with_separators) if separators else digits


def invalid_card_numbers() -> st.SearchStrategy[str]:
    """Card numbers that are not 12 to 19 digits once spaces and hyphens are dropped."""
    return st.one_of(
        st.text("0123456789", max_size=11),
        st.text("0123456789", min_size=20, max_size=30),
        st.text(min_size=1, max_size=20).filter(
            lambda s: (
                not (
                    s.translate(str.maketrans("", "", " -")).isascii()
                    and s.translate(str.maketrans("", "", " -")).isdigit()
                )
            )
        ),
        st.sampled_from(["4242 4242 4242 424x", "4242_4242_4242_4242", "\uff14\uff12" * 6]),
    )


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def _format_expiry(index: int, four_digit_year: bool) -> str:
    year, month = divmod(index, 12)
    return f"{month + 1:02d}/{year:04d}" if four_digit_year else f"{month + 1:02d}/{year % 100:02d}"


def expiries(today: date, *, years_ahead: int = 20) -> st.SearchStrategy[str]:
    """``MM/YY`` or ``MM/YYYY`` strings still valid on ``today`` (this month included)."""
    first = _month_index(today)
    last = min(first + 12 * years_ahead, _month_index(date(2099, 12, 1)))
    return st.builds(
        _format_expiry,
        st.one_of(st.just(first), st.integers(first, last)),
        st.booleans(),
    )


def expired_expiries(today: date) -> st.SearchStrategy[str]:
    """Well-formed expiries whose month has ended before ``today``."""
    last = _month_index(today) - 1
    two_digit = st.integers(_month_index(date(2000, 1, 1)), last).map(
        lambda i: _format_expiry(i, False)
    )
    four_digit = st.integers(0, last).map(lambda i: _format_expiry(i, True))
    return st.one_of(st.just(_format_expiry(last, False)), two_digit, four_digit)


def malformed_expiries() -> st.SearchStrategy[str]:
    """Expiry strings that are neither ``MM/YY`` nor ``MM/YYYY`` with a month 01-12."""
    return st.one_of(
        st.sampled_from(
            [
                "",
                "1/30",
                "13/30",
                "00/30",
                "12/3",
                "12/123",
                "12-30",
                "1230",
                "12/30/01",
                "ab/cd",
                "12 / 30",
            ]
        ),
        st.text(max_size=8).filter(lambda s: not _looks_like_expiry(s)),
    )


def _looks_like_expiry(text: str) -> bool:
    month, _, year = text.strip().partition("/")
    return (
        len(month) == 2
        and month.isascii()
        and month.isdigit()
        and len(year) in (2, 4)
        and year.isascii()
        and year.isdigit()
    )


def cvvs() -> st.SearchStrategy[str]:
    return st.text("0123456789", min_size=3, max_size=4)


def invalid_cvvs() -> st.SearchStrategy[str]:
    return st.one_of(
        st.text("0123456789", max_size=2),
        st.text("0123456789", min_size=5, max_size=8),
        st.sampled_from(["12a", " 123", "12 3", "\uff11\uff12\uff13"]),
    )


def card_inputs(
    today: date,
    *,
    outcome: CardOutcome | None = None,
) -> st.SearchStrategy[CardInput]:
    """Valid raw card fields on ``today``."""
    return st.builds(CardInput, card_numbers(outcome=outcome), expiries(today), cvvs())


# --- orders ---------------------------------------------------------------------------------


def utc_datetimes(
    min_value: datetime = _UTC_START,
    max_value: datetime = _UTC_END,
) -> st.SearchStrategy[datetime]:
    """Timezone-aware UTC datetimes with microseconds."""
    return st.datetimes(
        min_value=min_value.replace(tzinfo=None),
        max_value=max_value.replace(tzinfo=None),
        timezones=st.just(UTC),
    )


def storable_text(*, max_size: int = 24) -> st.SearchStrategy[str]:
    """Any text a free-text field accepts: every character but NUL (and lone surrogates,
    which no JSON string decodes to)."""
    return st.text(
        st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=max_size
    )


def receipts() -> st.SearchStrategy[str | None]:
    return st.none() | storable_text(max_size=MAX_RECEIPT_LENGTH)


def notes(*, max_entries: int = 4) -> st.SearchStrategy[dict[str, str]]:
    """Valid notes: string pairs (kept small; the limit is ``MAX_NOTES`` entries)."""
    return st.dictionaries(
        storable_text(max_size=12), storable_text(max_size=24), max_size=min(max_entries, MAX_NOTES)
    )


def orders(
    merchant_id: UUID | None = None,
    *,
    status: OrderStatus | None = None,
) -> st.SearchStrategy[Order]:
    """Valid ``Order`` aggregates (``updated_at`` never before ``created_at``)."""

    @st.composite
    def build(draw: st.DrawFn) -> Order:
        created = draw(utc_datetimes())
        return Order(
            id=draw(st.uuids(version=4)),
            merchant_id=merchant_id or draw(st.uuids(version=4)),
            amount=draw(money()),
            status=status or draw(st.sampled_from(OrderStatus)),
            receipt=draw(receipts()),
            notes=draw(notes()),
            created_at=created,
            updated_at=created + draw(st.timedeltas(timedelta(0), timedelta(days=30))),
        )

    return build()


def create_order_commands(merchant_id: UUID) -> st.SearchStrategy[CreateOrder]:
    """Valid ``CreateOrder`` commands as a client would send them (any currency case)."""

    @st.composite
    def build(draw: st.DrawFn) -> CreateOrder:
        currency = draw(currencies())
        code = draw(st.sampled_from([currency.code, currency.code.lower(), currency.code.title()]))
        return CreateOrder(
            merchant_id=merchant_id,
            amount=draw(raw_amounts(currency)),
            currency=code,
            receipt=draw(receipts()),
            notes=draw(notes()),
        )

    return build()


# --- actions on a payment, for stateful and sequence tests ---------------------------------


@attrs.frozen
class PayAction:
    """Pay the order with a card the simulator approves (or declines, or lacks funds for)."""

    outcome: CardOutcome


@attrs.frozen
class CaptureAction:
    """Capture the payment."""


class RefundKind(enum.Enum):
    FULL = "full"  # no amount: the whole refundable balance
    EXACT = "exact"  # the whole balance, as an explicit amount
    PARTIAL = "partial"  # ``percent`` of the balance, at least one minor unit
    TOO_MUCH = "too_much"  # one minor unit above the balance: 1013


@attrs.frozen
class RefundAction:
    kind: RefundKind
    percent: int = 50

    def amount_for(self, balance: Money) -> Money | None:
        """The amount to ask for, given the refundable balance (None: the default)."""
        if self.kind is RefundKind.FULL:
            return None
        quantum = balance.currency.quantum
        if self.kind is RefundKind.EXACT:
            return balance
        if self.kind is RefundKind.TOO_MUCH:
            return Money(balance.amount + quantum, balance.currency)
        share = (balance.amount * self.percent / 100).quantize(quantum, rounding="ROUND_DOWN")
        return Money(max(share, quantum), balance.currency)


Action = PayAction | CaptureAction | RefundAction


def actions(
    *,
    outcomes: Iterable[CardOutcome] = (
        CardOutcome.APPROVED,
        CardOutcome.DECLINED,
        CardOutcome.NO_FUNDS,
    ),
) -> st.SearchStrategy[Action]:
    """One pay, capture or refund action (partial, full, exact or too much)."""
    return st.one_of(
        st.builds(PayAction, st.sampled_from(tuple(outcomes))),
        st.just(CaptureAction()),
        st.builds(RefundAction, st.sampled_from(RefundKind), st.integers(1, 99)),
    )


def action_sequences(
    *,
    min_size: int = 0,
    max_size: int = 12,
) -> st.SearchStrategy[list[Action]]:
    """Random sequences of actions on one order and its payments."""
    return st.lists(actions(), min_size=min_size, max_size=max_size)
