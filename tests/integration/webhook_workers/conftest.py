"""Fixtures of the worker tests: a recording receiver and a registry of ``paygate``
processes that are all stopped (or killed, by PID) when the test ends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from workers_harness import Processes, Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    server.start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def processes() -> Iterator[Processes]:
    started = Processes()
    try:
        yield started
    finally:
        started.close()
