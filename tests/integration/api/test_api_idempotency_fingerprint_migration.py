"""Migration 0005: idempotency records holding a plain (unkeyed) fingerprint are deleted,
keyed ones are kept; a key whose record went answers as a new request."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from uuid import UUID

import pytest
from alembic import command
from api_harness import Api, running_api
from sqlalchemy import select

from paygate_adapters.sql import create_database_engine
from paygate_adapters.sql.migrate import alembic_config
from paygate_adapters.sql.tables import idempotency_records
from paygate_core.idempotency import LEASE


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def sql_api(request: pytest.FixtureRequest) -> Iterator[tuple[Api, str]]:
    url: str = request.getfixturevalue(f"{request.param}_url")
    with running_api(request.param, database_url=url) as running:
        yield running, url


def _migrate_through_0005(url: str) -> None:
    engine = create_database_engine(url)
    try:
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), "0004")
            command.upgrade(alembic_config(connection), "0005")
            command.upgrade(alembic_config(connection), "head")
    finally:
        engine.dispose()


def _stored_keys(url: str) -> dict[str, str]:
    engine = create_database_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(idempotency_records.c.idempotency_key, idempotency_records.c.request_hash)
            )
            return {row.idempotency_key: row.request_hash for row in rows}
    finally:
        engine.dispose()


def test_the_migration_deletes_plain_fingerprints_and_keeps_keyed_ones(
    sql_api: tuple[Api, str],
) -> None:
    api, url = sql_api
    shop = api.merchant()
    keyed = {**shop.key, "Idempotency-Key": "keyed"}
    first = api.post("/orders/", {"amount": "5.00"}, keyed)
    assert first.status_code == 201
    merchant_id = UUID(shop.merchant_id)
    plain = hashlib.sha256(b"POST\n/paygate/api/v1/orders\njson:{}").hexdigest()
    with api.paygate.uow() as work:
        for key in ("plain-done", "plain-running"):
            work.idempotency.claim(merchant_id, key, plain, api.clock.now(), LEASE)
        work.idempotency.complete(merchant_id, "plain-done", 201, b"{}", api.clock.now())
        work.commit()
    keyed_digest = _stored_keys(url)["keyed"]
    assert keyed_digest.startswith("hmac:")

    _migrate_through_0005(url)

    assert _stored_keys(url) == {"keyed": keyed_digest}
    replay = api.post("/orders/", {"amount": "5.00"}, keyed)
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.content == first.content
    fresh = api.post("/orders/", {"amount": "5.00"}, {**shop.key, "Idempotency-Key": "plain-done"})
    assert fresh.status_code == 201
    assert "idempotent-replayed" not in fresh.headers
    assert fresh.json()["data"]["order_id"] != first.json()["data"]["order_id"]
