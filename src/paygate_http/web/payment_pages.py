"""The merchant's ``Payments`` page (newest first, paged, filtered by status) and a
payment's page: its refunds, ``Capture`` while it is authorized, and the ``Refund`` form.

A refund asks for confirmation without script: the ``Refund`` form posts to
``refund/confirm``, which checks the amount and reason with the core's own rules and
answers a page naming the exact amount (an empty ``Amount`` is the whole refundable
balance); its ``Confirm refund`` button posts that amount to ``refund``, which runs the
API's ``refund_payment`` use case. Capture runs ``capture_payment``. Both queue the same
webhook events as the API, then redirect (post/redirect/get).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Controller, Response, get, post
from litestar.params import FromPath

from paygate_core.errors import (
    InvalidAmount,
    InvalidRefundAmount,
    PaymentStateConflict,
    ValidationFailed,
)
from paygate_core.payments import PaymentStatus
from paygate_core.refunds import refund_amount, validate_reason
from paygate_core.use_cases.payments import RefundOutcome, RefundPayment
from paygate_core.use_cases.web_sessions import SignedIn
from paygate_http.pipeline.errors import status_for
from paygate_http.services import run_read, run_write, services_of
from paygate_http.web.access import merchant_pages
from paygate_http.web.forms import FormState, read_form
from paygate_http.web.merchant_common import (
    AnyRequest,
    done,
    listing_of,
    merchant_of,
    render_merchant_page,
)
from paygate_http.web.once import ONCE_FIELD, claim_once, new_once_key, release_once
from paygate_http.web.pages import DASHBOARD_PATH, redirect

__all__ = ["PAYMENTS_PATH", "PaymentPages"]

PAYMENTS_PATH = f"{DASHBOARD_PATH}/merchant/payments"
PAYMENT_STATUSES = tuple(status.value for status in PaymentStatus)
REFUND_FIELDS = ("amount", "reason")
_REFUSED = (ValidationFailed, InvalidAmount, InvalidRefundAmount, PaymentStateConflict)
"""What a capture or refund answers about what was asked: shown on the payment's page."""


def _raw(values: dict[str, str], name: str) -> str | None:
    """A form's empty field is an absent one (``Amount``: the whole balance)."""
    value = values[name].strip() if name == "amount" else values[name]
    return value or None


async def _payment_page(
    request: AnyRequest, signed: SignedIn, payment_id: str, form: FormState, status_code: int = 200
) -> Response[Any]:
    assert signed.merchant is not None
    details = await run_read(
        request, services_of(request).paygate.get_payment, signed.merchant.id, payment_id
    )
    payment = details.payment
    return render_merchant_page(
        request,
        signed,
        "payment.html.j2",
        title=f"Payment {payment.id}",
        status_code=status_code,
        form=form,
        payment=payment,
        refunds=details.refunds,
        capturable=payment.status is PaymentStatus.AUTHORIZED,
        refundable=payment.status in (PaymentStatus.AUTHORIZED, PaymentStatus.CAPTURED),
    )


class PaymentPages(Controller):
    path = "/merchant/payments"
    guards = [merchant_pages]
    include_in_schema = False

    @get("/", name="dashboard-merchant-payments")
    async def payments(self, request: AnyRequest) -> Response[Any]:
        signed, merchant = await merchant_of(request)
        listing = listing_of(request, PAYMENTS_PATH)
        page = await run_read(
            request,
            services_of(request).paygate.list_payments,
            merchant.id,
            listing.page_request,
            status=listing.status_filter,
        )
        return render_merchant_page(
            request,
            signed,
            "payments.html.j2",
            title="Payments",
            payments=page.items,
            listing=listing,
            next_href=listing.next_href(page),
            statuses=PAYMENT_STATUSES,
        )

    @get("/{payment_id:str}", name="dashboard-merchant-payment")
    async def payment(self, request: AnyRequest, payment_id: FromPath[str]) -> Response[Any]:
        signed, _ = await merchant_of(request)
        return await _payment_page(request, signed, payment_id, FormState())

    @post("/{payment_id:str}/capture", status_code=303)
    async def capture(self, request: AnyRequest, payment_id: FromPath[str]) -> Response[Any]:
        signed, merchant = await merchant_of(request)
        try:
            payment = await run_write(
                request, services_of(request).paygate.capture_payment, merchant.id, payment_id
            )
        except PaymentStateConflict as exc:
            return await _payment_page(
                request, signed, payment_id, FormState.refused({}, exc), status_for(exc)
            )
        return done(request, signed, f"{PAYMENTS_PATH}/{payment.id}", "payment-captured")

    @post("/{payment_id:str}/refund/confirm", status_code=200)
    async def confirm_refund(
        self,
        request: AnyRequest,
        payment_id: FromPath[str],
    ) -> Response[Any]:
        """Checks the refund as the use case will, and asks to confirm its exact amount.
        Nothing changes here."""
        signed, merchant = await merchant_of(request)
        values, _ = await read_form(request, *REFUND_FIELDS)
        details = await run_read(
            request, services_of(request).paygate.get_payment, merchant.id, payment_id
        )
        try:
            amount = refund_amount(details.payment, _raw(values, "amount"))
            validate_reason(_raw(values, "reason"))
        except _REFUSED as exc:
            return await _payment_page(
                request, signed, payment_id, FormState.refused(values, exc), status_for(exc)
            )
        return render_merchant_page(
            request,
            signed,
            "refund_confirm.html.j2",
            title="Confirm refund",
            payment=details.payment,
            amount=amount,
            reason=values["reason"],
            once_key=new_once_key(),
        )

    @post("/{payment_id:str}/refund", status_code=303)
    async def refund(self, request: AnyRequest, payment_id: FromPath[str]) -> Response[Any]:
        """Runs once per confirmation page: a second submit of it changes nothing."""
        signed, merchant = await merchant_of(request)
        values, _ = await read_form(request, *REFUND_FIELDS, ONCE_FIELD)
        payment_path = f"{PAYMENTS_PATH}/{quote(payment_id, safe='')}"
        claimed = await claim_once(
            request, merchant.id, values[ONCE_FIELD], payment_id, values["amount"], values["reason"]
        )
        if claimed is None:  # submitted before, or not from a confirmation page
            return redirect(payment_path)
        command = RefundPayment(
            merchant_id=merchant.id,
            payment_id=payment_id,
            amount=_raw(values, "amount"),
            reason=_raw(values, "reason"),
            idempotency=claimed.answer(_refund_id),
        )
        try:
            outcome = await run_write(request, services_of(request).paygate.refund_payment, command)
        except BaseException as exc:
            await release_once(request, claimed)
            if isinstance(exc, _REFUSED):
                return await _payment_page(
                    request, signed, payment_id, FormState.refused(values, exc), status_for(exc)
                )
            raise
        return done(request, signed, f"{PAYMENTS_PATH}/{outcome.payment.id}", "payment-refunded")


def _refund_id(outcome: RefundOutcome) -> str:
    return str(outcome.refund.id)
