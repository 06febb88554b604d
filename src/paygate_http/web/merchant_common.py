"""What the merchant's Orders, Payments, Webhooks and Settings pages share: the signed-in
merchant, a list's page and status filter read from the address (keyset cursor, as the
API's ``cursor``), the link to the next page, and rendering with the waiting notice.

Lists are the core's keyset pages (newest first, ``PAGE_SIZE`` a page): a page costs one
indexed range read however many rows the merchant has. A cursor only goes forward; the
first page is the list's address without one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import attrs
from litestar import Request, Response

from paygate_core.accounts import Merchant
from paygate_core.pagination import Page, PageRequest
from paygate_core.use_cases.web_sessions import SignedIn
from paygate_http.web.access import signed_in
from paygate_http.web.forms import FormState
from paygate_http.web.notices import cleared_notice, notice_cookie, read_notice
from paygate_http.web.pages import redirect, render

__all__ = [
    "PAGE_SIZE",
    "AnyRequest",
    "Listing",
    "done",
    "listing_of",
    "merchant_of",
    "render_merchant_page",
]

AnyRequest = Request[Any, Any, Any]
PAGE_SIZE = 20


async def merchant_of(request: AnyRequest) -> tuple[SignedIn, Merchant]:
    """The session and its merchant (the ``merchant_pages`` guard has let only those in)."""
    signed = await signed_in(request)
    merchant = signed.merchant
    assert merchant is not None  # merchant_pages admits only users with a merchant row
    return signed, merchant


@attrs.frozen
class Listing:
    """A list page's address state: the status filter (``""``: all) and the cursor."""

    path: str
    status: str
    cursor: str | None

    @property
    def page_request(self) -> PageRequest:
        """The core's page; a malformed cursor is the API's ``cursor`` validation error."""
        return PageRequest.parse(PAGE_SIZE, self.cursor)

    @property
    def status_filter(self) -> str | None:
        return self.status or None

    def next_href(self, page: Page[Any]) -> str | None:
        if not page.has_more or page.next_cursor is None:
            return None
        return self._href({"cursor": page.next_cursor})

    @property
    def first_href(self) -> str | None:
        """The first page of the same filter, when this is a later page."""
        return self._href({}) if self.cursor else None

    def _href(self, extra: Mapping[str, str]) -> str:
        query = {"status": self.status} if self.status else {}
        query.update(extra)
        return f"{self.path}?{urlencode(query)}" if query else self.path


def listing_of(request: AnyRequest, path: str) -> Listing:
    status = request.query_params.get("status") or ""
    cursor = request.query_params.get("cursor") or None
    return Listing(path=path, status=str(status), cursor=cursor)


def render_merchant_page(
    request: AnyRequest,
    signed: SignedIn,
    template: str,
    *,
    title: str,
    status_code: int = 200,
    **context: Any,
) -> Response[Any]:
    """The page with the notice waiting for this session (shown once, then cleared)."""
    notice = read_notice(request, signed)
    cookies = [cleared_notice(request)] if notice is not None else []
    context.setdefault("form", FormState())
    return render(
        request,
        template,
        title=title,
        signed=signed,
        status_code=status_code,
        cookies=cookies,
        notice=notice,
        **context,
    )


def done(request: AnyRequest, signed: SignedIn, path: str, notice: str) -> Response[Any]:
    """The end of a successful POST: 303 to ``path``, which then says ``notice``."""
    return redirect(path, cookies=[notice_cookie(request, signed, notice)])
