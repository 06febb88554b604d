"""What every contract module shares: the constants, and the helpers that write a small
data set through the ports and read back what is committed."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID

from paygate_core.accounts import Merchant, User
from paygate_core.orders import Order
from paygate_core.pagination import Cursor, Keyed, Page, PageRequest
from paygate_core.payments import Payment
from paygate_core.ports import (
    UnitOfWork,
    UnitOfWorkFactory,
)
from paygate_core.refunds import Refund
from paygate_core.testing._builders import T0, Builder
from paygate_core.testing._identity import assert_identical
from paygate_core.tokens import RefreshToken

K = TypeVar("K", bound=Keyed)
Factory = UnitOfWorkFactory
STRANGER = UUID("0badc0de-0000-4000-8000-000000000000")  # an id nobody owns
LEASE = timedelta(minutes=5)
STALE = timedelta(minutes=10)


def add_object(uow: UnitOfWork, obj: object) -> None:
    """Add a domain object to the repository that keeps its kind."""
    if isinstance(obj, User):
        uow.users.add(obj)
    elif isinstance(obj, Merchant):
        uow.merchants.add(obj)
    elif isinstance(obj, Order):
        uow.orders.add(obj)
    elif isinstance(obj, Payment):
        uow.payments.add(obj)
    elif isinstance(obj, Refund):
        uow.refunds.add(obj)
    elif isinstance(obj, RefreshToken):
        uow.tokens.add_refresh(obj)
    else:  # pragma: no cover - a mistake in a test
        raise TypeError(f"cannot add {type(obj).__name__}")


def write(factory: Factory, *objects: object) -> None:
    """Add the objects (parents first) in one unit of work and commit it."""
    with factory() as uow:
        for obj in objects:
            add_object(uow, copy.deepcopy(obj))
        uow.commit()


@contextmanager
def reading(factory: Factory) -> Iterator[UnitOfWork]:
    """A read-only unit of work: what is committed."""
    with factory(read_only=True) as uow:
        yield uow


def seed_merchant(
    factory: Factory,
    b: Builder,
    *,
    created_at: datetime = T0,
    webhook_url: str | None = "https://shop.example/hooks",
) -> tuple[User, Merchant]:
    user = b.user(created_at=created_at)
    merchant = b.merchant(user, webhook_url=webhook_url)
    write(factory, user, merchant)
    return user, merchant


def collect_pages(fetch: Callable[[PageRequest], Page[K]], limit: int) -> list[K]:
    """Every item of a keyset-paginated listing, checking each page's promises on the way."""
    items: list[K] = []
    after: Cursor | None = None
    for _ in range(1000):
        page = fetch(PageRequest(limit=limit, after=after))
        assert len(page.items) <= limit
        items.extend(page.items)
        if not page.has_more:
            assert page.next_cursor is None, "the last page has no cursor"
            return items
        assert len(page.items) == limit, "a page with more after it is full"
        assert page.next_cursor is not None
        after = Cursor.decode(page.next_cursor)
    raise AssertionError("pagination never ended")  # pragma: no cover


def newest_first(objects: list[K]) -> list[K]:
    return sorted(objects, key=lambda o: (o.created_at, o.id), reverse=True)


def assert_listed(
    fetch: Callable[[PageRequest], Page[K]], expected: list[K], *, limit: int = 2
) -> None:
    """The listing holds exactly ``expected``, newest first (ties: higher id first)."""
    listed = collect_pages(fetch, limit)
    assert [o.id for o in listed] == [o.id for o in newest_first(expected)]
    assert_identical(listed, newest_first(expected))


def read_committed(factory: Factory, read: Callable[[UnitOfWork], object]) -> Any:
    with reading(factory) as uow:
        return read(uow)
