"""The delivery-time SSRF guard reads a host as a resolver does: a Unicode spelling of an
internal address is that address, refused without asking DNS."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import pytest

from paygate_adapters.webhooks.ssrf import BlockedDestination, resolve_destination


def no_dns(host: str, port: int) -> Sequence[str]:
    raise AssertionError(f"a literal address must not be looked up ({host})")


@pytest.mark.parametrize(
    "host",
    [
        "127\u30020\u30020\u30021",
        "127\uff0e0\uff0e0\uff0e1",
        "169\uff61254\uff61169\uff61254",
        "\uff11\uff12\uff17.0.0.1",
        "[\uff1a\uff1a1]",
    ],
)
def test_unicode_spelt_internal_literals_are_blocked(host: str) -> None:
    with pytest.raises(BlockedDestination):
        resolve_destination(host, 80, resolver=no_dns)


def test_the_resolver_is_asked_for_the_idna_form_of_a_name() -> None:
    asked: list[str] = []

    def resolver(host: str, port: int) -> Sequence[str]:
        asked.append(host)
        return ["93.184.216.34"]

    assert resolve_destination("b\u00fccher\u3002example", 443, resolver=resolver) == (
        ipaddress.ip_address("93.184.216.34"),
    )
    assert asked == ["xn--bcher-kva.example"]
