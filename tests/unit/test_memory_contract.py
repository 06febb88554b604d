"""The in-memory adapters pass the adapter contract they define (the kit checks itself)."""

from __future__ import annotations

import pytest

from paygate_core.ports import CredentialCache, UnitOfWorkFactory
from paygate_core.testing import InMemoryCredentialCache, InMemoryStore
from paygate_core.testing.contract import (
    CredentialCacheContract,
    UnitOfWorkContract,
    adapter_state_machine,
)


class TestInMemoryUnitOfWork(UnitOfWorkContract):
    @pytest.fixture
    def uow_factory(self) -> UnitOfWorkFactory:
        return InMemoryStore().unit_of_work


TestInMemoryAgreesWithReference = adapter_state_machine(
    lambda: InMemoryStore().unit_of_work
).TestCase


class TestInMemoryCredentialCache(CredentialCacheContract):
    @pytest.fixture
    def store(self) -> InMemoryStore:
        return InMemoryStore()

    @pytest.fixture
    def uow_factory(self, store: InMemoryStore) -> UnitOfWorkFactory:
        return store.unit_of_work

    @pytest.fixture
    def credential_cache(self, store: InMemoryStore) -> CredentialCache:
        return InMemoryCredentialCache(store)
