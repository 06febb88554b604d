"""Hosted checkout (``/checkout/<token>``): the page where a shopper pays an order.

No dashboard session: the token (``paygate_core.checkout``) names the order, and a wrong,
tampered or expired one is the same bare 404 page as any unknown address. The form's CSRF
token is signed with the random ``paygate_checkout`` cookie (signed double submit, as the
dashboard's log-in form); each page carries a nonce that makes its payment idempotent
(``checkout_once``). Paying runs ``pay_order``, the use case of ``POST payments/``, then
redirects to the payment's outcome: ``Payment successful`` (with the signed way back to
the merchant's ``return_url``) or ``Payment declined`` and the form again. The card fields
are never written back into a page. POSTs are rate limited per client IP
(``PAYGATE_CHECKOUT_RATE_LIMIT``, through the API's rate-limit store, so Redis shares it);
an order with ``MAX_DECLINES`` declines is locked here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from litestar import Controller, Response, get, post
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.exceptions import NotFoundException
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromPath

from paygate_core.checkout import CheckoutTicket, read_checkout_token, return_signature
from paygate_core.errors import (
    InvalidCard,
    OrderAlreadyPaid,
    OrderNotFound,
    PaygateError,
    RateLimited,
    ValidationFailed,
)
from paygate_core.payments import Payment, PaymentStatus
from paygate_core.use_cases.checkout import CheckoutView
from paygate_core.use_cases.payments import PayOrder
from paygate_http.api.checkout_links import CHECKOUT_PATH, checkout_key
from paygate_http.pipeline.auth import client_ip_of
from paygate_http.services import run_read, run_write, services_of
from paygate_http.web import csrf
from paygate_http.web.access import CSRF_FIELD, CsrfRefused
from paygate_http.web.checkout_once import (
    NONCE_FIELD,
    claim_checkout,
    new_nonce,
    release_checkout,
)
from paygate_http.web.cookies import new_form_secret
from paygate_http.web.forms import FormState
from paygate_http.web.merchant_common import AnyRequest
from paygate_http.web.pages import redirect, render
from paygate_http.web.state import dashboard_of

__all__ = ["CHECKOUT_COOKIE", "CheckoutPages", "checkout_rate_limited"]

CHECKOUT_COOKIE = "paygate_checkout"
CARD_FIELDS = ("card_number", "expiry", "cvv")
_CSRF_KIND = "checkout"
_COOKIE_LIFETIME = 7 * 24 * 3600
_REASONS: Mapping[str, str] = {
    "card_declined": "The card was declined.",
    "insufficient_funds": "The card has insufficient funds.",
}


async def checkout_rate_limited(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Guard: ``PAYGATE_CHECKOUT_RATE_LIMIT`` submissions per client IP (all orders)."""
    services = services_of(connection)
    rate = services.settings.checkout_rate_limit
    if rate is None:
        return
    retry_after = await services.rate_limits.hit(f"checkout:{client_ip_of(connection)}", rate)
    if retry_after is not None:
        raise RateLimited(retry_after)


def _ticket(request: AnyRequest, token: str) -> CheckoutTicket:
    services = services_of(request)
    ticket = read_checkout_token(
        checkout_key(services.settings.secret_key), token, now=services.paygate.clock.now()
    )
    if ticket is None:
        raise NotFoundException
    return ticket


async def _view(request: AnyRequest, ticket: CheckoutTicket) -> CheckoutView:
    try:
        return await run_read(request, services_of(request).paygate.open_checkout, ticket)
    except OrderNotFound:
        raise NotFoundException from None


def _page_path(token: str) -> str:
    return f"{CHECKOUT_PATH}/{token}"


def _form_page(
    request: AnyRequest,
    token: str,
    view: CheckoutView,
    *,
    errors: Mapping[str, str] | None = None,
    declined: Payment | None = None,
    status_code: int = 200,
) -> Response[Any]:
    """The order, and the card form unless it is paid or locked; card fields always
    empty. The CSRF token is bound to the ``paygate_checkout`` cookie (set when new)."""
    secret = request.cookies.get(CHECKOUT_COOKIE)
    cookies = []
    if not secret:
        secret = new_form_secret()
        cookies.append(
            Cookie(
                key=CHECKOUT_COOKIE,
                value=secret,
                max_age=_COOKIE_LIFETIME,
                path=CHECKOUT_PATH,
                httponly=True,
                samesite="strict",
                secure=services_of(request).settings.cookie_secure,
            )
        )
    form_csrf = csrf.token(dashboard_of(request).csrf_key, _CSRF_KIND, secret)
    reason = None if declined is None else _reason(declined)
    return render(
        request,
        "checkout.html.j2",
        title=f"Pay {view.merchant_name}",
        status_code=status_code,
        cookies=cookies,
        view=view,
        order=view.order,
        action=_page_path(token),
        form_csrf=form_csrf,
        nonce=new_nonce(),
        form=FormState({}, errors or {}),
        declined=declined,
        reason=reason,
    )


def _reason(payment: Payment) -> str:
    raw = payment.failure_reason or "card_declined"
    return _REASONS.get(raw, raw.replace("_", " ").capitalize() + ".")


def _return_link(view: CheckoutView, payment: Payment) -> str | None:
    """``return_url`` with ``order_id``, ``payment_id``, ``status`` and their signature
    added to its query."""
    if view.order.return_url is None:
        return None
    order_id, payment_id, status = str(view.order.id), str(payment.id), payment.status.value
    signature = return_signature(view.webhook_secret, order_id, payment_id, status)
    query = urlencode(
        {"order_id": order_id, "payment_id": payment_id, "status": status, "signature": signature}
    )
    parts = urlsplit(view.order.return_url)
    joined = f"{parts.query}&{query}" if parts.query else query
    return urlunsplit(parts._replace(query=joined))


def _card_errors(exc: PaygateError) -> dict[str, str]:
    """The API's field errors under the form's field names (``card_details.`` dropped)."""
    if not exc.fields:
        return {"": exc.description}
    return {name.removeprefix("card_details."): text for name, text in exc.fields.items()}


async def _verified_form(request: AnyRequest) -> dict[str, str]:
    form = await request.form()
    secret = request.cookies.get(CHECKOUT_COOKIE)
    if not secret or not csrf.verify(
        dashboard_of(request).csrf_key, _CSRF_KIND, secret, form.get(CSRF_FIELD)
    ):
        raise CsrfRefused
    values = {}
    for name in (*CARD_FIELDS, NONCE_FIELD):
        raw = form.get(name)
        values[name] = raw if isinstance(raw, str) else ""
    return values


class CheckoutPages(Controller):
    path = CHECKOUT_PATH
    include_in_schema = False

    @get("/{token:str}", name="checkout")
    async def page(self, request: AnyRequest, token: FromPath[str]) -> Response[Any]:
        view = await _view(request, _ticket(request, token))
        return _form_page(request, token, view)

    @post("/{token:str}", guards=[checkout_rate_limited], status_code=303)
    async def pay(self, request: AnyRequest, token: FromPath[str]) -> Response[Any]:
        ticket = _ticket(request, token)
        values = await _verified_form(request)
        view = await _view(request, ticket)
        # The nonce first: a page submitted again is sent to what its first submit did.
        claim = await claim_checkout(request, ticket, values[NONCE_FIELD])
        if claim is None or not claim.owned:
            paid = claim.payment_id if claim is not None else None
            return redirect(f"{_page_path(token)}/payments/{paid}" if paid else _page_path(token))
        if view.paid or view.locked:
            await release_checkout(request, claim)
            return redirect(_page_path(token))
        command = PayOrder(
            merchant_id=ticket.merchant_id,
            order_id=str(ticket.order_id),
            card_number=values["card_number"],
            expiry=values["expiry"],
            cvv=values["cvv"],
            idempotency=claim.answer(),
        )
        try:
            payment = await run_write(request, services_of(request).paygate.pay_order, command)
        except BaseException as exc:
            await release_checkout(request, claim)
            if isinstance(exc, ValidationFailed | InvalidCard):
                return _form_page(request, token, view, errors=_card_errors(exc), status_code=422)
            if isinstance(exc, OrderAlreadyPaid):
                return redirect(_page_path(token))
            raise
        return redirect(f"{_page_path(token)}/payments/{payment.id}")

    @get("/{token:str}/payments/{payment_id:str}", name="checkout-outcome")
    async def outcome(
        self, request: AnyRequest, token: FromPath[str], payment_id: FromPath[str]
    ) -> Response[Any]:
        ticket = _ticket(request, token)
        try:
            view, payment = await run_read(
                request, services_of(request).paygate.checkout_payment, ticket, payment_id
            )
        except OrderNotFound:
            raise NotFoundException from None
        if payment.status is PaymentStatus.FAILED:
            return _form_page(request, token, view, declined=payment)
        return render(
            request,
            "checkout_success.html.j2",
            title="Payment successful",
            view=view,
            order=view.order,
            payment=payment,
            return_link=_return_link(view, payment),
        )
