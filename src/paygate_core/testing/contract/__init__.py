"""The adapter contract: tests every storage adapter must pass (needs the ``testing`` extra).

The in-memory adapters in ``paygate_core.testing.memory`` are the reference; an adapter's
test module subclasses the contract classes and provides ONE fixture, ``uow_factory``: a
``UnitOfWorkFactory`` over an EMPTY store, fresh for each test::

    import pytest
    from paygate_core.testing.contract import UnitOfWorkContract, adapter_state_machine

    class TestSqliteUnitOfWork(UnitOfWorkContract):
        @pytest.fixture
        def uow_factory(self, sqlite_url):
            return build_sql_unit_of_work_factory(sqlite_url)  # schema created, tables empty

    # the adapter and the reference driven side by side through random operations
    TestSqliteAgreesWithReference = adapter_state_machine(fresh_sqlite_factory).TestCase

``UnitOfWorkContract`` inherits one contract class per port; subclass one of them to run a
part. Each test writes its own small data set through the ports, with explicit timestamps
(no clock). Results are compared with ``assert_identical``: same types, Decimal amounts with
the currency's minor-unit digits, timezone-aware UTC datetimes with microseconds.

This package is the public surface; its private modules hold one port's contract each
(``_accounts``, ``_orders``, ``_payments``, ``_refunds``, ``_outbox``, ``_idempotency``,
``_tokens``, ``_stats``, ``_stats_series``, ``_transactions``, ``_credentials``), the
side-by-side state machine (``_comparison``) and the helpers they share (``_base``).
"""

from paygate_core.testing._builders import T0, Builder, at
from paygate_core.testing._identity import assert_identical
from paygate_core.testing.contract._accounts import (
    MerchantRepositoryContract,
    UserRepositoryContract,
)
from paygate_core.testing.contract._base import (
    assert_listed,
    collect_pages,
    newest_first,
    reading,
    seed_merchant,
    write,
)
from paygate_core.testing.contract._comparison import adapter_state_machine
from paygate_core.testing.contract._credentials import CredentialDirectoryContract, TwoProcesses
from paygate_core.testing.contract._idempotency import IdempotencyStoreContract
from paygate_core.testing.contract._orders import OrderRepositoryContract
from paygate_core.testing.contract._outbox import EventOutboxContract
from paygate_core.testing.contract._payments import PaymentRepositoryContract
from paygate_core.testing.contract._refunds import RefundRepositoryContract
from paygate_core.testing.contract._stats import StatsReaderContract
from paygate_core.testing.contract._stats_series import StatsSeriesContract
from paygate_core.testing.contract._tokens import TokenStoreContract
from paygate_core.testing.contract._transactions import TransactionContract

__all__ = [
    "T0",
    "Builder",
    "CredentialDirectoryContract",
    "EventOutboxContract",
    "IdempotencyStoreContract",
    "MerchantRepositoryContract",
    "OrderRepositoryContract",
    "PaymentRepositoryContract",
    "RefundRepositoryContract",
    "StatsReaderContract",
    "StatsSeriesContract",
    "TokenStoreContract",
    "TransactionContract",
    "TwoProcesses",
    "UnitOfWorkContract",
    "UserRepositoryContract",
    "adapter_state_machine",
    "assert_identical",
    "assert_listed",
    "at",
    "collect_pages",
    "newest_first",
    "reading",
    "seed_merchant",
    "write",
]


class UnitOfWorkContract(
    UserRepositoryContract,
    MerchantRepositoryContract,
    OrderRepositoryContract,
    PaymentRepositoryContract,
    RefundRepositoryContract,
    EventOutboxContract,
    IdempotencyStoreContract,
    TokenStoreContract,
    StatsReaderContract,
    StatsSeriesContract,
    TransactionContract,
):
    """Every port of a unit of work: what an adapter's test class subclasses."""
