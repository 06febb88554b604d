"""The credential cache over the credential epoch (credential_cache.py, migrations 0003 and
0006), on SQLite and PostgreSQL: the port's contract, with its changes made through another
process's database connection pool, and what moves the epoch: a change that can refuse a
remembered credential does, the frequent writes that cannot (logins, refresh-token
rotation) do not."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, update

from paygate_adapters.sql import SqlUnitOfWorkFactory, create_database_engine, upgrade_schema
from paygate_adapters.sql.credential_cache import SqlCredentialCache
from paygate_adapters.sql.tables import refresh_tokens
from paygate_core.errors import NotAuthenticated
from paygate_core.ports import CredentialCache
from paygate_core.system import SystemClock
from paygate_core.testing.contract import (
    Builder,
    CredentialCacheContract,
    TwoProcesses,
    seed_merchant,
    write,
)
from paygate_core.use_cases.accounts import delete_user, rotate_api_key
from paygate_core.use_cases.auth import Login, authenticate_api_key


@pytest.fixture
def another_pool(database_url: str, engine: Engine) -> Iterator[SqlUnitOfWorkFactory]:
    """Another pool over the same database, as another worker process has."""
    del engine  # migrated first
    other = create_database_engine(database_url)
    factory = SqlUnitOfWorkFactory(other)
    yield factory
    factory.close()
    other.dispose()


class TestSqlCredentialCache(CredentialCacheContract):
    @pytest.fixture
    def credential_cache(self, uow_factory: SqlUnitOfWorkFactory) -> CredentialCache:
        return SqlCredentialCache(uow_factory)

    @pytest.fixture
    def other_process(self, another_pool: SqlUnitOfWorkFactory) -> SqlUnitOfWorkFactory:
        return another_pool

    def test_logins_and_refresh_token_rotation_leave_the_epoch(
        self, processes: TwoProcesses, credential_cache: CredentialCache
    ) -> None:
        reg = processes.merchant()
        before = credential_cache.version()
        session = processes.second.refresh(reg.session.refresh)
        processes.second.refresh(session.refresh)
        processes.second.login(Login(email=reg.user.email, password=processes.PASSWORD))
        assert credential_cache.version() == before

    @pytest.mark.parametrize("with_refresh", [False, True], ids=["access", "access+refresh"])
    def test_a_logout_moves_the_epoch(
        self, processes: TwoProcesses, credential_cache: CredentialCache, with_refresh: bool
    ) -> None:
        reg = processes.merchant()
        principal = processes.first.authenticate_bearer(reg.session.access)
        before = credential_cache.version()
        processes.second.logout(principal, reg.session.refresh if with_refresh else None)
        assert credential_cache.version() != before


@pytest.mark.parametrize("change", ["rotate", "delete"])
def test_another_process_refuses_a_remembered_key_once_it_changes(
    uow_factory: SqlUnitOfWorkFactory, another_pool: SqlUnitOfWorkFactory, change: str
) -> None:
    b = Builder()
    user, merchant = seed_merchant(uow_factory, b)
    cache = SqlCredentialCache(uow_factory)
    for _ in range(2):  # the second answer comes from the cache
        principal = authenticate_api_key(merchant.api_key, uow=uow_factory, credentials=cache)
        assert principal.merchant == merchant
    if change == "rotate":
        rotate_api_key(merchant.id, uow=another_pool, clock=SystemClock())
    else:
        actor, _ = seed_merchant(uow_factory, b)
        delete_user(actor, user.id, uow=another_pool, clock=SystemClock())
    with pytest.raises(NotAuthenticated):
        authenticate_api_key(merchant.api_key, uow=uow_factory, credentials=cache)


@pytest.mark.postgres
@pytest.mark.parametrize("first_commits_early", [False, True])
def test_two_revocations_of_a_login_s_last_live_tokens_at_once_move_the_epoch(
    postgres_url: str, first_commits_early: bool
) -> None:
    """Each transaction sees the other's token still live; the family lock decides."""
    engine = create_database_engine(postgres_url)
    upgrade_schema(engine)
    factory = SqlUnitOfWorkFactory(engine)
    try:
        b = Builder()
        user = b.user()
        one = b.refresh_token(user)
        two = b.refresh_token(user, family=one.family)
        write(factory, user, one, two)
        cache = SqlCredentialCache(factory)
        before = cache.version()
        with engine.connect() as first, engine.connect() as second:
            for connection, token in ((first, one), (second, two)):
                connection.execute(
                    update(refresh_tokens)
                    .where(refresh_tokens.c.jti == token.jti)
                    .values(revoked=True)
                )
                if first_commits_early and connection is first:
                    first.commit()
            first.commit()
            second.commit()
        assert cache.version() != before
    finally:
        factory.close()
        engine.dispose()


def test_the_epoch_is_read_without_a_unit_of_work_on_any_thread(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    cache = SqlCredentialCache(uow_factory)
    with uow_factory(read_only=True):  # this thread's held connection is busy: checks out
        first = cache.version()
    assert cache.version() == first
