"""Fixtures of the browser tests: ``paygate serve`` as a real process on a free port (a
fresh SQLite file, a bootstrap admin), driven by the system Chromium through Playwright.

Playwright's own browser downloads are never used: Chromium is Debian's ``chromium``
package (``/usr/bin/chromium``, or ``PAYGATE_CHROMIUM``), which ``.ci/run`` installs. When
it or the ``playwright`` package is missing the tests are skipped with the reason, except
under ``CI=true``, where that is a failure: CI must run them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest
from browser_accounts import ADMIN_EMAIL, PASSWORD

from cli_process import PaygateProcess

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page


CHROMIUM = os.environ.get("PAYGATE_CHROMIUM", "/usr/bin/chromium")


def _missing(reason: str) -> NoReturn:
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests cannot run under CI=true: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        _missing(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture(scope="module")
def chromium(chromium_path: str) -> Iterator[Browser]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright package is not installed (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path,
            headless=True,
            args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of one ``paygate serve`` shared by the module's tests."""
    directory = tmp_path_factory.mktemp("browser")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYGATE_")}
    env.update(
        PAYGATE_DATABASE_URL=f"sqlite:///{directory}/paygate.db",
        PAYGATE_BCRYPT_ROUNDS="4",
        PAYGATE_AUTH_RATE_LIMIT="1000/minute",
        PAYGATE_BOOTSTRAP_ADMIN_EMAIL=ADMIN_EMAIL,
        PAYGATE_BOOTSTRAP_ADMIN_NAME="Root",
        PAYGATE_BOOTSTRAP_ADMIN_PASSWORD=PASSWORD,
    )
    process = PaygateProcess(["serve", "--port", "0", "--no-dispatcher"], env)
    try:
        yield process.serving_url()
    finally:
        process.stop(timeout=10)


@pytest.fixture
def context(chromium: Browser, server: str) -> Iterator[BrowserContext]:
    context = chromium.new_context(base_url=server, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def make_page(chromium: Browser, server: str) -> Iterator[Any]:
    """Another browser (its own cookies), e.g. at 375 px wide: ``make_page(width=375)``."""
    contexts: list[BrowserContext] = []

    def make(width: int = 1280) -> Page:
        context = chromium.new_context(base_url=server, viewport={"width": width, "height": 800})
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()
