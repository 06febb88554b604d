"""Where deliveries may go: the SSRF guard at delivery time, pinned addresses, redirects and
URLs that cannot work."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from webhook_harness import Receiver, Reply, World

from paygate_adapters.webhooks import BLOCKED_DESTINATION, UnresolvableHost
from paygate_adapters.webhooks.ssrf import Resolver
from paygate_core.events import DeliveryStatus, WebhookAttemptStatus


class FakeDns:
    """A resolver answering from a table and counting the lookups."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.lookups: list[str] = []

    def __call__(self, host: str, port: int) -> Sequence[str]:
        self.lookups.append(host)
        if host not in self.table:
            raise UnresolvableHost(f"could not resolve host {host!r}")
        return self.table[host]


def test_a_host_name_resolving_to_loopback_is_never_contacted(
    world: World, receiver: Receiver
) -> None:
    merchant = world.merchant(receiver.url(host="localhost"))
    world.pay(merchant)

    assert world.dispatcher(allow_private=False).run_once() == 1

    assert receiver.requests == []
    [attempt] = world.attempts(merchant)
    assert attempt.status is WebhookAttemptStatus.FAILED
    assert attempt.error == BLOCKED_DESTINATION
    assert attempt.http_status is None
    [event] = world.events(merchant)
    assert event.delivery_status is DeliveryStatus.PENDING  # DNS may change: retried


@pytest.mark.parametrize("host", ["127.0.0.1", "[::ffff:127.0.0.1]", "[::1]", "0.0.0.0"])
def test_a_stored_literal_internal_address_is_never_contacted(
    world: World, receiver: Receiver, host: str
) -> None:
    merchant = world.merchant(None)
    world.set_webhook_url_unchecked(merchant, receiver.url(host=host))
    world.pay(merchant)

    world.dispatcher(allow_private=False).run_once()

    assert receiver.requests == []
    assert [a.error for a in world.attempts(merchant)] == [BLOCKED_DESTINATION]


def test_the_cloud_metadata_address_is_blocked_before_any_connection(world: World) -> None:
    merchant = world.merchant(None)
    world.set_webhook_url_unchecked(merchant, "http://169.254.169.254/latest/meta-data/")
    world.pay(merchant)

    world.dispatcher(allow_private=False, timeout=0.5).run_once()

    [attempt] = world.attempts(merchant)
    assert attempt.error == BLOCKED_DESTINATION
    assert attempt.duration_ms < 400  # refused at once, not a connect timeout


def test_a_name_that_dns_points_at_an_internal_address_is_blocked(
    world: World, receiver: Receiver
) -> None:
    dns = FakeDns({"hooks.shop.example": ["127.0.0.1"]})
    merchant = world.merchant(receiver.url(host="hooks.shop.example"))
    world.pay(merchant)

    world.dispatcher(allow_private=False, resolver=dns).run_once()

    assert receiver.requests == []
    assert dns.lookups == ["hooks.shop.example"]
    assert [a.error for a in world.attempts(merchant)] == [BLOCKED_DESTINATION]


def test_the_connection_goes_to_the_address_that_was_checked(
    world: World, receiver: Receiver
) -> None:
    # Nothing but the guard's resolver knows this name: had the HTTP client resolved it again
    # itself, the delivery would fail.
    dns = FakeDns({"hooks.shop.example": ["127.0.0.1"]})
    merchant = world.merchant(receiver.url(host="hooks.shop.example"))
    world.pay(merchant)

    world.dispatcher(resolver=dns).run_once()

    [request] = receiver.wait_for(1)
    assert request.header("Host") == f"hooks.shop.example:{receiver.port}"
    assert dns.lookups == ["hooks.shop.example"]
    assert [a.status for a in world.attempts(merchant)] == [WebhookAttemptStatus.SENT]


def test_the_next_checked_address_is_tried_when_one_refuses(
    world: World, receiver: Receiver
) -> None:
    dns = FakeDns({"hooks.shop.example": ["127.0.0.2", "127.0.0.1"]})  # nothing on .2
    merchant = world.merchant(receiver.url(host="hooks.shop.example"))
    world.pay(merchant)

    world.dispatcher(resolver=dns).run_once()

    assert len(receiver.wait_for(1)) == 1
    assert [a.status for a in world.attempts(merchant)] == [WebhookAttemptStatus.SENT]


def test_an_unresolvable_host_is_a_failed_attempt(world: World) -> None:
    dns: Resolver = FakeDns({})
    merchant = world.merchant("https://gone.shop.example/hook")
    world.pay(merchant)

    world.dispatcher(resolver=dns).run_once()

    [attempt] = world.attempts(merchant)
    assert attempt.error == "could not resolve host 'gone.shop.example'"


def test_redirects_are_not_followed(
    world: World, receiver: Receiver, other_receiver: Receiver
) -> None:
    receiver.default = Reply(302, b"", headers=(("Location", other_receiver.url()),))
    merchant = world.merchant(receiver.url())
    world.pay(merchant)

    world.dispatcher().run_once()

    assert len(receiver.wait_for(1)) == 1
    assert other_receiver.requests == []
    [attempt] = world.attempts(merchant)
    assert attempt.status is WebhookAttemptStatus.FAILED
    assert attempt.http_status == 302
    assert attempt.error == "unexpected HTTP status 302"


@pytest.mark.parametrize(
    "url",
    [
        "http://shop.example:99999/hook",
        "ftp://shop.example/hook",
        "http:///hook",
        "not a url",
        "http://[::1/hook",
    ],
)
def test_a_broken_url_fails_its_attempt_without_stopping_the_others(
    world: World,
    receiver: Receiver,
    url: str,
) -> None:
    broken = world.merchant(None)
    world.set_webhook_url_unchecked(broken, url)
    world.pay(broken)
    healthy = world.merchant(receiver.url())
    world.pay(healthy)

    assert world.dispatcher(resolver=FakeDns({"localhost": ["127.0.0.1"]})).run_once() == 2

    assert [a.error for a in world.attempts(broken)] == ["invalid webhook URL"]
    assert [a.status for a in world.attempts(healthy)] == [WebhookAttemptStatus.SENT]
