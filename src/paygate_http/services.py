"""What the request handlers share: the ``Paygate`` facade, settings, the rate-limit store,
and how blocking use cases are run from the event loop.

``create_app`` puts one ``Services`` in the application state; guards, dependencies and
handlers read it back with ``services_of(connection)``. Async handlers call the
(synchronous) facade through ``run_read(connection, paygate.get_order, ...)`` to read and
``run_write(connection, paygate.create_order, command)`` to write: on SQLite a plain call on
the event loop and a group commit (``paygate_adapters.sql.group_commit``), elsewhere a
worker thread (ADR 0006); routes declared ``sync_to_thread=True`` call it directly, on a
worker thread. Which is which is the wiring's choice (``process.wiring.Database``); this
layer only awaits it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, Protocol, TypeVar

import attrs
from litestar.concurrency import sync_to_thread
from litestar.connection import ASGIConnection

from paygate_core.gateway import Paygate
from paygate_http.pipeline.rate_limits import RateLimitStore
from paygate_http.settings import Settings, derive_key

__all__ = [
    "SERVICES_STATE_KEY",
    "Offload",
    "Services",
    "run_in_thread",
    "run_inline",
    "run_read",
    "run_write",
    "services_of",
]

SERVICES_STATE_KEY = "paygate_services"

P = ParamSpec("P")
R = TypeVar("R")


class Offload(Protocol):
    """How a synchronous use case runs from the event loop."""

    def __call__(
        self, function: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs
    ) -> Awaitable[R]: ...


async def run_inline(function: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
    """On the event loop itself: for adapters whose calls take microseconds and never wait
    on the network (SQLite: its one writer is a queue anyway, and a thread hop per call cost
    more than the SQL)."""
    return function(*args, **kwargs)


async def run_in_thread(
    function: Callable[P, R],
    /,
    *args: P.args,
    **kwargs: P.kwargs,
) -> R:
    """In Litestar's worker-thread executor: for adapters that wait on a network server."""
    return await sync_to_thread(function, *args, **kwargs)


def _fingerprint_key(services: Services) -> bytes:
    return derive_key(services.settings.secret_key, "idempotency-fingerprint")


@attrs.frozen
class Services:
    """One application's shared objects: the facade, its settings, the rate-limit store,
    the ``/ready`` check and how reading and writing use cases run."""

    paygate: Paygate
    settings: Settings
    rate_limits: RateLimitStore
    ready: Callable[[], bool]
    offload: Offload = run_in_thread
    offload_write: Offload = run_in_thread
    fingerprint_key: bytes = attrs.field(
        default=attrs.Factory(_fingerprint_key, takes_self=True), repr=False
    )
    """Keys the ``Idempotency-Key`` request fingerprints (``pipeline.request_fingerprint``)."""


def services_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Services:
    services: Services = connection.app.state[SERVICES_STATE_KEY]
    return services


def run_read(
    connection: ASGIConnection[Any, Any, Any, Any],
    function: Callable[P, R],
    /,
    *args: P.args,
    **kwargs: P.kwargs,
) -> Awaitable[R]:
    """``function(*args, **kwargs)`` the way this application runs reading use cases."""
    return services_of(connection).offload(function, *args, **kwargs)


def run_write(
    connection: ASGIConnection[Any, Any, Any, Any],
    function: Callable[P, R],
    /,
    *args: P.args,
    **kwargs: P.kwargs,
) -> Awaitable[R]:
    """``function(*args, **kwargs)`` the way this application runs writing use cases (on
    SQLite: group-committed with the other writes of this turn of the event loop)."""
    return services_of(connection).offload_write(function, *args, **kwargs)
