"""The contract of the ``CredentialCache`` port, alone and behind the gateway's
``authenticate_bearer`` and ``authenticate_api_key``, with a second process making changes."""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar

import attrs
import pytest

from paygate_core.accounts import Merchant, Role, User
from paygate_core.errors import NotAuthenticated
from paygate_core.gateway import Paygate
from paygate_core.ports import (
    CredentialCache,
    NoCredentialCache,
)
from paygate_core.principals import CredentialKind, Principal
from paygate_core.simulator import SimulatedProcessor
from paygate_core.system import UUID4Ids
from paygate_core.testing._builders import T0, Builder, at
from paygate_core.testing.contract._base import (
    Factory,
    seed_merchant,
)
from paygate_core.testing.memory import (
    FixedClock,
    PlainPasswordHasher,
    UnsignedTokenService,
)
from paygate_core.use_cases.accounts import UpdateMerchant
from paygate_core.use_cases.auth import MerchantRegistration, RegisterAdmin, RegisterMerchant


@attrs.frozen
class TwoProcesses:
    """Two processes over one store: ``first`` remembers principals in the cache under test;
    ``second`` (its own connections, no cache) makes the changes."""

    PASSWORD: ClassVar[str] = "correct horse battery"

    first: Paygate
    second: Paygate
    clock: FixedClock
    admin: User

    def merchant(self) -> MerchantRegistration:
        return self.first.register_merchant(
            RegisterMerchant(email="shop@shop.example", name="Shop", password=self.PASSWORD)
        )

    def kept(self, token: str) -> Principal:
        """The token's principal, answered twice: the second answer is the kept one."""
        principal = self.first.authenticate_bearer(token)
        assert self.first.authenticate_bearer(token) == principal
        return principal


class CredentialCacheContract:
    """The ``CredentialCache`` port, alone and behind ``authenticate_bearer`` and
    ``authenticate_api_key``. Not part of ``UnitOfWorkContract``: the test class provides
    ``uow_factory`` and ``credential_cache``, both over the same empty store, and may
    provide ``other_process``: another factory over that store, as another worker process
    has (by default ``uow_factory`` itself)."""

    @pytest.fixture
    def other_process(self, uow_factory: Factory) -> Factory:
        return uow_factory

    @pytest.fixture
    def processes(
        self, uow_factory: Factory, other_process: Factory, credential_cache: CredentialCache
    ) -> TwoProcesses:
        clock = FixedClock(T0)
        tokens = UnsignedTokenService(clock)

        def paygate(uow: Factory, cache: CredentialCache) -> Paygate:
            return Paygate(
                uow=uow,
                clock=clock,
                ids=UUID4Ids(),
                processor=SimulatedProcessor(),
                hasher=PlainPasswordHasher(),
                tokens=tokens,
                card_key=b"card-key",
                credentials=cache,
            )

        first = paygate(uow_factory, credential_cache)
        admin = first.register_admin(
            RegisterAdmin(
                email="admin@paygate.example", name="Admin", password=TwoProcesses.PASSWORD
            )
        )
        return TwoProcesses(first, paygate(other_process, NoCredentialCache()), clock, admin.user)

    def _kept(
        self,
        factory: Factory,
        cache: CredentialCache,
    ) -> tuple[User, Merchant, Principal]:
        user, merchant = seed_merchant(factory, Builder())
        principal = Principal(user, merchant, CredentialKind.API_KEY)
        version = cache.version()
        assert cache.get((CredentialKind.API_KEY, merchant.api_key), version) is None
        cache.put((CredentialKind.API_KEY, merchant.api_key), principal, version)
        return user, merchant, principal

    def test_a_principal_is_served_while_nothing_changes(
        self, uow_factory: Factory, credential_cache: CredentialCache
    ) -> None:
        _, merchant, principal = self._kept(uow_factory, credential_cache)
        version = credential_cache.version()
        assert (
            credential_cache.get((CredentialKind.API_KEY, merchant.api_key), version) == principal
        )
        assert credential_cache.get((CredentialKind.API_KEY, "pk_another"), version) is None

    def test_a_principal_is_served_only_for_its_kind_of_credential(
        self, uow_factory: Factory, credential_cache: CredentialCache
    ) -> None:
        _, merchant, _ = self._kept(uow_factory, credential_cache)
        key = (CredentialKind.BEARER, merchant.api_key)
        assert credential_cache.get(key, credential_cache.version()) is None

    @pytest.mark.parametrize("changed", ["user", "merchant"])
    def test_a_committed_change_of_the_user_or_merchant_retires_it(
        self,
        uow_factory: Factory,
        credential_cache: CredentialCache,
        changed: str,
    ) -> None:
        user, merchant, _ = self._kept(uow_factory, credential_cache)
        before = credential_cache.version()
        with uow_factory() as uow:
            if changed == "user":
                uow.users.update(attrs.evolve(user, deleted=True, deleted_at=at(1)))
            else:
                uow.merchants.update(attrs.evolve(merchant, api_key="pk_rotated"))
            uow.commit()
        now = credential_cache.version()
        assert now != before
        assert credential_cache.get((CredentialKind.API_KEY, merchant.api_key), now) is None

    def test_a_change_rolled_back_retires_nothing(
        self, uow_factory: Factory, credential_cache: CredentialCache
    ) -> None:
        user, merchant, principal = self._kept(uow_factory, credential_cache)
        with uow_factory() as uow:
            uow.users.update(attrs.evolve(user, deleted=True, deleted_at=at(1)))
        assert (
            credential_cache.get(
                (CredentialKind.API_KEY, merchant.api_key), credential_cache.version()
            )
            == principal
        )

    # --- bearer tokens: every change elsewhere is seen by the next request ---

    def test_a_bearer_principal_is_kept_under_the_whole_token(
        self, processes: TwoProcesses, credential_cache: CredentialCache
    ) -> None:
        reg = processes.merchant()
        principal = processes.kept(reg.session.access)
        assert (principal.user, principal.merchant) == (reg.user, reg.merchant)
        assert (
            credential_cache.get(
                (CredentialKind.BEARER, reg.session.access), credential_cache.version()
            )
            == principal
        )

    @pytest.mark.parametrize("with_refresh", [False, True], ids=["access", "access+refresh"])
    def test_a_logout_elsewhere_refuses_a_kept_token_at_once(
        self, processes: TwoProcesses, with_refresh: bool
    ) -> None:
        reg = processes.merchant()
        principal = processes.kept(reg.session.access)
        processes.second.logout(principal, reg.session.refresh if with_refresh else None)
        with pytest.raises(NotAuthenticated):
            processes.first.authenticate_bearer(reg.session.access)

    def test_a_login_ended_elsewhere_refuses_its_other_kept_tokens(
        self, processes: TwoProcesses
    ) -> None:
        reg = processes.merchant()
        rotated = processes.second.refresh(reg.session.refresh)  # same login, new tokens
        principal = processes.kept(rotated.access)
        processes.kept(reg.session.access)
        processes.second.logout(principal, rotated.refresh)  # revokes rotated.access only
        with pytest.raises(NotAuthenticated):
            processes.first.authenticate_bearer(reg.session.access)

    def test_a_refresh_token_reused_elsewhere_refuses_every_kept_token_of_its_login(
        self, processes: TwoProcesses
    ) -> None:
        reg = processes.merchant()
        rotated = processes.second.refresh(reg.session.refresh)
        for token in (reg.session.access, rotated.access):
            processes.kept(token)
        with pytest.raises(NotAuthenticated):
            processes.second.refresh(reg.session.refresh)  # reuse: the login is revoked
        for token in (reg.session.access, rotated.access):
            with pytest.raises(NotAuthenticated):
                processes.first.authenticate_bearer(token)

    def test_rotating_a_refresh_token_keeps_its_login_s_access_tokens(
        self, processes: TwoProcesses
    ) -> None:
        reg = processes.merchant()
        principal = processes.kept(reg.session.access)
        rotated = processes.second.refresh(reg.session.refresh)
        assert processes.first.authenticate_bearer(reg.session.access) == principal
        assert processes.first.authenticate_bearer(rotated.access).user == reg.user

    def test_a_login_whose_refresh_tokens_are_purged_elsewhere_ends(
        self, processes: TwoProcesses, other_process: Factory
    ) -> None:
        reg = processes.merchant()
        processes.kept(reg.session.access)
        with other_process() as uow:  # the access token itself has not expired yet
            assert uow.tokens.purge_expired(T0 + timedelta(days=8)) == 1
            uow.commit()
        with pytest.raises(NotAuthenticated):
            processes.first.authenticate_bearer(reg.session.access)

    def test_a_user_deleted_elsewhere_is_refused_at_once(self, processes: TwoProcesses) -> None:
        reg = processes.merchant()
        processes.kept(reg.session.access)
        processes.second.delete_user(processes.admin, reg.user.id)
        with pytest.raises(NotAuthenticated):
            processes.first.authenticate_bearer(reg.session.access)

    def test_an_expired_token_is_refused_even_when_kept(
        self, processes: TwoProcesses, credential_cache: CredentialCache
    ) -> None:
        reg = processes.merchant()
        principal = processes.kept(reg.session.access)
        processes.clock.advance(processes.first.lifetimes.access)
        key = (CredentialKind.BEARER, reg.session.access)
        assert credential_cache.get(key, credential_cache.version()) == principal
        with pytest.raises(NotAuthenticated):
            processes.first.authenticate_bearer(reg.session.access)

    def test_a_role_changed_elsewhere_is_not_served_stale(
        self, processes: TwoProcesses, other_process: Factory
    ) -> None:
        reg = processes.merchant()
        processes.kept(reg.session.access)
        promoted = attrs.evolve(reg.user, role=Role.ADMIN, updated_at=at(1))
        with other_process() as uow:
            uow.users.update(promoted)
            uow.commit()
        principal = processes.first.authenticate_bearer(reg.session.access)
        assert (principal.user, principal.merchant) == (promoted, None)

    def test_a_merchant_changed_elsewhere_is_not_served_stale(
        self, processes: TwoProcesses
    ) -> None:
        reg = processes.merchant()
        processes.kept(reg.session.access)
        changed = processes.second.update_merchant(
            UpdateMerchant(reg.merchant.id, webhook_url="https://shop.example/new-hooks")
        )
        principal = processes.first.authenticate_bearer(reg.session.access)
        assert principal.merchant == changed.merchant
