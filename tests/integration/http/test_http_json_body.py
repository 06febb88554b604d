"""Request JSON keeps money exact and hands doubtful numbers to the core to reject; an
unreadable body is answered with what is wrong with it; only a body sent as JSON is read."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paygate_core.accounts import validate_name
from paygate_core.errors import InvalidAmount, ValidationFailed
from paygate_core.money import CURRENCIES, NumberLiteral, parse_amount
from paygate_http.pipeline.errors import (
    MalformedRequest,
    UnsupportedMediaType,
    error_headers,
    status_for,
)
from paygate_http.pipeline.request_bodies import (
    MAX_DEPTH,
    MalformedJson,
    decode_json_object,
    optional_object,
    require_json,
)


def test_fractional_numbers_become_exact_decimals() -> None:
    data = decode_json_object(b'{"amount": 100.10, "tiny": 0.1, "nested": {"x": [2.50]}}')

    assert data["amount"] == Decimal("100.10")
    assert str(data["amount"]) == "100.10"
    assert data["tiny"] == Decimal("0.1")
    assert data["nested"] == {"x": [Decimal("2.50")]}


def test_integers_stay_integers_and_strings_stay_strings() -> None:
    assert decode_json_object(b'{"a": 100, "b": "100.00", "c": true}') == {
        "a": 100,
        "b": "100.00",
        "c": True,
    }


@pytest.mark.parametrize(
    ("literal", "raw"),
    [
        (b"1e2", "1e2"),
        (b"1E+2", "1E+2"),
        (b"2.5e-3", "2.5e-3"),
        (b"NaN", "NaN"),
        (b"Infinity", "Infinity"),
        (b"-Infinity", "-Infinity"),
    ],
)
def test_exponents_and_special_constants_arrive_as_number_literals(
    literal: bytes,
    raw: str,
) -> None:
    assert decode_json_object(b'{"amount": ' + literal + b"}") == {"amount": NumberLiteral(raw)}


@pytest.mark.parametrize("literal", [b"1e2", b"4.8e272", b"NaN", b"-Infinity"])
def test_a_number_literal_is_no_string(literal: bytes) -> None:
    """An exponent number or a constant where a string belongs is refused like any number,
    not taken as its text."""
    with pytest.raises(ValidationFailed) as refused:
        validate_name(decode_json_object(b'{"name": ' + literal + b"}")["name"])

    assert refused.value.fields == {"name": "must be a string"}


@pytest.mark.parametrize("literal", [b"1e2", b"NaN", b"Infinity", b"100.001"])
def test_the_core_rejects_those_amounts_with_1014(literal: bytes) -> None:
    amount = decode_json_object(b'{"amount": ' + literal + b"}")["amount"]

    with pytest.raises(InvalidAmount):
        parse_amount(amount, CURRENCIES["INR"])


def test_an_exact_json_number_is_a_valid_amount() -> None:
    amount = decode_json_object(b'{"amount": 99999999.99}')["amount"]

    assert parse_amount(amount, CURRENCIES["INR"]).format() == "99999999.99"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b"{'a': 1}",
        b'{"a": 1,}',
        b"\xff",
        b"[" * 100_000,
        b'{"a": 1, "a": 1}',
        b'{"big": ' + b"9" * 5000 + b"}",
    ],
)
def test_unreadable_bodies_are_malformed_json_answered_400(body: bytes) -> None:
    with pytest.raises(MalformedJson) as raised:
        decode_json_object(body)

    assert status_for(raised.value) == 400
    assert isinstance(raised.value, MalformedRequest)
    assert "body" in raised.value.fields


@pytest.mark.parametrize("body", [b"[]", b"1", b'"s"', b"null", b"true"])
def test_a_json_value_that_is_not_an_object_is_a_validation_error_answered_422(
    body: bytes,
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


# --- what is wrong with an unreadable body ---------------------------------------------------


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "is not valid JSON: expecting value (line 1, column 1)"),
        (
            b"{",
            "is not valid JSON: expecting property name enclosed in double quotes "
            "(line 1, column 2)",
        ),
        (b'{"a": 1,\n "b": }', "is not valid JSON: expecting value (line 2, column 7)"),
        (b'{"a": 1} x', "is not valid JSON: extra data (line 1, column 10)"),
        (b'{"a": 1, "a": 2}', "has a duplicate key 'a'"),
        (b'{"a": "\xff"}', "is not valid UTF-8 (byte 7)"),
        (b'{"a": "\xed\xa0\x80"}', "is not valid UTF-8 (byte 7)"),  # an encoded surrogate
        (b"\xff\xfe{\x00}\x00", "is not valid UTF-8 (byte 0)"),  # UTF-16 is not read as JSON
        (
            b"[" * 100_000,
            f"is nested too deeply (at most {MAX_DEPTH} levels of objects and arrays)",
        ),
        (b'{"big": ' + b"9" * 5000 + b"}", "has an integer with too many digits"),
    ],
)
def test_an_unreadable_body_says_what_is_wrong(body: bytes, reason: str) -> None:
    with pytest.raises(MalformedJson) as raised:
        decode_json_object(body)

    assert raised.value.fields == {"body": reason}
    assert raised.value.description == f"body: {reason}"


def test_a_utf8_byte_order_mark_is_ignored() -> None:
    assert decode_json_object(b'\xef\xbb\xbf{"a": 1}') == {"a": 1}


def nested(depth: int) -> bytes:
    """An object whose innermost value sits ``depth`` levels of objects and arrays deep."""
    text = "1"
    for level in range(depth - 1):
        text = f"[{text}]" if level % 2 else f'{{"k": {text}}}'
    return f'{{"k": {text}}}'.encode()


@given(st.integers(min_value=1, max_value=3 * MAX_DEPTH))
def test_bodies_nest_at_most_max_depth_levels(depth: int) -> None:
    if depth <= MAX_DEPTH:
        assert isinstance(decode_json_object(nested(depth)), dict)
    else:
        with pytest.raises(MalformedJson, match="nested too deeply"):
            decode_json_object(nested(depth))


def test_a_body_nested_just_under_the_recursion_limit_is_refused_not_a_crash() -> None:
    with pytest.raises(MalformedJson, match="nested too deeply"):
        decode_json_object(nested(900))


# --- the media type ----------------------------------------------------------------------------


def headers(*content_types: str, encoding: str | None = None) -> list[tuple[bytes, bytes]]:
    pairs = [(b"host", b"paygate"), *((b"content-type", t.encode()) for t in content_types)]
    if encoding is not None:
        pairs.append((b"content-encoding", encoding.encode()))
    return pairs


_TOKEN = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789.-_", min_size=1, max_size=12)


@st.composite
def json_media_types(draw: st.DrawFn) -> str:
    """``application/json`` or ``application/<x>+json``, any case, with optional blanks,
    charset utf-8 and other parameters."""
    media = "application/" + (draw(_TOKEN) + "+json" if draw(st.booleans()) else "json")
    media = "".join(c.upper() if draw(st.booleans()) else c for c in media)
    parameters = draw(
        st.lists(
            st.sampled_from(
                ["charset=utf-8", 'charset="UTF-8"', "charset=utf8", "version=2", "q=1"]
            ),
            max_size=3,
        )
    )
    blank = draw(st.sampled_from(["", " ", "  "]))
    return blank.join([media, *(f";{blank}{p}" for p in parameters)])


@given(json_media_types())
def test_json_media_types_are_accepted(content_type: str) -> None:
    require_json(headers(content_type))


@given(st.text(max_size=40).filter(lambda t: t.strip().lower() != "identity"))
def test_any_content_coding_is_refused(coding: str) -> None:
    with pytest.raises(UnsupportedMediaType):
        require_json(headers("application/json", encoding=coding))


@given(st.sampled_from(["text", "application", "multipart", "image"]), _TOKEN)
def test_other_media_types_are_refused(kind: str, subtype: str) -> None:
    content_type = f"{kind}/{subtype}"
    if kind == "application" and (subtype == "json" or subtype.endswith("+json")):
        return
    with pytest.raises(UnsupportedMediaType) as raised:
        require_json(headers(content_type))

    assert status_for(raised.value) == 415
    assert error_headers(raised.value) == {"Accept": "application/json"}


@pytest.mark.parametrize(
    "sent",
    [
        headers(),
        headers("application/json", "application/json"),
        headers("application/json; charset=latin-1"),
        headers("application/json; charset=utf-16"),
        headers("application/+json"),
        headers("application/json+xml"),
        headers(""),
    ],
)
def test_a_missing_repeated_or_non_utf8_type_is_refused(
    sent: list[tuple[bytes, bytes]],
) -> None:
    with pytest.raises(UnsupportedMediaType):
        require_json(sent)


def test_an_identity_content_coding_is_no_coding() -> None:
    require_json(headers("application/json", encoding="identity"))


def test_an_unprintable_type_is_not_echoed() -> None:
    with pytest.raises(UnsupportedMediaType) as raised:
        require_json([(b"content-type", b"text/\x01plain\xff")])

    assert (
        raised.value.description
        == "Content-Type (unprintable) is not JSON: send Content-Type: application/json"
    )
