"""Money: exact Decimal amounts, per-currency minor units, and the contract's parsing rules."""

from __future__ import annotations

import operator
from collections.abc import Callable
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paygate_core.errors import ErrorCode, InvalidAmount, PaygateError, ValidationFailed
from paygate_core.money import CURRENCIES, Currency, Money, currency_of, parse_amount
from paygate_core.testing import strategies as pst

ALL_CURRENCIES = sorted(CURRENCIES.values(), key=lambda c: c.code)


def code_of(call: Callable[[], object]) -> ErrorCode:
    with pytest.raises(PaygateError) as caught:
        call()
    return caught.value.code


@pytest.mark.parametrize("currency", ALL_CURRENCIES, ids=lambda c: c.code)
@given(data=st.data())
def test_formatted_amount_parses_back_to_the_same_money(
    currency: Currency, data: st.DataObject
) -> None:
    money = data.draw(pst.money(currency))
    text = money.format()
    assert parse_amount(text, currency) == money
    assert parse_amount(text, currency).format() == text
    decimals = text.partition(".")[2]
    assert len(decimals) == currency.minor_units


@given(currency=pst.currencies(), data=st.data())
def test_every_valid_raw_amount_is_accepted_exactly(
    currency: Currency, data: st.DataObject
) -> None:
    raw = data.draw(pst.raw_amounts(currency))
    money = parse_amount(raw, currency)
    assert money.amount == Decimal(str(raw))
    assert money.amount.as_tuple().exponent == -currency.minor_units
    assert money.currency is currency


@given(raw=pst.wrong_type_amounts(), currency=pst.currencies())
def test_wrong_json_types_are_validation_errors(raw: object, currency: Currency) -> None:
    assert code_of(lambda: parse_amount(raw, currency)) is ErrorCode.VALIDATION_FAILED


@pytest.mark.parametrize("raw", [True, False, 1.5, 10.0, float("nan"), None, [1], {"a": 1}])
def test_bool_float_and_null_amounts_are_1004(raw: object) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_amount(raw, CURRENCIES["USD"], field="amount")
    assert caught.value.fields == {"amount": "must be a decimal number or string"}


@given(currency=pst.currencies(), data=st.data())
def test_amounts_breaking_a_money_rule_are_1014(
    currency: Currency,
    data: st.DataObject,
) -> None:
    raw = data.draw(pst.invalid_amounts(currency))
    assert code_of(lambda: parse_amount(raw, currency)) is ErrorCode.INVALID_AMOUNT


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("NaN", "must be a plain decimal number"),
        ("Infinity", "must be a plain decimal number"),
        (Decimal("NaN"), "must be a plain decimal number"),
        ("1e3", "must be a plain decimal number"),
        ("-5.00", "must be greater than 0"),
        (0, "must be greater than 0"),
        ("0.00", "must be greater than 0"),
        ("10.001", "must have at most 2 decimal places for USD"),
        ("100000000.00", "must be at most 99999999.99"),
        (10**12, "must be at most 99999999.99"),
    ],
)
def test_each_money_rule_names_its_reason(raw: object, reason: str) -> None:
    with pytest.raises(InvalidAmount) as caught:
        parse_amount(raw, CURRENCIES["USD"])
    assert caught.value.fields == {"amount": reason}


def test_largest_amount_is_99999999_99_major_units_cut_to_minor_units() -> None:
    assert parse_amount("99999999.99", CURRENCIES["USD"]).format() == "99999999.99"
    assert parse_amount(99999999, CURRENCIES["JPY"]).format() == "99999999"
    assert parse_amount("99999999.99", CURRENCIES["BHD"]).format() == "99999999.990"
    assert code_of(lambda: parse_amount("100000000", CURRENCIES["JPY"])) is (
        ErrorCode.INVALID_AMOUNT
    )


def test_decimals_count_as_written_so_trailing_zeros_beyond_minor_units_are_refused() -> None:
    for raw, code in (
        ("100.00", "JPY"),
        ("100.0", "JPY"),
        ("10.500", "USD"),
        (Decimal("1.000"), "INR"),
    ):
        with pytest.raises(InvalidAmount):
            parse_amount(raw, CURRENCIES[code])
    assert parse_amount("10.5", CURRENCIES["USD"]).format() == "10.50"
    assert parse_amount("100", CURRENCIES["JPY"]).format() == "100"


def test_amounts_format_with_exactly_the_currency_minor_units() -> None:
    assert Money.of("100", "USD").format() == "100.00"
    assert Money.of("100", "JPY").format() == "100"
    assert Money.of("1.5", "KWD").format() == "1.500"
    assert str(Money.of("7", "EUR")) == "7.00 EUR"


@given(code=pst.unknown_currency_codes())
def test_unknown_currency_is_1014(code: str) -> None:
    assert code_of(lambda: currency_of(code)) is ErrorCode.INVALID_AMOUNT


@pytest.mark.parametrize("raw", ["usd", " USD ", "Usd"])
def test_currency_code_is_case_insensitive(raw: str) -> None:
    assert currency_of(raw) is CURRENCIES["USD"]


@pytest.mark.parametrize("raw", [None, 840, ["USD"]])
def test_currency_of_wrong_type_is_1004(raw: object) -> None:
    assert code_of(lambda: currency_of(raw)) is ErrorCode.VALIDATION_FAILED


def test_contract_currencies_are_supported_with_their_minor_units() -> None:
    expected = {
        "INR": 2,
        "USD": 2,
        "EUR": 2,
        "GBP": 2,
        "JPY": 0,
        "AUD": 2,
        "CAD": 2,
        "SGD": 2,
        "AED": 2,
        "CHF": 2,
    }
    assert {code: CURRENCIES[code].minor_units for code in expected} == expected


MIXED: list[Callable[[Money, Money], object]] = [
    operator.add,
    operator.sub,
    operator.lt,
    operator.le,
    operator.gt,
    operator.ge,
]


@pytest.mark.parametrize("op", MIXED, ids=lambda op: op.__name__)
def test_arithmetic_never_mixes_currencies(op: Callable[[Money, Money], object]) -> None:
    with pytest.raises(ValueError, match="cannot combine USD with EUR"):
        op(Money.of("1.00", "USD"), Money.of("1.00", "EUR"))


@given(pst.currencies().flatmap(lambda c: st.tuples(pst.money(c), pst.money(c))))
def test_same_currency_arithmetic_is_exact(pair: tuple[Money, Money]) -> None:
    a, b = sorted(pair, key=lambda m: m.amount)
    assert (a + b).amount == a.amount + b.amount
    assert (b - a).amount == b.amount - a.amount
    assert a <= b
    assert b >= a


def test_money_refuses_floats_negatives_and_extra_decimals() -> None:
    usd = CURRENCIES["USD"]
    with pytest.raises(TypeError):
        Money(1.5, usd)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money(Decimal("NaN"), usd)
    with pytest.raises(ValueError, match="negative"):
        Money(Decimal("-1"), usd)
    with pytest.raises(ValueError, match="2 decimals"):
        Money(Decimal("1.001"), usd)
    with pytest.raises(ValueError, match="negative"):
        Money.of("1.00", "USD") - Money.of("2.00", "USD")


def test_money_combines_only_with_money() -> None:
    with pytest.raises(TypeError):
        Money.of("1", "USD") + Decimal(1)  # type: ignore[operator]


def test_zero_has_the_currency_minor_units() -> None:
    assert Money.zero(CURRENCIES["BHD"]).format() == "0.000"
    assert Money.zero(CURRENCIES["JPY"]).is_zero()
