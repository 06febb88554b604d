"""Credentials remembered under the credential epoch (credential_cache.py, migrations 0003 and
0006), on SQLite and PostgreSQL: the port's contract, with its changes made through another
process's database connection pool; what moves the epoch (a change that can refuse a
remembered credential does, the frequent writes that cannot, logins and refresh-token
rotation, do not); and what is remembered, for how long, and what is asked again."""

from __future__ import annotations

from collections.abc import Iterator

import attrs
import pytest
from sqlalchemy import Engine, delete, update

from paygate_adapters.sql import SqlUnitOfWorkFactory, create_database_engine, upgrade_schema
from paygate_adapters.sql.credential_cache import EpochCachedCredentials, read_epoch
from paygate_adapters.sql.tables import credential_epoch, refresh_tokens
from paygate_core.accounts import Role
from paygate_core.credentials import StoredCredentials
from paygate_core.errors import NotAuthenticated
from paygate_core.ports import CredentialDirectory
from paygate_core.principals import Principal
from paygate_core.system import SystemClock
from paygate_core.testing import UnsignedTokenService
from paygate_core.testing.contract import (
    T0,
    Builder,
    CredentialDirectoryContract,
    TwoProcesses,
    at,
    seed_merchant,
    write,
)
from paygate_core.tokens import TokenClaims, TokenType
from paygate_core.use_cases.accounts import UpdateMerchant, delete_user, rotate_api_key
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


@attrs.define
class Counting:
    """A directory that counts the calls that reach it."""

    inner: CredentialDirectory
    calls: int = 0

    def by_api_key(self, api_key: str) -> Principal:
        self.calls += 1
        return self.inner.by_api_key(api_key)

    def by_access_token(self, token: str) -> Principal:
        self.calls += 1
        return self.inner.by_access_token(token)


class TestEpochCachedCredentials(CredentialDirectoryContract):
    @pytest.fixture
    def counting(self, stored: StoredCredentials) -> Counting:
        return Counting(stored)

    @pytest.fixture
    def credentials(
        self, counting: Counting, uow_factory: SqlUnitOfWorkFactory
    ) -> EpochCachedCredentials:
        return EpochCachedCredentials(counting, uow_factory)

    @pytest.fixture
    def other_process(self, another_pool: SqlUnitOfWorkFactory) -> SqlUnitOfWorkFactory:
        return another_pool

    def test_logins_and_refresh_token_rotation_leave_the_epoch(
        self, processes: TwoProcesses, uow_factory: SqlUnitOfWorkFactory
    ) -> None:
        reg = processes.merchant()
        before = read_epoch(uow_factory)
        session = processes.second.refresh(reg.session.refresh)
        processes.second.refresh(session.refresh)
        processes.second.login(Login(email=reg.user.email, password=processes.PASSWORD))
        assert read_epoch(uow_factory) == before

    @pytest.mark.parametrize("with_refresh", [False, True], ids=["access", "access+refresh"])
    def test_a_logout_moves_the_epoch(
        self, processes: TwoProcesses, uow_factory: SqlUnitOfWorkFactory, with_refresh: bool
    ) -> None:
        reg = processes.merchant()
        principal = processes.first.authenticate_bearer(reg.session.access)
        before = read_epoch(uow_factory)
        processes.second.logout(principal, reg.session.refresh if with_refresh else None)
        assert read_epoch(uow_factory) != before

    def test_an_answer_is_remembered_while_the_epoch_stays(
        self, processes: TwoProcesses, credentials: EpochCachedCredentials, counting: Counting
    ) -> None:
        reg = processes.merchant()
        for _ in range(3):
            processes.first.authenticate_bearer(reg.session.access)
            processes.first.authenticate_api_key(reg.merchant.api_key)
        assert counting.calls == 2
        processes.second.update_merchant(
            UpdateMerchant(reg.merchant.id, webhook_url="https://shop.example/new-hooks")
        )
        processes.first.authenticate_api_key(reg.merchant.api_key)
        assert counting.calls == 3

    def test_an_expired_token_stays_remembered_for_the_caller_to_refuse(
        self, processes: TwoProcesses, credentials: EpochCachedCredentials
    ) -> None:
        reg = processes.merchant()
        principal = processes.kept(reg.session.access)
        processes.clock.advance(processes.first.lifetimes.access)
        assert credentials.by_access_token(reg.session.access) == principal
        with pytest.raises(NotAuthenticated, match=r"^Token has expired$"):
            processes.first.authenticate_bearer(reg.session.access)

    def test_refusals_and_merchant_users_without_a_merchant_are_not_remembered(
        self,
        uow_factory: SqlUnitOfWorkFactory,
        credentials: EpochCachedCredentials,
        counting: Counting,
        tokens: UnsignedTokenService,
    ) -> None:
        b = Builder()
        user = b.user(role=Role.MERCHANT)
        write(uow_factory, user)
        claims = TokenClaims(user.id, user.role, TokenType.ACCESS, b.new_id(), T0, at(900))
        token = tokens.encode(claims)
        for _ in range(2):
            with pytest.raises(NotAuthenticated):
                credentials.by_api_key("pk_unknown")
            assert credentials.by_access_token(token).merchant is None
        assert counting.calls == 4

    def test_the_least_recently_used_answer_is_dropped_first(
        self, uow_factory: SqlUnitOfWorkFactory, counting: Counting
    ) -> None:
        b = Builder()
        keys = [seed_merchant(uow_factory, b)[1].api_key for _ in range(3)]
        cached = EpochCachedCredentials(counting, uow_factory, size=2)
        for key in (keys[0], keys[1], keys[0], keys[2]):  # keys[1] is the least recent
            cached.by_api_key(key)
        assert counting.calls == 3
        cached.by_api_key(keys[0])
        assert counting.calls == 3
        cached.by_api_key(keys[1])
        assert counting.calls == 4

    def test_without_the_epoch_row_nothing_is_remembered(
        self,
        engine: Engine,
        uow_factory: SqlUnitOfWorkFactory,
        credentials: EpochCachedCredentials,
        counting: Counting,
    ) -> None:
        _, merchant = seed_merchant(uow_factory, Builder())
        with engine.begin() as connection:
            connection.execute(delete(credential_epoch))
        assert read_epoch(uow_factory) is None
        for _ in range(2):
            credentials.by_api_key(merchant.api_key)
        assert counting.calls == 2


@pytest.mark.parametrize("change", ["rotate", "delete"])
def test_another_process_refuses_a_remembered_key_once_it_changes(
    uow_factory: SqlUnitOfWorkFactory, another_pool: SqlUnitOfWorkFactory, change: str
) -> None:
    b = Builder()
    user, merchant = seed_merchant(uow_factory, b)
    stored = StoredCredentials(uow_factory, UnsignedTokenService(SystemClock()))
    cached = EpochCachedCredentials(stored, uow_factory)
    for _ in range(2):  # the second answer is the remembered one
        principal = authenticate_api_key(merchant.api_key, credentials=cached)
        assert principal.merchant == merchant
    if change == "rotate":
        rotate_api_key(merchant.id, uow=another_pool, clock=SystemClock())
    else:
        actor, _ = seed_merchant(uow_factory, b)
        delete_user(actor, user.id, uow=another_pool, clock=SystemClock())
    with pytest.raises(NotAuthenticated):
        authenticate_api_key(merchant.api_key, credentials=cached)


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
        before = read_epoch(factory)
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
        assert read_epoch(factory) != before
    finally:
        factory.close()
        engine.dispose()


def test_the_epoch_is_read_without_a_unit_of_work_on_any_thread(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    with uow_factory(read_only=True):  # this thread's held connection is busy: checks out
        first = read_epoch(uow_factory)
    assert first is not None
    assert read_epoch(uow_factory) == first
