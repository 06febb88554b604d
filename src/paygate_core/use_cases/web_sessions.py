"""Dashboard sign-in and server-side sessions: the password check of ``auth.login`` starting a
session instead of issuing tokens, and each session's life.

A session id is 32 random bytes (URL-safe text) that only the browser's cookie holds; the
``WebSessions`` store keeps an HMAC-SHA256 digest of it under a key of its own, so a read of
the store yields nothing that signs anybody in. A session ends after ``idle`` without a
request, ``absolute`` after it started, when it is ended (``end``), and at the next request
after its user is deleted: every ``resume`` reads the user. ``last_seen_at`` is written at
most once per ``touch_every``, so a page view is a read, not a write.

    sessions = DashboardSessions(store=..., uow=paygate.uow, hasher=paygate.hasher,
                                 clock=paygate.clock, key=derived_key)
    signed_in, session_id = sessions.sign_in(Login(email=..., password=...))
    signed_in = sessions.resume(session_id)    # None: signed out, expired or deleted
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

import attrs

from paygate_core.accounts import Merchant, Role, User
from paygate_core.errors import LoginFailed, ValidationFailed
from paygate_core.ports import (
    Clock,
    PasswordHasher,
    UnitOfWorkFactory,
    WebSessions,
)
from paygate_core.text import check_storable
from paygate_core.use_cases.auth import Login
from paygate_core.web_sessions import WebSession

__all__ = ["MAX_SESSION_ID_LENGTH", "DashboardSessions", "SessionLimits", "SignedIn"]

MAX_SESSION_ID_LENGTH = 128
"""Longer cookie values are no session id of ours: refused before hashing."""


@attrs.frozen
class SessionLimits:
    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)
    touch_every: timedelta = timedelta(minutes=1)


@attrs.frozen(repr=False)
class SignedIn:
    """The user behind a live session (and their merchant, for merchants)."""

    user: User
    merchant: Merchant | None
    session_id: str

    def __repr__(self) -> str:
        return f"SignedIn(user_id={self.user.id!s}, role={self.user.role.value})"

    @property
    def role(self) -> Role:
        return self.user.role


@attrs.frozen
class DashboardSessions:
    store: WebSessions
    uow: UnitOfWorkFactory
    hasher: PasswordHasher
    clock: Clock
    key: bytes = attrs.field(repr=False)
    limits: SessionLimits = attrs.field(factory=SessionLimits)

    def digest(self, session_id: str) -> str:
        return hmac.new(self.key, session_id.encode("utf-8"), hashlib.sha256).hexdigest()

    def sign_in(self, cmd: Login) -> SignedIn:
        """``auth.login``'s answers (one ``LoginFailed`` for an unknown email, a wrong
        password or a deleted user), then a new session."""
        user = self._verify(cmd)
        with self.uow(read_only=True) as work:
            merchant = work.merchants.get_by_user(user.id)
        return self.start(user, merchant)

    def _verify(self, cmd: Login) -> User:
        if not isinstance(cmd.email, str) or not isinstance(cmd.password, str):
            bad = {
                f: "must be a string"
                for f, v in (("email", cmd.email), ("password", cmd.password))
                if not isinstance(v, str)
            }
            raise ValidationFailed(fields=bad)
        check_storable(cmd.email, "email")
        check_storable(cmd.password, "password")
        with self.uow(read_only=True) as work:
            user = work.users.get_by_email(cmd.email.strip().lower())
        # Hash even for unknown emails so timing does not reveal which emails exist.
        matches = self.hasher.verify(cmd.password, user.password_hash if user else None)
        if user is None or not matches or user.deleted:
            raise LoginFailed("Invalid email or password")
        return user

    def start(self, user: User, merchant: Merchant | None) -> SignedIn:
        """A new session for ``user`` (just registered or verified); sessions past their
        limits are purged on the way."""
        now = self.clock.now()
        self.store.purge(
            idle_before=now - self.limits.idle, started_before=now - self.limits.absolute
        )
        session_id = secrets.token_urlsafe(32)
        self.store.add(
            WebSession(
                digest=self.digest(session_id), user_id=user.id, created_at=now, last_seen_at=now
            )
        )
        return SignedIn(user, merchant, session_id)

    def resume(self, session_id: str) -> SignedIn | None:
        """The live session's user, or None (and a dead session removed)."""
        if not session_id or len(session_id) > MAX_SESSION_ID_LENGTH:
            return None
        digest = self.digest(session_id)
        session = self.store.get(digest)
        if session is None:
            return None
        now = self.clock.now()
        if (
            now - session.last_seen_at >= self.limits.idle
            or now - session.created_at >= self.limits.absolute
        ):
            self.store.remove(digest)
            return None
        with self.uow(read_only=True) as work:
            user = work.users.get(session.user_id)
            merchant = None
            if user is not None and user.role is Role.MERCHANT:
                merchant = work.merchants.get_by_user(user.id)
        if user is None or user.deleted:
            self.store.remove(digest)
            return None
        if now - session.last_seen_at >= self.limits.touch_every:
            self.store.touch(digest, now)
        return SignedIn(user, merchant, session_id)

    def end(self, session_id: str) -> None:
        if session_id and len(session_id) <= MAX_SESSION_ID_LENGTH:
            self.store.remove(self.digest(session_id))
