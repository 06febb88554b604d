"""The contract of the ``IdempotencyStore`` port: claiming, completing, releasing and
purging idempotency keys."""

from __future__ import annotations

from datetime import datetime, timedelta

from paygate_core.accounts import Merchant
from paygate_core.idempotency import IdempotencyRecord, StoredAnswer
from paygate_core.testing._builders import Builder, at
from paygate_core.testing._identity import assert_identical
from paygate_core.testing.contract._base import (
    STALE,
    Factory,
    seed_merchant,
)


class IdempotencyStoreContract:
    def _claim(
        self,
        factory: Factory,
        merchant: Merchant,
        key: str,
        digest: str,
        *,
        now: datetime,
        stale_after: timedelta = STALE,
    ) -> IdempotencyRecord | None:
        with factory() as uow:
            found = uow.idempotency.claim(merchant.id, key, digest, now, stale_after)
            uow.commit()
        return found

    def _complete(
        self,
        factory: Factory,
        merchant: Merchant,
        key: str,
        status: int,
        body: bytes,
        *,
        now: datetime,
    ) -> None:
        with factory() as uow:
            uow.idempotency.complete(merchant.id, key, status, body, now)
            uow.commit()

    def test_first_claim_owns_the_key_and_a_repeat_sees_it_unfinished(
        self, uow_factory: Factory
    ) -> None:
        _, merchant = seed_merchant(uow_factory, Builder())
        assert self._claim(uow_factory, merchant, "key-1", "h1", now=at(0)) is None
        assert_identical(
            self._claim(uow_factory, merchant, "key-1", "h1", now=at(5)),
            IdempotencyRecord(merchant.id, "key-1", "h1", None, at(0)),
        )
        assert_identical(
            self._claim(uow_factory, merchant, "key-1", "h2", now=at(6)),
            IdempotencyRecord(merchant.id, "key-1", "h1", None, at(0)),
        )

    def test_completed_key_returns_the_stored_response(self, uow_factory: Factory) -> None:
        _, merchant = seed_merchant(uow_factory, Builder())
        body = '{"success": true, "data": {"note": "é💳"}}'.encode()
        key = "K" * 255
        assert self._claim(uow_factory, merchant, key, "h1", now=at(0)) is None
        self._complete(uow_factory, merchant, key, 201, body, now=at(1))
        expected = IdempotencyRecord(merchant.id, key, "h1", StoredAnswer(201, body), at(0))
        found = self._claim(uow_factory, merchant, key, "h1", now=at(2))
        assert_identical(found, expected)
        assert found is not None
        assert found.completed
        assert_identical(self._claim(uow_factory, merchant, key, "other", now=at(3)), expected)

    def test_unfinished_stale_key_is_taken_over(self, uow_factory: Factory) -> None:
        _, merchant = seed_merchant(uow_factory, Builder())
        assert self._claim(uow_factory, merchant, "k", "h1", now=at(0)) is None
        later = at(0) + STALE + timedelta(seconds=1)
        assert self._claim(uow_factory, merchant, "k", "h1", now=later) is None
        assert_identical(
            self._claim(uow_factory, merchant, "k", "h1", now=later),
            IdempotencyRecord(merchant.id, "k", "h1", None, later),
        )

    def test_stale_key_is_not_taken_over_by_a_different_request(self, uow_factory: Factory) -> None:
        _, merchant = seed_merchant(uow_factory, Builder())
        assert self._claim(uow_factory, merchant, "k", "h1", now=at(0)) is None
        found = self._claim(uow_factory, merchant, "k", "h2", now=at(days=1))
        assert_identical(found, IdempotencyRecord(merchant.id, "k", "h1", None, at(0)))

    def test_completed_key_is_never_taken_over(self, uow_factory: Factory) -> None:
        _, merchant = seed_merchant(uow_factory, Builder())
        assert self._claim(uow_factory, merchant, "k", "h1", now=at(0)) is None
        self._complete(uow_factory, merchant, "k", 409, b"{}", now=at(1))
        assert_identical(
            self._claim(uow_factory, merchant, "k", "h1", now=at(days=2)),
            IdempotencyRecord(merchant.id, "k", "h1", StoredAnswer(409, b"{}"), at(0)),
        )

    def test_keys_belong_to_one_merchant(self, uow_factory: Factory) -> None:
        b = Builder()
        _, mine = seed_merchant(uow_factory, b)
        _, theirs = seed_merchant(uow_factory, b)
        assert self._claim(uow_factory, mine, "k", "h1", now=at(0)) is None
        assert self._claim(uow_factory, theirs, "k", "h2", now=at(1)) is None
        self._complete(uow_factory, theirs, "k", 201, b"theirs", now=at(2))
        assert_identical(
            self._claim(uow_factory, mine, "k", "h1", now=at(3)),
            IdempotencyRecord(mine.id, "k", "h1", None, at(0)),
        )

    def test_release_forgets_an_unfinished_key(self, uow_factory: Factory) -> None:
        _, merchant = seed_merchant(uow_factory, Builder())
        assert self._claim(uow_factory, merchant, "k", "h1", now=at(0)) is None
        with uow_factory() as uow:
            uow.idempotency.release(merchant.id, "k")
            uow.idempotency.release(merchant.id, "never-claimed")
            uow.commit()
        assert self._claim(uow_factory, merchant, "k", "h2", now=at(1)) is None

    def test_release_keeps_a_finished_answer(self, uow_factory: Factory) -> None:
        _, merchant = seed_merchant(uow_factory, Builder())
        assert self._claim(uow_factory, merchant, "k", "h1", now=at(0)) is None
        self._complete(uow_factory, merchant, "k", 201, b"kept", now=at(1))
        with uow_factory() as uow:
            uow.idempotency.release(merchant.id, "k")
            uow.commit()
        assert_identical(
            self._claim(uow_factory, merchant, "k", "h1", now=at(2)),
            IdempotencyRecord(merchant.id, "k", "h1", StoredAnswer(201, b"kept"), at(0)),
        )

    def test_purge_deletes_records_created_before_the_cutoff(self, uow_factory: Factory) -> None:
        _, merchant = seed_merchant(uow_factory, Builder())
        for key, t in (("old", 0), ("older", -5), ("edge", 10), ("new", 20)):
            assert self._claim(uow_factory, merchant, key, "h", now=at(t)) is None
        self._complete(uow_factory, merchant, "older", 201, b"{}", now=at(1))
        with uow_factory() as uow:
            assert uow.idempotency.purge(at(10)) == 2
            uow.commit()
        assert self._claim(uow_factory, merchant, "old", "h", now=at(21)) is None
        assert self._claim(uow_factory, merchant, "older", "h", now=at(21)) is None
        assert self._claim(uow_factory, merchant, "edge", "h", now=at(21)) is not None
        assert self._claim(uow_factory, merchant, "new", "h", now=at(21)) is not None
