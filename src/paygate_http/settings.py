"""``Settings``: every ``PAYGATE_*`` variable, validated once, with a clear error for a bad one.

Nothing here runs at import time: the CLI calls ``Settings.from_env(os.environ)`` and tests
build ``Settings(...)`` directly. In development, a missing ``PAYGATE_SECRET_KEY`` is
generated once and kept in a file beside the SQLite database (``./paygate.db.secret``,
mode 0600), created atomically so several workers starting together agree on one key.
``derive_key`` gives each use of that key (JWTs, card fingerprints, sessions, CSRF tokens,
checkout tokens, idempotency fingerprints) a sub-key of its own.
"""

from __future__ import annotations

import enum
import functools
import hashlib
import hmac
import ipaddress
import logging
import math
import os
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

import attrs

from paygate_http.pipeline.rate_limits import IPNetwork, RateLimit, parse_rate


@functools.lru_cache(maxsize=16)
def derive_key(secret: str, purpose: str) -> bytes:
    """A sub-key of ``PAYGATE_SECRET_KEY`` for one purpose (HMAC-SHA256 of the purpose): a
    leak or rotation of one use never exposes another."""
    return hmac.new(secret.encode("utf-8"), purpose.encode("utf-8"), hashlib.sha256).digest()


__all__ = [
    "BootstrapAdmin",
    "Environment",
    "SameSite",
    "Settings",
    "SettingsError",
    "derive_key",
    "load_or_create_secret",
]

T = TypeVar("T")
MIN_SECRET_LENGTH = 32
DEFAULT_RETRY_SCHEDULE = (30, 120, 600, 3600, 21600, 86400)
DEFAULT_AUTH_RATE: RateLimit | None = RateLimit(5, 60)
DEFAULT_API_RATE: RateLimit | None = RateLimit(1000, 60)
DEFAULT_CHECKOUT_RATE: RateLimit | None = RateLimit(10, 60)
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class SettingsError(ValueError):
    """A configuration value is missing or invalid; the message names the variable."""


class Environment(enum.StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class SameSite(enum.StrEnum):
    STRICT = "Strict"
    LAX = "Lax"
    NONE = "None"


@attrs.frozen(repr=False)
class BootstrapAdmin:
    """An admin created at start-up when no admin exists yet."""

    email: str
    name: str
    password: str

    def __repr__(self) -> str:
        return f"BootstrapAdmin(email={self.email!r})"


@attrs.frozen(kw_only=True)
class Settings:
    """The validated configuration. Every field has the contract's default but the key."""

    secret_key: str = attrs.field(repr=False)
    database_url: str = "sqlite:///./paygate.db"
    env: Environment = Environment.DEVELOPMENT
    access_token_ttl: int = 900
    refresh_token_ttl: int = 604800
    auth_rate_limit: RateLimit | None = DEFAULT_AUTH_RATE
    api_rate_limit: RateLimit | None = DEFAULT_API_RATE
    redis_url: str | None = attrs.field(default=None, repr=False)
    redis_prefix: str = "paygate:"
    trusted_proxies: tuple[IPNetwork, ...] = ()
    cookie_secure: bool = True
    cookie_samesite: SameSite = SameSite.STRICT
    cors_origins: tuple[str, ...] = ()
    simulator_success_rate: float = 0.8
    simulator_seed: int | None = None
    webhook_timeout: float = 5.0
    webhook_retry_schedule: tuple[int, ...] = DEFAULT_RETRY_SCHEDULE
    webhook_allow_private: bool = False
    # Seconds a claimed event stays hidden beyond its attempt's timeout: how soon another
    # worker retries the events of a worker that died mid-delivery (not in the contract).
    webhook_lease_margin: float = 30.0
    bootstrap_admin: BootstrapAdmin | None = None
    log_level: str = "INFO"
    bcrypt_rounds: int = 12
    # Seconds a client has to send a whole request, headers and body, from its first byte
    # (or from connecting) before it is answered 408 and disconnected (``read_deadline``).
    request_read_timeout: float = 10.0
    # The origin of the links Paygate gives out (hosted checkout's ``checkout_url``); None:
    # the origin each request was sent to.
    public_url: str | None = None
    checkout_rate_limit: RateLimit | None = DEFAULT_CHECKOUT_RATE

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Read and validate every ``PAYGATE_*`` variable; ``SettingsError`` on a bad one."""
        env = _Reader(environ)
        environment = env.get("PAYGATE_ENV", Environment.DEVELOPMENT, _environment)
        database_url = env.get("PAYGATE_DATABASE_URL", "sqlite:///./paygate.db", _database_url)
        samesite = env.get("PAYGATE_COOKIE_SAMESITE", SameSite.STRICT, _samesite)
        secure = env.get(
            "PAYGATE_COOKIE_SECURE", environment is not Environment.DEVELOPMENT, _boolean
        )
        if samesite is SameSite.NONE and not secure:
            raise SettingsError(
                "PAYGATE_COOKIE_SAMESITE=none needs PAYGATE_COOKIE_SECURE=true "
                "(browsers drop SameSite=None cookies that are not Secure)"
            )
        return cls(
            secret_key=_secret_key(environ, environment, database_url),
            database_url=database_url,
            env=environment,
            access_token_ttl=env.get("PAYGATE_ACCESS_TOKEN_TTL", 900, _positive_int),
            refresh_token_ttl=env.get("PAYGATE_REFRESH_TOKEN_TTL", 604800, _positive_int),
            auth_rate_limit=env.get("PAYGATE_AUTH_RATE_LIMIT", DEFAULT_AUTH_RATE, _rate),
            api_rate_limit=env.get("PAYGATE_API_RATE_LIMIT", DEFAULT_API_RATE, _rate),
            redis_url=env.get("PAYGATE_REDIS_URL", None, _redis_url),
            redis_prefix=env.get("PAYGATE_REDIS_PREFIX", "paygate:", _non_empty),
            trusted_proxies=env.get("PAYGATE_TRUSTED_PROXIES", (), _networks),
            cookie_secure=secure,
            cookie_samesite=samesite,
            cors_origins=env.get("PAYGATE_CORS_ORIGINS", (), _origins),
            simulator_success_rate=env.get("PAYGATE_SIMULATOR_SUCCESS_RATE", 0.8, _probability),
            simulator_seed=env.get("PAYGATE_SIMULATOR_SEED", None, _integer),
            webhook_timeout=env.get("PAYGATE_WEBHOOK_TIMEOUT", 5.0, _positive_seconds),
            webhook_retry_schedule=env.get(
                "PAYGATE_WEBHOOK_RETRY_SCHEDULE", DEFAULT_RETRY_SCHEDULE, _schedule
            ),
            webhook_allow_private=env.get("PAYGATE_WEBHOOK_ALLOW_PRIVATE", False, _boolean),
            webhook_lease_margin=env.get("PAYGATE_WEBHOOK_LEASE_MARGIN", 30.0, _positive_seconds),
            bootstrap_admin=_bootstrap_admin(env),
            log_level=env.get("PAYGATE_LOG_LEVEL", "INFO", _log_level),
            bcrypt_rounds=env.get("PAYGATE_BCRYPT_ROUNDS", 12, _bcrypt_rounds),
            request_read_timeout=env.get("PAYGATE_REQUEST_READ_TIMEOUT", 10.0, _positive_seconds),
            public_url=env.get("PAYGATE_PUBLIC_URL", None, _public_url),
            checkout_rate_limit=env.get(
                "PAYGATE_CHECKOUT_RATE_LIMIT", DEFAULT_CHECKOUT_RATE, _rate
            ),
        )


class _Reader:
    """Applies one parser per variable and names the variable in any error."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def raw(self, name: str) -> str | None:
        value = self._environ.get(name)
        return None if value is None or value.strip() == "" else value.strip()

    def get(self, name: str, default: T, parse: Callable[[str], T]) -> T:
        raw = self.raw(name)
        if raw is None:
            return default
        try:
            return parse(raw)
        except ValueError as exc:
            raise SettingsError(f"{name}={_shown(name, raw)}: {exc}") from None


def _shown(name: str, raw: str) -> str:
    """The bad value for the error message, unless it is a secret."""
    secret = ("SECRET", "PASSWORD", "REDIS_URL", "DATABASE_URL")
    return "<hidden>" if any(word in name for word in secret) else repr(raw)


def _environment(raw: str) -> Environment:
    try:
        return Environment(raw.lower())
    except ValueError:
        raise ValueError("must be 'development' or 'production'") from None


def _database_url(raw: str) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        make_url(raw)
    except ArgumentError:
        raise ValueError("is not a SQLAlchemy database URL") from None
    return raw


def _samesite(raw: str) -> SameSite:
    for choice in SameSite:
        if raw.lower() == choice.value.lower():
            return choice
    raise ValueError("must be 'strict', 'lax' or 'none'")


def _boolean(raw: str) -> bool:
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise ValueError("must be true or false")


def _integer(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ValueError("must be an integer") from None


def _positive_int(raw: str) -> int:
    value = _integer(raw)
    if value <= 0:
        raise ValueError("must be a positive number of seconds")
    return value


def _bcrypt_rounds(raw: str) -> int:
    value = _integer(raw)
    if not 4 <= value <= 31:
        raise ValueError("must be between 4 and 31")
    return value


def _number(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ValueError("must be a number") from None
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


def _probability(raw: str) -> float:
    value = _number(raw)
    if not 0.0 <= value <= 1.0:
        raise ValueError("must be between 0 and 1")
    return value


def _positive_seconds(raw: str) -> float:
    value = _number(raw)
    if value <= 0:
        raise ValueError("must be a positive number of seconds")
    return value


def _schedule(raw: str) -> tuple[int, ...]:
    delays = tuple(_integer(part.strip()) for part in raw.split(","))
    if any(delay <= 0 for delay in delays):
        raise ValueError("must be comma-separated positive seconds, e.g. 30,120,600")
    return delays


def _rate(raw: str) -> RateLimit | None:
    return parse_rate(raw)


def _non_empty(raw: str) -> str:
    return raw


def _redis_url(raw: str) -> str:
    if urlsplit(raw).scheme not in {"redis", "rediss", "unix"}:
        raise ValueError("must be a redis://, rediss:// or unix:// URL")
    return raw


def _networks(raw: str) -> tuple[IPNetwork, ...]:
    networks = []
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ValueError(f"{part!r} is not an IP address or network") from None
    return tuple(networks)


def _origins(raw: str) -> tuple[str, ...]:
    origins = []
    for part in (p.strip().rstrip("/") for p in raw.split(",")):
        if not part:
            continue
        if part == "*":
            raise ValueError("'*' cannot be used with credentials; list the origins")
        parts = urlsplit(part)
        if parts.scheme not in {"http", "https"} or not parts.netloc or parts.path:
            raise ValueError(f"{part!r} is not an origin like https://shop.example")
        origins.append(part)
    return tuple(origins)


def _public_url(raw: str) -> str:
    origin = raw.strip().rstrip("/")
    try:
        parts = urlsplit(origin)
        _ = parts.port
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme not in {"http", "https"}
        or not parts.hostname
        or parts.path
        or parts.query
        or parts.fragment
        or "@" in parts.netloc
    ):
        raise ValueError(f"{raw!r} is not an origin like https://pay.example")
    return origin


def _log_level(raw: str) -> str:
    level = raw.upper()
    if level not in _LOG_LEVELS:
        raise ValueError(f"must be one of {', '.join(_LOG_LEVELS)}")
    return level


def _bootstrap_admin(env: _Reader) -> BootstrapAdmin | None:
    names = ("EMAIL", "NAME", "PASSWORD")
    values = {n: env.raw(f"PAYGATE_BOOTSTRAP_ADMIN_{n}") for n in names}
    if not any(values.values()):
        return None
    missing = [f"PAYGATE_BOOTSTRAP_ADMIN_{n}" for n, v in values.items() if not v]
    if missing:
        raise SettingsError(
            f"{', '.join(missing)} must be set too "
            "(the bootstrap admin needs an email, a name and a password)"
        )
    return BootstrapAdmin(
        email=values["EMAIL"] or "", name=values["NAME"] or "", password=values["PASSWORD"] or ""
    )


def _secret_key(environ: Mapping[str, str], environment: Environment, database_url: str) -> str:
    raw = (environ.get("PAYGATE_SECRET_KEY") or "").strip()
    if raw:
        if len(raw) < MIN_SECRET_LENGTH:
            raise SettingsError(
                f"PAYGATE_SECRET_KEY must be at least {MIN_SECRET_LENGTH} "
                "characters (e.g. python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))')"
            )
        return raw
    if environment is Environment.PRODUCTION:
        raise SettingsError("PAYGATE_SECRET_KEY is required when PAYGATE_ENV=production")
    return load_or_create_secret(secret_file_for(database_url))


def secret_file_for(database_url: str) -> Path:
    """Beside the SQLite file (``<db>.secret``); ``./paygate.secret`` for other databases."""
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    database = url.database
    if (
        url.get_backend_name() == "sqlite"
        and database
        and database != ":memory:"
        and not database.startswith("file:")
    ):
        return Path(database + ".secret")
    return Path("paygate.secret")


def load_or_create_secret(path: Path) -> str:
    """The key in ``path``, creating it first if needed (mode 0600, atomically).

    The new key is written to a private temporary file, then hard-linked into place: the
    link either appears complete or fails because another process won the race, in which
    case its key is read. Nobody ever sees a half-written key.
    """
    try:
        return _read_secret(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(48) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
            logging.getLogger("paygate.settings").warning(
                "generated a development secret key", extra={"fields": {"path": str(path)}}
            )
        except FileExistsError:
            pass  # another worker created it first; use theirs
    finally:
        temporary.unlink(missing_ok=True)
    return _read_secret(path)


def _read_secret(path: Path) -> str:
    key = path.read_text().strip()
    if len(key) < MIN_SECRET_LENGTH:
        raise SettingsError(
            f"the secret key file {path} is corrupt (shorter than "
            f"{MIN_SECRET_LENGTH} characters); delete it or set "
            "PAYGATE_SECRET_KEY"
        )
    return key
