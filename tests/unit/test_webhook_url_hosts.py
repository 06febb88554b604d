"""A webhook host is read as a resolver reads it (NFKC, the three IDNA dots as ".")
before the literal-address check: no Unicode spelling of an internal address gets in."""

from __future__ import annotations

import ipaddress

import pytest

from paygate_core.accounts import validate_webhook_url
from paygate_core.errors import ValidationFailed
from paygate_core.network import is_host, normalise_host, parse_ip
from paygate_core.orders import validate_return_url

LOOPBACK_SPELLINGS = [
    "127\u30020\u30020\u30021",  # ideographic full stop
    "127\uff0e0\uff0e0\uff0e1",  # full-width full stop
    "127\uff610\uff610\uff611",  # half-width ideographic full stop
    "\uff11\uff12\uff17.0.0.1",  # full-width digits
    "\uff10\uff58\uff17\uff46.1",  # full-width legacy hex 0x7f.1
    "\u246027.0.0.1",  # circled digit one
    "127.0.0.1.",  # the root label
]


@pytest.mark.parametrize("host", LOOPBACK_SPELLINGS)
def test_unicode_spellings_of_a_literal_address_are_that_address(host: str) -> None:
    assert parse_ip(host) == ipaddress.IPv4Address("127.0.0.1")


def test_a_bracketed_full_width_ipv6_host_is_a_literal() -> None:
    assert parse_ip("[\uff1a\uff1a1]") == ipaddress.IPv6Address("::1")


def test_unicode_host_names_become_their_idna_form_and_stay_names() -> None:
    assert normalise_host("b\u00fccher\u3002example") == "xn--bcher-kva.example"
    assert parse_ip("b\u00fccher.example") is None
    assert normalise_host("shop.example") == "shop.example"


def test_a_host_without_an_idna_form_is_left_as_normalised() -> None:
    assert normalise_host("a..b\u00e9") == "a..b\u00e9"
    assert parse_ip("x" * 70 + "\u00e9") is None


@pytest.mark.parametrize(
    "host", [*LOOPBACK_SPELLINGS, "10\u30020\u30020\u30028", "169\uff0e254\uff0e169\uff0e254"]
)
def test_webhook_urls_to_unicode_spelt_internal_addresses_are_refused(host: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate_webhook_url(f"http://{host}/hook")
    assert set(caught.value.fields) == {"webhook_url"}


def test_unicode_spelt_internal_addresses_are_allowed_with_private_webhooks() -> None:
    url = "http://127\u30020\u30020\u30021:8080/hook"
    assert validate_webhook_url(url, allow_private=True) == url


def test_unicode_spelt_public_addresses_and_names_are_accepted() -> None:
    for url in ("http://93\u3002184\u3002216\u300234/hook", "https://b\u00fccher.example/h"):
        assert validate_webhook_url(url) == url


@pytest.mark.parametrize(
    "host", ["shop.example", "b\u00fccher.example", "api-1.shop.example.", "127.0.0.1", "[::1]"]
)
def test_names_and_literal_addresses_are_hosts(host: str) -> None:
    assert is_host(host)


@pytest.mark.parametrize(
    "host", ["shop.example*", "-shop.example", "shop..example", "sh_op.example", "a" * 64 + ".io"]
)
def test_text_no_resolver_could_look_up_is_no_host(host: str) -> None:
    assert not is_host(host)


@pytest.mark.parametrize(
    "url",
    ["https://edssrr7r.k25pa6yp.test*", "https://shop.example*/hooks", "https://a_b.example/"],
)
def test_a_url_whose_host_names_nothing_is_refused(url: str) -> None:
    with pytest.raises(ValidationFailed):
        validate_webhook_url(url, allow_private=True)
    with pytest.raises(ValidationFailed):
        validate_return_url(url, allow_private=True)
