"""A ``Paygate`` wired to the in-memory adapters, a fixed clock and reproducible ids."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import attrs
import pytest

from paygate_core import Paygate, RegisterAdmin, RegisterMerchant, SimulatedProcessor
from paygate_core.testing import (
    FixedClock,
    InMemoryStore,
    PlainPasswordHasher,
    SequentialIds,
    UnsignedTokenService,
)
from paygate_core.use_cases.auth import AdminRegistration, MerchantRegistration

NOW = datetime(2026, 10, 6, 10, 30, 0, 123456, tzinfo=UTC)
TODAY: date = NOW.date()
CARD_KEY = b"unit-test-card-key"
PASSWORD = "correct horse battery"


@attrs.define
class World:
    """Everything a use-case test touches: the app and the adapters behind it."""

    app: Paygate
    store: InMemoryStore
    clock: FixedClock
    processor: SimulatedProcessor
    _count: int = 0

    def merchant(
        self, *, webhook_url: str | None = "https://shop.example/hooks", email: str | None = None
    ) -> MerchantRegistration:
        self._count += 1
        return self.app.register_merchant(
            RegisterMerchant(
                email=email or f"merchant{self._count}@shop.example",
                name=f"Shop {self._count}",
                password=PASSWORD,
                webhook_url=webhook_url,
            )
        )

    def admin(self, *, email: str | None = None) -> AdminRegistration:
        self._count += 1
        return self.app.register_admin(
            RegisterAdmin(
                email=email or f"admin{self._count}@paygate.example",
                name="Admin",
                password=PASSWORD,
            )
        )


def build_world(*, success_rate: float = 0.8, seed: int | None = 7) -> World:
    store = InMemoryStore()
    clock = FixedClock(NOW)
    processor = SimulatedProcessor(success_rate=success_rate, seed=seed)
    app = Paygate(
        uow=store.unit_of_work,
        clock=clock,
        ids=SequentialIds(),
        processor=processor,
        hasher=PlainPasswordHasher(),
        tokens=UnsignedTokenService(clock),
        card_key=CARD_KEY,
    )
    return World(app, store, clock, processor)


@pytest.fixture
def world() -> World:
    return build_world()


@pytest.fixture
def make_world() -> Callable[..., World]:
    return build_world
