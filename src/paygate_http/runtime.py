"""What the request handlers share: the ``Paygate`` facade, settings, the rate-limit store.

``create_app`` puts one ``Runtime`` in the application state; guards and dependencies read
it back with ``runtime_of(connection)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
from litestar.connection import ASGIConnection

from paygate_core.gateway import Paygate
from paygate_http.ratelimit import RateLimitStore
from paygate_http.settings import Settings

__all__ = ["RUNTIME_STATE_KEY", "Runtime", "runtime_of"]

RUNTIME_STATE_KEY = "paygate_runtime"


@attrs.frozen
class Runtime:
    paygate: Paygate
    settings: Settings
    rate_limits: RateLimitStore
    ready: Callable[[], bool]


def runtime_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Runtime:
    runtime: Runtime = connection.app.state[RUNTIME_STATE_KEY]
    return runtime
