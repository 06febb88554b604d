"""The contract of the ``UserRepository`` and ``MerchantRepository`` ports."""

from __future__ import annotations

import copy

import pytest

from paygate_core.accounts import Role
from paygate_core.errors import EmailAlreadyRegistered
from paygate_core.payments import PaymentStatus
from paygate_core.testing._builders import Builder, at
from paygate_core.testing._identity import assert_identical
from paygate_core.testing.contract._base import (
    STRANGER,
    Factory,
    assert_listed,
    collect_pages,
    read_committed,
    reading,
    seed_merchant,
    write,
)


class UserRepositoryContract:
    def test_user_round_trips_every_field(self, uow_factory: Factory) -> None:
        b = Builder()
        admin = b.user(role=Role.ADMIN, email="root@paygate.example", name="Zoë Ådmin")
        gone = b.user(created_at=at(1), deleted_at=at(2, microseconds=7))
        write(uow_factory, admin, gone)
        with reading(uow_factory) as uow:
            assert_identical(uow.users.get(admin.id), admin)
            assert_identical(uow.users.get(gone.id), gone)
            assert_identical(uow.users.get_by_email(admin.email), admin)

    def test_user_update_round_trips_deletion_and_restore(self, uow_factory: Factory) -> None:
        b = Builder()
        user = b.user()
        write(uow_factory, user)
        user.soft_delete(at(60, microseconds=1))
        user.name = "Renamed"
        with uow_factory() as uow:
            uow.users.update(copy.deepcopy(user))
            uow.commit()
        assert_identical(read_committed(uow_factory, lambda uow: uow.users.get(user.id)), user)
        user.restore(at(120))
        with uow_factory() as uow:
            uow.users.update(copy.deepcopy(user))
            uow.commit()
        assert_identical(read_committed(uow_factory, lambda uow: uow.users.get(user.id)), user)

    def test_email_is_unique_whatever_its_case(self, uow_factory: Factory) -> None:
        b = Builder()
        first = b.user(email="ada@shop.example")
        write(uow_factory, first)
        with pytest.raises(EmailAlreadyRegistered):
            write(uow_factory, b.user(email="ADA@Shop.Example"))
        with pytest.raises(EmailAlreadyRegistered):  # both new, in one unit of work
            write(uow_factory, b.user(email="bob@shop.example"), b.user(email="Bob@shop.example"))
        with reading(uow_factory) as uow:
            assert_identical(uow.users.get_by_email("ada@shop.example"), first)
            assert uow.users.get_by_email("bob@shop.example") is None
            assert uow.users.count(Role.MERCHANT) == 1

    def test_email_lookup_ignores_case(self, uow_factory: Factory) -> None:
        b = Builder()
        user = b.user(email="grace@shop.example")
        write(uow_factory, user)
        with reading(uow_factory) as uow:
            assert_identical(uow.users.get_by_email("GRACE@Shop.EXAMPLE"), user)

    def test_unknown_user_is_none(self, uow_factory: Factory) -> None:
        write(uow_factory, Builder().user(email="x@shop.example"))
        with reading(uow_factory) as uow:
            assert uow.users.get(STRANGER) is None
            assert uow.users.get_by_email("nobody@shop.example") is None

    def test_users_list_newest_first_by_role_hiding_deleted_by_default(
        self, uow_factory: Factory
    ) -> None:
        b = Builder()
        admin = b.user(role=Role.ADMIN, created_at=at(1))
        old = b.user(created_at=at(2))
        tie_a = b.user(created_at=at(3))
        tie_b = b.user(created_at=at(3))
        deleted = b.user(created_at=at(4), deleted_at=at(5))
        write(uow_factory, admin, old, tie_a, tie_b, deleted)
        with reading(uow_factory) as uow:
            assert_listed(uow.users.list, [admin, old, tie_a, tie_b])
            assert_listed(
                lambda p: uow.users.list(p, include_deleted=True),
                [admin, old, tie_a, tie_b, deleted],
            )
            assert_listed(lambda p: uow.users.list(p, role=Role.MERCHANT), [old, tie_a, tie_b])
            assert_listed(
                lambda p: uow.users.list(p, role=Role.MERCHANT, include_deleted=True),
                [old, tie_a, tie_b, deleted],
                limit=3,
            )
            assert_listed(lambda p: uow.users.list(p, role=Role.ADMIN), [admin], limit=1)

    def test_count_counts_active_users_of_the_role(self, uow_factory: Factory) -> None:
        b = Builder()
        write(
            uow_factory,
            b.user(role=Role.ADMIN),
            b.user(role=Role.ADMIN, deleted_at=at(1)),
            b.user(),
            b.user(),
            b.user(deleted_at=at(2)),
        )
        with reading(uow_factory) as uow:
            assert uow.users.count(Role.ADMIN) == 1
            assert uow.users.count(Role.MERCHANT) == 2


class MerchantRepositoryContract:
    def test_merchant_round_trips_every_field(self, uow_factory: Factory) -> None:
        b = Builder()
        user_a, user_b = b.user(), b.user(created_at=at(1))
        hooked = b.merchant(user_a, webhook_url="https://shop.example/hooks?x=1&y=%C3%A9")
        silent = b.merchant(user_b, webhook_url=None)
        write(uow_factory, user_a, user_b, hooked, silent)
        with reading(uow_factory) as uow:
            assert_identical(uow.merchants.get(hooked.id), hooked)
            assert_identical(uow.merchants.get(silent.id), silent)
            assert_identical(uow.merchants.get_by_user(user_b.id), silent)
            assert_identical(uow.merchants.get_by_api_key(hooked.api_key), hooked)
            account = uow.merchants.get_account_by_api_key(hooked.api_key)
            assert account is not None
            assert_identical(account.merchant, hooked)
            assert_identical(account.user, user_a)

    def test_rotated_api_key_replaces_the_old_one(self, uow_factory: Factory) -> None:
        _, merchant = seed_merchant(uow_factory, Builder())
        old_key = merchant.api_key
        merchant.api_key = "pk_rotated"
        merchant.webhook_url = None
        merchant.webhook_secret = "whsec_rotated"
        merchant.updated_at = at(30)
        with uow_factory() as uow:
            uow.merchants.update(copy.deepcopy(merchant))
            uow.commit()
        with reading(uow_factory) as uow:
            assert uow.merchants.get_by_api_key(old_key) is None
            assert_identical(uow.merchants.get_by_api_key("pk_rotated"), merchant)
            assert_identical(uow.merchants.get(merchant.id), merchant)

    def test_unknown_merchant_lookups_are_none(self, uow_factory: Factory) -> None:
        user, _ = seed_merchant(uow_factory, Builder())
        admin = Builder(first_id=100).user(role=Role.ADMIN)
        write(uow_factory, admin)
        with reading(uow_factory) as uow:
            assert uow.merchants.get(STRANGER) is None
            assert uow.merchants.get(user.id) is None  # a user id is not a merchant id
            assert uow.merchants.get_by_user(admin.id) is None
            assert uow.merchants.get_by_api_key("pk_nope") is None
            assert uow.merchants.get_account_by_api_key("pk_nope") is None

    def test_merchant_list_counts_orders_and_payments_and_hides_deleted(
        self, uow_factory: Factory
    ) -> None:
        b = Builder()
        u1, u2, u3 = b.user(created_at=at(1)), b.user(created_at=at(2)), b.user(created_at=at(3))
        m1, m2, m3 = b.merchant(u1), b.merchant(u2, webhook_url=None), b.merchant(u3)
        o1, o2 = b.order(m1, created_at=at(10)), b.order(m1, created_at=at(11))
        o3 = b.order(m2, created_at=at(12))
        p1 = b.payment(o1, status=PaymentStatus.FAILED)
        p2 = b.payment(o1, created_at=at(13))
        write(uow_factory, u1, u2, u3, m1, m2, m3, o1, o2, o3, p1, p2)
        u3.soft_delete(at(20))
        with uow_factory() as uow:
            uow.users.update(copy.deepcopy(u3))
            uow.commit()
        with reading(uow_factory) as uow:
            listed = collect_pages(uow.merchants.list, 1)
            assert [(s.id, s.total_orders, s.total_payments) for s in listed] == [
                (m2.id, 1, 0),
                (m1.id, 2, 2),
            ]
            assert_identical(listed[0].account.merchant, m2)
            assert_identical(listed[0].account.user, u2)
            everyone = collect_pages(lambda p: uow.merchants.list(p, include_deleted=True), 2)
            assert [s.id for s in everyone] == [m3.id, m2.id, m1.id]
            assert_identical(everyone[0].account.user, u3)

    def test_merchant_list_searches_by_the_start_of_the_email(self, uow_factory: Factory) -> None:
        b = Builder()
        emails = (
            "Ann@Shop.example",
            "anna@shop.example",
            "bob@ann.example",
            "a_b@shop.example",
            "a%c@shop.example",
            "zoë@shop.example",
        )
        users_ = [b.user(email=email, created_at=at(i)) for i, email in enumerate(emails)]
        shops = [b.merchant(user) for user in users_]
        write(uow_factory, *users_, *shops)

        def found(prefix: str) -> list[str]:
            with reading(uow_factory) as uow:
                listed = collect_pages(lambda p: uow.merchants.list(p, email_prefix=prefix), 2)
            return [s.account.user.email for s in listed]

        assert found("ann") == ["anna@shop.example", "Ann@Shop.example"]
        assert found("ann@shop.example") == ["Ann@Shop.example"]
        assert found("a_") == ["a_b@shop.example"]  # wildcards match themselves
        assert found("a%") == ["a%c@shop.example"]
        assert found("zoë") == ["zoë@shop.example"]
        assert found("shop") == []  # the start of the email, not any part of it
