"""``Settings.from_env``: defaults, validation messages and the development secret key file."""

from __future__ import annotations

import ipaddress
import os
import stat
import threading
from pathlib import Path

import pytest

from paygate_http.pipeline.rate_limits import RateLimit
from paygate_http.settings import (
    BootstrapAdmin,
    Environment,
    SameSite,
    Settings,
    SettingsError,
    load_or_create_secret,
)

KEY = "k" * 40


def _env(tmp_path: Path, **values: str) -> dict[str, str]:
    return {"PAYGATE_DATABASE_URL": f"sqlite:///{tmp_path}/paygate.db", **values}


def test_defaults_follow_the_contract(tmp_path: Path) -> None:
    settings = Settings.from_env(_env(tmp_path, PAYGATE_SECRET_KEY=KEY))

    assert settings.env is Environment.DEVELOPMENT
    assert (settings.access_token_ttl, settings.refresh_token_ttl) == (900, 604800)
    assert settings.auth_rate_limit == RateLimit(5, 60)
    assert settings.api_rate_limit == RateLimit(1000, 60)
    assert settings.redis_url is None
    assert settings.trusted_proxies == ()
    assert settings.cookie_secure is False  # development
    assert settings.cookie_samesite is SameSite.STRICT
    assert settings.cors_origins == ()
    assert (settings.simulator_success_rate, settings.simulator_seed) == (0.8, None)
    assert settings.webhook_timeout == 5.0
    assert settings.webhook_retry_schedule == (30, 120, 600, 3600, 21600, 86400)
    assert settings.webhook_allow_private is False
    assert settings.bootstrap_admin is None
    assert settings.log_level == "INFO"
    assert settings.bcrypt_rounds == 12


def test_the_default_database_is_paygate_db_in_the_working_directory() -> None:
    assert Settings.from_env({"PAYGATE_SECRET_KEY": KEY}).database_url == "sqlite:///./paygate.db"


def test_every_variable_is_read(tmp_path: Path) -> None:
    settings = Settings.from_env(
        _env(
            tmp_path,
            PAYGATE_SECRET_KEY=KEY,
            PAYGATE_ENV="Production",
            PAYGATE_ACCESS_TOKEN_TTL="60",
            PAYGATE_REFRESH_TOKEN_TTL="3600",
            PAYGATE_AUTH_RATE_LIMIT="10/second",
            PAYGATE_API_RATE_LIMIT="0",
            PAYGATE_REDIS_URL="redis://127.0.0.1:6379/1",
            PAYGATE_REDIS_PREFIX="pg:",
            PAYGATE_TRUSTED_PROXIES="10.0.0.1, 192.168.0.0/16,::1",
            PAYGATE_COOKIE_SAMESITE="lax",
            PAYGATE_CORS_ORIGINS="https://a.example,http://b:8080/",
            PAYGATE_SIMULATOR_SUCCESS_RATE="0.5",
            PAYGATE_SIMULATOR_SEED="7",
            PAYGATE_WEBHOOK_TIMEOUT="2.5",
            PAYGATE_WEBHOOK_RETRY_SCHEDULE="1, 2,3",
            PAYGATE_WEBHOOK_ALLOW_PRIVATE="yes",
            PAYGATE_BOOTSTRAP_ADMIN_EMAIL="root@x.example",
            PAYGATE_BOOTSTRAP_ADMIN_NAME="Root",
            PAYGATE_BOOTSTRAP_ADMIN_PASSWORD="pw-123456",
            PAYGATE_LOG_LEVEL="debug",
            PAYGATE_BCRYPT_ROUNDS="4",
        )
    )

    assert settings.env is Environment.PRODUCTION
    assert settings.cookie_secure is True  # default outside development
    assert (settings.access_token_ttl, settings.refresh_token_ttl) == (60, 3600)
    assert settings.auth_rate_limit == RateLimit(10, 1)
    assert settings.api_rate_limit is None
    assert settings.redis_url == "redis://127.0.0.1:6379/1"
    assert settings.redis_prefix == "pg:"
    assert settings.trusted_proxies == (
        ipaddress.ip_network("10.0.0.1"),
        ipaddress.ip_network("192.168.0.0/16"),
        ipaddress.ip_network("::1"),
    )
    assert settings.cookie_samesite is SameSite.LAX
    assert settings.cors_origins == ("https://a.example", "http://b:8080")
    assert (settings.simulator_success_rate, settings.simulator_seed) == (0.5, 7)
    assert settings.webhook_timeout == 2.5
    assert settings.webhook_retry_schedule == (1, 2, 3)
    assert settings.webhook_allow_private is True
    assert settings.bootstrap_admin == BootstrapAdmin("root@x.example", "Root", "pw-123456")
    assert settings.log_level == "DEBUG"
    assert settings.bcrypt_rounds == 4


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("PAYGATE_ENV", "staging", "'development' or 'production'"),
        ("PAYGATE_DATABASE_URL", "not a url", "SQLAlchemy database URL"),
        ("PAYGATE_ACCESS_TOKEN_TTL", "0", "positive"),
        ("PAYGATE_REFRESH_TOKEN_TTL", "a week", "integer"),
        ("PAYGATE_AUTH_RATE_LIMIT", "5/fortnight", "N/second, N/minute or N/hour"),
        ("PAYGATE_API_RATE_LIMIT", "many", "N/second, N/minute or N/hour"),
        ("PAYGATE_REDIS_URL", "http://cache", "redis://"),
        ("PAYGATE_TRUSTED_PROXIES", "10.0.0.1,proxy.local", "'proxy.local'"),
        ("PAYGATE_COOKIE_SECURE", "sometimes", "true or false"),
        ("PAYGATE_COOKIE_SAMESITE", "loose", "'strict', 'lax' or 'none'"),
        ("PAYGATE_CORS_ORIGINS", "*", "credentials"),
        ("PAYGATE_CORS_ORIGINS", "https://a.example/path", "origin"),
        ("PAYGATE_SIMULATOR_SUCCESS_RATE", "1.5", "between 0 and 1"),
        ("PAYGATE_SIMULATOR_SUCCESS_RATE", "nan", "finite"),
        ("PAYGATE_SIMULATOR_SEED", "x", "integer"),
        ("PAYGATE_WEBHOOK_TIMEOUT", "-1", "positive"),
        ("PAYGATE_WEBHOOK_RETRY_SCHEDULE", "30,,60", "integer"),
        ("PAYGATE_WEBHOOK_RETRY_SCHEDULE", "30,-5", "positive"),
        ("PAYGATE_WEBHOOK_ALLOW_PRIVATE", "2", "true or false"),
        ("PAYGATE_LOG_LEVEL", "LOUD", "DEBUG, INFO"),
        ("PAYGATE_BCRYPT_ROUNDS", "3", "between 4 and 31"),
    ],
)
def test_a_bad_value_is_a_settings_error_naming_the_variable(
    tmp_path: Path, name: str, value: str, message: str
) -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env(_env(tmp_path, PAYGATE_SECRET_KEY=KEY, **{name: value}))

    assert name in str(raised.value)
    assert message in str(raised.value)


def test_secret_values_are_not_echoed_in_errors(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env(
            _env(tmp_path, PAYGATE_SECRET_KEY=KEY, PAYGATE_REDIS_URL="http://user:hunter2@cache")
        )

    assert "hunter2" not in str(raised.value)


def test_samesite_none_needs_secure_cookies(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="PAYGATE_COOKIE_SECURE"):
        Settings.from_env(_env(tmp_path, PAYGATE_SECRET_KEY=KEY, PAYGATE_COOKIE_SAMESITE="none"))

    settings = Settings.from_env(
        _env(
            tmp_path,
            PAYGATE_SECRET_KEY=KEY,
            PAYGATE_COOKIE_SAMESITE="None",
            PAYGATE_COOKIE_SECURE="true",
        )
    )
    assert settings.cookie_samesite is SameSite.NONE


def test_a_partial_bootstrap_admin_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="PAYGATE_BOOTSTRAP_ADMIN_PASSWORD"):
        Settings.from_env(
            _env(
                tmp_path,
                PAYGATE_SECRET_KEY=KEY,
                PAYGATE_BOOTSTRAP_ADMIN_EMAIL="a@b.example",
                PAYGATE_BOOTSTRAP_ADMIN_NAME="A",
            )
        )


def test_production_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="PAYGATE_SECRET_KEY is required"):
        Settings.from_env(_env(tmp_path, PAYGATE_ENV="production"))

    assert not (tmp_path / "paygate.db.secret").exists()


def test_a_short_secret_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="at least 32"):
        Settings.from_env(_env(tmp_path, PAYGATE_SECRET_KEY="short"))


def test_development_generates_the_key_once_beside_the_sqlite_file(tmp_path: Path) -> None:
    first = Settings.from_env(_env(tmp_path))
    second = Settings.from_env(_env(tmp_path))

    key_file = tmp_path / "paygate.db.secret"
    assert first.secret_key == second.secret_key == key_file.read_text().strip()
    assert len(first.secret_key) >= 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["paygate.db.secret"]


def test_workers_starting_together_agree_on_one_key(tmp_path: Path) -> None:
    path = tmp_path / "race" / "paygate.db.secret"
    keys: list[str] = []
    barrier = threading.Barrier(8)

    def start() -> None:
        barrier.wait()
        keys.append(load_or_create_secret(path))

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(set(keys)) == 1
    assert len(keys) == 8
    assert sorted(os.listdir(path.parent)) == ["paygate.db.secret"]


def test_a_corrupt_key_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "paygate.db.secret").write_text("short\n")

    with pytest.raises(SettingsError, match="corrupt"):
        Settings.from_env(_env(tmp_path))


def test_the_secret_key_is_not_in_the_settings_repr(tmp_path: Path) -> None:
    settings = Settings.from_env(
        _env(
            tmp_path,
            PAYGATE_SECRET_KEY=KEY,
            PAYGATE_BOOTSTRAP_ADMIN_EMAIL="a@b.example",
            PAYGATE_BOOTSTRAP_ADMIN_NAME="A",
            PAYGATE_BOOTSTRAP_ADMIN_PASSWORD="pw-secret-1",
        )
    )

    assert KEY not in repr(settings)
    assert "pw-secret-1" not in repr(settings)
