"""``admin/users/`` and ``admin/merchants/``: listing, soft delete and restore."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from http_harness import ADMIN_EMAIL, PASSWORD, Api, error_of

from paygate_core.gateway import Paygate
from paygate_core.testing import FixedClock
from paygate_core.use_cases.payments import CreateOrder

USER_KEYS = {"user_id", "email", "name", "role", "deleted", "deleted_at", "created_at"}


def _register_many(api: Api, clock: FixedClock, count: int) -> list[dict[str, Any]]:
    merchants = []
    for index in range(count):
        clock.advance(timedelta(seconds=1))
        merchants.append(api.register(email=f"m{index}@shop.example", name=f"M{index}"))
    return merchants


# --- access --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["admin/users/", "admin/merchants/"])
def test_admin_routes_refuse_merchants_and_anonymous_callers(
    api: Api, merchant: dict[str, Any], path: str
) -> None:
    assert error_of(api.get(path)) == (401, 1002)
    assert error_of(api.get(path, token=merchant["access"])) == (403, 1003)
    assert error_of(api.get(path, api_key=merchant["api_key"])) == (403, 1003)


# --- listing users -------------------------------------------------------------------------


def test_admin_lists_users_newest_first(api: Api, admin_token: str, clock: FixedClock) -> None:
    merchants = _register_many(api, clock, 3)

    response = api.get("admin/users/", token=admin_token)

    assert response.status_code == 200
    data = response.json()["data"]
    assert set(data) == {"items", "has_more", "next_cursor"}
    assert all(set(item) == USER_KEYS for item in data["items"])
    assert [i["email"] for i in data["items"]] == [m["email"] for m in reversed(merchants)] + [
        ADMIN_EMAIL
    ]
    assert data["has_more"] is False
    assert data["next_cursor"] is None


def test_user_listing_pages_with_limit_and_cursor(
    api: Api, admin_token: str, clock: FixedClock
) -> None:
    _register_many(api, clock, 4)

    first = api.get("admin/users/?limit=2", token=admin_token).json()["data"]
    second = api.get(
        f"admin/users/?limit=2&cursor={first['next_cursor']}", token=admin_token
    ).json()["data"]
    third = api.get(
        f"admin/users/?limit=2&cursor={second['next_cursor']}", token=admin_token
    ).json()["data"]

    emails = [i["email"] for page in (first, second, third) for i in page["items"]]
    assert emails == [
        "m3@shop.example",
        "m2@shop.example",
        "m1@shop.example",
        "m0@shop.example",
        ADMIN_EMAIL,
    ]
    assert first["has_more"]
    assert second["has_more"]
    assert not third["has_more"]


def test_user_listing_filters_by_role(api: Api, admin_token: str, clock: FixedClock) -> None:
    _register_many(api, clock, 2)

    admins = api.get("admin/users/?role=admin", token=admin_token).json()["data"]["items"]
    merchants = api.get("admin/users/?role=MERCHANT", token=admin_token).json()["data"]["items"]

    assert [u["email"] for u in admins] == [ADMIN_EMAIL]
    assert {u["role"] for u in merchants} == {"merchant"}
    assert len(merchants) == 2


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("role=owner", "role"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("cursor=not-a-cursor", "cursor"),
        ("include_deleted=maybe", "include_deleted"),
    ],
)
def test_user_listing_rejects_bad_query_values(
    api: Api, admin_token: str, query: str, field: str
) -> None:
    response = api.get(f"admin/users/?{query}", token=admin_token)

    assert error_of(response) == (422, 1004)
    assert field in response.json()["exception"]["meta"]["fields"]


# --- soft delete and restore ---------------------------------------------------------------


def test_deleting_a_merchant_stops_every_credential_until_restored(
    api: Api,
    admin_token: str,
) -> None:
    victim = api.register(email="victim@shop.example")
    refresh = api.client.cookies["refresh_token"]
    api.client.cookies.clear()

    deleted = api.delete(f"admin/users/{victim['user_id']}/", token=admin_token)

    assert deleted.status_code == 200
    assert deleted.json()["message"] == "User deleted successfully"
    assert deleted.json()["data"]["deleted"] is True
    assert deleted.json()["data"]["deleted_at"] == "2026-10-06T10:30:00.000000Z"
    assert error_of(api.get("merchants/me/", token=victim["access"])) == (401, 1002)
    assert error_of(api.get("merchants/me/", api_key=victim["api_key"])) == (401, 1002)
    assert error_of(
        api.post("auth/token/", json={"email": "victim@shop.example", "password": PASSWORD})
    ) == (401, 1001)
    assert error_of(api.post("auth/refresh/", json={"refresh": refresh})) == (401, 1002)

    restored = api.post(f"admin/users/{victim['user_id']}/restore/", token=admin_token)

    assert restored.status_code == 200
    assert restored.json()["data"]["deleted"] is False
    assert restored.json()["data"]["deleted_at"] is None
    assert api.get("merchants/me/", api_key=victim["api_key"]).status_code == 200
    assert api.login("victim@shop.example")["api_key"] == victim["api_key"]
    # Deleting revoked the refresh tokens for good.
    assert error_of(api.post("auth/refresh/", json={"refresh": refresh})) == (401, 1002)


def test_deleted_users_are_listed_only_on_request(api: Api, admin_token: str) -> None:
    victim = api.register(email="gone@shop.example")
    api.delete(f"admin/users/{victim['user_id']}/", token=admin_token)

    active = api.get("admin/users/", token=admin_token).json()["data"]["items"]
    everyone = api.get("admin/users/?include_deleted=true", token=admin_token).json()["data"][
        "items"
    ]

    assert "gone@shop.example" not in {u["email"] for u in active}
    gone = next(u for u in everyone if u["email"] == "gone@shop.example")
    assert gone["deleted"] is True


def test_an_admin_cannot_delete_themself(api: Api, admin_token: str) -> None:
    me = api.login(ADMIN_EMAIL)["user_id"]

    assert error_of(api.delete(f"admin/users/{me}/", token=admin_token)) == (409, 1017)


@pytest.mark.parametrize("user_id", [str(UUID(int=7)), "not-a-uuid", "123"])
def test_deleting_or_restoring_an_unknown_user_is_404(
    api: Api, admin_token: str, user_id: str
) -> None:
    assert error_of(api.delete(f"admin/users/{user_id}/", token=admin_token)) == (404, 1016)
    assert error_of(api.post(f"admin/users/{user_id}/restore/", token=admin_token)) == (404, 1016)


def test_deleting_twice_or_restoring_an_active_user_is_a_conflict(
    api: Api,
    admin_token: str,
    merchant: dict[str, Any],
) -> None:
    path = f"admin/users/{merchant['user_id']}/"

    assert error_of(api.post(f"{path}restore/", token=admin_token)) == (409, 1017)
    assert api.delete(path, token=admin_token).status_code == 200
    assert error_of(api.delete(path, token=admin_token)) == (409, 1017)


def test_a_deleted_admins_token_stops_working(api: Api, admin_token: str) -> None:
    other = api.post(
        "auth/register-admin/",
        token=admin_token,
        json={"email": "other@paygate.example", "name": "Other", "password": PASSWORD},
    ).json()["data"]

    api.delete(f"admin/users/{other['user_id']}/", token=admin_token)

    assert error_of(api.get("admin/users/", token=other["access"])) == (401, 1002)


# --- merchants -----------------------------------------------------------------------------


def test_admin_lists_merchants_with_their_counts(
    api: Api, admin_token: str, paygate: Paygate, merchant: dict[str, Any]
) -> None:
    for amount in ("10.00", "20.00"):
        paygate.create_order(
            CreateOrder(merchant_id=UUID(merchant["merchant_id"]), amount=Decimal(amount))
        )

    response = api.get("admin/merchants/", token=admin_token)

    assert response.status_code == 200
    [item] = response.json()["data"]["items"]
    assert item == {
        "merchant_id": merchant["merchant_id"],
        "user_id": merchant["user_id"],
        "email": "a@shop.example",
        "name": "Shop",
        "webhook_url": None,
        "created_at": "2026-10-06T10:30:00.000000Z",
        "deleted": False,
        "total_orders": 2,
        "total_payments": 0,
    }


def test_deleted_merchants_are_listed_only_on_request(
    api: Api, admin_token: str, merchant: dict[str, Any]
) -> None:
    api.delete(f"admin/users/{merchant['user_id']}/", token=admin_token)

    active = api.get("admin/merchants/", token=admin_token).json()["data"]["items"]
    everyone = api.get("admin/merchants/?include_deleted=1", token=admin_token).json()["data"][
        "items"
    ]

    assert active == []
    assert [m["deleted"] for m in everyone] == [True]
