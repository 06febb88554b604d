"""Registration, login, token rotation with reuse detection, logout, and account lifecycle."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from uuid import UUID

import pytest

from paygate_core import CredentialKind, Login, RegisterAdmin, RegisterMerchant, Role
from paygate_core.errors import (
    EmailAlreadyRegistered,
    ErrorCode,
    Forbidden,
    LoginFailed,
    NotAuthenticated,
    UserNotFound,
    UserStateConflict,
    ValidationFailed,
)
from paygate_core.tokens import TokenType
from paygate_core.use_cases.accounts import UpdateMerchant

from .conftest import PASSWORD, World


def login(world: World, email: str, password: str = PASSWORD) -> object:
    return world.app.login(Login(email, password))


# --- registration --------------------------------------------------------------------------


def test_merchant_registration_opens_an_account_with_keys_and_a_session(world: World) -> None:
    reg = world.merchant(email="  Shop@Example.COM ")
    assert (reg.user.email, reg.user.role, reg.user.deleted) == (
        "shop@example.com",
        Role.MERCHANT,
        False,
    )
    assert reg.merchant.user_id == reg.user.id
    assert reg.merchant.api_key.startswith("pk_")
    assert reg.merchant.webhook_secret.startswith("whsec_")
    assert world.app.authenticate_bearer(reg.session.access).user.id == reg.user.id
    assert world.app.authenticate_api_key(reg.merchant.api_key).merchant == reg.merchant
    assert reg.session.refresh_expires_at == world.clock.now() + timedelta(days=7)
    assert "access" not in repr(reg.session)


def test_each_merchant_gets_its_own_secrets(world: World) -> None:
    first, second = world.merchant(), world.merchant()
    assert first.merchant.api_key != second.merchant.api_key
    assert first.merchant.webhook_secret != second.merchant.webhook_secret


def test_email_is_registered_once_whatever_its_case(world: World) -> None:
    world.merchant(email="ada@shop.example")
    for email in ("ada@shop.example", "ADA@Shop.Example"):
        with pytest.raises(EmailAlreadyRegistered) as caught:
            world.merchant(email=email)
        assert caught.value.code is ErrorCode.EMAIL_ALREADY_REGISTERED
    with pytest.raises(EmailAlreadyRegistered):
        world.admin(email="Ada@shop.example")


def test_registration_reports_every_bad_field_at_once(world: World) -> None:
    with pytest.raises(ValidationFailed) as caught:
        world.app.register_merchant(
            RegisterMerchant("not-an-email", "  ", "short", webhook_url="ftp://x")
        )
    assert set(caught.value.fields) == {"email", "name", "password", "webhook_url"}
    with pytest.raises(ValidationFailed) as caught:
        world.app.register_merchant(
            RegisterMerchant(
                "a@shop.example", "Shop", PASSWORD, webhook_url="https://shop.example/\x00"
            )
        )
    assert set(caught.value.fields) == {"webhook_url"}


@pytest.mark.parametrize(
    ("email", "name", "field"),
    [("nul\x00@shop.example", "Shop", "email"), ("a@shop.example", "Sh\x00op", "name")],
)
def test_nul_characters_are_refused_before_reaching_storage(
    world: World, email: str, name: str, field: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        world.app.register_merchant(RegisterMerchant(email, name, PASSWORD))
    assert set(caught.value.fields) == {field}


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "https://10.0.0.8/x",
        "http://[::1]/",
        "http://169.254.169.254/latest",
        "https://[::ffff:192.168.1.1]/",
    ],
)
def test_webhook_url_to_an_internal_address_is_refused(world: World, url: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        world.merchant(webhook_url=url)
    assert set(caught.value.fields) == {"webhook_url"}


def test_passwords_of_8_to_128_characters_are_accepted(world: World) -> None:
    for n, password in enumerate(("x" * 8, "é" * 128)):
        world.app.register_merchant(RegisterMerchant(f"p{n}@shop.example", "Shop", password))
        assert login(world, f"p{n}@shop.example", password)
    refused: list[object] = ["x" * 7, "x" * 129, 12345678]
    for wrong in refused:
        with pytest.raises(ValidationFailed):
            world.app.register_merchant(RegisterMerchant("q@shop.example", "Shop", wrong))


def test_admin_registration_gives_an_admin_access_token(world: World) -> None:
    reg = world.admin()
    principal = world.app.authenticate_bearer(reg.access)
    assert principal.require_admin() == reg.user
    assert principal.user.is_staff
    assert principal.user.is_superuser
    with pytest.raises(Forbidden):
        principal.require_merchant()


# --- login ---------------------------------------------------------------------------------


def test_login_matches_email_case_insensitively(world: World) -> None:
    reg = world.merchant(email="grace@shop.example")
    result = world.app.login(Login(" GRACE@shop.example ", PASSWORD))
    assert result.user.id == reg.user.id
    assert result.merchant == reg.merchant
    assert world.app.authenticate_bearer(result.session.access).user.id == reg.user.id


def test_admin_login_has_no_merchant(world: World) -> None:
    reg = world.admin(email="root@paygate.example")
    assert world.app.login(Login("root@paygate.example", PASSWORD)).merchant is None
    assert reg.user.role is Role.ADMIN


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("ada@shop.example", "wrong password"),
        ("nobody@shop.example", PASSWORD),
    ],
)
def test_wrong_password_and_unknown_email_fail_alike(
    world: World, email: str, password: str
) -> None:
    world.merchant(email="ada@shop.example")
    with pytest.raises(LoginFailed) as caught:
        login(world, email, password)
    assert caught.value.code is ErrorCode.LOGIN_FAILED
    assert caught.value.message == "Invalid email or password"


def test_login_with_non_string_fields_is_1004(world: World) -> None:
    with pytest.raises(ValidationFailed) as caught:
        world.app.login(Login(None, 12345678))
    assert set(caught.value.fields) == {"email", "password"}


# --- refresh rotation ------------------------------------------------------------------------


def test_refresh_rotates_the_token(world: World) -> None:
    session = world.merchant().session
    rotated = world.app.refresh(session.refresh)
    assert rotated.refresh != session.refresh
    assert world.app.authenticate_bearer(rotated.access).user.id == session.user_id
    again = world.app.refresh(rotated.refresh)
    assert again.user_id == session.user_id


def test_reusing_a_refresh_token_revokes_the_whole_login(world: World) -> None:
    session = world.merchant().session
    rotated = world.app.refresh(session.refresh)
    with pytest.raises(NotAuthenticated):
        world.app.refresh(session.refresh)  # the old one, presented again: reuse
    with pytest.raises(NotAuthenticated) as caught:
        world.app.refresh(rotated.refresh)  # so the newest one of that login is dead too
    assert caught.value.code is ErrorCode.NOT_AUTHENTICATED


def test_reuse_revokes_only_that_login(world: World) -> None:
    reg = world.merchant(email="two@shop.example")
    other_login = world.app.login(Login("two@shop.example", PASSWORD)).session
    world.app.refresh(reg.session.refresh)
    with pytest.raises(NotAuthenticated):
        world.app.refresh(reg.session.refresh)
    assert world.app.refresh(other_login.refresh).user_id == reg.user.id


def test_access_token_is_not_a_refresh_token_and_expires(world: World) -> None:
    session = world.merchant().session
    with pytest.raises(NotAuthenticated):
        world.app.refresh(session.access)
    with pytest.raises(NotAuthenticated):
        world.app.authenticate_bearer(session.refresh)
    world.clock.advance(timedelta(minutes=15))
    with pytest.raises(NotAuthenticated):
        world.app.authenticate_bearer(session.access)
    world.clock.advance(timedelta(days=7))
    with pytest.raises(NotAuthenticated):
        world.app.refresh(session.refresh)


# --- logout ----------------------------------------------------------------------------------


def test_logout_revokes_the_access_and_the_refresh_token(world: World) -> None:
    session = world.merchant().session
    principal = world.app.authenticate_bearer(session.access)
    world.app.logout(principal, session.refresh)
    with pytest.raises(NotAuthenticated):
        world.app.authenticate_bearer(session.access)
    with pytest.raises(NotAuthenticated):
        world.app.refresh(session.refresh)


def test_logout_without_or_with_a_bad_refresh_token_still_revokes_access(world: World) -> None:
    for refresh in (None, "garbage"):
        session = world.merchant().session
        world.app.logout(world.app.authenticate_bearer(session.access), refresh)
        with pytest.raises(NotAuthenticated):
            world.app.authenticate_bearer(session.access)
        assert world.app.refresh(session.refresh).user_id == session.user_id


def test_logout_does_not_revoke_someone_elses_refresh_token(world: World) -> None:
    mine, theirs = world.merchant().session, world.merchant().session
    world.app.logout(world.app.authenticate_bearer(mine.access), theirs.refresh)
    assert world.app.refresh(theirs.refresh).user_id == theirs.user_id


# --- deletion, restore, credentials ------------------------------------------------------------


def test_soft_delete_locks_out_every_credential(world: World) -> None:
    reg = world.merchant(email="gone@shop.example")
    admin = world.admin().user
    deleted = world.app.delete_user(admin, reg.user.id)
    assert (deleted.deleted, deleted.deleted_at) == (True, world.clock.now())
    with pytest.raises(LoginFailed):
        login(world, "gone@shop.example")
    for call in (
        lambda: world.app.authenticate_bearer(reg.session.access),
        lambda: world.app.authenticate_api_key(reg.merchant.api_key),
        lambda: world.app.refresh(reg.session.refresh),
    ):
        with pytest.raises(NotAuthenticated):
            call()


def test_restore_lets_the_user_back_in_but_old_refresh_tokens_stay_dead(world: World) -> None:
    reg = world.merchant(email="back@shop.example")
    admin = world.admin().user
    world.app.delete_user(admin, reg.user.id)
    restored = world.app.restore_user(reg.user.id)
    assert (restored.deleted, restored.deleted_at) == (False, None)
    assert login(world, "back@shop.example")
    assert world.app.authenticate_api_key(reg.merchant.api_key).user.id == reg.user.id
    with pytest.raises(NotAuthenticated):
        world.app.refresh(reg.session.refresh)


def test_admin_cannot_delete_themself(world: World) -> None:
    admin = world.admin().user
    with pytest.raises(UserStateConflict) as caught:
        world.app.delete_user(admin, admin.id)
    assert caught.value.code is ErrorCode.USER_STATE_CONFLICT


def test_deleting_twice_or_restoring_an_active_user_conflicts(world: World) -> None:
    admin, other = world.admin().user, world.admin().user
    world.app.delete_user(admin, other.id)
    with pytest.raises(UserStateConflict):
        world.app.delete_user(admin, other.id)
    world.app.restore_user(other.id)
    with pytest.raises(UserStateConflict):
        world.app.restore_user(other.id)


def test_unknown_user_is_1016(world: World) -> None:
    admin = world.admin().user
    unknown = UUID(int=404)
    calls: list[Callable[[], object]] = [
        lambda: world.app.delete_user(admin, unknown),
        lambda: world.app.restore_user(unknown),
    ]
    for call in calls:
        with pytest.raises(UserNotFound) as caught:
            call()
        assert caught.value.code is ErrorCode.USER_NOT_FOUND


def test_api_key_rotation_kills_the_old_key_at_once(world: World) -> None:
    reg = world.merchant()
    new_key = world.app.rotate_api_key(reg.merchant.id)
    assert new_key != reg.merchant.api_key
    with pytest.raises(NotAuthenticated):
        world.app.authenticate_api_key(reg.merchant.api_key)
    principal = world.app.authenticate_api_key(new_key)
    assert principal.credential is CredentialKind.API_KEY
    with pytest.raises(Forbidden):
        principal.require_bearer()  # an API key cannot manage credentials


def test_webhook_secret_rotation_changes_the_secret(world: World) -> None:
    reg = world.merchant()
    secret = world.app.rotate_webhook_secret(reg.merchant.id)
    assert secret != reg.merchant.webhook_secret
    assert world.app.merchant_account(reg.merchant.id).merchant.webhook_secret == secret


def test_merchant_update_changes_only_the_fields_sent(world: World) -> None:
    reg = world.merchant()
    account = world.app.update_merchant(UpdateMerchant(reg.merchant.id, name=" New Name "))
    assert (account.user.name, account.merchant.webhook_url) == (
        "New Name",
        reg.merchant.webhook_url,
    )
    account = world.app.update_merchant(UpdateMerchant(reg.merchant.id, webhook_url=None))
    assert (account.user.name, account.merchant.webhook_url) == ("New Name", None)
    with pytest.raises(ValidationFailed):
        world.app.update_merchant(UpdateMerchant(reg.merchant.id, webhook_url="http://10.1.1.1"))


def test_user_and_merchant_lists_hide_deleted_unless_asked(world: World) -> None:
    from paygate_core.pagination import PageRequest

    admin = world.admin().user
    kept, gone = world.merchant(), world.merchant()
    world.app.delete_user(admin, gone.user.id)
    users = world.app.list_users(PageRequest(), role=Role.MERCHANT)
    assert [u.id for u in users.items] == [kept.user.id]
    everyone = world.app.list_users(PageRequest(), include_deleted=True)
    assert {u.id for u in everyone.items} == {admin.id, kept.user.id, gone.user.id}
    merchants = world.app.list_merchants(PageRequest())
    assert [m.id for m in merchants.items] == [kept.merchant.id]
    assert len(world.app.list_merchants(PageRequest(), include_deleted=True).items) == 2


def test_tokens_carry_their_type_and_role(world: World) -> None:
    from paygate_core.testing import UnsignedTokenService

    reg = world.merchant()
    tokens = world.app.tokens
    assert isinstance(tokens, UnsignedTokenService)
    claims = tokens.decode(reg.session.access, TokenType.ACCESS)
    assert (claims.sub, claims.role, claims.type) == (reg.user.id, Role.MERCHANT, TokenType.ACCESS)
    assert claims.expires_at - claims.issued_at == timedelta(minutes=15)


def test_admin_registration_input_is_validated_too(world: World) -> None:
    with pytest.raises(ValidationFailed):
        world.app.register_admin(RegisterAdmin("bad", "Admin", PASSWORD))
