"""The ``paygate`` command in-process, and the SQL-backed app that ``create_app`` wires."""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from http_harness import PASSWORD, SECRET, Api
from litestar.testing import TestClient
from sqlalchemy import create_engine, inspect

from paygate_core.accounts import Role
from paygate_core.gateway import Paygate
from paygate_core.pagination import PageRequest
from paygate_http import Settings, SettingsError, create_app
from paygate_http.cli import main
from paygate_http.settings import BootstrapAdmin
from paygate_http.wiring import bootstrap_admin


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """``main`` configures process-wide logging, as a real command should; undo it."""
    loggers = [logging.getLogger(), logging.getLogger("paygate")]
    saved = [(lg, list(lg.handlers), lg.level, lg.propagate) for lg in loggers]
    yield
    for logger, handlers, level, propagate in saved:
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, sqlite_url: str) -> str:
    for name in ("PAYGATE_ENV", "PAYGATE_REDIS_URL", "PAYGATE_BOOTSTRAP_ADMIN_EMAIL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PAYGATE_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("PAYGATE_SECRET_KEY", SECRET)
    monkeypatch.setenv("PAYGATE_BCRYPT_ROUNDS", "4")
    return sqlite_url


def _stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))


def test_migrate_creates_the_schema_on_an_empty_database(environment: str) -> None:
    assert main(["migrate"]) == 0

    engine = create_engine(environment)
    assert {"users", "merchants"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_create_admin_reads_the_password_from_stdin_and_the_admin_can_log_in(
        environment: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    _stdin(monkeypatch, PASSWORD + "\n")

    assert main(["create-admin", "--email", "Root@Paygate.example", "--name", "Root",
                 "--password-stdin"]) == 0
    assert "root@paygate.example" in capsys.readouterr().out

    settings = Settings(secret_key=SECRET, database_url=environment, bcrypt_rounds=4,
                        cookie_secure=False)
    with TestClient(create_app(settings)) as client:
        data = Api(client).login("root@paygate.example")
    assert data["role"] == "admin"


def test_create_admin_refuses_a_short_password(environment: str,
                                               monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    _stdin(monkeypatch, "short\n")

    assert main(["create-admin", "--email", "a@paygate.example", "--name", "A",
                 "--password-stdin"]) == 1
    assert "password" in capsys.readouterr().err


def test_create_admin_refuses_a_taken_email(environment: str,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    args = ["create-admin", "--email", "a@paygate.example", "--name", "A", "--password-stdin"]
    _stdin(monkeypatch, PASSWORD + "\n")
    assert main(args) == 0
    _stdin(monkeypatch, PASSWORD + "\n")

    assert main(args) == 1


def test_create_admin_prompts_twice_without_stdin(environment: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter([PASSWORD, "different-password"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))

    assert main(["create-admin", "--email", "a@paygate.example", "--name", "A"]) == 1


def test_a_bad_setting_exits_2_naming_the_variable(environment: str,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PAYGATE_ACCESS_TOKEN_TTL", "soon")

    assert main(["migrate"]) == 2
    assert "PAYGATE_ACCESS_TOKEN_TTL" in capsys.readouterr().err


def test_the_sql_backed_app_registers_logs_in_and_is_ready(sqlite_url: str) -> None:
    settings = Settings(secret_key=SECRET, database_url=sqlite_url, bcrypt_rounds=4,
                        cookie_secure=False)

    with TestClient(create_app(settings)) as client:
        api = Api(client)
        registered = api.register(webhook_url="https://shop.example/hooks")
        refreshed = api.post("auth/refresh/")
        me = api.get("merchants/me/", api_key=registered["api_key"])
        ready = api.get("/ready")

    assert refreshed.status_code == 200
    assert me.json()["data"]["webhook_url"] == "https://shop.example/hooks"
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready"}


# --- the bootstrap admin ---------------------------------------------------------------------


def _with_bootstrap(settings: Settings, password: str = PASSWORD) -> Settings:
    import attrs

    return attrs.evolve(settings, bootstrap_admin=BootstrapAdmin(
        email="boot@paygate.example", name="Boot", password=password))


def _admins(paygate: Paygate) -> list[Any]:
    return list(paygate.list_users(PageRequest(), role=Role.ADMIN).items)


def test_the_bootstrap_admin_is_created_once_when_no_admin_exists(paygate: Paygate,
                                                                  settings: Settings) -> None:
    assert bootstrap_admin(_with_bootstrap(settings), paygate) is True
    assert bootstrap_admin(_with_bootstrap(settings), paygate) is False

    assert [u.email for u in _admins(paygate)] == ["boot@paygate.example"]


def test_no_bootstrap_admin_without_the_variables(paygate: Paygate, settings: Settings) -> None:
    assert bootstrap_admin(settings, paygate) is False
    assert _admins(paygate) == []


def test_an_invalid_bootstrap_password_is_a_settings_error(paygate: Paygate,
                                                           settings: Settings) -> None:
    with pytest.raises(SettingsError, match="PAYGATE_BOOTSTRAP_ADMIN"):
        bootstrap_admin(_with_bootstrap(settings, password="short"), paygate)
