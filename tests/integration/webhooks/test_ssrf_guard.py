"""The SSRF guard on its own: which resolved addresses a webhook may connect to."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Sequence

import pytest

from paygate_adapters.webhooks.client import GuardedResolver
from paygate_adapters.webhooks.ssrf import (
    BlockedDestination,
    Resolver,
    UnresolvableHost,
    check_addresses,
    check_literal_host,
    resolve_destination,
)

BLOCKED = [
    "127.0.0.1",
    "127.8.9.10",
    "10.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "100.64.0.1",
    "169.254.169.254",
    "169.254.1.1",
    "0.0.0.0",
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "192.0.2.1",
    "198.18.0.1",
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "fd12:3456::1",
    "ff02::1",
    "2001:db8::1",
    "::ffff:127.0.0.1",
    "::ffff:10.1.2.3",
    "::ffff:169.254.169.254",
    "64:ff9b::7f00:1",
    "2002:7f00:1::1",
    "2002:a9fe:a9fe::1",
]
PUBLIC = ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:93.184.216.34"]


def no_dns(host: str, port: int) -> Sequence[str]:
    raise AssertionError(f"a literal address must not be looked up ({host})")


def answers(*addresses: str) -> Resolver:
    def resolver(host: str, port: int) -> Sequence[str]:
        return list(addresses)

    return resolver


@pytest.mark.parametrize("address", BLOCKED)
def test_literal_internal_addresses_are_blocked(address: str) -> None:
    with pytest.raises(BlockedDestination, match="blocked destination"):
        resolve_destination(address, 443, resolver=no_dns)


@pytest.mark.parametrize("address", PUBLIC)
def test_literal_public_addresses_are_allowed_as_they_are(address: str) -> None:
    assert resolve_destination(address, 443, resolver=no_dns) == (ipaddress.ip_address(address),)


@pytest.mark.parametrize("address", ["127.0.0.1", "::1", "10.0.0.1", "169.254.169.254"])
def test_allow_private_lets_internal_addresses_through(address: str) -> None:
    assert resolve_destination(address, 80, allow_private=True, resolver=no_dns) == (
        ipaddress.ip_address(address),
    )


def test_a_bracketed_ipv6_host_is_a_literal() -> None:
    with pytest.raises(BlockedDestination):
        resolve_destination("[::1]", 80, resolver=no_dns)


def test_a_name_is_blocked_when_any_of_its_addresses_is_internal() -> None:
    resolver = answers("93.184.216.34", "2606:4700:4700::1111", "10.0.0.7")

    with pytest.raises(BlockedDestination):
        resolve_destination("hooks.shop.example", 443, resolver=resolver)


def test_a_name_resolving_only_to_public_addresses_returns_them_all_once() -> None:
    resolver = answers("93.184.216.34", "93.184.216.34", "2606:4700:4700::1111")

    assert resolve_destination("hooks.shop.example", 443, resolver=resolver) == (
        ipaddress.ip_address("93.184.216.34"),
        ipaddress.ip_address("2606:4700:4700::1111"),
    )


def test_localhost_is_blocked_through_the_system_resolver() -> None:
    with pytest.raises(BlockedDestination):
        resolve_destination("localhost", 80)


@pytest.mark.parametrize("answer", [[], ["not-an-address"], ["93.184.216.34", "garbage"]])
def test_the_guard_fails_closed_on_answers_it_cannot_judge(answer: list[str]) -> None:
    with pytest.raises(BlockedDestination):
        check_addresses("odd.example", answer, allow_private=False)


def test_an_unresolvable_host_is_reported_as_such() -> None:
    def resolver(host: str, port: int) -> Sequence[str]:
        raise UnresolvableHost(f"could not resolve host {host!r}")

    with pytest.raises(UnresolvableHost):
        resolve_destination("nowhere.example", 443, resolver=resolver)


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "::1",
        "[::1]",
        "2130706433",
        "127.1",
        "1.2.3.4.5",
        "10.0.0.1.",
        "::ffff:169.254.169.254",
    ],
)
def test_a_host_a_transport_takes_for_a_literal_is_checked_without_dns(host: str) -> None:
    with pytest.raises(BlockedDestination):
        check_literal_host(host, allow_private=False)


@pytest.mark.parametrize(
    "host", ["hooks.shop.example", "localhost", "93.184.216.34", "2606:4700:4700::1111"]
)
def test_names_and_public_literals_pass_the_literal_check(host: str) -> None:
    check_literal_host(host, allow_private=False)  # names are the resolver's to check


def test_the_connectors_resolver_returns_every_checked_address_as_a_numeric_host() -> None:
    guarded = GuardedResolver(
        allow_private=False, resolver=answers("93.184.216.34", "2606:4700:4700::1111")
    )

    results = asyncio.run(guarded.resolve("hooks.shop.example", 443))

    assert [(r["hostname"], r["host"], r["port"], r["family"]) for r in results] == [
        ("hooks.shop.example", "93.184.216.34", 443, socket.AF_INET),
        ("hooks.shop.example", "2606:4700:4700::1111", 443, socket.AF_INET6),
    ]


def test_the_connectors_resolver_refuses_a_name_with_any_internal_address() -> None:
    guarded = GuardedResolver(
        allow_private=False, resolver=answers("93.184.216.34", "169.254.169.254")
    )

    with pytest.raises(BlockedDestination, match="blocked destination"):
        asyncio.run(guarded.resolve("hooks.shop.example", 443))
