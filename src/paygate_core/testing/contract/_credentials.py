"""The contract of the ``CredentialDirectory`` port: who a presented credential authenticates,
asked directly and through the gateway's ``authenticate_bearer`` and
``authenticate_api_key``, while a second process makes changes. It holds for the core's
``StoredCredentials`` and for any adapter that decorates it to remember answers: every
change committed anywhere is seen by the next call, with the same refusals."""

from __future__ import annotations

import re
from contextlib import AbstractContextManager
from datetime import timedelta
from typing import ClassVar

import attrs
import pytest

from paygate_core.accounts import Role, User
from paygate_core.credentials import StoredCredentials
from paygate_core.errors import NotAuthenticated
from paygate_core.gateway import Paygate
from paygate_core.ports import CredentialDirectory
from paygate_core.principals import CredentialKind, Principal
from paygate_core.simulator import SimulatedProcessor
from paygate_core.system import UUID4Ids
from paygate_core.testing._builders import T0, Builder, at
from paygate_core.testing.contract._base import Factory, seed_merchant, write
from paygate_core.testing.memory import FixedClock, PlainPasswordHasher, UnsignedTokenService
from paygate_core.tokens import TokenClaims, TokenType
from paygate_core.use_cases.accounts import UpdateMerchant
from paygate_core.use_cases.auth import MerchantRegistration, RegisterAdmin, RegisterMerchant

_REVOKED = "Access token has been revoked"
_LOGIN_REVOKED = "The login of this token has been revoked"


def refused(message: str) -> AbstractContextManager[pytest.ExceptionInfo[NotAuthenticated]]:
    """Expects ``NotAuthenticated`` with exactly this message."""
    return pytest.raises(NotAuthenticated, match=f"^{re.escape(message)}$")


@attrs.frozen
class TwoProcesses:
    """Two processes over one store: ``first`` asks the directory under test; ``second``
    (its own connections, the core's ``StoredCredentials``) makes the changes."""

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
        """The token's principal, answered twice alike (a directory that remembers answers
        serves the second from memory)."""
        principal = self.first.authenticate_bearer(token)
        assert self.first.authenticate_bearer(token) == principal
        return principal


class CredentialDirectoryContract:
    """The ``CredentialDirectory`` port. Not part of ``UnitOfWorkContract``: the test class
    provides ``uow_factory`` over an empty store, and may provide ``other_process`` (another
    factory over that store, as another worker process has; by default ``uow_factory``)
    and ``credentials``: the directory under test, built on ``stored`` (the core's
    ``StoredCredentials`` over ``uow_factory`` and the contract's ``tokens``); by default
    ``stored`` itself."""

    @pytest.fixture
    def other_process(self, uow_factory: Factory) -> Factory:
        return uow_factory

    @pytest.fixture
    def clock(self) -> FixedClock:
        return FixedClock(T0)

    @pytest.fixture
    def tokens(self, clock: FixedClock) -> UnsignedTokenService:
        return UnsignedTokenService(clock)

    @pytest.fixture
    def stored(self, uow_factory: Factory, tokens: UnsignedTokenService) -> StoredCredentials:
        return StoredCredentials(uow_factory, tokens)

    @pytest.fixture
    def credentials(self, stored: StoredCredentials) -> CredentialDirectory:
        return stored

    @pytest.fixture
    def processes(
        self,
        uow_factory: Factory,
        other_process: Factory,
        credentials: CredentialDirectory,
        clock: FixedClock,
        tokens: UnsignedTokenService,
    ) -> TwoProcesses:
        def paygate(uow: Factory, directory: CredentialDirectory) -> Paygate:
            return Paygate(
                uow=uow,
                clock=clock,
                ids=UUID4Ids(),
                processor=SimulatedProcessor(),
                hasher=PlainPasswordHasher(),
                tokens=tokens,
                card_key=b"card-key",
                credentials=directory,
            )

        first = paygate(uow_factory, credentials)
        second = paygate(other_process, StoredCredentials(other_process, tokens))
        admin = first.register_admin(
            RegisterAdmin(
                email="admin@paygate.example", name="Admin", password=TwoProcesses.PASSWORD
            )
        )
        return TwoProcesses(first, second, clock, admin.user)

    # --- API keys ---

    def test_an_api_key_answers_its_merchant_while_nothing_changes(
        self, uow_factory: Factory, credentials: CredentialDirectory
    ) -> None:
        user, merchant = seed_merchant(uow_factory, Builder())
        for _ in range(2):
            assert credentials.by_api_key(merchant.api_key) == Principal(
                user, merchant, CredentialKind.API_KEY
            )
        with refused("API key is not valid"):
            credentials.by_api_key("pk_another")

    def test_an_api_key_is_not_an_access_token(
        self, uow_factory: Factory, credentials: CredentialDirectory
    ) -> None:
        _, merchant = seed_merchant(uow_factory, Builder())
        credentials.by_api_key(merchant.api_key)
        with refused("Token is not valid"):
            credentials.by_access_token(merchant.api_key)

    @pytest.mark.parametrize("changed", ["user", "merchant"])
    def test_a_committed_change_of_the_user_or_merchant_is_seen_at_once(
        self,
        uow_factory: Factory,
        other_process: Factory,
        credentials: CredentialDirectory,
        changed: str,
    ) -> None:
        user, merchant = seed_merchant(uow_factory, Builder())
        for _ in range(2):
            credentials.by_api_key(merchant.api_key)
        with other_process() as uow:
            if changed == "user":
                uow.users.update(attrs.evolve(user, deleted=True, deleted_at=at(1)))
            else:
                uow.merchants.update(attrs.evolve(merchant, api_key="pk_rotated"))
            uow.commit()
        with refused("API key is not valid"):
            credentials.by_api_key(merchant.api_key)

    def test_a_merchant_changed_elsewhere_is_answered_fresh(
        self, uow_factory: Factory, other_process: Factory, credentials: CredentialDirectory
    ) -> None:
        _, merchant = seed_merchant(uow_factory, Builder())
        for _ in range(2):
            credentials.by_api_key(merchant.api_key)
        changed = attrs.evolve(merchant, webhook_url="https://shop.example/new", updated_at=at(1))
        with other_process() as uow:
            uow.merchants.update(changed)
            uow.commit()
        assert credentials.by_api_key(merchant.api_key).merchant == changed

    def test_a_change_rolled_back_changes_no_answer(
        self, uow_factory: Factory, credentials: CredentialDirectory
    ) -> None:
        user, merchant = seed_merchant(uow_factory, Builder())
        principal = credentials.by_api_key(merchant.api_key)
        with uow_factory() as uow:
            uow.users.update(attrs.evolve(user, deleted=True, deleted_at=at(1)))
        assert credentials.by_api_key(merchant.api_key) == principal

    # --- what one caller does to its answer reaches no other caller ---

    @pytest.mark.parametrize("kind", list(CredentialKind))
    def test_no_caller_changes_what_another_is_served(
        self,
        processes: TwoProcesses,
        credentials: CredentialDirectory,
        kind: CredentialKind,
    ) -> None:
        reg = processes.merchant()

        def ask() -> Principal:
            if kind is CredentialKind.BEARER:
                return credentials.by_access_token(reg.session.access)
            return credentials.by_api_key(reg.merchant.api_key)

        original = ask()
        for answer in (original, ask()):
            assert answer.merchant is not None
            answer.user.name = "Changed by a caller"
            answer.user.deleted = True
            answer.merchant.api_key = "pk_changed_by_a_caller"
            answer.merchant.webhook_url = "https://evil.example/hooks"
        served = ask()
        assert (served.user, served.merchant) == (reg.user, reg.merchant)

    # --- bearer tokens: every change elsewhere is seen by the next call ---

    def test_a_bearer_token_answers_its_user_merchant_and_token(
        self, processes: TwoProcesses, credentials: CredentialDirectory
    ) -> None:
        reg = processes.merchant()
        principal = processes.kept(reg.session.access)
        assert (principal.user, principal.merchant) == (reg.user, reg.merchant)
        assert principal.credential is CredentialKind.BEARER
        assert principal.access_expires_at == T0 + processes.first.lifetimes.access
        assert credentials.by_access_token(reg.session.access) == principal

    def test_a_refresh_token_is_not_an_access_token(
        self, processes: TwoProcesses, credentials: CredentialDirectory
    ) -> None:
        reg = processes.merchant()
        with refused("Token is not valid"):
            credentials.by_access_token(reg.session.refresh)

    @pytest.mark.parametrize("with_refresh", [False, True], ids=["access", "access+refresh"])
    def test_a_logout_elsewhere_refuses_a_kept_token_at_once(
        self, processes: TwoProcesses, with_refresh: bool
    ) -> None:
        reg = processes.merchant()
        principal = processes.kept(reg.session.access)
        processes.second.logout(principal, reg.session.refresh if with_refresh else None)
        with refused(_REVOKED):
            processes.first.authenticate_bearer(reg.session.access)

    def test_a_login_ended_elsewhere_refuses_its_other_kept_tokens(
        self, processes: TwoProcesses
    ) -> None:
        reg = processes.merchant()
        rotated = processes.second.refresh(reg.session.refresh)  # same login, new tokens
        principal = processes.kept(rotated.access)
        processes.kept(reg.session.access)
        processes.second.logout(principal, rotated.refresh)  # revokes rotated.access only
        with refused(_LOGIN_REVOKED):
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
            with refused(_LOGIN_REVOKED):
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
        with refused(_LOGIN_REVOKED):
            processes.first.authenticate_bearer(reg.session.access)

    def test_a_user_deleted_elsewhere_is_refused_at_once(self, processes: TwoProcesses) -> None:
        reg = processes.merchant()
        processes.kept(reg.session.access)
        processes.second.delete_user(processes.admin, reg.user.id)
        with refused(_LOGIN_REVOKED):
            processes.first.authenticate_bearer(reg.session.access)

    def test_a_token_of_no_login_is_refused_once_its_user_is_deleted(
        self, processes: TwoProcesses
    ) -> None:
        other = processes.first.register_admin(
            RegisterAdmin(
                email="other@paygate.example", name="Other", password=TwoProcesses.PASSWORD
            )
        )
        processes.kept(other.access)  # an admin's first token belongs to no login
        processes.second.delete_user(processes.admin, other.user.id)
        with refused("User is not active"):
            processes.first.authenticate_bearer(other.access)

    def test_an_expired_token_is_refused_even_when_kept(self, processes: TwoProcesses) -> None:
        reg = processes.merchant()
        processes.kept(reg.session.access)
        processes.clock.advance(processes.first.lifetimes.access)
        with refused("Token has expired"):
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

    def test_a_merchant_row_added_elsewhere_is_seen_at_once(
        self,
        uow_factory: Factory,
        other_process: Factory,
        credentials: CredentialDirectory,
        tokens: UnsignedTokenService,
    ) -> None:
        """An insert can change this answer; no remembering may hide it."""
        b = Builder()
        user = b.user(role=Role.MERCHANT)
        write(uow_factory, user)
        token = tokens.encode(
            TokenClaims(
                sub=user.id,
                role=user.role,
                type=TokenType.ACCESS,
                jti=b.new_id(),
                issued_at=T0,
                expires_at=T0 + timedelta(minutes=15),
            )
        )
        for _ in range(2):
            assert credentials.by_access_token(token).merchant is None
        merchant = b.merchant(user)
        write(other_process, merchant)
        assert credentials.by_access_token(token).merchant == merchant
