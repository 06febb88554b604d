"""Registration, login, refresh-token rotation with reuse detection, logout, authentication."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from uuid import UUID

import attrs

from paygate_core.accounts import (
    Merchant,
    Role,
    User,
    generate_api_key,
    generate_webhook_secret,
    normalise_email,
    validate_name,
    validate_password,
    validate_webhook_url,
)
from paygate_core.errors import (
    EmailAlreadyRegistered,
    LoginFailed,
    NotAuthenticated,
    ValidationFailed,
)
from paygate_core.ports import (
    Clock,
    CredentialDirectory,
    IdGenerator,
    PasswordHasher,
    TokenService,
    UnitOfWork,
    UnitOfWorkFactory,
)
from paygate_core.principals import Principal
from paygate_core.text import check_storable
from paygate_core.tokens import AuthSession, RefreshToken, TokenClaims, TokenType

__all__ = [
    "AdminRegistration",
    "Login",
    "LoginResult",
    "MerchantRegistration",
    "RegisterAdmin",
    "RegisterMerchant",
    "TokenLifetimes",
    "authenticate_api_key",
    "authenticate_bearer",
    "login",
    "logout",
    "refresh",
    "register_admin",
    "register_merchant",
]


@attrs.frozen
class TokenLifetimes:
    access: timedelta = timedelta(minutes=15)
    refresh: timedelta = timedelta(days=7)


@attrs.frozen(repr=False)
class RegisterMerchant:
    email: object
    name: object
    password: object
    webhook_url: object = None


@attrs.frozen(repr=False)
class RegisterAdmin:
    email: object
    name: object
    password: object


@attrs.frozen(repr=False)
class Login:
    email: object
    password: object


@attrs.frozen(repr=False)
class MerchantRegistration:
    user: User
    merchant: Merchant
    session: AuthSession


@attrs.frozen(repr=False)
class AdminRegistration:
    user: User
    access: str


@attrs.frozen(repr=False)
class LoginResult:
    user: User
    merchant: Merchant | None
    session: AuthSession


@attrs.frozen
class _Ports:
    clock: Clock
    ids: IdGenerator
    tokens: TokenService
    lifetimes: TokenLifetimes


def _new_user(
    email: object,
    name: object,
    password: object,
    role: Role,
    *,
    uow: UnitOfWork,
    clock: Clock,
    ids: IdGenerator,
    hasher: PasswordHasher,
    problems: Mapping[str, str] | None = None,
) -> User:
    """Validate and add a user; ``problems`` found in the caller's own fields are reported
    together with these."""
    fields: dict[str, str] = dict(problems or {})
    values: dict[str, str] = {}
    for field, check, raw in (
        ("email", normalise_email, email),
        ("name", validate_name, name),
        ("password", validate_password, password),
    ):
        try:
            values[field] = check(raw)
        except ValidationFailed as exc:  # report every field's problem in one answer
            fields.update(exc.fields or {field: "is invalid"})
    if fields:
        raise ValidationFailed(fields=fields)
    if uow.users.get_by_email(values["email"]) is not None:
        raise EmailAlreadyRegistered("A user with this email already exists")
    now = clock.now()
    user = User(
        id=ids.new_id(),
        email=values["email"],
        name=values["name"],
        password_hash=hasher.hash(values["password"]),
        role=role,
        deleted=False,
        deleted_at=None,
        created_at=now,
        updated_at=now,
    )
    uow.users.add(user)
    return user


def _issue_access(
    user: User,
    ports: _Ports,
    family: UUID | None = None,
) -> tuple[str, TokenClaims]:
    """An access token; ``family`` ties it to its login, so revoking the login kills it."""
    now = ports.clock.now()
    claims = TokenClaims(
        sub=user.id,
        role=user.role,
        type=TokenType.ACCESS,
        jti=ports.ids.new_id(),
        issued_at=now,
        expires_at=now + ports.lifetimes.access,
        family=family,
    )
    return ports.tokens.encode(claims), claims


def _issue_session(
    user: User,
    uow: UnitOfWork,
    ports: _Ports,
    family: UUID | None = None,
) -> AuthSession:
    now = ports.clock.now()
    family = family or ports.ids.new_id()
    access, _ = _issue_access(user, ports, family)
    refresh_claims = TokenClaims(
        sub=user.id,
        role=user.role,
        type=TokenType.REFRESH,
        jti=ports.ids.new_id(),
        issued_at=now,
        expires_at=now + ports.lifetimes.refresh,
        family=family,
    )
    assert refresh_claims.family is not None
    uow.tokens.add_refresh(
        RefreshToken(
            jti=refresh_claims.jti,
            user_id=user.id,
            family=refresh_claims.family,
            expires_at=refresh_claims.expires_at,
            revoked=False,
            created_at=now,
        )
    )
    return AuthSession(
        access=access,
        refresh=ports.tokens.encode(refresh_claims),
        refresh_expires_at=refresh_claims.expires_at,
        user_id=user.id,
    )


def register_merchant(
    cmd: RegisterMerchant,
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    ids: IdGenerator,
    hasher: PasswordHasher,
    tokens: TokenService,
    lifetimes: TokenLifetimes,
    allow_private_webhooks: bool = False,
) -> MerchantRegistration:
    webhook_url: str | None = None
    url_problem: Mapping[str, str] = {}
    try:
        webhook_url = validate_webhook_url(cmd.webhook_url, allow_private=allow_private_webhooks)
    except ValidationFailed as exc:
        url_problem = exc.fields
    ports = _Ports(clock, ids, tokens, lifetimes)
    with uow() as work:
        user = _new_user(
            cmd.email,
            cmd.name,
            cmd.password,
            Role.MERCHANT,
            uow=work,
            clock=clock,
            ids=ids,
            hasher=hasher,
            problems=url_problem,
        )
        merchant = Merchant(
            id=ids.new_id(),
            user_id=user.id,
            webhook_url=webhook_url,
            api_key=generate_api_key(),
            webhook_secret=generate_webhook_secret(),
            created_at=user.created_at,
            updated_at=user.created_at,
        )
        work.merchants.add(merchant)
        session = _issue_session(user, work, ports)
        work.commit()
    return MerchantRegistration(user, merchant, session)


def register_admin(
    cmd: RegisterAdmin,
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    ids: IdGenerator,
    hasher: PasswordHasher,
    tokens: TokenService,
    lifetimes: TokenLifetimes,
) -> AdminRegistration:
    with uow() as work:
        user = _new_user(
            cmd.email,
            cmd.name,
            cmd.password,
            Role.ADMIN,
            uow=work,
            clock=clock,
            ids=ids,
            hasher=hasher,
        )
        work.commit()
    access, _ = _issue_access(user, _Ports(clock, ids, tokens, lifetimes))
    return AdminRegistration(user, access)


def login(
    cmd: Login,
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    ids: IdGenerator,
    hasher: PasswordHasher,
    tokens: TokenService,
    lifetimes: TokenLifetimes,
) -> LoginResult:
    if not isinstance(cmd.email, str) or not isinstance(cmd.password, str):
        bad = {
            f: "must be a string"
            for f, v in (("email", cmd.email), ("password", cmd.password))
            if not isinstance(v, str)
        }
        raise ValidationFailed(fields=bad)
    check_storable(cmd.email, "email")
    check_storable(cmd.password, "password")
    email = cmd.email.strip().lower()
    with uow(read_only=True) as work:
        user = work.users.get_by_email(email)
    # Hash even for unknown emails so timing does not reveal which emails exist.
    matches = hasher.verify(cmd.password, user.password_hash if user else None)
    if user is None or not matches or user.deleted:
        raise LoginFailed("Invalid email or password")
    with uow() as work:
        merchant = work.merchants.get_by_user(user.id)
        session = _issue_session(user, work, _Ports(clock, ids, tokens, lifetimes))
        work.commit()
    return LoginResult(user, merchant, session)


def refresh(
    token: str,
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    ids: IdGenerator,
    tokens: TokenService,
    lifetimes: TokenLifetimes,
) -> AuthSession:
    """Rotate a refresh token. Presenting a revoked one revokes its whole login (reuse)."""
    claims = tokens.decode(token, TokenType.REFRESH)
    with uow() as work:
        stored = work.tokens.get_refresh(claims.jti)
        if stored is None or stored.user_id != claims.sub:
            raise NotAuthenticated("Refresh token is not recognised")
        if stored.revoked:
            work.tokens.revoke_family(stored.family)
            work.commit()
            raise NotAuthenticated("Refresh token was already used; the login is revoked")
        user = work.users.get(stored.user_id)
        if user is None or user.deleted:
            raise NotAuthenticated("User is not active")
        # The successor first: the login keeps a live token throughout, so revoking the old
        # one ends no login and refuses none of its access tokens.
        session = _issue_session(
            user, work, _Ports(clock, ids, tokens, lifetimes), family=stored.family
        )
        work.tokens.revoke_refresh(stored.jti)
        work.commit()
    return session


def logout(
    principal: Principal,
    refresh_token: str | None,
    *,
    uow: UnitOfWorkFactory,
    tokens: TokenService,
) -> None:
    """Revoke the access token used for this call and the presented refresh token, if any."""
    with uow() as work:
        if principal.access_jti is not None and principal.access_expires_at is not None:
            work.tokens.revoke_access(principal.access_jti, principal.access_expires_at)
        if refresh_token:
            try:
                claims = tokens.decode(refresh_token, TokenType.REFRESH)
            except NotAuthenticated:
                claims = None  # an unusable refresh token needs no revoking
            if claims is not None and claims.sub == principal.user.id:
                work.tokens.revoke_refresh(claims.jti)
        work.commit()


def authenticate_bearer(token: str, *, credentials: CredentialDirectory, clock: Clock) -> Principal:
    """The caller of an access token. Its expiry is checked against ``clock`` on every call:
    the directory may serve an answer it remembers past it."""
    principal = credentials.by_access_token(token)
    expires_at = principal.access_expires_at
    if expires_at is None or expires_at <= clock.now():
        raise NotAuthenticated("Token has expired")
    return principal


def authenticate_api_key(api_key: str, *, credentials: CredentialDirectory) -> Principal:
    """The merchant of an API key (an API key does not expire)."""
    return credentials.by_api_key(api_key)
