"""The composition root's parts, each built from ``Settings``: the ``Paygate`` facade, the
database, the dashboard's sessions, the live event streams, the webhook dispatcher and the
bootstrap admin. ``create_app``, the CLI and the demo are their only callers.

SQL and webhook adapters are imported inside the functions, so the HTTP layer can run on
the in-memory adapters without them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import attrs

from paygate_adapters.security import BcryptPasswordHasher, JwtTokenService
from paygate_core.accounts import Role
from paygate_core.credentials import StoredCredentials
from paygate_core.errors import EmailAlreadyRegistered, PaygateError
from paygate_core.gateway import Paygate
from paygate_core.pagination import PageRequest
from paygate_core.ports import (
    Clock,
    CredentialDirectory,
    IdGenerator,
    PasswordHasher,
    TokenService,
    UnitOfWorkFactory,
    WebSessions,
)
from paygate_core.simulator import SimulatedProcessor
from paygate_core.system import SystemClock, UUID7Ids
from paygate_core.use_cases.auth import RegisterAdmin, TokenLifetimes
from paygate_core.use_cases.web_sessions import DashboardSessions
from paygate_http.live_events import LiveEvents
from paygate_http.services import Offload, run_in_thread, run_inline
from paygate_http.settings import Settings, SettingsError, derive_key

if TYPE_CHECKING:
    from paygate_adapters.sql.group_commit import GroupCommit
    from paygate_adapters.webhooks import WebhookDispatcher

__all__ = [
    "Database",
    "bootstrap_admin",
    "build_dashboard_sessions",
    "build_dispatcher",
    "build_live_events",
    "build_paygate",
    "open_database",
]

_log = logging.getLogger("paygate.wiring")


def build_paygate(
    settings: Settings,
    uow: UnitOfWorkFactory,
    *,
    clock: Clock | None = None,
    ids: IdGenerator | None = None,
    hasher: PasswordHasher | None = None,
) -> Paygate:
    """The facade over ``uow`` with the production adapters for every other port (and, over
    SQL, credentials remembered under the epoch: ``paygate_adapters.sql.credential_cache``)."""
    clock = clock or SystemClock()
    tokens = JwtTokenService(derive_key(settings.secret_key, "jwt-hs256"), clock=clock)
    return Paygate(
        uow=uow,
        clock=clock,
        ids=ids or UUID7Ids(),
        processor=SimulatedProcessor(settings.simulator_success_rate, settings.simulator_seed),
        hasher=hasher or BcryptPasswordHasher(settings.bcrypt_rounds),
        tokens=tokens,
        card_key=derive_key(settings.secret_key, "card-fingerprint"),
        lifetimes=TokenLifetimes(
            access=timedelta(seconds=settings.access_token_ttl),
            refresh=timedelta(seconds=settings.refresh_token_ttl),
        ),
        allow_private_webhooks=settings.webhook_allow_private,
        credentials=_credentials(uow, tokens),
    )


def _credentials(uow: UnitOfWorkFactory, tokens: TokenService) -> CredentialDirectory:
    from paygate_adapters.sql import SqlUnitOfWorkFactory
    from paygate_adapters.sql.credential_cache import EpochCachedCredentials

    stored = StoredCredentials(uow, tokens)
    if isinstance(uow, SqlUnitOfWorkFactory):
        return EpochCachedCredentials(stored, uow)
    return stored


def build_dashboard_sessions(settings: Settings, paygate: Paygate) -> DashboardSessions:
    """The dashboard's sessions, stored beside ``paygate``'s data (over SQL: the
    ``web_sessions`` table every worker shares; otherwise in this process's memory)."""
    return DashboardSessions(
        store=_web_sessions(paygate.uow),
        uow=paygate.uow,
        hasher=paygate.hasher,
        clock=paygate.clock,
        key=derive_key(settings.secret_key, "dashboard-session"),
    )


def _web_sessions(uow: UnitOfWorkFactory) -> WebSessions:
    from paygate_adapters.sql import SqlUnitOfWorkFactory
    from paygate_adapters.sql.web_sessions import SqlWebSessions

    if isinstance(uow, SqlUnitOfWorkFactory):
        return SqlWebSessions(uow)
    from paygate_core.testing.memory import InMemoryWebSessions

    return InMemoryWebSessions()


@attrs.define
class Database:
    """The SQL engine and the unit-of-work factory over it."""

    engine: Any
    uow: UnitOfWorkFactory
    checkpointer: Any = None  # paygate_adapters.sql.checkpoint.WalCheckpointer (SQLite files)
    schema: Any = None  # paygate_adapters.sql.SchemaUpgrade, when this opening migrates

    _group_commit: GroupCommit | None = attrs.field(default=None, init=False)

    @property
    def offload(self) -> Offload:
        """SQLite reads run on the event loop, PostgreSQL ones in worker threads (ADR 0006)."""
        from paygate_adapters.sql import is_sqlite

        return run_inline if is_sqlite(self.engine) else run_in_thread

    @property
    def offload_write(self) -> Offload:
        """SQLite writes are group-committed on the event loop (``paygate_adapters.sql.
        group_commit``); PostgreSQL ones run in worker threads, concurrently (ADR 0006)."""
        from paygate_adapters.sql import SqlUnitOfWorkFactory, is_sqlite

        if not is_sqlite(self.engine) or not isinstance(self.uow, SqlUnitOfWorkFactory):
            return self.offload
        if self._group_commit is None:
            from paygate_adapters.sql.group_commit import GroupCommit

            self._group_commit = GroupCommit(self.uow)
        return self._group_commit

    def ready(self) -> bool:
        """The schema is up to date, the database answers and can write (``/ready``)."""
        from paygate_adapters.sql import database_ready

        if self.schema is not None and not self.schema.done.is_set():
            return False
        return database_ready(self.engine)

    def when_ready(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once the schema is up to date: now, or from the thread that
        waits for the database (its errors are logged)."""
        if self.schema is None:
            callback()
        else:
            self.schema.when_done(callback)

    def close(self) -> None:
        from paygate_adapters.sql import SqlUnitOfWorkFactory

        if self._group_commit is not None:  # a batch may be committing on its thread
            self._group_commit.wait_for_commit()
        if self.schema is not None:
            self.schema.leave()
        if self.checkpointer is not None:
            self.checkpointer.stop()
        if isinstance(self.uow, SqlUnitOfWorkFactory):
            self.uow.close()
        self.engine.dispose()


def open_database(settings: Settings, *, migrate: bool = True) -> Database:
    """Connect to ``settings.database_url`` and (by default) bring its schema up to date:
    at once when the database answers, else from a thread that retries with backoff while
    every unit of work answers ``StorageUnavailable`` (``paygate_adapters.sql.startup``).
    A SQLite file gets its WAL checkpointed by a thread of its own (``checkpoint.py``)."""
    from paygate_adapters.sql import SqlUnitOfWorkFactory, create_database_engine
    from paygate_adapters.sql.checkpoint import WalCheckpointer
    from paygate_adapters.sql.engine import is_sqlite_file
    from paygate_adapters.sql.startup import upgrade_in_background

    in_background = is_sqlite_file(settings.database_url)
    engine = create_database_engine(settings.database_url, checkpoint_in_background=in_background)
    schema = upgrade_in_background(engine) if migrate else None
    checkpointer = WalCheckpointer(engine).start() if in_background else None
    uow = SqlUnitOfWorkFactory(engine, schema_ready=schema.done if schema else None)
    return Database(engine=engine, uow=uow, checkpointer=checkpointer, schema=schema)


def build_dispatcher(
    settings: Settings, uow: UnitOfWorkFactory, *, lease_margin: float | None = None
) -> WebhookDispatcher:
    """The dispatcher; ``lease_margin`` defaults to ``PAYGATE_WEBHOOK_LEASE_MARGIN``."""
    from paygate_adapters.webhooks import WebhookDispatcher

    if lease_margin is None:
        lease_margin = settings.webhook_lease_margin
    return WebhookDispatcher(
        uow,
        SystemClock(),
        UUID7Ids(),
        timeout=settings.webhook_timeout,
        retry_schedule=tuple(float(s) for s in settings.webhook_retry_schedule),
        allow_private=settings.webhook_allow_private,
        lease_margin=lease_margin,
    )


def bootstrap_admin(settings: Settings, paygate: Paygate) -> bool:
    """Create ``PAYGATE_BOOTSTRAP_ADMIN_*`` when no (active) admin exists; True if created."""
    admin = settings.bootstrap_admin
    if admin is None:
        return False
    if paygate.list_users(PageRequest(limit=1), role=Role.ADMIN).items:
        return False
    try:
        paygate.register_admin(
            RegisterAdmin(email=admin.email, name=admin.name, password=admin.password)
        )
    except EmailAlreadyRegistered:
        _log.warning("bootstrap admin email is already registered; nothing created")
        return False
    except PaygateError as exc:
        raise SettingsError(f"PAYGATE_BOOTSTRAP_ADMIN_*: {exc.description}") from None
    _log.info("bootstrap admin created", extra={"fields": {"email": admin.email}})
    return True


def build_live_events(paygate: Paygate) -> LiveEvents | None:
    """The process's ``LiveEvents`` over ``paygate``'s storage: SQL or the in-memory store;
    None for any other unit-of-work factory (no live streams)."""
    from paygate_adapters.sql import SqlUnitOfWorkFactory
    from paygate_core.testing.memory import InMemoryEventFeed, InMemoryStore

    if isinstance(paygate.uow, SqlUnitOfWorkFactory):
        from paygate_adapters.sql.event_feed import SqlEventFeed, event_watch

        engine = paygate.uow.engine
        feed = SqlEventFeed(engine)
        live = LiveEvents(
            feed=feed, uow=paygate.uow, clock=paygate.clock, watch=event_watch(engine)
        )
        live.on_stop(feed.close)
        return live
    store = getattr(paygate.uow, "__self__", None)
    if isinstance(store, InMemoryStore):
        return LiveEvents(feed=InMemoryEventFeed(store), uow=paygate.uow, clock=paygate.clock)
    return None
