"""Lists as pages: the query's filter values and the links to the first and next page.

Lists are keyset-paged (``paygate_core.pagination``): a page knows the cursor of the next
one, never how many there are, so a list offers ``Next page`` while there is more and
``First page`` once the browser has moved on; each link keeps the list's filters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import attrs
from litestar import Request

from paygate_core.pagination import Page

__all__ = ["PageLinks", "page_links", "query_text"]


@attrs.frozen
class PageLinks:
    next: str | None = None
    first: str | None = None


def query_text(request: Request[Any, Any, Any], name: str) -> str:
    """The query parameter's (first) value, ``""`` when absent."""
    value = request.query_params.get(name)
    return value if isinstance(value, str) else ""


def _address(path: str, params: Mapping[str, str]) -> str:
    kept = {name: value for name, value in params.items() if value}
    return f"{path}?{urlencode(kept)}" if kept else path


def page_links(path: str, page: Page[Any], filters: Mapping[str, str], *, first: bool) -> PageLinks:
    """``first``: this is not the first page (a cursor was given)."""
    following = None
    if page.has_more and page.next_cursor:
        following = _address(path, {**filters, "cursor": page.next_cursor})
    return PageLinks(next=following, first=_address(path, filters) if first else None)
