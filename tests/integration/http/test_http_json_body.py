"""Request JSON keeps money exact and hands doubtful numbers to the core to reject."""

from __future__ import annotations

from decimal import Decimal

import pytest

from paygate_core.errors import InvalidAmount, ValidationFailed
from paygate_core.money import CURRENCIES, parse_amount
from paygate_http.errors import MalformedRequest, status_for
from paygate_http.json_body import MalformedJson, decode_json_object, optional_object


def test_fractional_numbers_become_exact_decimals() -> None:
    data = decode_json_object(b'{"amount": 100.10, "tiny": 0.1, "nested": {"x": [2.50]}}')

    assert data["amount"] == Decimal("100.10")
    assert str(data["amount"]) == "100.10"
    assert data["tiny"] == Decimal("0.1")
    assert data["nested"] == {"x": [Decimal("2.50")]}


def test_integers_stay_integers_and_strings_stay_strings() -> None:
    assert decode_json_object(b'{"a": 100, "b": "100.00", "c": true}') == \
        {"a": 100, "b": "100.00", "c": True}


@pytest.mark.parametrize(("literal", "raw"), [
    (b"1e2", "1e2"), (b"1E+2", "1E+2"), (b"2.5e-3", "2.5e-3"),
    (b"NaN", "NaN"), (b"Infinity", "Infinity"), (b"-Infinity", "-Infinity"),
])
def test_exponents_and_special_constants_arrive_as_their_raw_text(literal: bytes, raw: str,
                                                                  ) -> None:
    assert decode_json_object(b'{"amount": ' + literal + b"}") == {"amount": raw}


@pytest.mark.parametrize("literal", [b"1e2", b"NaN", b"Infinity", b"100.001"])
def test_the_core_rejects_those_amounts_with_1014(literal: bytes) -> None:
    amount = decode_json_object(b'{"amount": ' + literal + b"}")["amount"]

    with pytest.raises(InvalidAmount):
        parse_amount(amount, CURRENCIES["INR"])


def test_an_exact_json_number_is_a_valid_amount() -> None:
    amount = decode_json_object(b'{"amount": 99999999.99}')["amount"]

    assert parse_amount(amount, CURRENCIES["INR"]).format() == "99999999.99"


@pytest.mark.parametrize("body", [b"", b"{", b"{'a': 1}", b'{"a": 1,}', b"\xff", b"[" * 100_000,
                                  b'{"a": 1, "a": 1}', b'{"big": ' + b"9" * 5000 + b"}"])
def test_unreadable_bodies_are_malformed_json_answered_400(body: bytes) -> None:
    with pytest.raises(MalformedJson) as raised:
        decode_json_object(body)

    assert status_for(raised.value) == 400
    assert isinstance(raised.value, MalformedRequest)
    assert "body" in raised.value.fields


@pytest.mark.parametrize("body", [b"[]", b"1", b'"s"', b"null", b"true"])
def test_a_json_value_that_is_not_an_object_is_a_validation_error_answered_422(body: bytes,
                                                                               ) -> None:
    with pytest.raises(ValidationFailed) as raised:
        decode_json_object(body)

    assert not isinstance(raised.value, MalformedJson)
    assert status_for(raised.value) == 422


def test_optional_object_accepts_objects_and_absence_only() -> None:
    data = decode_json_object(b'{"card": {"cvv": "123"}, "none": null, "text": "x"}')

    assert optional_object(data, "card") == {"cvv": "123"}
    assert optional_object(data, "none") is None
    assert optional_object(data, "missing") is None
    with pytest.raises(ValidationFailed):
        optional_object(data, "text")
