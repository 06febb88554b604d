"""The app as ``create_app`` builds it, over the core's in-memory adapters: for tests of what
does not depend on the database (the docs pages, the OpenAPI document)."""

from __future__ import annotations

from http_harness import SECRET
from litestar import Litestar

from paygate_core.testing import InMemoryStore, PlainPasswordHasher, SequentialIds
from paygate_http import Settings, create_app
from paygate_http.process.wiring import build_paygate


def memory_app() -> Litestar:
    settings = Settings.from_env(
        {
            "PAYGATE_SECRET_KEY": SECRET,
            "PAYGATE_API_RATE_LIMIT": "0",
            "PAYGATE_AUTH_RATE_LIMIT": "0",
        }
    )
    paygate = build_paygate(
        settings, InMemoryStore().unit_of_work, ids=SequentialIds(), hasher=PlainPasswordHasher()
    )
    return create_app(settings, paygate=paygate)
