"""The in-memory adapters pass the adapter contract they define (the kit checks itself)."""

from __future__ import annotations

import pytest

from paygate_core.ports import UnitOfWorkFactory
from paygate_core.testing import InMemoryStore
from paygate_core.testing.contract import (
    CredentialDirectoryContract,
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


class TestStoredCredentialsInMemory(CredentialDirectoryContract):
    @pytest.fixture
    def uow_factory(self) -> UnitOfWorkFactory:
        return InMemoryStore().unit_of_work
