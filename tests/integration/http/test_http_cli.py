"""The ``paygate`` command in-process, and the SQL-backed app that ``create_app`` wires."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from http_harness import PASSWORD, SECRET, Api
from litestar.testing import TestClient
from sqlalchemy import create_engine, inspect

from paygate_core.accounts import Role
from paygate_core.gateway import Paygate
from paygate_core.pagination import PageRequest
from paygate_http import Settings, SettingsError, create_app
from paygate_http.process.cli import ADMIN_PASSWORD_VARIABLE, main
from paygate_http.process.wiring import bootstrap_admin
from paygate_http.settings import BootstrapAdmin


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
    for name in (
        "PAYGATE_ENV",
        "PAYGATE_REDIS_URL",
        "PAYGATE_BOOTSTRAP_ADMIN_EMAIL",
        ADMIN_PASSWORD_VARIABLE,
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PAYGATE_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("PAYGATE_SECRET_KEY", SECRET)
    monkeypatch.setenv("PAYGATE_BCRYPT_ROUNDS", "4")
    return sqlite_url


class _Terminal(io.StringIO):
    """Standard input that says it is a terminal (what ``getpass`` would prompt on)."""

    def isatty(self) -> bool:
        return True


def _stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))


def _said(capsys: pytest.CaptureFixture[str]) -> list[str]:
    """What the command wrote to stderr for people: every line but the JSON log lines."""
    return [
        line for line in capsys.readouterr().err.splitlines() if line and not line.startswith("{")
    ]


def _logs_in(database_url: str, email: str, password: str) -> bool:
    settings = Settings(
        secret_key=SECRET, database_url=database_url, bcrypt_rounds=4, cookie_secure=False
    )
    with TestClient(create_app(settings)) as client:
        response = Api(client).post("auth/token/", json={"email": email, "password": password})
    return response.status_code == 200 and response.json()["data"]["role"] == "admin"


def _tables(database_url: str) -> set[str]:
    engine = create_engine(database_url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


ADMIN = ["create-admin", "--email", "a@paygate.example", "--name", "A"]


def test_migrate_creates_the_schema_on_an_empty_database(environment: str) -> None:
    assert main(["migrate"]) == 0

    assert {"users", "merchants"} <= _tables(environment)


# --- create-admin: where the password comes from -------------------------------------------


def test_create_admin_reads_the_password_from_stdin_and_the_admin_can_log_in(
    environment: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _stdin(monkeypatch, PASSWORD + "\n")

    assert (
        main(
            [
                "create-admin",
                "--email",
                "Root@Paygate.example",
                "--name",
                "Root",
                "--password-stdin",
            ]
        )
        == 0
    )
    assert "root@paygate.example" in capsys.readouterr().out

    assert _logs_in(environment, "root@paygate.example", PASSWORD)


def test_create_admin_reads_the_password_from_the_environment(
    environment: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ADMIN_PASSWORD_VARIABLE, "from-the-environment")
    _stdin(monkeypatch, "")  # no terminal, nothing piped

    assert main(ADMIN) == 0

    assert _logs_in(environment, "a@paygate.example", "from-the-environment")


def test_password_stdin_takes_precedence_over_the_environment(
    environment: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ADMIN_PASSWORD_VARIABLE, "from-the-environment")
    _stdin(monkeypatch, "from-standard-input\n")

    assert main([*ADMIN, "--password-stdin"]) == 0

    assert _logs_in(environment, "a@paygate.example", "from-standard-input")
    assert not _logs_in(environment, "a@paygate.example", "from-the-environment")


def test_create_admin_without_a_terminal_or_a_password_source_exits_2_with_one_line(
    environment: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(ADMIN_PASSWORD_VARIABLE, raising=False)
    _stdin(monkeypatch, PASSWORD + "\n")  # piped, but --password-stdin not given

    assert main(ADMIN) == 2

    [line] = _said(capsys)
    assert line.startswith("paygate: ")
    assert "--password-stdin" in line
    assert ADMIN_PASSWORD_VARIABLE in line
    assert not _tables(environment)  # stopped before waiting for the database


def test_create_admin_as_a_process_without_a_terminal_prints_one_line_no_traceback(
    environment: str, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYGATE_")}
    env.update(PAYGATE_DATABASE_URL=environment, PAYGATE_SECRET_KEY=SECRET)

    done = subprocess.run(
        [sys.executable, "-m", "paygate_http.process.cli", *ADMIN],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )

    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("paygate: "), done.stderr
    assert done.stdout == ""


def test_empty_standard_input_with_password_stdin_exits_2(
    environment: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _stdin(monkeypatch, "")

    assert main([*ADMIN, "--password-stdin"]) == 2
    assert _said(capsys) == ["paygate: create-admin: --password-stdin: standard input is empty"]


def test_create_admin_prompts_twice_on_a_terminal(
    environment: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    prompts: list[str] = []

    def getpass(prompt: str = "") -> str:
        prompts.append(prompt)
        return PASSWORD

    monkeypatch.delenv(ADMIN_PASSWORD_VARIABLE, raising=False)
    monkeypatch.setattr(sys, "stdin", _Terminal())
    monkeypatch.setattr("getpass.getpass", getpass)

    assert main(ADMIN) == 0
    assert prompts == ["Password: ", "Repeat password: "]
    assert _logs_in(environment, "a@paygate.example", PASSWORD)


@pytest.mark.parametrize(
    "answers", [[PASSWORD, "different-password"], [PASSWORD, EOFError()], [KeyboardInterrupt()]]
)
def test_create_admin_stops_on_a_prompt_that_gives_no_single_password(
    environment: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    answers: list[object],
) -> None:
    replies = iter(answers)

    def getpass(prompt: str = "") -> str:
        reply = next(replies)
        if isinstance(reply, BaseException):
            raise reply
        assert isinstance(reply, str)
        return reply

    monkeypatch.delenv(ADMIN_PASSWORD_VARIABLE, raising=False)
    monkeypatch.setattr(sys, "stdin", _Terminal())
    monkeypatch.setattr("getpass.getpass", getpass)

    assert main(ADMIN) == 2
    [line] = _said(capsys)
    assert line.startswith("paygate: create-admin: ")


# --- failures a newcomer meets: one line on stderr, no traceback ---------------------------


@pytest.mark.parametrize(
    ("email", "password", "field"),
    [
        ("not-an-email", PASSWORD, "email"),
        ("a@paygate.example", "short", "password"),
        ("a@paygate.example", "x" * 129, "password"),
    ],
)
def test_create_admin_refuses_bad_arguments_with_one_line_and_exit_2(
    environment: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    email: str,
    password: str,
    field: str,
) -> None:
    _stdin(monkeypatch, password + "\n")

    assert main(["create-admin", "--email", email, "--name", "A", "--password-stdin"]) == 2

    [line] = _said(capsys)
    assert line.startswith(f"paygate: create-admin: {field}: ")


def test_create_admin_refuses_a_taken_email_with_one_line(
    environment: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _stdin(monkeypatch, PASSWORD + "\n")
    assert main([*ADMIN, "--password-stdin"]) == 0
    capsys.readouterr()
    _stdin(monkeypatch, PASSWORD + "\n")

    assert (
        main(["create-admin", "--email", "A@Paygate.example", "--name", "A", "--password-stdin"])
        == 1
    )

    [line] = _said(capsys)
    assert line.startswith("paygate: Email already registered")


def test_a_bad_setting_exits_2_naming_the_variable(
    environment: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PAYGATE_ACCESS_TOKEN_TTL", "soon")

    assert main(["migrate"]) == 2
    assert "PAYGATE_ACCESS_TOKEN_TTL" in capsys.readouterr().err


@pytest.mark.parametrize(
    "url",
    [
        "mysql://u@db.example/shop",
        "sqlite+nosuch:///x.db",
        "postgresql+asyncpg://u@db.example/shop",
    ],
)
@pytest.mark.parametrize("command", [["migrate"], ["worker"], ["serve", "--port", "0"], ADMIN])
def test_a_database_url_paygate_cannot_use_exits_2_with_one_line(
    environment: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    url: str,
    command: list[str],
) -> None:
    monkeypatch.setenv("PAYGATE_DATABASE_URL", url)
    monkeypatch.setenv("PAYGATE_SECRET_KEY", SECRET)

    assert main(command) == 2

    [line] = _said(capsys)
    assert line.startswith("paygate: configuration error: PAYGATE_DATABASE_URL: ")


def test_a_secret_key_file_that_cannot_be_written_exits_2_with_one_line(
    environment: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("")
    monkeypatch.delenv("PAYGATE_SECRET_KEY")
    monkeypatch.setenv("PAYGATE_DATABASE_URL", f"sqlite:///{not_a_directory}/paygate.db")

    assert main(["migrate"]) == 2

    [line] = _said(capsys)
    assert line.startswith("paygate: configuration error: ")
    assert "PAYGATE_SECRET_KEY" in line


@pytest.mark.parametrize("command", [["migrate"], ADMIN])
def test_an_unreachable_database_ends_a_one_shot_command_with_one_line(
    environment: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
) -> None:
    monkeypatch.setenv("PAYGATE_DATABASE_URL", "postgresql+psycopg://u@127.0.0.1:1/nothing")
    monkeypatch.setenv(ADMIN_PASSWORD_VARIABLE, PASSWORD)
    monkeypatch.setattr("paygate_http.process.cli.ONE_SHOT_WAIT", 0.2)

    assert main(command) == 1

    assert _said(capsys) == [
        "paygate: the database is unavailable (PAYGATE_DATABASE_URL; the log lines above say why)"
    ]


def test_a_file_that_is_not_a_database_ends_a_one_shot_command_with_one_line(
    environment: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("not a database\n" * 100)
    monkeypatch.setenv("PAYGATE_DATABASE_URL", f"sqlite:///{junk}")

    assert main(["migrate"]) == 1

    assert _said(capsys) == ["paygate: the database cannot be used: file is not a database"]


def test_the_sql_backed_app_registers_logs_in_and_is_ready(sqlite_url: str) -> None:
    settings = Settings(
        secret_key=SECRET, database_url=sqlite_url, bcrypt_rounds=4, cookie_secure=False
    )

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

    return attrs.evolve(
        settings,
        bootstrap_admin=BootstrapAdmin(
            email="boot@paygate.example", name="Boot", password=password
        ),
    )


def _admins(paygate: Paygate) -> list[Any]:
    return list(paygate.list_users(PageRequest(), role=Role.ADMIN).items)


def test_the_bootstrap_admin_is_created_once_when_no_admin_exists(
    paygate: Paygate, settings: Settings
) -> None:
    assert bootstrap_admin(_with_bootstrap(settings), paygate) is True
    assert bootstrap_admin(_with_bootstrap(settings), paygate) is False

    assert [u.email for u in _admins(paygate)] == ["boot@paygate.example"]


def test_no_bootstrap_admin_without_the_variables(paygate: Paygate, settings: Settings) -> None:
    assert bootstrap_admin(settings, paygate) is False
    assert _admins(paygate) == []


def test_an_invalid_bootstrap_password_is_a_settings_error(
    paygate: Paygate, settings: Settings
) -> None:
    with pytest.raises(SettingsError, match="PAYGATE_BOOTSTRAP_ADMIN"):
        bootstrap_admin(_with_bootstrap(settings, password="short"), paygate)
