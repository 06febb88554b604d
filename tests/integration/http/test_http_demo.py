"""``paygate demo --seed-only``: the fixed logins work, the seeded month adds up through the
statistics API (the merchant's and the admin's view agree with what the command printed),
the orders lie in the days asked for, and a second run reuses everything."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from http_harness import SECRET, Api
from litestar.testing import TestClient

from paygate_http import Settings, create_app
from paygate_http.process.cli import main
from paygate_http.process.demo import DEMO_ADMIN_EMAIL, DEMO_MERCHANT_EMAIL, DEMO_PASSWORD

_REPORT = re.compile(
    r"Seeded (?P<orders>[\d,]+) orders .* (?P<payments>[\d,]+) payments "
    r"\((?P<ok>[\d,]+) successful, (?P<failed>[\d,]+) failed\), "
    r"(?P<captures>[\d,]+) captures, (?P<refunds>[\d,]+) refunds"
)


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


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    url = str(request.getfixturevalue(f"{request.param}_url"))
    for name in ("PAYGATE_ENV", "PAYGATE_REDIS_URL", "PAYGATE_BOOTSTRAP_ADMIN_EMAIL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PAYGATE_DATABASE_URL", url)
    monkeypatch.setenv("PAYGATE_SECRET_KEY", SECRET)
    monkeypatch.setenv("PAYGATE_BCRYPT_ROUNDS", "4")
    return url


def _numbers(match: re.Match[str]) -> dict[str, int]:
    return {name: int(value.replace(",", "")) for name, value in match.groupdict().items()}


def _stats(api: Api, path: str, token: str) -> dict[str, Any]:
    answer = api.get(path, token=token)
    assert answer.status_code == 200, answer.text
    data: dict[str, Any] = answer.json()["data"]
    return data


def test_seed_only_adds_up_through_the_statistics_api(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--seed-only", "--orders", "60", "--days", "5"]) == 0
    printed = capsys.readouterr().out
    report = _REPORT.search(printed)
    assert report is not None, printed
    seeded = _numbers(report)
    assert seeded["orders"] == 60
    assert seeded["payments"] == seeded["ok"] + seeded["failed"] > 0
    assert f"Merchant: {DEMO_MERCHANT_EMAIL} / {DEMO_PASSWORD}" in printed
    assert f"Admin:    {DEMO_ADMIN_EMAIL} / {DEMO_PASSWORD}" in printed
    assert "http://127.0.0.1:8000/dashboard/login" in printed

    settings = Settings.from_env(
        {"PAYGATE_DATABASE_URL": database_url, "PAYGATE_SECRET_KEY": SECRET}
    )
    with TestClient(create_app(settings)) as client:
        api = Api(client)
        login = api.login(DEMO_MERCHANT_EMAIL, DEMO_PASSWORD)
        merchant, merchant_id = login["access"], login["merchant_id"]
        admin = api.login(DEMO_ADMIN_EMAIL, DEMO_PASSWORD)["access"]
        stats = _stats(api, "merchants/stats/", merchant)
        assert (
            stats["total_orders"],
            stats["total_payments"],
            stats["successful_payments"],
            stats["canceled_payments"],
            stats["successful_refunds"],
        ) == (60, seeded["payments"], seeded["ok"], seeded["failed"], seeded["refunds"])
        for volume in stats["volume"]:
            assert Decimal(volume["paid_amount"]) - Decimal(volume["refunded_amount"]) == Decimal(
                volume["net_amount"]
            )
        for_admin = _stats(api, f"admin/stats/?merchant_id={merchant_id}", admin)
        assert {k: for_admin[k] for k in stats} == stats
        overall = _stats(api, "admin/stats/", admin)
        assert (overall["total_merchants"], overall["total_admins"]) == (1, 1)
        assert overall["total_orders"] == 60

        five_days_ago = (datetime.now(UTC) - timedelta(days=5)).date().isoformat()
        before = _stats(api, f"merchants/stats/?to={five_days_ago}", merchant)
        assert before["total_orders"] == 0  # none older than the days asked for
        since = _stats(api, f"merchants/stats/?from={five_days_ago}", merchant)
        assert since["total_orders"] == 60

    assert main(["demo", "--seed-only", "--orders", "60", "--days", "5"]) == 0
    again = capsys.readouterr().out
    assert "not seeded again" in again
    assert _REPORT.search(again) is None
    with TestClient(create_app(settings)) as client:
        api = Api(client)
        merchant = api.login(DEMO_MERCHANT_EMAIL, DEMO_PASSWORD)["access"]
        assert _stats(api, "merchants/stats/", merchant)["total_orders"] == 60
