"""Hosted checkout tokens and the signed return: genuine values pass, anything else fails."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from hypothesis import given
from hypothesis import strategies as st

from paygate_core.checkout import (
    CHECKOUT_LIFETIME,
    issue_checkout_token,
    read_checkout_token,
    return_signature,
    verify_return_signature,
)

KEY = b"k" * 32
CREATED = datetime(2026, 5, 1, 12, 30, 15, 123456, tzinfo=UTC)
ORDER = UUID("01890000-0000-7000-8000-000000000001")
MERCHANT = UUID("01890000-0000-7000-8000-0000000000aa")
TOKEN = issue_checkout_token(KEY, ORDER, MERCHANT, CREATED)
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def test_a_token_names_its_order_and_merchant_until_seven_days_after_creation() -> None:
    ticket = read_checkout_token(KEY, TOKEN, now=CREATED)
    assert ticket is not None
    assert (ticket.order_id, ticket.merchant_id) == (ORDER, MERCHANT)
    last_second = CREATED + CHECKOUT_LIFETIME - timedelta(seconds=1)
    assert read_checkout_token(KEY, TOKEN, now=last_second) is not None
    assert read_checkout_token(KEY, TOKEN, now=CREATED + CHECKOUT_LIFETIME) is None


def test_the_token_is_url_safe_and_carries_128_bits_of_mac() -> None:
    assert set(TOKEN) <= set(ALPHABET)
    assert len(TOKEN) == 75


@given(st.integers(0, 74), st.sampled_from(ALPHABET))
def test_changing_any_character_of_a_token_fails(position: int, char: str) -> None:
    tampered = TOKEN[:position] + char + TOKEN[position + 1 :]
    if tampered != TOKEN:
        assert read_checkout_token(KEY, tampered, now=CREATED) is None


@given(st.uuids(), st.uuids())
def test_a_token_is_bound_to_its_order_and_key(order_id: UUID, merchant_id: UUID) -> None:
    token = issue_checkout_token(KEY, order_id, merchant_id, CREATED)
    ticket = read_checkout_token(KEY, token, now=CREATED)
    assert ticket is not None
    assert ticket.order_id == order_id
    assert ticket.merchant_id == merchant_id
    assert read_checkout_token(b"x" * 32, token, now=CREATED) is None
    if order_id != ORDER:
        assert token != TOKEN


@given(st.one_of(st.text(max_size=90), st.none(), st.integers(), st.binary()))
def test_garbage_is_never_a_token(garbage: object) -> None:
    assert read_checkout_token(KEY, garbage, now=CREATED) is None


def test_a_return_signature_is_the_hex_hmac_of_the_three_values() -> None:
    signature = return_signature("whsec_x", "o-1", "p-1", "authorized")
    assert signature == "ccbbb7b35fa30857aabff6a42a3b9e81c4bcc9c58f0366a126a84ab654d57a31"
    assert verify_return_signature("whsec_x", "o-1", "p-1", "authorized", signature)
    assert verify_return_signature("whsec_x", "o-1", "p-1", "authorized", signature.upper())


@given(st.text(min_size=1, max_size=20), st.integers(0, 63), st.sampled_from("0123456789abcdef"))
def test_any_change_to_a_return_fails_verification(status: str, position: int, digit: str) -> None:
    signature = return_signature("whsec_x", "o-1", "p-1", status)
    tampered = signature[:position] + digit + signature[position + 1 :]
    assert verify_return_signature("whsec_x", "o-1", "p-1", status, tampered) == (
        tampered == signature
    )
    assert not verify_return_signature("whsec_y", "o-1", "p-1", status, signature)
    assert not verify_return_signature("whsec_x", "o-2", "p-1", status, signature)
    assert not verify_return_signature("whsec_x", "o-1", "p-1", status + "x", signature)


@given(st.one_of(st.none(), st.integers(), st.text(max_size=70)))
def test_a_malformed_signature_is_simply_false(signature: object) -> None:
    assert not verify_return_signature("whsec_x", "o", "p", "authorized", signature)  # type: ignore[arg-type]
