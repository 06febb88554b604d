"""The credential cache over the credential epoch (credential_cache.py, migration 0003), on
SQLite and PostgreSQL: the port's contract, and exactness across processes: a key rotated or
a user deleted through one database connection pool is refused at once by another process's
cache that had remembered the account."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from paygate_adapters.sql import SqlUnitOfWorkFactory, create_database_engine
from paygate_adapters.sql.credential_cache import SqlCredentialCache
from paygate_core.errors import NotAuthenticated
from paygate_core.ports import CredentialCache
from paygate_core.system import SystemClock
from paygate_core.testing.contract import Builder, CredentialCacheContract, seed_merchant
from paygate_core.use_cases.accounts import delete_user, rotate_api_key
from paygate_core.use_cases.auth import authenticate_api_key


class TestSqlCredentialCache(CredentialCacheContract):
    @pytest.fixture
    def credential_cache(self, uow_factory: SqlUnitOfWorkFactory) -> CredentialCache:
        return SqlCredentialCache(uow_factory)


@pytest.fixture
def other_process(database_url: str, engine: Engine) -> Iterator[SqlUnitOfWorkFactory]:
    """Another pool over the same database, as another worker process has."""
    del engine  # migrated first
    other = create_database_engine(database_url)
    factory = SqlUnitOfWorkFactory(other)
    yield factory
    factory.close()
    other.dispose()


@pytest.mark.parametrize("change", ["rotate", "delete"])
def test_another_process_refuses_a_remembered_key_once_it_changes(
        uow_factory: SqlUnitOfWorkFactory, other_process: SqlUnitOfWorkFactory,
        change: str) -> None:
    b = Builder()
    user, merchant = seed_merchant(uow_factory, b)
    cache = SqlCredentialCache(uow_factory)
    for _ in range(2):  # the second answer comes from the cache
        principal = authenticate_api_key(merchant.api_key, uow=uow_factory, credentials=cache)
        assert principal.merchant == merchant
    if change == "rotate":
        rotate_api_key(merchant.id, uow=other_process, clock=SystemClock())
    else:
        actor, _ = seed_merchant(uow_factory, b)
        delete_user(actor, user.id, uow=other_process, clock=SystemClock())
    with pytest.raises(NotAuthenticated):
        authenticate_api_key(merchant.api_key, uow=uow_factory, credentials=cache)


def test_the_epoch_is_read_without_a_unit_of_work_on_any_thread(
        uow_factory: SqlUnitOfWorkFactory) -> None:
    cache = SqlCredentialCache(uow_factory)
    with uow_factory(read_only=True):  # this thread's held connection is busy: checks out
        first = cache.version()
    assert cache.version() == first
