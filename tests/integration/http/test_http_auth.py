"""Registration, login, refresh-token rotation, logout and bearer-token checks over HTTP."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import jwt
import pytest
from http_harness import PASSWORD, SECRET, Api, AppFactory, error_of

from paygate_core.testing import FixedClock
from paygate_http.settings import SameSite, derive_key

MERCHANT_KEYS = {
    "access",
    "api_key",
    "email",
    "name",
    "role",
    "user_id",
    "merchant_id",
    "webhook_url",
    "webhook_secret",
}


def _claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def _cookie_attributes(set_cookie: str) -> dict[str, str]:
    parts = [p.strip() for p in set_cookie.split(";")]
    name, _, value = parts[0].partition("=")
    attributes = {"name": name, "value": value}
    for part in parts[1:]:
        key, _, val = part.partition("=")
        attributes[key] = val
    return attributes


# --- registration --------------------------------------------------------------------------


def test_register_merchant_answers_201_with_tokens_keys_and_the_refresh_cookie(api: Api) -> None:
    response = api.post(
        "auth/register/",
        json={
            "email": "A@Shop.Example",
            "name": "Shop",
            "password": PASSWORD,
            "webhook_url": "https://shop.example/hooks",
        },
    )

    assert response.status_code == 201
    body = response.json()
    assert body["success"] is True
    assert body["message"] == "Merchant registered successfully"
    data = body["data"]
    assert set(data) == MERCHANT_KEYS
    assert data["email"] == "a@shop.example"
    assert data["role"] == "merchant"
    assert data["webhook_url"] == "https://shop.example/hooks"
    assert data["api_key"].startswith("pk_")
    assert data["webhook_secret"].startswith("whsec_")
    cookie = _cookie_attributes(response.headers["set-cookie"])
    assert cookie["name"] == "refresh_token"
    assert _claims(cookie["value"])["type"] == "refresh"


def test_register_accepts_the_nested_body_of_existing_clients(api: Api) -> None:
    response = api.post(
        "auth/register/",
        json={
            "user": {"email": "nested@shop.example", "name": "Nested", "password": PASSWORD},
            "webhook_url": "https://shop.example/hooks",
        },
    )

    assert response.status_code == 201
    assert response.json()["data"]["email"] == "nested@shop.example"
    assert response.json()["data"]["webhook_url"] == "https://shop.example/hooks"


def test_register_without_webhook_url_stores_null(api: Api) -> None:
    assert api.register()["webhook_url"] is None


def test_register_rejects_an_email_taken_in_any_case(api: Api) -> None:
    api.register(email="taken@shop.example")

    response = api.post(
        "auth/register/", json={"email": "TAKEN@shop.example", "name": "B", "password": PASSWORD}
    )

    assert error_of(response) == (409, 1005)


def test_register_reports_every_bad_field_at_once(api: Api) -> None:
    response = api.post("auth/register/", json={"email": "nope", "name": "", "password": "short"})

    assert error_of(response) == (422, 1004)
    fields = response.json()["exception"]["meta"]["fields"]
    assert set(fields) == {"email", "name", "password"}


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://10.0.0.7/h",
        "https://[::1]/h",
        "http://169.254.169.254/latest",
    ],
)
def test_register_refuses_a_webhook_url_with_a_literal_internal_address(
    api: Api,
    url: str,
) -> None:
    response = api.post(
        "auth/register/",
        json={"email": "b@shop.example", "name": "B", "password": PASSWORD, "webhook_url": url},
    )

    assert error_of(response) == (422, 1004)
    assert "webhook_url" in response.json()["exception"]["meta"]["fields"]


def test_register_with_an_empty_body_is_a_validation_error(api: Api) -> None:
    assert error_of(api.post("auth/register/")) == (422, 1004)


def test_register_with_a_non_object_user_is_a_validation_error(api: Api) -> None:
    response = api.post("auth/register/", json={"user": "me", "webhook_url": None})

    assert error_of(response) == (422, 1004)
    assert response.json()["exception"]["meta"]["fields"] == {"user": "must be an object"}


# --- login ---------------------------------------------------------------------------------


def test_merchant_login_returns_api_key_and_merchant_id(
    api: Api,
    merchant: dict[str, Any],
) -> None:
    response = api.post("auth/token/", json={"email": "A@SHOP.example", "password": PASSWORD})

    assert response.status_code == 200
    assert response.json()["message"] == "Login successful"
    data = response.json()["data"]
    assert set(data) == {"access", "api_key", "email", "name", "role", "user_id", "merchant_id"}
    assert data["api_key"] == merchant["api_key"]
    assert data["merchant_id"] == merchant["merchant_id"]
    assert "refresh_token=" in response.headers["set-cookie"]


def test_admin_login_has_a_null_api_key_and_no_merchant_id(api: Api, admin_token: str) -> None:
    data = api.login("root@paygate.example")

    assert data["role"] == "admin"
    assert data["api_key"] is None
    assert "merchant_id" not in data


def test_login_answers_alike_for_unknown_email_wrong_password_and_deleted_user(
    api: Api, merchant: dict[str, Any], admin_token: str
) -> None:
    victim = api.register(email="deleted@shop.example")
    assert api.delete(f"admin/users/{victim['user_id']}/", token=admin_token).status_code == 200

    answers = [
        api.post("auth/token/", json={"email": email, "password": password})
        for email, password in (
            ("nobody@shop.example", PASSWORD),
            ("a@shop.example", "wrong-password"),
            ("deleted@shop.example", PASSWORD),
        )
    ]

    assert {(a.status_code, a.text) for a in answers} == {(401, answers[0].text)}
    assert error_of(answers[0]) == (401, 1001)


def test_passwords_longer_than_72_bytes_are_not_truncated(api: Api) -> None:
    long_password = "p" * 72 + "-the-part-bcrypt-alone-would-drop"
    api.register(email="long@shop.example", password=long_password)

    same_prefix = api.post(
        "auth/token/",
        json={"email": "long@shop.example", "password": "p" * 72 + "-something-else-entirely"},
    )
    exact = api.post("auth/token/", json={"email": "long@shop.example", "password": long_password})

    assert error_of(same_prefix) == (401, 1001)
    assert exact.status_code == 200


def test_multibyte_passwords_over_72_bytes_work(api: Api) -> None:
    password = "пароль-" * 12  # 84 characters, 156 UTF-8 bytes
    api.register(email="utf8@shop.example", password=password)

    assert api.login("utf8@shop.example", password)["role"] == "merchant"


def test_login_with_non_string_fields_is_a_validation_error(api: Api) -> None:
    response = api.post("auth/token/", json={"email": ["x"], "password": 12345678})

    assert error_of(response) == (422, 1004)


# --- tokens ----------------------------------------------------------------------------------


def test_access_and_refresh_tokens_carry_the_contract_claims(api: Api) -> None:
    response = api.post(
        "auth/register/", json={"email": "c@shop.example", "name": "C", "password": PASSWORD}
    )
    access = _claims(response.json()["data"]["access"])
    refresh = _claims(_cookie_attributes(response.headers["set-cookie"])["value"])

    assert {"sub", "role", "type", "jti", "iat", "exp"} <= set(access)
    assert access["type"] == "access"
    assert access["role"] == "merchant"
    assert access["exp"] - access["iat"] == 900
    assert refresh["type"] == "refresh"
    assert "fam" in refresh
    assert refresh["exp"] - refresh["iat"] == 604800
    assert jwt.get_unverified_header(response.json()["data"]["access"])["alg"] == "HS256"


def _unsigned(claims: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        raw = json.dumps(value).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def test_a_token_with_alg_none_is_rejected(api: Api, merchant: dict[str, Any]) -> None:
    forged = _unsigned(_claims(merchant["access"]))

    assert error_of(api.get("merchants/me/", token=forged)) == (401, 1002)


def test_a_token_signed_with_another_key_is_rejected(api: Api, merchant: dict[str, Any]) -> None:
    forged = jwt.encode(_claims(merchant["access"]), "another-key-" * 4, algorithm="HS256")

    assert error_of(api.get("merchants/me/", token=forged)) == (401, 1002)


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_a_token_signed_with_another_algorithm_is_rejected(
    api: Api,
    merchant: dict[str, Any],
) -> None:
    key = derive_key(SECRET, "jwt-hs256")
    forged = jwt.encode(_claims(merchant["access"]), key, algorithm="HS512")

    assert error_of(api.get("merchants/me/", token=forged)) == (401, 1002)


def test_a_token_signed_with_the_raw_secret_instead_of_the_derived_key_is_rejected(
    api: Api, merchant: dict[str, Any]
) -> None:
    forged = jwt.encode(_claims(merchant["access"]), SECRET, algorithm="HS256")

    assert error_of(api.get("merchants/me/", token=forged)) == (401, 1002)


def test_an_access_token_expires_after_its_lifetime(
    api: Api, merchant: dict[str, Any], clock: FixedClock
) -> None:
    clock.advance(timedelta(seconds=899))
    assert api.get("merchants/me/", token=merchant["access"]).status_code == 200

    clock.advance(timedelta(seconds=1))
    assert error_of(api.get("merchants/me/", token=merchant["access"])) == (401, 1002)


def test_a_refresh_token_is_not_accepted_as_an_access_token(api: Api) -> None:
    response = api.post(
        "auth/register/", json={"email": "d@shop.example", "name": "D", "password": PASSWORD}
    )
    refresh = _cookie_attributes(response.headers["set-cookie"])["value"]

    assert error_of(api.get("merchants/me/", token=refresh)) == (401, 1002)


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer    ", "token abc"])
def test_a_malformed_authorization_header_is_not_authenticated(api: Api, header: str) -> None:
    response = api.get("merchants/me/", headers={"Authorization": header})

    assert error_of(response) == (401, 1002)
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_no_credentials_is_not_authenticated(api: Api) -> None:
    assert error_of(api.get("merchants/me/")) == (401, 1002)


# --- refresh -------------------------------------------------------------------------------


def test_refresh_from_the_cookie_rotates_it_and_returns_only_access(
    api: Api,
    merchant: dict[str, Any],
) -> None:
    old = api.client.cookies["refresh_token"]

    response = api.post("auth/refresh/")

    assert response.status_code == 200
    assert response.json()["message"] == "Token refreshed successfully"
    assert set(response.json()["data"]) == {"access"}
    new = _cookie_attributes(response.headers["set-cookie"])["value"]
    assert new != old
    assert api.get("merchants/me/", token=response.json()["data"]["access"]).status_code == 200


def test_refresh_from_the_body_returns_the_new_refresh_token_in_data(api: Api) -> None:
    registered = api.post(
        "auth/register/", json={"email": "e@shop.example", "name": "E", "password": PASSWORD}
    )
    token = _cookie_attributes(registered.headers["set-cookie"])["value"]
    api.client.cookies.clear()

    response = api.post("auth/refresh/", json={"refresh": token})

    assert response.status_code == 200
    assert set(response.json()["data"]) == {"access", "refresh"}
    assert _claims(response.json()["data"]["refresh"])["type"] == "refresh"


def test_reusing_a_rotated_refresh_token_revokes_the_whole_login(api: Api) -> None:
    registered = api.post(
        "auth/register/", json={"email": "f@shop.example", "name": "F", "password": PASSWORD}
    )
    first = _cookie_attributes(registered.headers["set-cookie"])["value"]
    first_access = registered.json()["data"]["access"]
    api.client.cookies.clear()
    rotated = api.post("auth/refresh/", json={"refresh": first}).json()["data"]
    assert api.get("merchants/me/", token=rotated["access"]).status_code == 200

    reuse = api.post("auth/refresh/", json={"refresh": first})
    after = api.post("auth/refresh/", json={"refresh": rotated["refresh"]})

    assert error_of(reuse) == (401, 1002)
    assert error_of(after) == (401, 1002)
    # every token of that login, access tokens included, stops working
    assert error_of(api.get("merchants/me/", token=first_access)) == (401, 1002)
    assert error_of(api.get("merchants/me/", token=rotated["access"])) == (401, 1002)


def test_refresh_without_a_token_is_not_authenticated(api: Api) -> None:
    assert error_of(api.post("auth/refresh/")) == (401, 1002)


def test_refresh_with_garbage_or_an_access_token_is_not_authenticated(
    api: Api, merchant: dict[str, Any]
) -> None:
    api.client.cookies.clear()

    assert error_of(api.post("auth/refresh/", json={"refresh": "garbage"})) == (401, 1002)
    assert error_of(api.post("auth/refresh/", json={"refresh": merchant["access"]})) == (401, 1002)


def test_refresh_with_a_non_string_token_is_a_validation_error(api: Api) -> None:
    assert error_of(api.post("auth/refresh/", json={"refresh": 42})) == (422, 1004)


# --- logout --------------------------------------------------------------------------------


def test_logout_revokes_the_access_token_and_the_refresh_cookie(
    api: Api, merchant: dict[str, Any]
) -> None:
    refresh = api.client.cookies["refresh_token"]

    response = api.post("auth/logout/", token=merchant["access"])

    assert response.status_code == 200
    assert response.json() == {"success": True, "message": "Logout successful", "data": {}}
    cleared = _cookie_attributes(response.headers["set-cookie"])
    assert cleared["value"] == ""
    assert cleared["Max-Age"] == "0"
    assert cleared["Path"] == "/paygate/api/v1/auth/"
    assert error_of(api.get("merchants/me/", token=merchant["access"])) == (401, 1002)
    assert error_of(api.post("auth/refresh/", json={"refresh": refresh})) == (401, 1002)


def test_logout_revokes_a_refresh_token_sent_in_the_body(api: Api) -> None:
    registered = api.post(
        "auth/register/", json={"email": "g@shop.example", "name": "G", "password": PASSWORD}
    )
    access = registered.json()["data"]["access"]
    refresh = _cookie_attributes(registered.headers["set-cookie"])["value"]
    api.client.cookies.clear()

    assert api.post("auth/logout/", token=access, json={"refresh": refresh}).status_code == 200
    assert error_of(api.post("auth/refresh/", json={"refresh": refresh})) == (401, 1002)


def test_logout_without_a_refresh_token_still_succeeds(
    api: Api,
    merchant: dict[str, Any],
) -> None:
    api.client.cookies.clear()

    assert api.post("auth/logout/", token=merchant["access"]).status_code == 200


def test_logout_keeps_other_logins_alive(api: Api, merchant: dict[str, Any]) -> None:
    own_refresh = api.client.cookies.get("refresh_token")  # the registration's login
    other = api.login("a@shop.example")["access"]  # a second device
    api.client.cookies.clear()

    api.post("auth/logout/", token=merchant["access"], json={"refresh": own_refresh})

    assert api.get("merchants/me/", token=other).status_code == 200
    assert error_of(api.get("merchants/me/", token=merchant["access"])) == (401, 1002)


def test_logout_needs_a_bearer_token_not_an_api_key(api: Api, merchant: dict[str, Any]) -> None:
    assert error_of(api.post("auth/logout/", api_key=merchant["api_key"])) == (403, 1003)
    assert error_of(api.post("auth/logout/")) == (401, 1002)


# --- cookie flags --------------------------------------------------------------------------


def test_refresh_cookie_flags_follow_the_contract(make_api: AppFactory) -> None:
    api = make_api(cookie_secure=True, base_url="https://testserver.local")

    response = api.post(
        "auth/register/", json={"email": "h@shop.example", "name": "H", "password": PASSWORD}
    )

    raw = response.headers["set-cookie"]
    assert "; HttpOnly" in raw
    assert "; SameSite=Strict" in raw
    assert raw.endswith("; Secure")
    cookie = _cookie_attributes(raw)
    assert cookie["Path"] == "/paygate/api/v1/auth/"
    assert cookie["Max-Age"] == "604800"


def test_cookie_samesite_and_lifetime_are_configurable(make_api: AppFactory) -> None:
    api = make_api(cookie_samesite=SameSite.LAX, refresh_token_ttl=3600)

    response = api.post(
        "auth/register/", json={"email": "i@shop.example", "name": "I", "password": PASSWORD}
    )

    cookie = _cookie_attributes(response.headers["set-cookie"])
    assert cookie["SameSite"] == "Lax"
    assert cookie["Max-Age"] == "3600"
    assert "Secure" not in cookie


# --- register-admin ------------------------------------------------------------------------


def test_admin_registers_another_admin_without_touching_its_own_cookie(
    api: Api, admin_token: str
) -> None:
    response = api.post(
        "auth/register-admin/",
        token=admin_token,
        json={"user": {"email": "second@paygate.example", "name": "Second", "password": PASSWORD}},
    )

    assert response.status_code == 201
    assert response.json()["message"] == "Admin registered successfully"
    data = response.json()["data"]
    assert set(data) == {"access", "api_key", "email", "name", "role", "user_id"}
    assert data["api_key"] is None
    assert data["role"] == "admin"
    assert "set-cookie" not in response.headers
    assert api.login("second@paygate.example")["role"] == "admin"


def test_register_admin_is_for_admins_only(api: Api, merchant: dict[str, Any]) -> None:
    body = {"email": "x@paygate.example", "name": "X", "password": PASSWORD}

    assert error_of(api.post("auth/register-admin/", json=body)) == (401, 1002)
    assert error_of(api.post("auth/register-admin/", json=body, token=merchant["access"])) == (
        403,
        1003,
    )
    assert error_of(api.post("auth/register-admin/", json=body, api_key=merchant["api_key"])) == (
        403,
        1003,
    )
