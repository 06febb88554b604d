"""`python -m bench.screenshots [--out DIR]`: the dashboard's Overviews as PNG files.

Seeds a fresh SQLite database with `paygate demo --seed-only`, starts `paygate serve` on a
free port, logs in as the demo merchant and the demo admin with Playwright on the system
Chromium (`/usr/bin/chromium`, or `PAYGATE_CHROMIUM`; Playwright's own browser downloads
are never used) and saves each Overview at 1280 and 375 px wide into `docs/screenshots/`:
`merchant-overview-1280.png`, `merchant-overview-375.png`, `admin-overview-1280.png`,
`admin-overview-375.png`. Not a test: the suite never runs it; the README shows its output.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from paygate_http.process.demo import DEMO_ADMIN_EMAIL, DEMO_MERCHANT_EMAIL, DEMO_PASSWORD

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("PAYGATE_CHROMIUM", "/usr/bin/chromium")
WIDTHS = (1280, 375)
SHOTS = (
    ("merchant", DEMO_MERCHANT_EMAIL, "/dashboard/merchant"),
    ("admin", DEMO_ADMIN_EMAIL, "/dashboard/admin"),
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _paygate(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "paygate_http.process.cli", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_ready(base: str, server: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("paygate serve stopped before it was ready")
        try:
            if httpx.get(f"{base}/ready", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"paygate serve was not ready within {timeout:.0f} s")


def _shoot(base: str, out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    saved = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
        )
        for role, email, path in SHOTS:
            for width in WIDTHS:
                context = browser.new_context(
                    base_url=base, viewport={"width": width, "height": 900}
                )
                page = context.new_page()
                page.goto("/dashboard/login")
                page.get_by_label("Email").fill(email)
                page.get_by_label("Password").fill(DEMO_PASSWORD)
                page.get_by_role("button", name="Log in").click()
                page.wait_for_url(f"**{path}")
                page.goto(path)
                page.wait_for_load_state("networkidle")
                target = out / f"{role}-overview-{width}.png"
                page.screenshot(path=str(target), full_page=True)
                saved.append(target)
                context.close()
        browser.close()
    return saved


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.screenshots")
    parser.add_argument("--out", type=Path, default=OUT, help=f"directory (default {OUT})")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="paygate-shots-") as directory:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PAYGATE_")}
        env.update(
            PAYGATE_DATABASE_URL=f"sqlite:///{directory}/paygate.db",
            PAYGATE_AUTH_RATE_LIMIT="1000/minute",
        )
        started = time.perf_counter()
        if _paygate(["demo", "--seed-only"], env).wait(timeout=300) != 0:
            print("paygate demo --seed-only failed", file=sys.stderr)
            return 1
        print(f"seeded in {time.perf_counter() - started:.1f} s")
        port = _free_port()
        server = _paygate(["serve", "--port", str(port), "--no-dispatcher"], env)
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_ready(base, server)
            for path in _shoot(base, args.out):
                print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
        finally:
            server.terminate()
            server.wait(timeout=15)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
