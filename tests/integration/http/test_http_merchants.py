"""``merchants/me/``: profile, changes and credential rotation."""

from __future__ import annotations

from typing import Any

import pytest
from http_harness import Api, error_of

PROFILE_KEYS = {"merchant_id", "user_id", "email", "name", "webhook_url", "api_key", "created_at"}


@pytest.mark.parametrize("path", ["merchants/me/", "merchants/me"])
def test_merchant_reads_its_profile_with_a_bearer_token(
    api: Api, merchant: dict[str, Any], path: str
) -> None:
    response = api.get(path, token=merchant["access"])

    assert response.status_code == 200
    data = response.json()["data"]
    assert set(data) == PROFILE_KEYS
    assert data["merchant_id"] == merchant["merchant_id"]
    assert data["api_key"] == merchant["api_key"]
    assert data["created_at"] == "2026-10-06T10:30:00.000000Z"


def test_merchant_reads_its_profile_with_the_api_key(api: Api, merchant: dict[str, Any]) -> None:
    response = api.get("merchants/me/", api_key=merchant["api_key"])

    assert response.status_code == 200
    assert response.json()["data"]["user_id"] == merchant["user_id"]


def test_an_unknown_api_key_is_not_authenticated(api: Api) -> None:
    assert error_of(api.get("merchants/me/", api_key="pk_not-a-key")) == (401, 1002)


def test_an_admin_may_not_use_merchant_routes(api: Api, admin_token: str) -> None:
    assert error_of(api.get("merchants/me/", token=admin_token)) == (403, 1003)


def test_patch_changes_name_and_webhook_url(api: Api, merchant: dict[str, Any]) -> None:
    response = api.patch(
        "merchants/me/",
        token=merchant["access"],
        json={"name": "  New Name ", "webhook_url": "https://hooks.shop.example/paygate"},
    )

    assert response.status_code == 200
    data = response.json()["data"]
    assert data["name"] == "New Name"
    assert data["webhook_url"] == "https://hooks.shop.example/paygate"
    assert api.get("merchants/me/", token=merchant["access"]).json()["data"] == data


def test_patch_with_null_removes_the_webhook_url_and_keeps_the_name(api: Api) -> None:
    registered = api.register(email="w@shop.example", webhook_url="https://shop.example/h")

    response = api.patch("merchants/me/", api_key=registered["api_key"], json={"webhook_url": None})

    assert response.status_code == 200
    assert response.json()["data"]["webhook_url"] is None
    assert response.json()["data"]["name"] == "Shop"


def test_patch_with_an_empty_body_changes_nothing(api: Api, merchant: dict[str, Any]) -> None:
    before = api.get("merchants/me/", token=merchant["access"]).json()["data"]

    response = api.patch("merchants/me/", token=merchant["access"])

    assert response.status_code == 200
    assert response.json()["data"] == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"webhook_url": "http://192.168.1.10/hook"}, "webhook_url"),
        ({"webhook_url": "ftp://shop.example/hook"}, "webhook_url"),
        ({"webhook_url": "https://shop.example/" + "x" * 2048}, "webhook_url"),
        ({"webhook_url": 42}, "webhook_url"),
        ({"name": ""}, "name"),
        ({"name": "n" * 256}, "name"),
    ],
)
def test_patch_rejects_bad_values(
    api: Api, merchant: dict[str, Any], body: dict[str, Any], field: str
) -> None:
    response = api.patch("merchants/me/", token=merchant["access"], json=body)

    assert error_of(response) == (422, 1004)
    assert field in response.json()["exception"]["meta"]["fields"]


def test_rotating_the_api_key_stops_the_old_one_at_once(
    api: Api,
    merchant: dict[str, Any],
) -> None:
    response = api.post("merchants/me/api-key/", token=merchant["access"])

    assert response.status_code == 200
    new_key = response.json()["data"]["api_key"]
    assert set(response.json()["data"]) == {"api_key"}
    assert new_key != merchant["api_key"]
    assert error_of(api.get("merchants/me/", api_key=merchant["api_key"])) == (401, 1002)
    assert api.get("merchants/me/", api_key=new_key).status_code == 200


def test_rotating_the_webhook_secret_returns_a_new_secret(
    api: Api,
    merchant: dict[str, Any],
) -> None:
    response = api.post("merchants/me/webhook-secret/", token=merchant["access"])

    assert response.status_code == 200
    secret = response.json()["data"]["webhook_secret"]
    assert secret.startswith("whsec_")
    assert secret != merchant["webhook_secret"]


@pytest.mark.parametrize("path", ["merchants/me/api-key/", "merchants/me/webhook-secret/"])
def test_credential_management_refuses_an_api_key(
    api: Api, merchant: dict[str, Any], path: str
) -> None:
    assert error_of(api.post(path, api_key=merchant["api_key"])) == (403, 1003)
    assert api.get("merchants/me/", api_key=merchant["api_key"]).status_code == 200
