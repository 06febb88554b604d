"""``StoredCredentials``: the ``CredentialDirectory`` that reads storage on every call.

An API key is one read (the merchant with its user); an access token is decoded (signature,
type, expiry), then its revocation, its login's refresh tokens, its user and merchant are
read, in one read-only unit of work. What every call reads is what is committed, so any
change made by any process is seen at once. Adapters may decorate it to remember answers
(``paygate_adapters.sql.credential_cache``); the authentication use cases check an access
token's expiry on every call themselves.
"""

from __future__ import annotations

import attrs

from paygate_core.accounts import Role
from paygate_core.errors import NotAuthenticated
from paygate_core.ports import TokenService, UnitOfWorkFactory
from paygate_core.principals import CredentialKind, Principal
from paygate_core.tokens import TokenType

__all__ = ["StoredCredentials"]


@attrs.frozen
class StoredCredentials:
    uow: UnitOfWorkFactory
    tokens: TokenService

    def by_api_key(self, api_key: str) -> Principal:
        with self.uow(read_only=True) as work:
            account = work.merchants.get_account_by_api_key(api_key)
        if account is None or account.user.deleted:
            raise NotAuthenticated("API key is not valid")
        return Principal(account.user, account.merchant, CredentialKind.API_KEY)

    def by_access_token(self, token: str) -> Principal:
        claims = self.tokens.decode(token, TokenType.ACCESS)
        with self.uow(read_only=True) as work:
            if work.tokens.is_access_revoked(claims.jti):
                raise NotAuthenticated("Access token has been revoked")
            if claims.family is not None and work.tokens.is_family_revoked(claims.family):
                raise NotAuthenticated("The login of this token has been revoked")
            user = work.users.get(claims.sub)
            if user is None or user.deleted:
                raise NotAuthenticated("User is not active")
            merchant = work.merchants.get_by_user(user.id) if user.role is Role.MERCHANT else None
        return Principal(user, merchant, CredentialKind.BEARER, claims.jti, claims.expires_at)
