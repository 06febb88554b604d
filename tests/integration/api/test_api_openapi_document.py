"""The OpenAPI document states the rules the server enforces, checked fast and in-process
(the schemathesis test checks the same against a live server, slowly): component names,
``OPTIONS`` answers, the query parameters' rules, the amounts' patterns and JSON numbers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from api_harness import BASE, Api, Merchant, error_of, running_api
from hypothesis import given
from hypothesis import strategies as st

from paygate_core.accounts import normalise_email, validate_webhook_url
from paygate_core.errors import PaygateError
from paygate_core.money import CURRENCIES, parse_amount
from paygate_http.api.params import CURSOR, FROM, INCLUDE_DELETED, LIMIT, ROLE, UUID_PATTERN
from paygate_http.api.payment_schemas import _amount_pattern
from paygate_http.api.schemas import EMAIL_PATTERN, URL_PATTERN


@pytest.fixture(scope="module")
def document() -> Iterator[dict[str, Any]]:
    with running_api("memory") as api:
        yield api.client.get("/schema/openapi.json").json()


def test_component_names_carry_no_module_path(document: dict[str, Any]) -> None:
    names = list(document["components"]["schemas"])
    assert [name for name in names if not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", name)] == []
    assert {"OrderPageResponse", "OrderCreatedResponse", "LoginResponse"} <= set(names)


def test_every_route_documents_its_errors_with_the_envelope(document: dict[str, Any]) -> None:
    for path, operations in document["paths"].items():
        if not path.startswith(BASE):
            continue
        for method, operation in operations.items():
            errors = {
                status: spec
                for status, spec in operation["responses"].items()
                if status.startswith(("4", "5"))
            }
            assert {"400", "503"} <= set(errors), (method, path)
            for spec in errors.values():
                schema = spec["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorEnvelope"}
            if "requestBody" in operation:
                assert {"413", "415"} <= set(errors), (method, path)


def test_each_write_route_has_its_own_idempotency_key_example(document: dict[str, Any]) -> None:
    examples = []
    for path in ("orders", "payments", "refunds"):
        [header] = [
            p
            for p in document["paths"][f"{BASE}/{path}"]["post"]["parameters"]
            if p["name"] == "Idempotency-Key"
        ]
        assert header["schema"]["maxLength"] == 255
        examples.append(header["schema"]["examples"][0])
    assert len(set(examples)) == 3


def test_optional_bodies_are_documented_as_optional(document: dict[str, Any]) -> None:
    assert document["paths"][f"{BASE}/merchants/me"]["patch"]["requestBody"]["required"] is False
    assert document["paths"][f"{BASE}/orders"]["post"]["requestBody"]["required"] is True


@pytest.fixture
def memory_api() -> Iterator[Api]:
    with running_api("memory") as api:
        yield api


@pytest.mark.parametrize(
    ("path", "methods"),
    [
        ("/orders/", "GET, OPTIONS, POST"),
        ("/payments/", "GET, OPTIONS, POST"),
        ("/refunds/", "GET, OPTIONS, POST"),
        ("/merchants/me/", "GET, OPTIONS, PATCH"),
    ],
)
def test_options_lists_every_method_of_the_path(memory_api: Api, path: str, methods: str) -> None:
    merchant = memory_api.merchant()
    response = memory_api.client.options(BASE + path, headers=merchant.key)
    assert response.status_code == 204
    assert response.headers["allow"] == methods


def _accepts(rule: Any, value: str) -> bool:
    try:
        rule.check(value)
    except PaygateError:
        return False
    return True


@given(st.integers(min_value=1, max_value=100))
def test_limit_takes_every_integer_the_schema_admits(limit: int) -> None:
    assert _accepts(LIMIT, str(limit))


@pytest.mark.parametrize("value", ["", " 5", "+5", "1_0", "5.0", "\u0665", "abc"])
def test_limit_refuses_what_is_no_integer(value: str) -> None:
    assert not _accepts(LIMIT, value)


@given(st.from_regex(CURSOR.schema["pattern"], fullmatch=True).filter(lambda s: len(s) <= 512))
def test_cursor_text_the_schema_admits_passes_the_format_check(cursor: str) -> None:
    assert _accepts(CURSOR, cursor)


@pytest.mark.parametrize(
    ("rule", "good", "bad"),
    [
        (INCLUDE_DELETED, ["true", "FALSE", "True", "1", "0"], ["", "yes", " true", "2"]),
        (ROLE, ["admin", "merchant", "MERCHANT"], ["", " admin", "owner"]),
        (
            FROM,
            ["2026-10-01", "2026-10-01T10:30:00Z", "2026-10-01T10:30:00.5+05:30"],
            ["", "2026-10-01T10:30:00", "yesterday"],
        ),
    ],
)
def test_choice_and_instant_rules_match_their_schema(
    rule: Any, good: list[str], bad: list[str]
) -> None:
    assert [value for value in good if not _accepts(rule, value)] == []
    assert [value for value in bad if _accepts(rule, value)] == []


@given(st.uuids())
def test_uuid_pattern_admits_uuids(value: Any) -> None:
    assert re.fullmatch(UUID_PATTERN, str(value))


@given(st.from_regex(EMAIL_PATTERN, fullmatch=True))
def test_emails_the_pattern_admits_register(email: str) -> None:
    assert normalise_email(email) == email.lower()


@given(st.from_regex(URL_PATTERN, fullmatch=True).filter(lambda url: len(url) <= 2048))
def test_webhook_urls_the_pattern_admits_are_accepted(url: str) -> None:
    assert validate_webhook_url(url, allow_private=True) == url


@pytest.mark.parametrize(("minor_units", "currency"), [(0, "JPY"), (2, "INR"), (3, "KWD")])
@given(data=st.data())
def test_amount_strings_the_pattern_admits_make_orders(
    minor_units: int, currency: str, data: st.DataObject
) -> None:
    text = data.draw(st.from_regex(_amount_pattern(minor_units), fullmatch=True))
    assert parse_amount(text, CURRENCIES[currency]).amount > 0


@pytest.fixture
def shop(memory_api: Api) -> Merchant:
    return memory_api.merchant()


@pytest.mark.parametrize(
    ("raw", "currency", "shown"),
    [(b"447.0", "JPY", "447"), (b"1.500", "USD", "1.50"), (b"12.3450", "KWD", "12.345")],
)
def test_a_json_number_is_its_value_whatever_its_trailing_zeros(
    memory_api: Api, shop: Merchant, raw: bytes, currency: str, shown: str
) -> None:
    body = b'{"amount": ' + raw + b', "currency": "' + currency.encode() + b'"}'
    response = memory_api.post("/orders/", body, shop.key)
    assert response.status_code == 201, response.text
    assert response.json()["data"]["amount"] == shown


def test_a_decimal_string_is_taken_as_written(memory_api: Api, shop: Merchant) -> None:
    response = memory_api.post("/orders/", {"amount": "447.0", "currency": "JPY"}, shop.key)
    assert error_of(response) == (422, 1014)
