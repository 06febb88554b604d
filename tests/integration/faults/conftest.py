"""Fixtures of the database-fault tests: a private PostgreSQL cluster (skipped with a
reason when ``initdb`` cannot run, except under ``CI=true`` with the binaries present)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from faults_harness import PrivatePostgres, postgres_binaries

IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    """An initialised, stopped cluster of this test's own (``start()`` it), in a directory
    of the system's temporary one (pytest's are private to root: ``postgres`` cannot enter)."""
    bin_dir = postgres_binaries()
    if bin_dir is None:
        pytest.skip("no PostgreSQL binaries under /usr/lib/postgresql/*/bin")
    base = Path(tempfile.mkdtemp(prefix="paygate-private-pg-"))
    cluster = PrivatePostgres(bin_dir, base)
    try:
        reason = cluster.init()
        if reason is not None:
            if IN_CI:
                pytest.fail(f"a private PostgreSQL is required under CI=true: {reason}")
            pytest.skip(f"cannot create a private PostgreSQL: {reason}")
        yield cluster
    finally:
        cluster.close()
