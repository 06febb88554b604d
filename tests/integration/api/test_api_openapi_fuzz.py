"""Schemathesis over the app's own OpenAPI document: every operation, fuzzed with every
check (``--checks all``) as an anonymous, a merchant and an admin caller, against
``paygate serve`` on SQLite, must raise no finding.

That is: no 5xx; every answer as documented (status, content type, body schema, headers,
``Allow``); every request the schema admits accepted, unless it fails for a reason the
schema cannot state, namely the ``STATE_REFUSALS`` below (a cursor the server never issued,
an ``Idempotency-Key`` reused with another body, a statistics range refused as a whole);
every request it refuses refused.

The server is a real process (``PaygateProcess``), as deployed: the schemathesis CLI talks
HTTP to uvicorn, so what is checked is what clients meet, including what Litestar answers
before any handler runs (``OPTIONS``, unknown methods, malformed requests). Each caller is
one ``schemathesis run`` (examples, coverage, fuzzing and stateful phases) whose NDJSON event
log is read back. ``auth/logout/`` is left out: it revokes the caller's own token; so is
``events/stream/``, a stream that never ends (tested in ``tests/integration/live_events``).

Bounded: ``FUZZ_EXAMPLES`` examples per operation (default 8; 40 under ``CI=true``) with a
fixed seed (``FUZZ_SEED``), each run under a hard time limit. The coverage phase (boundary
and missing values of every parameter, some 1,500 requests per caller whatever the number of
examples) runs under ``CI=true`` or when ``FUZZ_PHASES`` names it; by default the examples,
fuzzing and stateful phases run, well under a minute in all.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from cli_process import PaygateProcess

IN_CI = os.environ.get("CI", "").lower() == "true"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40" if IN_CI else "8"))
SEED = int(os.environ.get("FUZZ_SEED", "20261"))
PHASES = os.environ.get(
    "FUZZ_PHASES", "examples,coverage,fuzzing,stateful" if IN_CI else "examples,fuzzing,stateful"
)
RUN_TIMEOUT = 300 if IN_CI else 180
BASE = "/paygate/api/v1"
ADMIN_EMAIL, ADMIN_PASSWORD = "fuzz-admin@paygate.example", "adm1n-pass-word"


@dataclass(frozen=True)
class Finding:
    operation: str
    check: str
    status: int | None
    body: Any
    request: str = ""

    @property
    def code(self) -> object:
        if isinstance(self.body, dict) and isinstance(self.body.get("exception"), dict):
            return self.body["exception"].get("code")
        return None

    def __str__(self) -> str:
        return (
            f"{self.operation}: {self.check} -> {self.status} "
            f"{json.dumps(self.body)[:300]}\n    request: {self.request[:3000]}"
        )


def _unknown_cursor(finding: Finding) -> bool:
    """A well-formed cursor the server never issued (it names no item)."""
    meta = finding.body.get("exception", {}).get("meta") if finding.code == 1004 else None
    return isinstance(meta, dict) and set(meta.get("fields") or {}) == {"cursor"}


def _reused_idempotency_key(finding: Finding) -> bool:
    """The same ``Idempotency-Key`` with another body (the examples share their key)."""
    return finding.code == 1007 and finding.status == 422


def _range_rule(finding: Finding) -> bool:
    """A statistics range the contract refuses as a whole: ``from`` after ``to``, or more
    than 1,000 buckets of a series. Rules between query parameters, which no parameter's
    schema can state (the contract makes them 422 1020; the parameters document them)."""
    description = finding.body.get("exception", {}).get("description", "")
    return finding.code == 1020 and (
        description == "from: must not be after 'to'"
        or re.fullmatch(
            r"from: the range holds [0-9,]+ \w+ buckets, at most [0-9,]+ are "
            r"allowed",
            description,
        )
        is not None
    )


STATE_REFUSALS = (_unknown_cursor, _reused_idempotency_key, _range_rule)


def _is_state_refusal(finding: Finding) -> bool:
    return (
        finding.check == "positive_data_acceptance"
        and finding.status == 422
        and isinstance(finding.body, dict)
        and any(refusal(finding) for refusal in STATE_REFUSALS)
    )


@dataclass(frozen=True)
class Outcome:
    findings: list[Finding]
    errors: list[str]
    successes: dict[str, int]
    """2xx answers per operation (proof that the caller's credentials worked)."""


def _decode(content: Any) -> Any:
    if not isinstance(content, dict) or "$base64" not in content:
        return content
    raw = base64.b64decode(content["$base64"])
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


def read_events(path: Path) -> Outcome:
    """The findings, errors and successful answers recorded in a schemathesis NDJSON log."""
    findings: dict[str, Finding] = {}
    errors: list[str] = []
    successes: dict[str, int] = {}
    for line in path.read_text().splitlines():
        event = json.loads(line)
        kind, data = next(iter(event.items()))
        if "Error" in kind:
            errors.append(json.dumps(data)[:2000])
        if kind != "ScenarioFinished":
            continue
        recorder = data["recorder"]
        for case_id, interaction in recorder.get("interactions", {}).items():
            response = interaction.get("response") or {}
            if 200 <= response.get("status_code", 0) < 300:
                label = (
                    recorder["cases"][case_id]["value"]["method"]
                    + " "
                    + recorder["cases"][case_id]["value"]["path"]
                )
                successes[label] = successes.get(label, 0) + 1
        for case_id, checks in recorder.get("checks", {}).items():
            for check in checks:
                if check["status"] == "success":
                    continue
                failure = check.get("failure_info", {}).get("failure", {})
                interaction = recorder.get("interactions", {}).get(case_id) or {}
                response = interaction.get("response") or {}
                request = interaction.get("request") or {}
                headers = {
                    name: values
                    for name, values in (request.get("headers") or {}).items()
                    if name.lower() not in {"authorization", "user-agent"}
                }
                finding = Finding(
                    operation=failure.get("operation", recorder["label"]),
                    check=check["name"],
                    status=response.get("status_code"),
                    body=_decode(response.get("content")),
                    request=f"{request.get('uri')} {headers} "
                    f"{json.dumps(_decode(request.get('body')))}",
                )
                findings[str(finding)] = finding
    return Outcome(list(findings.values()), errors, successes)


@dataclass(frozen=True)
class Server:
    url: str
    process: PaygateProcess

    def post(self, path: str, body: dict[str, Any]) -> Any:
        response = httpx.post(f"{self.url}{BASE}{path}", json=body, timeout=10, trust_env=False)
        assert response.status_code in (200, 201), response.text
        return response.json()["data"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    directory = tmp_path_factory.mktemp("fuzz")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYGATE_")}
    env.update(
        PAYGATE_DATABASE_URL=f"sqlite:///{directory}/paygate.db",
        PAYGATE_SECRET_KEY="fuzz-secret-key-0123456789abcdefghijklmnop",
        PAYGATE_BCRYPT_ROUNDS="4",
        PAYGATE_AUTH_RATE_LIMIT="0",
        PAYGATE_API_RATE_LIMIT="0",
        PAYGATE_COOKIE_SECURE="false",
        PAYGATE_ACCESS_TOKEN_TTL="3600",
        PAYGATE_SIMULATOR_SEED="7",
        PAYGATE_WEBHOOK_ALLOW_PRIVATE="true",
        PAYGATE_BOOTSTRAP_ADMIN_EMAIL=ADMIN_EMAIL,
        PAYGATE_BOOTSTRAP_ADMIN_NAME="Fuzz Admin",
        PAYGATE_BOOTSTRAP_ADMIN_PASSWORD=ADMIN_PASSWORD,
    )
    process = PaygateProcess(["serve", "--port", "0", "--no-dispatcher"], env)
    try:
        yield Server(process.serving_url(), process)
    finally:
        process.stop(timeout=10)


def _merchant_headers(server: Server) -> list[str]:
    """A merchant with a paid, partly refunded order, by bearer token (an API key cannot
    manage credentials, so every merchant route is reachable)."""
    merchant = server.post(
        "/auth/register/",
        {"email": "fuzz-shop@shop.example", "name": "Fuzz Shop", "password": "s3cret-pass"},
    )
    key = {"X-API-Key": merchant["api_key"]}
    order = httpx.post(
        f"{server.url}{BASE}/orders/", json={"amount": "100.00"}, headers=key, trust_env=False
    ).json()["data"]
    payment = httpx.post(
        f"{server.url}{BASE}/payments/",
        headers=key,
        trust_env=False,
        json={
            "order_id": order["order_id"],
            "card_details": {"card_number": "4242424242424242", "expiry": "12/30", "cvv": "123"},
        },
    ).json()
    httpx.post(
        f"{server.url}{BASE}/refunds/",
        headers=key,
        trust_env=False,
        json={"payment_id": payment["data"]["payment_id"], "amount": "1.00"},
    )
    return ["-H", f"Authorization: Bearer {merchant['access']}"]


def _admin_headers(server: Server) -> list[str]:
    admin = server.post("/auth/token/", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    return ["-H", f"Authorization: Bearer {admin['access']}"]


def run_schemathesis(server: Server, headers: list[str], report: Path) -> Outcome:
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        f"{server.url}/schema/openapi.json",
        "--checks",
        "all",
        "--max-examples",
        str(EXAMPLES),
        "--seed",
        str(SEED),
        "--workers",
        "1",
        "--phases",
        PHASES,
        "--exclude-operation-id",
        "logout",
        "--exclude-operation-id",
        "streamEvents",
        "--no-color",
        "--output-sanitize",
        "false",
        "--report",
        "ndjson",
        "--report-ndjson-path",
        str(report),
        *headers,
    ]
    completed = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert report.exists(), completed.stdout[-3000:] + completed.stderr[-3000:]
    return read_events(report)


CALLERS = ("anonymous", "merchant", "admin")


@pytest.mark.slow
@pytest.mark.parametrize("caller", CALLERS)
def test_every_operation_answers_as_documented(caller: str, server: Server, tmp_path: Path) -> None:
    headers = {
        "anonymous": lambda: [],
        "merchant": lambda: _merchant_headers(server),
        "admin": lambda: _admin_headers(server),
    }[caller]()
    outcome = run_schemathesis(server, headers, tmp_path / "events.ndjson")

    assert outcome.errors == []
    unexpected = [str(f) for f in outcome.findings if not _is_state_refusal(f)]
    assert unexpected == [], "\n".join(unexpected)
    if caller == "merchant":
        assert outcome.successes.get(f"GET {BASE}/orders", 0) > 0, outcome.successes
    if caller == "admin":
        assert outcome.successes.get(f"GET {BASE}/admin/users", 0) > 0, outcome.successes
