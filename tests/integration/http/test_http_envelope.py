"""The envelope, error translation, request ids, logs, probes, CORS and the OpenAPI document."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from http_harness import PASSWORD, Api, AppFactory, error_of

from paygate_core.errors import ErrorCode
from paygate_core.ports import UnitOfWork
from paygate_http.api.error_docs import render_error_docs
from paygate_http.pipeline.errors import STATUS_BY_CODE
from paygate_http.pipeline.observability import MASK, AccessLines, configure_logging
from paygate_http.process.wiring import build_paygate
from paygate_http.settings import Settings

ROOT = Path(__file__).resolve().parents[3]


def _log_lines(err: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in err.splitlines() if line.startswith("{")]


# --- error envelopes -----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/paygate/api/v1/nothing/", "/nothing", "/paygate/api/v2/"])
def test_an_unknown_route_is_404_with_code_9001(api: Api, path: str) -> None:
    response = api.get(path)

    assert error_of(response) == (404, 9001)
    assert response.json()["exception"]["meta"] is None


def test_a_wrong_method_is_405_with_code_9002_and_an_allow_header(api: Api) -> None:
    response = api.delete("auth/token/")

    assert error_of(response) == (405, 9002)
    assert "POST" in response.headers["allow"]


def test_a_body_over_64_kib_is_413_with_code_9003(api: Api) -> None:
    response = api.post("auth/token/", content=b'{"email": "' + b"x" * 70_000 + b'"}')

    assert error_of(response) == (413, 9003)


def test_a_streamed_body_over_64_kib_is_413_too(api: Api) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(20):
            yield b" " * 4096

    response = api.post("auth/token/", content=chunks())

    assert error_of(response) == (413, 9003)


def test_a_body_of_exactly_64_kib_is_read(api: Api) -> None:
    body = b'{"email": "nobody@shop.example", "password": "wrong-password"}'
    response = api.post(
        "auth/token/",
        content=body + b" " * (65536 - len(body)),
        headers={"Content-Type": "application/json"},
    )

    assert error_of(response) == (401, 1001)


@pytest.mark.parametrize("body", [b"{bad", b'{"email": }', b"\xff\xfe{}", b'{"a": 1, "a": 2}'])
def test_malformed_json_is_400_with_code_1004(api: Api, body: bytes) -> None:
    response = api.post("auth/token/", content=body, headers={"Content-Type": "application/json"})

    assert error_of(response) == (400, 1004)
    assert "body" in response.json()["exception"]["meta"]["fields"]


@pytest.mark.parametrize("body", [b"[1, 2]", b'"text"', b"42", b"null"])
def test_a_json_body_that_is_not_an_object_is_422_with_code_1004(api: Api, body: bytes) -> None:
    response = api.post("auth/token/", content=body, headers={"Content-Type": "application/json"})

    assert error_of(response) == (422, 1004)
    assert response.json()["exception"]["meta"] == {"fields": {"body": "must be a JSON object"}}


@pytest.mark.parametrize("path", ["auth/token", "auth/token/"])
def test_routes_answer_with_and_without_the_trailing_slash(api: Api, path: str) -> None:
    assert error_of(api.post(path, json={"email": "x@shop.example", "password": PASSWORD})) == (
        401,
        1001,
    )


def test_success_envelope_has_exactly_success_message_data(api: Api) -> None:
    response = api.post(
        "auth/register/", json={"email": "e@shop.example", "name": "E", "password": PASSWORD}
    )

    assert list(response.json()) == ["success", "message", "data"]


def test_every_error_code_has_a_status_in_the_one_map() -> None:
    assert set(STATUS_BY_CODE) == set(ErrorCode)
    assert all(400 <= status < 600 for status in STATUS_BY_CODE.values())


class _BrokenDatabase:
    """A unit-of-work factory whose database is down, with a secret in its error."""

    def __call__(self, *, read_only: bool = False) -> UnitOfWork:
        raise RuntimeError("connection to postgresql://paygate:hunter2@db failed")


def test_an_unexpected_error_is_500_9000_leaking_nothing_and_logged_with_the_request_id(
    make_api: AppFactory, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    api = make_api(paygate_override=build_paygate(settings, _BrokenDatabase()))

    response = api.get("merchants/me/", api_key="pk_anything", headers={"X-Request-ID": "req-42"})

    assert error_of(response) == (500, 9000)
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text
    assert "req-42" in response.json()["exception"]["description"]
    errors = [line for line in _log_lines(capsys.readouterr().err) if line["level"] == "ERROR"]
    assert errors
    assert errors[0]["request_id"] == "req-42"
    assert "RuntimeError" in errors[0]["traceback"]


# --- request ids and logs ------------------------------------------------------------------


def test_every_response_carries_a_request_id(api: Api) -> None:
    ok = api.get("/health")
    missing = api.get("/nothing")

    assert len(ok.headers["x-request-id"]) == 32
    assert missing.headers["x-request-id"] != ok.headers["x-request-id"]
    for response in (ok, missing):  # version 4 UUIDs, as hex
        made = uuid.UUID(response.headers["x-request-id"])
        assert (made.version, made.variant) == (4, uuid.RFC_4122)


def test_a_safe_incoming_request_id_is_echoed_and_an_unsafe_one_replaced(api: Api) -> None:
    echoed = api.get("/health", headers={"X-Request-ID": "abc-123"})
    replaced = api.get("/health", headers={"X-Request-ID": "bad id\twith spaces"})

    assert echoed.headers["x-request-id"] == "abc-123"
    assert replaced.headers["x-request-id"] != "bad id\twith spaces"


def test_one_json_access_log_line_per_request_without_secrets(
    api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    response = api.post(
        "auth/register/",
        json={"email": "log@shop.example", "name": "L", "password": "very-secret-password"},
    )
    access = response.json()["data"]["access"]
    api.get("merchants/me/", token=access)

    err = capsys.readouterr().err
    lines = [line for line in _log_lines(err) if line["logger"] == "paygate.http.access"]
    assert [(line["method"], line["path"], line["status"]) for line in lines] == [
        ("POST", "/paygate/api/v1/auth/register/", 201),
        ("GET", "/paygate/api/v1/merchants/me/", 200),
    ]
    assert all(isinstance(line["duration_ms"], float) and line["request_id"] for line in lines)
    for secret in ("very-secret-password", access, response.json()["data"]["api_key"]):
        assert secret not in err


def _access(err: str) -> list[dict[str, Any]]:
    return [line for line in _log_lines(err) if line["logger"] == "paygate.http.access"]


def test_unmatched_routes_and_wrong_methods_are_logged_with_their_request_id(
    api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    missing = api.get("/nothing/here/", headers={"X-Request-ID": "lost-1"})
    wrong = api.delete("auth/token/", headers={"X-Request-ID": "wrong-1"})

    assert missing.headers["x-request-id"] == "lost-1"
    assert wrong.headers["x-request-id"] == "wrong-1"
    assert [
        (line["method"], line["path"], line["status"], line["request_id"])
        for line in _access(capsys.readouterr().err)
    ] == [
        ("GET", "/nothing/here/", 404, "lost-1"),
        ("DELETE", "/paygate/api/v1/auth/token/", 405, "wrong-1"),
    ]


def test_card_numbers_in_the_path_or_query_are_masked_in_the_access_log(
    api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    api.get(
        "orders/4111111111111111/",
        api_key="pk_nope",
        params={
            "q": "4111 1111 1111 1111",
            "card": "4111111111111111",
            "long": "41111111111111112222",
        },
    )

    err = capsys.readouterr().err
    [line] = _access(err)
    assert line["path"] == f"/paygate/api/v1/orders/{MASK}/"
    assert line["query"] == f"q={MASK}&card={MASK}&long={MASK}"
    assert "4111111111111111" not in err


def test_digit_runs_shorter_than_a_card_number_stay_in_the_access_log(
    api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    api.get(
        "orders/411111111111/",
        api_key="pk_nope",
        params={"limit": "123456789012", "on": "2026-12-03 10-30"},
    )

    [line] = _access(capsys.readouterr().err)
    assert line["path"] == "/paygate/api/v1/orders/411111111111/"
    assert line["query"] == "limit=123456789012&on=2026-12-03 10-30"


def test_a_request_without_a_query_string_logs_no_query(
    api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    api.get("/health")

    [line] = _access(capsys.readouterr().err)
    assert "query" not in line


def test_access_lines_of_concurrent_requests_wait_for_the_turn_and_none_is_lost(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("INFO")

    def logged() -> list[str]:
        return [line["request_id"] for line in _log_lines(capsys.readouterr().err)]

    async def exchange() -> None:
        lines = AccessLines()
        for _ in range(3):
            lines.started()
        lines.finished({"request_id": "a"})  # two others still running: after this turn
        lines.finished({"request_id": "b"})
        assert logged() == []
        await asyncio.sleep(0)
        assert logged() == ["a", "b"]
        lines.finished({"request_id": "c"})  # the last one in flight: at once
        assert logged() == ["c"]

    capsys.readouterr()
    asyncio.run(exchange())


# --- probes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/health", "/health/"])
def test_health_answers_ok_without_the_database(make_api: AppFactory, path: str) -> None:
    api = make_api(ready_check=lambda: False)

    response = api.get(path)

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_is_200_when_the_database_answers_and_503_otherwise(make_api: AppFactory) -> None:
    assert make_api(ready_check=lambda: True).get("/ready").status_code == 200
    down = make_api(ready_check=lambda: False).get("/ready/")
    assert down.status_code == 503
    assert down.json() == {"status": "unavailable"}


# --- CORS --------------------------------------------------------------------------------------


def test_cors_allows_configured_origins_with_credentials(make_api: AppFactory) -> None:
    api = make_api(cors_origins=("https://dashboard.shop.example",))

    allowed = api.request(
        "OPTIONS",
        "auth/token/",
        headers={
            "Origin": "https://dashboard.shop.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    other = api.get("/health", headers={"Origin": "https://evil.example"})

    assert allowed.headers["access-control-allow-origin"] == "https://dashboard.shop.example"
    assert allowed.headers["access-control-allow-credentials"] == "true"
    assert "access-control-allow-origin" not in other.headers


def test_without_cors_origins_no_cors_headers_are_sent(api: Api) -> None:
    response = api.get("/health", headers={"Origin": "https://dashboard.shop.example"})

    assert "access-control-allow-origin" not in response.headers


# --- OpenAPI ---------------------------------------------------------------------------------

CONTRACT_ROUTES = {
    ("post", "/paygate/api/v1/auth/register"),
    ("post", "/paygate/api/v1/auth/register-admin"),
    ("post", "/paygate/api/v1/auth/token"),
    ("post", "/paygate/api/v1/auth/refresh"),
    ("post", "/paygate/api/v1/auth/logout"),
    ("get", "/paygate/api/v1/merchants/me"),
    ("patch", "/paygate/api/v1/merchants/me"),
    ("post", "/paygate/api/v1/merchants/me/api-key"),
    ("post", "/paygate/api/v1/merchants/me/webhook-secret"),
    ("get", "/paygate/api/v1/admin/users"),
    ("delete", "/paygate/api/v1/admin/users/{user_id}"),
    ("post", "/paygate/api/v1/admin/users/{user_id}/restore"),
    ("get", "/paygate/api/v1/admin/merchants"),
    ("get", "/health"),
    ("get", "/ready"),
}


BODY_ROUTES = {
    (method, path)
    for method, path in CONTRACT_ROUTES
    if method in {"post", "patch"} and not path.endswith(("api-key", "webhook-secret", "restore"))
}


def test_openapi_documents_every_route_with_ids_tags_and_schemas(api: Api) -> None:
    response = api.get("/schema/openapi.json")

    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.1")
    operations = {
        (method, path): op
        for path, item in document["paths"].items()
        for method, op in item.items()
    }
    assert set(operations) >= CONTRACT_ROUTES
    ids = [op["operationId"] for op in operations.values()]
    assert len(ids) == len(set(ids))
    for (_, path), op in operations.items():
        assert op["tags"], path
        success = next(code for code in op["responses"] if code.startswith("2"))
        media = "text/event-stream" if path.endswith("/events/stream") else "application/json"
        assert "schema" in op["responses"][success]["content"][media], path
    for method, path in BODY_ROUTES:
        assert "schema" in operations[method, path]["requestBody"]["content"]["application/json"]


def test_openapi_error_responses_use_the_envelope_schema(api: Api) -> None:
    document = api.get("/schema/openapi.json").json()

    login = document["paths"]["/paygate/api/v1/auth/token"]["post"]
    for status in ("400", "401", "422", "429"):
        content = login["responses"][status]["content"]["application/json"]
        assert content["schema"] == {"$ref": "#/components/schemas/ErrorEnvelope"}
        assert content["examples"]
    schemas = document["components"]["schemas"]
    assert "examples" in schemas["LoginRequest"]["properties"]["email"]


def test_interactive_docs_are_served_under_schema(api: Api) -> None:
    response = api.get("/schema")

    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]


# --- generated documentation -------------------------------------------------------------------


def test_docs_errors_md_matches_the_error_catalogue() -> None:
    committed = (ROOT / "docs" / "errors.md").read_text()

    assert committed == render_error_docs(), (
        "docs/errors.md is stale: python -m paygate_http.api.error_docs > docs/errors.md"
    )
