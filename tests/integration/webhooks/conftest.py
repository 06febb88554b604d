"""Fixtures of the webhook tests: receivers on 127.0.0.1 and a fresh Paygate (``World``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from webhook_harness import Receiver, World, new_world


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    server.start()
    yield server
    server.close()


@pytest.fixture
def other_receiver() -> Iterator[Receiver]:
    server = Receiver()
    server.start()
    yield server
    server.close()


@pytest.fixture
def world() -> World:
    return new_world()
