"""A client generated from ``/schema/openapi.json`` by openapi-python-client builds cleanly:
the generator says nothing but ``Generating <dir>`` (any warning or error is a failure) and
every generated module imports."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from litestar.testing import TestClient
from memory_app import memory_app

GENERATOR = "openapi-python-client"
CLIENT_PACKAGE = "paygate_api_client"  # from the document's title, "Paygate API"


def generator_path() -> str | None:
    """The generator installed beside this interpreter (the dev extra), else on ``PATH``."""
    beside = Path(sys.executable).with_name(GENERATOR)
    return str(beside) if beside.exists() else shutil.which(GENERATOR)


def generate(document: Path, output: Path) -> str:
    """Runs the generator (with its ruff post-hooks, found beside this interpreter) and
    returns what it printed, minus the one line every run prints."""
    tool = generator_path()
    assert tool is not None
    environment = {
        **os.environ,
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
    }
    run = subprocess.run(
        [tool, "generate", "--path", str(document), "--output-path", str(output)],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )
    printed = (run.stdout + run.stderr).replace(f"Generating {output}", "", 1).strip()
    return f"exit status {run.returncode}\n{printed}" if run.returncode else printed


pytestmark = pytest.mark.skipif(
    generator_path() is None, reason=f"{GENERATOR} is not installed (pip install -e '.[dev]')"
)


def test_client_generated_from_the_openapi_document_builds_without_warnings(tmp_path: Path) -> None:
    with TestClient(memory_app()) as client:
        response = client.get("/schema/openapi.json")
    assert response.status_code == 200
    document = tmp_path / "openapi.json"
    document.write_bytes(response.content)

    assert generate(document, tmp_path / "client") == ""
    imported = subprocess.run(
        [
            sys.executable,
            "-W",
            "error",
            "-c",
            "import importlib, pkgutil, sys\n"
            f"import {CLIENT_PACKAGE} as package\n"
            "for module in pkgutil.walk_packages(package.__path__, package.__name__ + '.'):\n"
            "    importlib.import_module(module.name)\n",
        ],
        cwd=tmp_path / "client",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert imported.returncode == 0, imported.stderr


def test_the_check_reports_what_the_generator_warns_about(tmp_path: Path) -> None:
    """The check above can fail: a document whose path template has no parameter makes the
    generator skip the endpoint with a warning, and ``generate`` reports it."""
    document = tmp_path / "openapi.json"
    document.write_text(
        '{"openapi": "3.1.0", "info": {"title": "Broken", "version": "1"}, "paths": {'
        '"/things/{thing_id}": {"get": {"operationId": "getThing",'
        ' "responses": {"200": {"description": "A thing"}}}}}}'
    )

    printed = generate(document, tmp_path / "client")

    assert "Warning" in printed
    assert "/things/{thing_id}" in printed
