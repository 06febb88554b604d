"""Test support shipped with the core: in-memory adapters for every port (no extra
dependencies), and, with the ``testing`` extra (hypothesis, pytest), strategies in
``paygate_core.testing.strategies`` and the adapter contract kit in
``paygate_core.testing.contract``."""

from paygate_core.testing.memory import (
    FixedClock,
    InMemoryStore,
    InMemoryUnitOfWork,
    PlainPasswordHasher,
    SequentialIds,
    UnsignedTokenService,
)

__all__ = [
    "FixedClock",
    "InMemoryStore",
    "InMemoryUnitOfWork",
    "PlainPasswordHasher",
    "SequentialIds",
    "UnsignedTokenService",
]
