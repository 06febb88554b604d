"""Cards: the contract's formats, expiry through the month's end, and secrets never shown."""

from __future__ import annotations

import copy
import hashlib
import hmac
import pickle
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paygate_core.cards import CardDetails, card_fingerprint, parse_card
from paygate_core.errors import ErrorCode, InvalidCard, ValidationFailed
from paygate_core.testing import strategies as pst
from paygate_core.use_cases.payments import PayOrder

TODAY = date(2026, 10, 6)
dates = st.dates(date(2001, 1, 1), date(2090, 12, 31))


@given(today=dates, data=st.data())
def test_valid_card_inputs_are_accepted_as_digits(today: date, data: st.DataObject) -> None:
    card = data.draw(pst.card_inputs(today))
    parsed = parse_card(card.number, card.expiry, card.cvv, today=today)
    assert parsed.number == card.digits
    assert 12 <= len(parsed.number) <= 19
    assert parsed.cvv == card.cvv
    assert parsed.last4 == card.digits[-4:]


@pytest.mark.parametrize(
    "number",
    [
        "4242 4242 4242 4242",
        "4242-4242-4242-4242",
        "4242424242424242",
        " 4242 4242-4242 4242 ",
        "123456789012",
        "1234567890123456789",
    ],
)
def test_spaces_and_hyphens_are_ignored_then_12_to_19_digits(number: str) -> None:
    assert parse_card(number, "12/30", "123", today=TODAY).number == (
        number.replace(" ", "").replace("-", "")
    )


@given(number=pst.invalid_card_numbers())
def test_other_card_numbers_are_invalid_cards(number: str) -> None:
    with pytest.raises(InvalidCard) as caught:
        parse_card(number, "12/30", "123", today=TODAY)
    assert caught.value.fields == {"card_details.card_number": "must be 12 to 19 digits"}


@pytest.mark.parametrize("expiry", ["10/26", "10/2026", "11/26", "01/27", "12/2099", "12/99"])
def test_card_is_valid_through_the_end_of_its_expiry_month(expiry: str) -> None:
    assert parse_card("4242424242424242", expiry, "123", today=TODAY).expiry_year >= 2026


@pytest.mark.parametrize(
    ("today", "expiry"),
    [
        (date(2026, 10, 31), "10/26"),
        (date(2024, 2, 29), "02/2024"),
        (date(2026, 12, 31), "12/26"),
    ],
)
def test_card_is_valid_on_the_last_day_of_its_month(today: date, expiry: str) -> None:
    parse_card("4242424242424242", expiry, "123", today=today)


@pytest.mark.parametrize(
    ("today", "expiry"),
    [
        (date(2026, 11, 1), "10/26"),
        (date(2024, 3, 1), "02/2024"),
        (date(2027, 1, 1), "12/26"),
    ],
)
def test_card_expires_the_day_after_its_month_ends(today: date, expiry: str) -> None:
    with pytest.raises(InvalidCard) as caught:
        parse_card("4242424242424242", expiry, "123", today=today)
    assert caught.value.fields == {"card_details.expiry": "card has expired"}


@given(today=dates, data=st.data())
def test_expired_cards_are_1010(today: date, data: st.DataObject) -> None:
    expiry = data.draw(pst.expired_expiries(today))
    with pytest.raises(InvalidCard) as caught:
        parse_card("4242424242424242", expiry, "123", today=today)
    assert caught.value.fields == {"card_details.expiry": "card has expired"}


def test_year_zero_is_simply_expired() -> None:
    with pytest.raises(InvalidCard) as caught:
        parse_card("4242424242424242", "12/0000", "123", today=TODAY)
    assert caught.value.code is ErrorCode.INVALID_CARD


@given(expiry=pst.malformed_expiries())
def test_malformed_expiry_is_1010(expiry: str) -> None:
    with pytest.raises(InvalidCard) as caught:
        parse_card("4242424242424242", expiry, "123", today=TODAY)
    assert caught.value.fields == {"card_details.expiry": "must be MM/YY or MM/YYYY"}


@given(cvv=pst.cvvs())
def test_cvv_of_3_or_4_digits_is_accepted(cvv: str) -> None:
    assert parse_card("4242424242424242", "12/30", cvv, today=TODAY).cvv == cvv


@given(cvv=pst.invalid_cvvs())
def test_other_cvvs_are_1010(cvv: str) -> None:
    with pytest.raises(InvalidCard) as caught:
        parse_card("4242424242424242", "12/30", cvv, today=TODAY)
    assert caught.value.fields == {"card_details.cvv": "must be 3 or 4 digits"}


def test_every_bad_field_is_reported_at_once() -> None:
    with pytest.raises(InvalidCard) as caught:
        parse_card("42", "13/30", "1", today=TODAY)
    assert set(caught.value.fields) == {
        "card_details.card_number",
        "card_details.expiry",
        "card_details.cvv",
    }


def test_non_string_card_fields_are_1004() -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_card(4242424242424242, None, 123, today=TODAY)
    assert caught.value.fields == {
        "card_details.card_number": "must be a string",
        "card_details.expiry": "must be a string",
        "card_details.cvv": "must be a string",
    }


@given(card=pst.card_inputs(TODAY))
def test_errors_never_echo_the_card_number_or_cvv(card: pst.CardInput) -> None:
    with pytest.raises(InvalidCard) as caught:
        parse_card(card.number, "13/99", card.cvv, today=TODAY)
    shown = f"{caught.value} {caught.value.fields} {caught.value.description}"
    assert card.digits not in shown.replace(" ", "")


def _card() -> CardDetails:
    return parse_card("4000 0000 0000 1234", "12/30", "987", today=TODAY)


def test_repr_and_str_show_the_last4_only() -> None:
    card = _card()
    for shown in (repr(card), str(card), f"{card}", repr([card])):
        assert "1234" in shown
        assert "400000000000" not in shown
        assert "987" not in shown


def test_pay_command_repr_hides_the_card() -> None:
    from uuid import UUID

    cmd = PayOrder(UUID(int=1), "order", "4000000000001234", "12/30", "987")
    assert "4000000000001234" not in repr(cmd)
    assert "987" not in repr(cmd)


def test_card_details_refuse_to_be_pickled_or_copied() -> None:
    card = _card()
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        with pytest.raises(TypeError, match="cannot be pickled"):
            pickle.dumps(card, protocol=protocol)
    with pytest.raises(TypeError):
        copy.deepcopy(card)


@given(number=pst.card_numbers(separators=False), key=st.binary(min_size=1, max_size=64))
def test_fingerprint_is_hmac_sha256_hex_of_the_digits(number: str, key: bytes) -> None:
    fingerprint = card_fingerprint(number, key)
    assert fingerprint == hmac.new(key, number.encode(), hashlib.sha256).hexdigest()
    assert len(fingerprint) == 64
    assert set(fingerprint) <= set("0123456789abcdef")
    assert number not in fingerprint


def test_fingerprint_depends_on_the_key_and_ignores_separators() -> None:
    spaced = parse_card("4242 4242 4242 4242", "12/30", "123", today=TODAY)
    plain = parse_card("4242424242424242", "12/30", "999", today=TODAY)
    assert spaced.fingerprint(b"k1") == plain.fingerprint(b"k1")
    assert spaced.fingerprint(b"k1") != spaced.fingerprint(b"k2")
