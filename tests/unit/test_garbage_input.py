"""Whatever JSON a client sends, the use cases answer with a domain error, never a crash."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import given
from hypothesis import strategies as st

from paygate_core import (
    CreateOrder,
    Login,
    PageRequest,
    PayOrder,
    RefundPayment,
    RegisterMerchant,
    StatsPeriod,
)
from paygate_core.errors import PaygateError
from paygate_core.use_cases.accounts import UpdateMerchant

from .conftest import build_world

scalars = (
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20) | st.decimals()
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
# Values close to valid ones find more interesting paths than pure noise.
near_valid = st.sampled_from(
    [
        "100.00",
        "0.001",
        "USD",
        "jpy",
        "12/30",
        "123",
        "4242424242424242",
        "a@shop.example",
        "https://shop.example/h",
        "2026-10-06",
        "",
    ]
)
raw = json_values | near_valid


def error_of(call: Callable[[], object]) -> PaygateError | None:
    try:
        call()
    except PaygateError as exc:
        return exc
    return None


def answers_politely(call: Callable[[], object]) -> None:
    """Success, or a contract error with a message: anything else escapes and fails."""
    error = error_of(call)
    if error is not None:
        assert 1001 <= error.code <= 1021
        assert error.message
        assert isinstance(error.fields, dict)


@given(amount=raw, currency=raw, receipt=raw, notes=raw)
def test_create_order_never_crashes(
    amount: object, currency: object, receipt: object, notes: object
) -> None:
    world = build_world()
    merchant = world.merchant().merchant.id
    answers_politely(
        lambda: world.app.create_order(CreateOrder(merchant, amount, currency, receipt, notes))
    )


@given(order_id=raw, number=raw, expiry=raw, cvv=raw, amount=raw, reason=raw, payment_id=raw)
def test_payment_and_refund_never_crash(
    order_id: object,
    number: object,
    expiry: object,
    cvv: object,
    amount: object,
    reason: object,
    payment_id: object,
) -> None:
    world = build_world()
    merchant = world.merchant().merchant.id
    order = world.app.create_order(CreateOrder(merchant, "10.00")).id
    answers_politely(lambda: world.app.pay_order(PayOrder(merchant, order_id, number, expiry, cvv)))
    payment = world.app.pay_order(PayOrder(merchant, order, "4242424242424242", "12/30", "123"))
    answers_politely(
        lambda: world.app.refund_payment(RefundPayment(merchant, payment.id, amount, reason))
    )
    answers_politely(lambda: world.app.refund_payment(RefundPayment(merchant, payment_id)))
    answers_politely(lambda: world.app.capture_payment(merchant, payment_id))


@given(email=raw, name=raw, password=raw, webhook_url=raw)
def test_accounts_never_crash(
    email: object, name: object, password: object, webhook_url: object
) -> None:
    world = build_world()
    answers_politely(
        lambda: world.app.register_merchant(RegisterMerchant(email, name, password, webhook_url))
    )
    answers_politely(lambda: world.app.login(Login(email, password)))
    merchant = world.merchant().merchant.id
    answers_politely(
        lambda: world.app.update_merchant(
            UpdateMerchant(merchant, webhook_url=webhook_url, name=name)
        )
    )


@given(limit=raw, cursor=raw, start=raw, end=raw, status=raw, ident=raw)
def test_queries_never_crash(
    limit: object, cursor: object, start: object, end: object, status: object, ident: object
) -> None:
    world = build_world()
    merchant = world.merchant().merchant.id
    answers_politely(lambda: PageRequest.parse(limit, cursor))
    answers_politely(lambda: StatsPeriod.parse(start, end))
    answers_politely(lambda: world.app.list_orders(merchant, PageRequest(), status=status))
    answers_politely(
        lambda: world.app.list_payments(merchant, PageRequest(), status=status, order_id=ident)
    )
    answers_politely(lambda: world.app.merchant_stats_for_admin(ident))
    answers_politely(lambda: world.app.get_order(merchant, ident))
    answers_politely(lambda: world.app.resend_webhook_event(merchant, ident))
