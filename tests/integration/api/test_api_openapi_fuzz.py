"""Schemathesis over the app's own OpenAPI document: every operation, fuzzed as a merchant and
as an admin, never answers 5xx and always answers as documented (status, content type,
body schema, headers).

Bounded so it stays fast: ``FUZZ_EXAMPLES`` examples per operation (default 8, 40 under
``CI=true``), on the in-memory adapters.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from api_harness import Api, Merchant, running_api
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from paygate_core.use_cases.auth import Login

IN_CI = os.environ.get("CI", "").lower() == "true"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40" if IN_CI else "8"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance]
ADMIN_EMAIL, ADMIN_PASSWORD = "fuzz-admin@paygate.example", "adm1n-pass"


class _World:
    """A running app with a merchant (and a paid, partly refunded order) and an admin."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.merchant: Merchant = api.merchant("Fuzz Shop")
        payment = api.paid_order(self.merchant)
        api.refund(self.merchant, payment["payment_id"], "1.00")
        api.paygate.register_admin(_admin_command())

    def headers(self, role: str) -> dict[str, str]:
        if role == "merchant":
            return self.merchant.key  # an API key cannot log out or rotate itself
        # A fresh token per case: a fuzzed logout may revoke the one used before.
        session = self.api.paygate.login(Login(email=ADMIN_EMAIL, password=ADMIN_PASSWORD))
        return {"Authorization": f"Bearer {session.session.access}"}


def _admin_command() -> Any:
    from paygate_core.use_cases.auth import RegisterAdmin

    return RegisterAdmin(email=ADMIN_EMAIL, name="Fuzz Admin", password=ADMIN_PASSWORD)


@pytest.fixture(scope="module")
def world() -> Iterator[_World]:
    with running_api("memory") as api:
        yield _World(api)


def _openapi_document() -> dict[str, Any]:
    """The document the app serves at /schema/openapi.json (an app on in-memory adapters
    is cheap to build; ``schemathesis.pytest.from_fixture`` does not work with pytest 9)."""
    with running_api("memory") as api:
        document: dict[str, Any] = api.client.get("/schema/openapi.json").json()
    return document


schema = schemathesis.openapi.from_dict(_openapi_document())


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case: Any, world: _World) -> None:
    for role in ("merchant", "admin"):
        case.call_and_validate(headers=world.headers(role), checks=CHECKS,
                               app=world.api.client.app)
