"""The contract of the ``TokenStore`` port: refresh tokens, their logins (families) and
the access-token deny list."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from paygate_core.accounts import Role, User
from paygate_core.testing._builders import Builder, at
from paygate_core.testing._identity import assert_identical
from paygate_core.testing.contract._base import (
    STRANGER,
    Factory,
    reading,
    write,
)
from paygate_core.tokens import RefreshToken


class TokenStoreContract:
    def _tokens(self, factory: Factory) -> tuple[User, User, Builder]:
        b = Builder()
        alice, bob = b.user(), b.user(role=Role.ADMIN)
        write(factory, alice, bob)
        return alice, bob, b

    def _revoked(self, factory: Factory, *tokens: RefreshToken) -> list[bool]:
        with reading(factory) as uow:
            found = [uow.tokens.get_refresh(t.jti) for t in tokens]
        assert all(t is not None for t in found)
        return [t.revoked for t in found if t is not None]

    def test_refresh_token_round_trips(self, uow_factory: Factory) -> None:
        alice, _, b = self._tokens(uow_factory)
        token = b.refresh_token(alice, created_at=at(1, microseconds=11))
        write(uow_factory, token)
        with reading(uow_factory) as uow:
            assert_identical(uow.tokens.get_refresh(token.jti), token)
            assert uow.tokens.get_refresh(STRANGER) is None

    def test_revoking_one_token_family_or_user(self, uow_factory: Factory) -> None:
        alice, bob, b = self._tokens(uow_factory)
        first = b.refresh_token(alice)
        rotated = b.refresh_token(alice, family=first.family, created_at=at(1))
        other_login = b.refresh_token(alice)
        bobs = b.refresh_token(bob)
        write(uow_factory, first, rotated, other_login, bobs)
        with uow_factory() as uow:
            uow.tokens.revoke_refresh(first.jti)
            uow.commit()
        assert self._revoked(uow_factory, first, rotated, other_login, bobs) == [
            True,
            False,
            False,
            False,
        ]
        with uow_factory() as uow:
            uow.tokens.revoke_family(first.family)
            uow.commit()
        assert self._revoked(uow_factory, first, rotated, other_login, bobs) == [
            True,
            True,
            False,
            False,
        ]
        with uow_factory() as uow:
            uow.tokens.revoke_user(alice.id)
            uow.commit()
        assert self._revoked(uow_factory, first, rotated, other_login, bobs) == [
            True,
            True,
            True,
            False,
        ]
        with reading(uow_factory) as uow:
            stored = uow.tokens.get_refresh(rotated.jti)
        rotated.revoked = True
        assert_identical(stored, rotated)

    def test_a_login_is_revoked_when_none_of_its_refresh_tokens_is_live(
        self, uow_factory: Factory
    ) -> None:
        alice, _, b = self._tokens(uow_factory)
        first = b.refresh_token(alice)
        rotated = b.refresh_token(alice, family=first.family, created_at=at(1))
        other_login = b.refresh_token(alice)
        write(uow_factory, first, rotated, other_login)
        with uow_factory() as uow:
            uow.tokens.revoke_refresh(first.jti)  # a rotation: the login lives on
            uow.commit()
        with reading(uow_factory) as uow:
            assert not uow.tokens.is_family_revoked(first.family)
            assert uow.tokens.is_family_revoked(STRANGER)
        with uow_factory() as uow:
            uow.tokens.revoke_family(first.family)
            uow.commit()
        with reading(uow_factory) as uow:
            assert uow.tokens.is_family_revoked(first.family)
            assert not uow.tokens.is_family_revoked(other_login.family)

    def test_access_deny_list(self, uow_factory: Factory) -> None:
        revoked, fine = UUID(int=1), UUID(int=2)
        with uow_factory() as uow:
            uow.tokens.revoke_access(revoked, at(900))
            uow.commit()
        with uow_factory() as uow:
            uow.tokens.revoke_access(revoked, at(900))  # a second logout is harmless
            uow.commit()
        with reading(uow_factory) as uow:
            assert uow.tokens.is_access_revoked(revoked)
            assert not uow.tokens.is_access_revoked(fine)

    def test_purge_removes_what_has_expired(self, uow_factory: Factory) -> None:
        alice, _, b = self._tokens(uow_factory)
        expired = b.refresh_token(alice, created_at=at(0), lifetime=timedelta(seconds=10))
        alive = b.refresh_token(alice, created_at=at(0), lifetime=timedelta(seconds=11))
        write(uow_factory, expired, alive)
        with uow_factory() as uow:
            uow.tokens.revoke_access(UUID(int=1), at(5))
            uow.tokens.revoke_access(UUID(int=2), at(10))
            uow.tokens.revoke_access(UUID(int=3), at(11))
            uow.commit()
        with uow_factory() as uow:
            assert uow.tokens.purge_expired(at(10)) == 3
            uow.commit()
        with reading(uow_factory) as uow:
            assert uow.tokens.get_refresh(expired.jti) is None
            assert_identical(uow.tokens.get_refresh(alive.jti), alive)
            assert uow.tokens.is_access_revoked(UUID(int=3))
            assert not uow.tokens.is_access_revoked(UUID(int=1))
