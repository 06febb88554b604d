"""The interactive docs under ``/schema`` are served by Paygate alone: the pages reference
only same-origin URLs, run no inline script or style, every file they load is served with its
media type, and any other ``/schema/...`` path is the API's JSON 404."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from http_harness import error_of
from litestar.testing import TestClient
from memory_app import memory_app

DOCS_PAGES = ["/schema", "/schema/", "/schema/swagger"]


class PageReferences(HTMLParser):
    """What a page loads (``src``/``href`` by tag), and what it would run or style inline."""

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[tuple[str, dict[str, str]]] = []
        self.inline: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "style":
            self.inline.append("<style> element")
        self.inline += [
            f"{name} attribute on <{tag}>"
            for name in attributes
            if name == "style" or name.startswith("on")
        ]
        if tag == "script" and "src" not in attributes:
            self.inline.append("<script> without src")
        self._in_script = tag == "script"
        if tag in {"script", "link", "img"} and ({"src", "href"} & set(attributes)):
            self.loads.append((tag, attributes))

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline.append("script body")


def references_of(html: str) -> PageReferences:
    parser = PageReferences()
    parser.feed(html)
    return parser


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient[Any]]:
    with TestClient(memory_app(), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.mark.parametrize("page", DOCS_PAGES)
def test_docs_page_loads_only_same_origin_files_and_runs_nothing_inline(
    client: TestClient[Any], page: str
) -> None:
    response = client.get(page)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    references = references_of(response.text)
    assert references.inline == []
    urls = [attributes.get("src") or attributes["href"] for _, attributes in references.loads]
    assert {tag for tag, _ in references.loads} == {"script", "link"}
    assert all(url.startswith("/schema/assets/") for url in urls), urls
    assert 'data-openapi-url="/schema/openapi.json"' in response.text


@pytest.mark.parametrize("page", DOCS_PAGES)
def test_docs_page_is_sent_with_a_strict_content_security_policy(
    client: TestClient[Any], page: str
) -> None:
    headers = client.get(page).headers

    policy = headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert not re.search(r"https?:|\*", policy)
    assert headers["x-content-type-options"] == "nosniff"


def test_every_file_the_docs_page_loads_is_served_with_its_media_type(
    client: TestClient[Any],
) -> None:
    references = references_of(client.get("/schema").text)
    expected = {"script": "text/javascript", "stylesheet": "text/css", "icon": "image/png"}

    for tag, attributes in references.loads:
        kind = "script" if tag == "script" else attributes["rel"]
        response = client.get(attributes.get("src") or attributes["href"])
        assert response.status_code == 200, attributes
        assert response.headers["content-type"].startswith(expected[kind]), attributes
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.content


def test_the_page_runs_swagger_ui_5_which_reads_openapi_3_1(client: TestClient[Any]) -> None:
    bundle = client.get("/schema/assets/swagger-ui-bundle.js").text
    starter = client.get("/schema/assets/paygate-docs.js").text

    version = re.search(r'PACKAGE_VERSION:"(\d+)\.\d+\.\d+"', bundle)
    assert version is not None
    assert int(version.group(1)) >= 5
    assert "SwaggerUIBundle(" in starter
    assert "dataset.openapiUrl" in starter
    assert "validatorUrl: null" in starter  # no badge fetched from the online validator


def test_openapi_document_is_served_beside_the_docs_and_does_not_list_them(
    client: TestClient[Any],
) -> None:
    response = client.get("/schema/openapi.json")

    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.1")
    assert any(path.startswith("/paygate/api/v1/") for path in document["paths"])
    assert not [path for path in document["paths"] if path.startswith("/schema")]


@pytest.mark.parametrize(
    "path",
    [
        "/schema/no-such-thing",
        "/schema/scalar",
        "/schema/oauth2-redirect.html",
        "/schema/openapi.yaml",
        "/schema/no/such/thing",
        "/schema/assets",
        "/schema/assets/no-such.js",
        "/schema/assets/swagger-editor-bundle.js",  # in the package, but not a file the page uses
        "/schema/assets/swagger-ui.css.map",
        "/schema/assets/..%2F..%2Fapp.py",
    ],
)
def test_unknown_schema_paths_answer_the_json_404(client: TestClient[Any], path: str) -> None:
    response = client.get(path)

    assert error_of(response) == (404, 9001)
    assert response.headers["content-type"].startswith("application/json")


def test_other_methods_on_the_docs_answer_the_json_405(client: TestClient[Any]) -> None:
    assert error_of(client.post("/schema")) == (405, 9002)
    assert error_of(client.post("/schema/no-such-thing")) == (405, 9002)
