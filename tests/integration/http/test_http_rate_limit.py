"""Rate limits: per client IP on register/token/refresh, per credential elsewhere."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Iterator
from typing import Any

import pytest
from http_harness import PASSWORD, Api, AppFactory, error_of

from paygate_http.pipeline.rate_limits import (
    MemoryRateLimitStore,
    RateLimit,
    RedisRateLimitStore,
    client_ip,
    parse_rate,
)

FIVE_PER_MINUTE = RateLimit(5, 60)
LOGIN = {"email": "nobody@shop.example", "password": PASSWORD}


def _logins(api: Api, count: int, **headers: str) -> list[int]:
    return [api.post("auth/token/", json=LOGIN, headers=headers).status_code for _ in range(count)]


# --- per client IP on the public auth routes -----------------------------------------------


def test_the_sixth_login_in_a_minute_is_429_with_retry_after(make_api: AppFactory) -> None:
    api = make_api(auth_rate_limit=FIVE_PER_MINUTE)

    assert _logins(api, 5) == [401] * 5
    sixth = api.post("auth/token/", json=LOGIN)

    assert error_of(sixth) == (429, 1006)
    assert 1 <= int(sixth.headers["retry-after"]) <= 60


def test_register_token_and_refresh_each_have_their_own_budget(make_api: AppFactory) -> None:
    api = make_api(auth_rate_limit=FIVE_PER_MINUTE)
    _logins(api, 6)

    register = api.post(
        "auth/register/", json={"email": "r@shop.example", "name": "R", "password": PASSWORD}
    )
    refreshes = [api.post("auth/refresh/").status_code for _ in range(6)]

    assert register.status_code == 201
    assert refreshes == [200] * 5 + [429]


def test_another_client_ip_has_its_own_budget(make_api: AppFactory) -> None:
    store = MemoryRateLimitStore()
    first = make_api(auth_rate_limit=FIVE_PER_MINUTE, rate_limit_store=store, peer="198.51.100.1")
    second = make_api(auth_rate_limit=FIVE_PER_MINUTE, rate_limit_store=store, peer="198.51.100.2")

    assert _logins(first, 6)[-1] == 429
    assert _logins(second, 1) == [401]


def test_the_budget_returns_when_the_window_ends(make_api: AppFactory) -> None:
    now = [1000.0]
    api = make_api(
        auth_rate_limit=FIVE_PER_MINUTE, rate_limit_store=MemoryRateLimitStore(now=lambda: now[0])
    )
    assert _logins(api, 6)[-1] == 429

    now[0] += 60

    assert _logins(api, 1) == [401]


def test_forwarded_for_from_an_untrusted_peer_cannot_dodge_the_limit(
    make_api: AppFactory,
) -> None:
    api = make_api(auth_rate_limit=FIVE_PER_MINUTE, peer="203.0.113.9")

    statuses = [
        api.post(
            "auth/token/", json=LOGIN, headers={"X-Forwarded-For": f"198.51.100.{n}"}
        ).status_code
        for n in range(6)
    ]

    assert statuses == [401] * 5 + [429]


def test_forwarded_for_from_a_trusted_proxy_names_the_client(make_api: AppFactory) -> None:
    api = make_api(
        auth_rate_limit=FIVE_PER_MINUTE,
        peer="10.0.0.1",
        trusted_proxies=(ipaddress.ip_network("10.0.0.0/8"),),
    )

    assert _logins(api, 6, **{"X-Forwarded-For": "198.51.100.1"})[-1] == 429
    assert _logins(api, 1, **{"X-Forwarded-For": "198.51.100.2, 10.0.0.7"}) == [401]
    assert _logins(api, 1, **{"X-Forwarded-For": "spoofed, 198.51.100.1"}) == [429]


def test_auth_rate_limit_zero_disables_it(make_api: AppFactory) -> None:
    api = make_api(auth_rate_limit=parse_rate("0"))

    assert _logins(api, 8) == [401] * 8


# --- per credential elsewhere ----------------------------------------------------------------


def test_other_routes_are_limited_per_merchant_across_its_credentials(make_api: AppFactory) -> None:
    api = make_api(api_rate_limit=RateLimit(3, 60))
    merchant = api.register()
    other = api.register(email="other@shop.example")

    statuses = [
        api.get("merchants/me/", token=merchant["access"]).status_code,
        api.get("merchants/me/", api_key=merchant["api_key"]).status_code,
        api.get("merchants/me/", token=merchant["access"]).status_code,
    ]
    limited = api.get("merchants/me/", api_key=merchant["api_key"])

    assert statuses == [200, 200, 200]
    assert error_of(limited) == (429, 1006)
    assert int(limited.headers["retry-after"]) >= 1
    assert api.get("merchants/me/", api_key=other["api_key"]).status_code == 200


def test_the_default_api_limit_is_1000_per_minute(api: Api) -> None:
    assert parse_rate("1000/minute") == RateLimit(1000, 60)


def test_requests_without_credentials_are_answered_401_not_429(make_api: AppFactory) -> None:
    api = make_api(api_rate_limit=RateLimit(1, 60))

    assert [api.get("merchants/me/").status_code for _ in range(3)] == [401] * 3


# --- the client address ------------------------------------------------------------------------

TRUSTED = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("::1"))


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("198.51.100.1", ["203.0.113.5"], "198.51.100.1"),
        ("10.0.0.1", ["203.0.113.5"], "203.0.113.5"),
        ("10.0.0.1", ["203.0.113.5, 10.0.0.2"], "203.0.113.5"),
        ("10.0.0.1", ["1.2.3.4", "203.0.113.5"], "203.0.113.5"),
        ("10.0.0.1", ["garbage, 10.0.0.3"], "10.0.0.3"),
        ("10.0.0.1", [], "10.0.0.1"),
        ("::1", ["2001:db8::7"], "2001:db8::7"),
        ("::ffff:10.0.0.1", ["203.0.113.5"], "203.0.113.5"),
    ],
)
def test_client_ip_trusts_forwarded_for_only_from_trusted_proxies(
    peer: str, forwarded: list[str], expected: str
) -> None:
    assert client_ip(peer, forwarded, TRUSTED) == expected


def test_without_trusted_proxies_the_peer_is_the_client() -> None:
    assert client_ip("10.0.0.1", ["203.0.113.5"], ()) == "10.0.0.1"


@pytest.mark.parametrize(
    ("raw", "rate"),
    [
        ("5/minute", RateLimit(5, 60)),
        ("10/SECOND", RateLimit(10, 1)),
        (" 100 / hour ", RateLimit(100, 3600)),
        ("0", None),
        ("0/minute", None),
    ],
)
def test_rates_parse(raw: str, rate: RateLimit | None) -> None:
    assert parse_rate(raw) == rate


# --- Redis: one limit for every process --------------------------------------------------------


@pytest.fixture
def redis_store_factory(redis_url: str, redis_prefix: str) -> Iterator[Any]:
    stores: list[RedisRateLimitStore] = []

    def make() -> RedisRateLimitStore:
        store = RedisRateLimitStore(redis_url, prefix=redis_prefix)
        stores.append(store)
        return store

    yield make

    async def cleanup() -> None:
        from redis.asyncio import Redis

        client = Redis.from_url(redis_url)
        keys = [key async for key in client.scan_iter(f"{redis_prefix}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()

    asyncio.run(cleanup())


@pytest.mark.redis
def test_two_apps_sharing_redis_share_one_budget(
    make_api: AppFactory, redis_store_factory: Any
) -> None:
    first = make_api(auth_rate_limit=FIVE_PER_MINUTE, rate_limit_store=redis_store_factory())
    second = make_api(auth_rate_limit=FIVE_PER_MINUTE, rate_limit_store=redis_store_factory())

    statuses = _logins(first, 3) + _logins(second, 2) + _logins(first, 1) + _logins(second, 1)

    assert statuses == [401] * 5 + [429, 429]


@pytest.mark.redis
def test_redis_windows_expire(redis_store_factory: Any) -> None:
    store = redis_store_factory()

    async def scenario() -> list[int | None]:
        rate = RateLimit(1, 1)
        results = [await store.hit("k", rate), await store.hit("k", rate)]
        await asyncio.sleep(1.1)
        results.append(await store.hit("k", rate))
        await store.close()
        return results

    assert asyncio.run(scenario()) == [None, 1, None]


def test_an_unreachable_redis_lets_requests_through(
    make_api: AppFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    api = make_api(
        auth_rate_limit=RateLimit(1, 60),
        rate_limit_store=RedisRateLimitStore("redis://127.0.0.1:1/0"),
    )

    assert _logins(api, 3) == [401] * 3
    assert "rate limit store unavailable" in capsys.readouterr().err
