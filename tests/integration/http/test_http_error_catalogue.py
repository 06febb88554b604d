"""The error catalogue speaks one style and maps every code to the contract's status."""

from __future__ import annotations

import re

import pytest

from paygate_core.errors import ErrorCode
from paygate_http.api.error_docs import render_error_docs
from paygate_http.pipeline.errors import STATUS_BY_CODE

SENTENCE_CASE = re.compile(r"[A-Z][^\s.]*( [^\s]+)*")
"""A capital first letter, single spaces, no final period."""


@pytest.mark.parametrize("code", list(ErrorCode))
def test_every_message_is_a_sentence_case_phrase_without_a_final_period(
    code: ErrorCode,
) -> None:
    assert SENTENCE_CASE.fullmatch(code.message), code.message
    assert not code.message.endswith(".")


@pytest.mark.parametrize(
    ("code", "status", "message"),
    [
        (ErrorCode.VALIDATION_FAILED, 422, "Validation failed"),  # the contract's own text
        (ErrorCode.BODY_TOO_LARGE, 413, "Request body too large"),
        (ErrorCode.UNSUPPORTED_MEDIA_TYPE, 415, "Unsupported media type"),
        (ErrorCode.SERVICE_UNAVAILABLE, 503, "Service unavailable"),
        (ErrorCode.REQUEST_TIMEOUT, 408, "Request timeout"),
    ],
)
def test_the_http_layer_codes(code: ErrorCode, status: int, message: str) -> None:
    assert (STATUS_BY_CODE[code], code.message) == (status, message)


def test_every_code_has_a_status_and_a_documented_row() -> None:
    page = render_error_docs()

    assert set(STATUS_BY_CODE) == set(ErrorCode)
    for code in ErrorCode:
        assert f"| {int(code)} | " in page
